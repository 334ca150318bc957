"""One connection of the server front: buffer bytes, find each request's end
(`framing`), serve the fast shape with the proxy's own middleware chain and route handlers
(`FrontRequest`), hand anything else to aiohttp (`handoff`).

Requests on a connection are served one at a time, in order: bytes arriving while one is in
flight (pipelining) pause reading until it is done (what is buffered waits for it), and the
next starts once its response is written and the transport can take more (`pause_writing`).
A client that leaves mid-request does not cancel its handler (aiohttp's default, which the
routes are written for: the reservation, spend row and history are finished either way); the
reply is dropped.

Timeouts (the `Front` sweeps its connections once a second, so no timer per request): a
connection idle, or still sending a head, for `idle_timeout` is closed (keep-alive timeout and
slow headers alike); a body not in within `body_timeout` gets the routes' own 408.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http_writer import StreamWriter

from mcproute._core import MAX_REQUEST_HEAD
from mcproute.proxy.front import framing
from mcproute.proxy.front.handoff import hand_off
from mcproute.proxy.front.request import FrontRequest
from mcproute.proxy.front.response import NotServable, encoded, mark_sent
from mcproute.proxy.malformed import malformed_body, warn_malformed

if TYPE_CHECKING:
    from mcproute.proxy.front.server import Front

log = logging.getLogger("mcproute.proxy")
Chain = Callable[[web.Request], Awaitable[web.StreamResponse]]
# What aiohttp answers an unhandled exception with (`RequestHandler.handle_error`).
INTERNAL_ERROR = b"500 Internal Server Error\n\nServer got itself in trouble"
FIRST_CHECK = 16 * 1024  # buffered bytes of an unfinished head parsed again, then doubling


def internal_error() -> web.Response:
    """aiohttp's answer to an unhandled exception (`RequestHandler.handle_error`)."""
    return web.Response(status=500, text=INTERNAL_ERROR.decode(), content_type="text/plain")


class FrontProtocol(asyncio.Protocol):
    __slots__ = (
        "_buffer",
        "_busy",
        "_check_at",
        "_closing",
        "_drained",
        "_front",
        "_head",
        "_reading_paused",
        "_remote",
        "_replied",
        "_transport",
        "_writing_paused",
        "body_deadline",
        "deadline",
    )

    def __init__(self, front: Front) -> None:
        self._front = front
        self._transport: asyncio.Transport | None = None
        self._remote: str | None = None
        self._buffer: bytes | bytearray = b""
        self._check_at = FIRST_CHECK
        self._head: framing.Head | None = None  # the head of a request whose body is coming
        self._busy = False  # a request is being served
        self._replied = False  # and its reply was written
        self._closing = False
        self._reading_paused = False
        self._writing_paused = False
        self._drained: asyncio.Future[None] | None = None
        self.deadline = 0.0  # idle or mid-head: closed after it (0: a request in flight)
        self.body_deadline = 0.0  # a body is coming: answered 408 after it

    @property
    def busy(self) -> bool:
        return self._busy

    # What aiohttp's `StreamWriter` reads of its protocol (SSE: model streams, `/mcp`).
    @property
    def transport(self) -> asyncio.Transport | None:
        return self._transport

    @property
    def _paused(self) -> bool:
        return self._writing_paused

    async def _drain_helper(self) -> None:
        if not self._writing_paused or self._transport is None:
            return
        if self._drained is None or self._drained.done():
            self._drained = self._front.loop.create_future()
        await self._drained

    # --- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._remote = peer[0] if isinstance(peer, tuple) and peer else None
        self.deadline = self._front.idle_deadline()
        self._front.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._front.connections.discard(self)
        self._closing = True
        self._transport = None
        if not self._busy:
            self._front.request_done()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._busy and not self._reading_paused:
            # Bytes while a request is in flight (pipelining): read no more until it is done.
            # Paused only then, so a client that waits for each reply costs no system call.
            self._transport.pause_reading()  # type: ignore[union-attr]
            self._reading_paused = True
        buffer = self._buffer
        if not buffer:
            self._buffer = data  # the common case: a whole request in one read, not copied
        else:
            if type(buffer) is bytes:
                buffer = self._buffer = bytearray(buffer)
            cast(bytearray, buffer).extend(data)
            # Parse a head again only when its end may have arrived, or every doubling of the
            # buffer (the line limits): a head sent a byte at a time is not parsed per byte.
            if self._head is None and not self._busy:
                start = max(0, len(buffer) - len(data) - 3)
                if (
                    buffer.find(b"\n\r\n", start) < 0
                    and buffer.find(b"\n\n", start) < 0
                    and len(buffer) < self._check_at
                ):
                    return
                self._check_at = max(self._check_at, len(buffer) * 2)
        if not self._busy:
            self._advance()

    def eof_received(self) -> bool | None:
        self._closing = True  # the client sends no more: finish what is in flight, then close
        if not self._busy and self._transport is not None:
            self._transport.close()
        return True

    # --- framing

    def _advance(self) -> None:
        """Serve (or hand off) the next request in the buffer, if it is all there."""
        transport = self._transport
        if transport is None or (self._closing and not self._buffer):
            return
        head = self._head
        if head is None:
            buffer = self._buffer
            if type(buffer) is not bytes:
                buffer = bytes(memoryview(buffer)[:MAX_REQUEST_HEAD])
            try:
                head = framing.read_head(buffer, self._front.max_body)
            except framing.Refused as exc:
                self._refuse(str(exc))
                return
            if head is None:
                return  # the idle deadline keeps running: a head must arrive in time
            if not head.fast:
                self._hand_off()
                return
            self._head = head
            self.deadline = 0.0
        end = head.length + head.body_length
        if len(self._buffer) < end:
            if not self.body_deadline:
                self.body_deadline = self._front.body_deadline()
            return
        body = bytes(self._buffer[head.length : end])
        parsed = framing.body_json(body) if head.target in framing.MODEL_PATHS else None
        self._buffer = self._buffer[end:]
        self._check_at = FIRST_CHECK
        self._head = None
        self.body_deadline = 0.0
        self._start(head, body, parsed, late=False)

    def _start(self, head: framing.Head, body: bytes, parsed: Any, late: bool) -> None:
        transport = self._transport
        assert transport is not None
        self._busy = True
        self._replied = False
        self.deadline = 0.0
        close = head.close or late
        request = FrontRequest(
            head.method, head.target, head.headers, body, self._front.app, self._remote,
            transport, self, parsed, late, self._front.matches.get(head.target), not close,
        )  # fmt: skip
        self._front.loop.create_task(self._serve(request, close))

    # What a `FrontRequest` asks of its connection.

    def stream_writer(self) -> StreamWriter:
        return StreamWriter(cast(BaseProtocol, self), self._front.loop)

    def reply(self, response: web.StreamResponse, close: bool) -> Awaitable[None] | None:
        """Send `response`: a whole one is written now (nothing to await), a streamed one
        (prepared on aiohttp's writer) is ended by the awaitable returned."""
        if response.prepared and not self._replied:
            return self._end_stream(response)
        self._write(response, close)
        return None

    async def _end_stream(self, response: web.StreamResponse) -> None:
        self._replied = True
        if not response.keep_alive:
            self._closing = True
        try:
            await response.write_eof()
        except ConnectionError:  # the client left mid-stream: aiohttp's `finish` ignores it
            self._closing = True

    async def _serve(self, request: FrontRequest, close: bool) -> None:
        chain = self._front.chains[request.path]
        try:
            response = await chain(cast(web.Request, request))
            if not response.prepared:  # a middleware returned before `finish`
                self._write(response, close)
            elif not self._replied:
                await self._end_stream(response)
        except web.HTTPException as exc:  # as aiohttp's `_handle_request` turns them
            self._fail(
                request,
                web.Response(status=exc.status, reason=exc.reason, text=exc.text,
                             headers=exc.headers),
                close,
            )  # fmt: skip
        except Exception:
            log.exception("Error handling request")
            self._fail(request, internal_error(), close=True)
        except BaseException:  # cancelled (shutdown): the connection goes with it
            if self._transport is not None:
                self._transport.close()
            raise
        await self._done()

    def _fail(self, request: FrontRequest, response: web.Response, close: bool) -> None:
        """Answer a request whose handler raised; if its reply went out already (or began
        to), the connection can only be closed (as aiohttp does)."""
        if self._replied or request.streamed:
            if self._transport is not None:
                self._transport.close()
            return
        self._write(response, close)

    async def _done(self) -> None:
        if self._writing_paused and self._transport is not None:
            self._drained = self._front.loop.create_future()
            await self._drained
            self._drained = None
        self._busy = False
        self._front.request_done()
        transport = self._transport
        if transport is None:
            return
        if self._closing or self._front.stopping:
            transport.close()
            return
        self.deadline = self._front.idle_deadline()
        if self._buffer:
            self._advance()
        if not self._busy and self._transport is not None and self._reading_paused:
            self._reading_paused = False
            self._transport.resume_reading()

    # --- writing

    def _write(self, response: web.StreamResponse, close: bool) -> None:
        if response.prepared:
            return
        keep_alive = self.keeps_alive(close) and response.keep_alive is not False
        try:
            data = encoded(response, keep_alive)
        except (NotServable, ValueError):
            log.exception("Error handling request")
            mark_sent(response, 0)
            self._write(internal_error(), close=True)
            return
        mark_sent(response, len(data))
        self.write_encoded(data, keep_alive)

    def keeps_alive(self, close: bool) -> bool:
        """Whether the connection stays open after a reply written now (else the reply says
        `Connection: close`)."""
        return not (close or self._closing or self._front.stopping)

    def write_encoded(self, data: bytes, keep_alive: bool) -> None:
        """Write a whole reply's bytes, made for `keep_alive`."""
        self._replied = True
        if not keep_alive:
            self._closing = True
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _refuse(self, problem: str) -> None:
        """A head the parser refused: the fixed 400 naming the problem, then close."""
        warn_malformed(self._remote, problem)
        self._buffer = b""
        self._closing = True
        refused = web.Response(
            status=400, body=malformed_body(problem), content_type="application/json"
        )
        self._write(refused, close=True)
        if self._transport is not None:
            self._transport.close()

    # --- hand-off and timeouts

    def _hand_off(self) -> None:
        transport = self._transport
        assert transport is not None
        self._front.connections.discard(self)
        self._transport = None
        buffered, self._buffer = self._buffer, b""
        hand_off(transport, self._front.make_handler, buffered, self._reading_paused,
                 self._writing_paused)  # fmt: skip

    def timed_out(self, now: float) -> None:
        """Called by the front's sweep: close an idle connection, answer a late body."""
        if self._busy or self._transport is None:
            return
        if self.deadline and now >= self.deadline:
            self._transport.close()
        elif self.body_deadline and now >= self.body_deadline and self._head is not None:
            head, self._head = self._head, None
            self.body_deadline = 0.0
            self._buffer = b""
            self._start(head, b"", None, late=True)

    def close_idle(self) -> None:
        """Shutdown: an idle connection (no request in flight) is closed now."""
        if not self._busy and self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Shutdown, after the drain: whatever is left is cut."""
        if self._transport is not None:
            self._transport.abort()
