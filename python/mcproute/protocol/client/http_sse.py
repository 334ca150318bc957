"""The 2024-11-05 HTTP+SSE transport: a GET opens the event stream, whose first `endpoint`
event names the URL the client POSTs its messages to (same origin only). Both go through the
connection's auth hook (`http_auth`), as with Streamable HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urljoin, urlsplit

import aiohttp

from mcproute.protocol.client.http_auth import HTTPAuth, authorized
from mcproute.protocol.client.sse_reader import SseCursor, events
from mcproute.protocol.client.transport import Deliver, Ended, MessageStream
from mcproute.protocol.jsonrpc import CONNECTION_CLOSED, MCPError
from mcproute.redact import redact_url

ENDPOINT_WAIT_S = 30.0  # for the HTTP+SSE `endpoint` event


class HttpSseTransport(MessageStream):
    """The 2024-11-05 HTTP+SSE transport."""

    kind = "sse"

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str],
        auth: HTTPAuth | None = None,
    ) -> None:
        super().__init__()
        self._http = http
        self.url = url
        self._headers = headers
        self._auth = auth
        self.endpoint: str | None = None
        self._stream = contextlib.AsyncExitStack()  # the GET's response, released on close

    async def open(self, deliver: Deliver, ended: Ended) -> None:
        self._ended = ended
        headers = {**self._headers, "Accept": "text/event-stream"}
        # The stream lives as long as the connection: no total timeout.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
        resp = await self._stream.enter_async_context(
            authorized(self._http, self._auth, "GET", self.url, headers, timeout=timeout)
        )
        if resp.status != 200 or resp.content_type != "text/event-stream":
            await self._stream.aclose()
            raise MCPError(
                CONNECTION_CLOSED, f"HTTP+SSE: GET {redact_url(self.url)}: HTTP {resp.status}"
            )
        stream = events(resp.content, SseCursor())
        try:
            async with asyncio.timeout(ENDPOINT_WAIT_S):
                async for kind, data in stream:
                    if kind == "endpoint":
                        self.endpoint = self._check_endpoint(data.decode(errors="replace"))
                        break
        except TimeoutError:
            pass
        if self.endpoint is None:
            await self._stream.aclose()
            raise MCPError(CONNECTION_CLOSED, "HTTP+SSE: the stream sent no endpoint event")
        self._pump(self._messages(stream), deliver, "the server closed the SSE stream")

    def _check_endpoint(self, value: str) -> str:
        endpoint = urljoin(self.url, value.strip())
        ours, theirs = urlsplit(self.url), urlsplit(endpoint)
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            raise MCPError(
                CONNECTION_CLOSED, f"HTTP+SSE: the endpoint {endpoint!r} is on another origin"
            )
        return endpoint

    @staticmethod
    async def _messages(stream: AsyncIterator[tuple[str, bytes]]) -> AsyncIterator[bytes]:
        async for kind, data in stream:
            if kind == "message":
                yield data

    async def send(self, message: bytes, method: str | None = None) -> None:
        if self.ended_reason is not None or self.endpoint is None:
            raise self._closed_error()
        headers = {**self._headers, "Content-Type": "application/json"}
        async with authorized(
            self._http, self._auth, "POST", self.endpoint, headers, data=message
        ) as resp:
            await resp.read()
            if resp.status >= 400:
                raise MCPError(CONNECTION_CLOSED, f"HTTP+SSE: POST: HTTP {resp.status}")

    async def close(self) -> None:
        await super().close()
        await self._stream.aclose()
