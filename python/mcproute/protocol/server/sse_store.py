"""Resumable SSE streams of a legacy Streamable HTTP session (2025-03-26 .. 2025-11-25).

A session has one standalone stream (opened by GET, for messages not tied to a request) and one
stream per request answered with SSE. An event's id is `<stream>:<seq>`, seq counting the
session's events, so a `Last-Event-ID` names both the stream to resume and where to resume it.
Events are kept in a bounded per-session store: a client that comes back with `Last-Event-ID`
gets what it missed on that stream only, then the stream's live events. A stream outlives its
HTTP response, so a result produced while the client is away waits in the store (SSE polling,
SEP-1699).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
# Enough for a tool's burst of progress and log messages while a client reconnects; the byte
# budget keeps a few large results from pinning memory.
DEFAULT_MAX_EVENTS = 1024
DEFAULT_MAX_BYTES = 16 << 20
KEEPALIVE = b": keep-alive\n\n"
STANDALONE = "0"
# An event id as `frame` writes it, `<stream>:<seq>`: ASCII digits, of a size that converts.
EVENT_ID = re.compile(r"([0-9]{1,18}):([0-9]{1,18})", re.ASCII)


def frame(data: bytes, event_id: str | None = None) -> bytes:
    """One SSE event carrying a JSON-RPC message."""
    head = b"id: " + event_id.encode() + b"\n" if event_id is not None else b""
    return head + b"event: message\ndata: " + data + b"\n\n"


class ReplayError(Exception):
    """A `Last-Event-ID` that cannot be resumed; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(eq=False)
class Stream:
    key: str
    response: web.StreamResponse | None = None  # the client's current connection, if any
    request: web.BaseRequest | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # the current response's end
    finished: bool = False  # no event will follow: a request stream after its response
    stored: int = 0  # this stream's events in the store
    dropped: int = 0  # seq of this stream's newest event evicted from the store

    @property
    def live(self) -> bool:
        """A client is connected: the connection may have dropped unnoticed since the last write,
        so the transport is asked."""
        transport = self.request.transport if self.request is not None else None
        return self.response is not None and transport is not None and not transport.is_closing()


class SessionStreams:
    """A session's SSE streams and the bounded store of their events."""

    def __init__(
        self, *, max_events: int = DEFAULT_MAX_EVENTS, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.streams: dict[str, Stream] = {}
        self.standalone: Stream | None = None  # opened by the session's first GET
        self._events: deque[tuple[int, Stream, bytes]] = deque()
        self._bytes = 0
        self._seq = 0
        self._next_key = int(STANDALONE) + 1
        self.closed = False

    def open(self) -> Stream:
        """A new request stream."""
        stream = Stream(str(self._next_key))
        self._next_key += 1
        self.streams[stream.key] = stream
        return stream

    def open_standalone(self) -> Stream:
        if self.standalone is None:
            self.standalone = self.streams[STANDALONE] = Stream(STANDALONE)
        return self.standalone

    def _next_id(self, stream: Stream) -> str:
        self._seq += 1
        return f"{stream.key}:{self._seq}"

    async def send(self, stream: Stream, message: bytes) -> None:
        """Store `message` as the stream's next event, and write it if the client is there."""
        if self.closed:
            return  # a handler outlived its session: nobody can resume
        data = frame(message, self._next_id(stream))
        self._events.append((self._seq, stream, data))
        self._bytes += len(data)
        stream.stored += 1
        while self._events and (
            len(self._events) > self.max_events or self._bytes > self.max_bytes
        ):
            seq, old, old_data = self._events.popleft()
            self._bytes -= len(old_data)
            old.stored -= 1
            old.dropped = seq
            self._forget_if_done(old)
        await self._write(stream, data)

    async def push(self, message: bytes) -> None:
        """A message not tied to a request: on the standalone stream, or dropped when the
        client never opened one."""
        if self.standalone is not None:
            await self.send(self.standalone, message)

    def resume(self, last_event_id: str) -> tuple[Stream, int]:
        """The stream `last_event_id` belongs to, and the seq to replay its events after."""
        parsed = EVENT_ID.fullmatch(last_event_id)
        if parsed is None or int(parsed[2]) > self._seq:
            # Not echoed: the header is the caller's, and may be as long as headers go.
            raise ReplayError(400, "Last-Event-ID: not an event id of this session")
        key, seq = parsed[1], int(parsed[2])
        stream = self.streams.get(key)
        if stream is None or stream.dropped > seq:
            if int(key) < self._next_key:
                # Issued here, but what followed it is no longer stored: a gap cannot be replayed.
                raise ReplayError(
                    410, f"Last-Event-ID {last_event_id!r}: the events after it have expired"
                )
            raise ReplayError(400, f"Last-Event-ID {last_event_id!r}: no such stream")
        return stream, seq

    async def attach(
        self,
        stream: Stream,
        request: web.BaseRequest,
        response: web.StreamResponse,
        *,
        after: int | None = None,
        retry_ms: int | None = None,
    ) -> asyncio.Event:
        """Make `response` (prepared) the stream's connection: first the stored events after seq
        `after` (a resumption) or the `retry` priming event (2025-11-25), then live events.
        Returns the event set when this connection ends."""
        if stream.response is not None:
            # A resuming client knows its old connection is gone, even where we have not noticed.
            await self.close(stream)
        # From here to the first write nothing awaits, so no event slips between backlog and live.
        head = b"".join(
            data
            for seq, owner, data in self._events
            if owner is stream and after is not None and seq > after
        )
        if retry_ms is not None:
            # An id with empty data: the client can resume from here even if nothing follows.
            head = f"id: {self._next_id(stream)}\nretry: {retry_ms}\ndata: \n\n".encode() + head
        stream.request, stream.response = request, response
        stream.ended = ended = asyncio.Event()
        if head:
            await self._write(stream, head)
        if stream.finished:
            await self.close(stream)
        return ended

    async def keepalive(self, stream: Stream) -> None:
        """A comment line, so proxies keep the connection and a gone client is noticed."""
        await self._write(stream, KEEPALIVE)

    async def _write(self, stream: Stream, data: bytes) -> None:
        response = stream.response
        if response is None:
            return
        try:
            await response.write(data)
        except ConnectionError:
            if stream.response is response:  # not yet taken over by a resuming connection
                self._detach(stream)

    def _detach(self, stream: Stream) -> None:
        stream.response = stream.request = None
        stream.ended.set()
        self._forget_if_done(stream)

    async def close(self, stream: Stream) -> None:
        """End the stream's current HTTP response; the stream stays resumable."""
        response = stream.response
        self._detach(stream)
        if response is not None:
            with contextlib.suppress(ConnectionError):
                await response.write_eof()

    async def finish(self, stream: Stream) -> None:
        """No more events on `stream`: close it; it is forgotten once its events expire."""
        stream.finished = True
        await self.close(stream)

    def _forget_if_done(self, stream: Stream) -> None:
        if stream.finished and not stream.stored and stream.response is None:
            self.streams.pop(stream.key, None)

    async def end(self) -> None:
        """The session is over: close every connection and drop the store."""
        self.closed = True
        for stream in list(self.streams.values()):
            stream.finished = True
            await self.close(stream)
        self.streams.clear()
        self.standalone = None
        self._events.clear()
        self._bytes = 0
