"""The request the server front hands to the proxy's middlewares and route handlers.

It has the part of `aiohttp.web.Request` the fast routes' chain reads (per-request record,
auth, admission, the chat and messages handlers, `/mcp`'s chain and transport, error replies,
spend rows, history and the access log): method, path, headers, the app, the request's own
mapping (`RequestKey`s), the body (already whole: the front runs a request only once its body
is in), the peer and its transport. A whole response is sent by `send` (`observe.finish` calls
it instead of aiohttp's `prepare`); a streamed one (SSE: model streams, `/mcp`) is prepared
as usual, on aiohttp's `StreamWriter` over the front's transport (`_payload_writer`,
`_prepare_hook`).
Anything outside that subset is never reached: the front hands every other request to
aiohttp, and the tests compare the two paths' answers for the routes it serves.

Depends on nothing of the proxy, so the modules that check for it import it freely.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from aiohttp import web
from aiohttp.http import HttpVersion11
from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from mcproute.proxy.front.response import whole_reply

_NO_QUERY: MultiDictProxy[str] = MultiDictProxy(MultiDict())


class Connection(Protocol):
    """What a request asks of the front's connection it came on (`FrontProtocol`)."""

    def reply(self, response: web.StreamResponse, close: bool) -> Awaitable[None] | None: ...
    def stream_writer(self) -> Any: ...
    def keeps_alive(self, close: bool) -> bool: ...
    def write_encoded(self, data: bytes, keep_alive: bool) -> None: ...


class _WholeBody:
    """`request.content` of a body that has arrived: at its end, nothing to wait for."""

    __slots__ = ()

    def is_eof(self) -> bool:
        return True


_WHOLE = _WholeBody()


class FrontRequest(dict[Any, Any]):
    """The request's own mapping (`request[TIMING]`, `request.get(RECORD)`, `web.Request`'s
    `RequestKey`s) is the object itself: a `dict`, so the dozen reads and writes a request
    makes of it are the dict's own, not a Python method each. Compared and hashed by
    identity and always true, as `web.Request` is."""

    __slots__ = (
        "_connection",
        "_late",
        "_read_bytes",
        "_writer",
        "app",
        "headers",
        "keep_alive",
        "match_info",
        "method",
        "parsed",
        "path",
        "remote",
        "transport",
    )

    version = HttpVersion11
    query = _NO_QUERY
    content = _WHOLE
    secure = False
    scheme = "http"
    can_read_body = True
    body_exists = True

    def __init__(
        self,
        method: str,
        path: str,
        headers: CIMultiDictProxy[str],
        body: bytes,
        app: web.Application,
        remote: str | None,
        transport: Any,
        connection: Connection | None = None,
        parsed: Any = None,
        late: bool = False,
        match_info: Any = None,
        keep_alive: bool = True,
    ) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.app = app
        self.remote = remote
        self.transport = transport
        self.parsed = parsed  # the body as JSON, read by the front (a model call's)
        self._read_bytes = body  # the name aiohttp's request keeps it under (history reads it)
        self._late = late  # the body did not arrive within the body timeout
        self._connection = connection
        self._writer: Any = None
        self.match_info = match_info  # `/mcp`'s route, for its own middleware (`mcp_chain`)
        self.keep_alive = keep_alive

    __hash__ = object.__hash__  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:  # as `web.Request`'s: never the mapping's values
        return f"<FrontRequest {self.method} {self.path} >"

    @property
    def late(self) -> bool:
        """The body did not arrive within the body timeout (`read` raises)."""
        return self._late

    async def read(self) -> bytes:
        if self._late:  # `handling.read_body` answers this 408, as for aiohttp's request
            raise TimeoutError
        return self._read_bytes

    @property
    def client_max_size(self) -> int:
        return int(self.app._client_max_size)

    @property
    def content_length(self) -> int | None:
        return len(self._read_bytes)

    @property
    def host(self) -> str:
        return self.headers.get("Host") or "localhost"

    @property
    def url(self) -> URL:
        return URL.build(scheme="http", authority=self.host, encoded=True).join(URL(self.path))

    @property
    def cookies(self) -> dict[str, str]:
        return {}

    def send(self, response: web.StreamResponse) -> Awaitable[None] | None:
        """Send the reply (`observe.finish`): a whole one now; a streamed one is ended by
        awaiting what is returned."""
        assert self._connection is not None
        return self._connection.reply(response, not self.keep_alive)

    def send_whole(self, head: str, body: bytes) -> int:
        """Send a reply made without a `web.Response`: the status line and header lines `head`
        (each ending in CR LF, none of those `whole_reply` adds), then `body`. Returns the bytes
        written (the access log's `bytes_out`)."""
        assert self._connection is not None
        keep_alive = self._connection.keeps_alive(not self.keep_alive)
        data = whole_reply(head, (), body, keep_alive)
        self._connection.write_encoded(data, keep_alive)
        return len(data)

    # What `StreamResponse.prepare` reads of a request: a streamed reply (SSE) is written by
    # aiohttp's own `StreamWriter` on the front's transport.
    @property
    def _payload_writer(self) -> Any:
        if self._writer is None:
            if self._connection is None:
                raise RuntimeError("this request cannot stream its reply")
            self._writer = self._connection.stream_writer()
        return self._writer

    @property
    def streamed(self) -> bool:
        """A streamed reply has begun: bytes of it went out."""
        return self._writer is not None and self._writer.output_size > 0

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        return None  # the app has no `on_response_prepare` handlers to run


class FrontMatch:
    """`request.match_info` of a request the front serves on `/mcp`: its route's handler."""

    __slots__ = ("handler",)
    http_exception = None

    def __init__(self, handler: Any) -> None:
        self.handler = handler
