"""The Streamable HTTP transport (2025-03-26 and later): one POST per message.

A request's reply is the POST's response: JSON, or an SSE stream whose notifications and server
requests go to the request's handlers before the reply arrives. A legacy SSE reply that ends
before the response is resumed the 2025-11-25 way: a GET with `Last-Event-ID` after the
server's `retry` delay. A legacy session's standalone stream is a GET (`watch`); the session
ends with a DELETE (`close`). Headers follow the connection's era: `MCP-Protocol-Version`,
`Mcp-Session-Id`, and in 2026-07-28 `Mcp-Method`, `Mcp-Name` and the `Mcp-Param-*` headers
the tool's `x-mcp-header` annotations name.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import aiohttp

from mcproute import tracing
from mcproute.protocol import param_headers
from mcproute.protocol.client import http1
from mcproute.protocol.client.http_auth import authorized
from mcproute.protocol.client.sse_reader import SseCursor, events
from mcproute.protocol.client.transport import Deliver, Ended, Handlers, Transport
from mcproute.protocol.jsonrpc import INTERNAL_ERROR, Json, MCPError, request_bytes

if TYPE_CHECKING:
    from mcproute.protocol.client.connection import MCPConnection

NAMED = {
    "tools/call": "name",
    "prompts/get": "name",
    "resources/read": "uri",
    **dict.fromkeys(("tasks/get", "tasks/update", "tasks/cancel"), "taskId"),
}
MAX_RESUMES = 3  # GET reconnections of one interrupted SSE reply
LISTEN = "subscriptions/listen"  # 2026-07-28: a request whose reply stream lasts
MAX_HEADS = 256  # encoded request heads kept (of 2026-07-28 calls: by method and name)
CANCEL_SEND_S = 5.0  # for a notifications/cancelled to reach an HTTP server
# Long-lived GET streams end when the server or the connection ends them, not on a clock.
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=30)


class HTTPStatusError(MCPError):
    """The server answered with an HTTP error and no JSON-RPC body."""

    def __init__(self, method: str, status: int) -> None:
        why = {401: " (the server requires authorization)", 403: " (forbidden)"}.get(status, "")
        super().__init__(INTERNAL_ERROR, f"{method}: HTTP {status}{why}")
        self.status = status


class StreamableHttpTransport(Transport):
    """Streamable HTTP to `conn.url`, in the era and session `conn` negotiated."""

    kind = "http"
    per_client_sessions = True
    replies_inline = True

    def __init__(self, conn: MCPConnection, http: aiohttp.ClientSession) -> None:
        super().__init__()
        self.conn = conn
        self.http = http
        self._background: set[asyncio.Task[None]] = set()
        # 2026-07-28 POSTs (no session, no resumption) go on these keep-alive connections.
        self._pool: http1.Pool | None = None
        self._heads: dict[tuple[str, str | None, str | None], bytes] = {}  # by method, name

    async def open(self, deliver: Deliver, ended: Ended) -> None:
        self._ended = ended  # nothing arrives outside the replies to our POSTs

    def headers(self, method: str | None = None, params: Json | None = None) -> dict[str, str]:
        conn = self.conn
        headers = {
            **conn.headers,
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        }
        if conn.version is not None and (conn.era == "modern" or method != "initialize"):
            headers["MCP-Protocol-Version"] = conn.version
        if conn.session_id is not None:
            headers["Mcp-Session-Id"] = conn.session_id
        if conn.era == "modern" and method is not None:
            headers["Mcp-Method"] = method
            key = NAMED.get(method)
            if key and params and isinstance(params.get(key), str):
                headers["Mcp-Name"] = param_headers.encode_value(params[key])
            if method == "tools/call" and params:
                mapping = conn.param_headers.get(str(params.get("name")), {})
                headers.update(param_headers.param_headers(mapping, params.get("arguments")))
        if tracing.ACTIVE:
            tracing.inject(headers)  # the current span's traceparent, to the upstream
        return headers

    def _exchange(
        self, verb: str, headers: dict[str, str], **options: Any
    ) -> contextlib.AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """An exchange with the server through the connection's auth hook, if it has one."""
        return authorized(self.http, self.conn.auth, verb, self.conn.url, headers, **options)

    async def send(self, message: bytes, method: str | None = None) -> None:
        async with self._exchange("POST", self.headers(method), data=message) as r:
            await r.read()
            if r.status >= 400:
                raise HTTPStatusError(method or "reply", r.status)

    def request(
        self, request_id: int, method: str, params: Json | None, body: bytes, handlers: Handlers
    ) -> Awaitable[bytes]:
        conn = self.conn
        if conn.era == "modern" and method != LISTEN and conn.auth is None:
            # With an auth hook, the exchange below: its 401s and 403s go to the hook.
            head = self._stateless_head(method, params)
            return self._stateless(request_id, method, head, body, handlers)
        return self._exchange_request(request_id, method, params, body, handlers)

    async def _exchange_request(
        self,
        request_id: int,
        method: str,
        params: Json | None,
        body: bytes,
        handlers: Handlers,
        *,
        retry: bool = True,
    ) -> bytes:
        """A request on aiohttp's client: a legacy session's, a listen, or one through the
        connection's auth hook."""
        conn = self.conn
        headers = self.headers(method, params)
        # A listen's reply stream lasts as long as we listen.
        timeout = STREAM_TIMEOUT if method == LISTEN else self.http.timeout
        try:
            async with self._exchange("POST", headers, data=body, timeout=timeout) as r:
                if r.status == 404 and conn.session_id is not None and retry:
                    # The server forgot our session: re-initialize once, then retry.
                    await conn.reinitialize()
                    return await self._exchange_request(
                        request_id, method, params, body, handlers, retry=False
                    )
                if method == "initialize" and "Mcp-Session-Id" in r.headers:
                    conn.session_id = r.headers["Mcp-Session-Id"]
                if r.content_type == "text/event-stream":
                    return await self._read_stream(r, request_id, handlers)
                reply = await r.read()
                if r.status >= 400 and not reply.startswith(b"{"):
                    raise HTTPStatusError(method, r.status)
                return reply
        except asyncio.CancelledError:
            if method not in ("initialize", LISTEN):  # a listen ends with its stream
                self._cancel_in_background(request_id, "cancelled by the client")
            raise

    def _pool_of(self) -> http1.Pool:
        if self._pool is None:
            self._pool = http1.Pool(self.conn.url)
        return self._pool

    def _stateless_head(self, method: str, params: Json | None) -> bytes:
        """A 2026-07-28 request's encoded head. It is the same for every call of one method
        and name, so it is kept; not where it carries arguments (`Mcp-Param-*`) or a trace."""
        pool = self._pool_of()
        key = NAMED.get(method)
        name = params.get(key) if key and params else None
        if tracing.ACTIVE or (method == "tools/call" and self.conn.param_headers.get(str(name))):
            return pool.head(self.headers(method, params))
        cache_key = (method, name if isinstance(name, str) else None, self.conn.version)
        head = self._heads.get(cache_key)
        if head is None:
            if len(self._heads) >= MAX_HEADS:
                self._heads.clear()
            head = self._heads[cache_key] = pool.head(self.headers(method, params))
        return head

    async def _stateless(
        self,
        request_id: int,
        method: str,
        encoded_head: bytes,
        body: bytes,
        handlers: Handlers,
    ) -> bytes:
        """A 2026-07-28 request on the small HTTP/1.1 client (see `http1`)."""
        try:
            head, response = await self._pool_of().post_with_head(encoded_head, body)
            try:
                if head.content_type == "text/event-stream":
                    return await self._read_events_of(response, request_id, handlers)
                reply = await response.read()
            finally:
                response.release()
        except asyncio.CancelledError:
            self._cancel_in_background(request_id, "cancelled by the client")
            raise
        if head.status >= 400 and not reply.startswith(b"{"):
            raise HTTPStatusError(method, head.status)
        return reply

    async def _read_events_of(self, body: http1.Body, request_id: int, handlers: Handlers) -> bytes:
        async for _, event in events(body, SseCursor()):
            if await self.conn.on_stream_message(event, request_id, handlers):
                return event
        raise MCPError(INTERNAL_ERROR, "the server closed the stream before answering")

    async def cancel(self, request_id: int, reason: str) -> None:
        self._cancel_in_background(request_id, reason)

    def _cancel_in_background(self, request_id: int, reason: str) -> None:
        """Tell the server we no longer wait (in either era): sent in the background, so that
        the cancellation that called for it is not held up."""
        params = {"requestId": request_id, "reason": reason}
        body = request_bytes(None, "notifications/cancelled", params)

        async def send() -> None:
            with contextlib.suppress(MCPError, OSError, aiohttp.ClientError, TimeoutError):
                async with asyncio.timeout(CANCEL_SEND_S):
                    await self.send(body, "notifications/cancelled")

        task = asyncio.create_task(send())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _read_stream(
        self, resp: aiohttp.ClientResponse, request_id: int, handlers: Handlers
    ) -> bytes:
        """Consume an SSE reply: act on notifications and requests, return our response. A
        legacy server may end the stream early (SSE polling): then resume it with a GET that
        carries `Last-Event-ID`, after the delay its `retry` field asked for."""
        cursor = SseCursor()
        reply = await self._read_events(resp, cursor, request_id, handlers)
        for _ in range(MAX_RESUMES):
            if reply is not None or cursor.last_id is None or self.conn.era != "legacy":
                break
            await asyncio.sleep(cursor.retry_ms / 1000)
            reply = await self._resume(cursor, request_id, handlers)
        if reply is None:
            raise MCPError(INTERNAL_ERROR, "the server closed the stream before answering")
        return reply

    def _get_stream(self, cursor: SseCursor) -> Any:
        headers = {**self.headers(), "Accept": "text/event-stream"}
        del headers["Content-Type"]
        if cursor.last_id is not None:
            headers["Last-Event-ID"] = cursor.last_id
        return self._exchange("GET", headers, timeout=STREAM_TIMEOUT)

    async def watch(self, handlers: Handlers, cursor: SseCursor, opened: asyncio.Event) -> None:
        """The session's standalone stream until the server ends it for good; one it ends for
        SSE polling is reconnected after its `retry`, from the last event seen."""
        while True:
            async with self._get_stream(cursor) as r:
                if r.status != 200 or r.content_type != "text/event-stream":
                    raise HTTPStatusError("the GET stream", r.status)
                opened.set()
                await self._read_events(r, cursor, None, handlers)
            if cursor.last_id is None:
                return  # not resumable: the server meant to end it
            await asyncio.sleep(cursor.retry_ms / 1000)

    async def _resume(
        self, cursor: SseCursor, request_id: int | None, handlers: Handlers
    ) -> bytes | None:
        async with self._get_stream(cursor) as resp:
            if resp.status != 200 or resp.content_type != "text/event-stream":
                raise MCPError(INTERNAL_ERROR, f"resuming the reply stream: HTTP {resp.status}")
            return await self._read_events(resp, cursor, request_id, handlers)

    async def _read_events(
        self,
        resp: aiohttp.ClientResponse,
        cursor: SseCursor,
        request_id: int | None,
        handlers: Handlers,
    ) -> bytes | None:
        """Our response from one SSE stream, or None if the stream ends without it."""
        async for _, event in events(resp.content, cursor):
            if await self.conn.on_stream_message(event, request_id, handlers):
                return event
        return None

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        conn = self.conn
        if conn.session_id is not None and not self.http.closed:
            try:
                async with self._exchange("DELETE", self.headers()):
                    pass
            except Exception:  # best effort: a server gone, an authorization the hook refused
                pass  # the session dies with the server, or expires there
            conn.session_id = None
        await super().close()
