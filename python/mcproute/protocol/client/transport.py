"""How an MCPConnection's messages travel: one `Transport` interface, three implementations.

- `streamable_http.StreamableHttpTransport`: each request is a POST whose reply (JSON, or an SSE
  stream carrying the request's notifications and server requests first) is the answer.
- `stdio.StdioTransport`: a child process speaking newline-delimited JSON-RPC.
- `http_sse.HttpSseTransport`: the 2024-11-05 HTTP+SSE transport (a GET stream, POSTs to the
  endpoint it names).

The last two are `MessageStream`s: the server's messages arrive on a stream of their own, and
the connection matches replies to requests by id. A transport only moves bytes; negotiation
and correlation are the connection's.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import aiohttp

from mcproute.protocol.jsonrpc import CONNECTION_CLOSED, Json, MCPError, request_bytes

if TYPE_CHECKING:
    from mcproute.protocol.client.sse_reader import SseCursor

Deliver = Callable[[bytes], Awaitable[None]]
Ended = Callable[[str], None]
OnNotification = Callable[[str, Json], Awaitable[None]]
OnRequest = Callable[[str, Json], Awaitable[Json]]


@dataclass(frozen=True)
class Handlers:
    """Where a request's notifications and server requests go while it runs."""

    on_notification: OnNotification | None
    on_request: OnRequest | None


class Transport(ABC):
    """One connection's way to its server. `open` starts delivering the server's messages that
    are not inline replies, in order, to `deliver`; `ended(reason)` is called once when the
    transport is gone (the process exited, the stream closed)."""

    kind: ClassVar[str]  # for operators: "http", "sse", "stdio"
    # Whether each client of a gateway may get a session of its own with the server (a stdio
    # process and an HTTP+SSE stream are one session, shared).
    per_client_sessions: ClassVar[bool] = False
    # Whether a request's reply comes back on its own exchange (an HTTP POST's response)
    # rather than on the message stream.
    replies_inline: ClassVar[bool] = False

    def __init__(self) -> None:
        self.ended_reason: str | None = None
        self._ended: Ended | None = None
        self._gone = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # While a `watch` lasts: the handlers of messages that belong to no request.
        self.watchers: Handlers | None = None

    @property
    def stderr_tail(self) -> list[str]:
        """A child process's last stderr lines; none elsewhere."""
        return []

    @abstractmethod
    async def open(self, deliver: Deliver, ended: Ended) -> None: ...

    @abstractmethod
    async def send(self, message: bytes, method: str | None = None) -> None:
        """A message that expects no reply on its own exchange (a notification, our answer)."""

    @abstractmethod
    def request(
        self, request_id: int, method: str, params: Json | None, body: bytes, handlers: Handlers
    ) -> Awaitable[bytes | None]:
        """Send one request (awaited). Its reply when this transport answers on the same
        exchange; else None, and the reply reaches `deliver`. (Not necessarily a coroutine of
        its own: a transport may hand back the one that does the work.)"""

    async def cancel(self, request_id: int, reason: str) -> None:
        """Tell the server we no longer wait for a request (it may stop working on it)."""
        params = {"requestId": request_id, "reason": reason}
        body = request_bytes(None, "notifications/cancelled", params)
        with contextlib.suppress(MCPError):  # the transport is gone: nothing works on it
            await self.send(body, "notifications/cancelled")

    async def watch(self, handlers: Handlers, cursor: SseCursor, opened: asyncio.Event) -> None:
        """What the server sends outside our requests, to `handlers`, until the transport ends
        (a message stream: every such message arrives on it)."""
        self.watchers = handlers
        try:
            opened.set()
            await self._gone.wait()
        finally:
            self.watchers = None

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._end("the connection was closed")

    def _end(self, reason: str) -> None:
        if self.ended_reason is None:
            self.ended_reason = reason
            self._gone.set()
            if self._ended is not None:
                self._ended(reason)

    def _closed_error(self) -> MCPError:
        return MCPError(CONNECTION_CLOSED, f"the connection is closed: {self.ended_reason}")


class MessageStream(Transport):
    """A transport on which the server's messages, replies included, arrive on a stream of
    their own."""

    async def request(
        self, request_id: int, method: str, params: Json | None, body: bytes, handlers: Handlers
    ) -> bytes | None:
        await self.send(body, method)
        return None

    def _pump(self, messages: AsyncIterator[bytes], deliver: Deliver, reason: str) -> None:
        """Deliver `messages` in the background; the transport ends when they run out."""

        async def run() -> None:
            why = reason
            try:
                async for message in messages:
                    await deliver(message)
            except MCPError as e:
                why = str(e)
            except (OSError, aiohttp.ClientError) as e:
                why = f"{reason}: {e}"
            self._end(why)

        self._tasks.append(asyncio.create_task(run()))
