"""A finished `web.Response` as the bytes aiohttp would send for it: the status line, the
response's headers in order, then `Content-Length`, `Date`, `Server` and (when the connection
closes) `Connection: close`, as aiohttp's `StreamResponse.prepare` adds them, and the body.
A `WholeReply` (a model call's JSON reply on the front) goes out the same way, without a
`web.Response` made for it."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http import SERVER_SOFTWARE

from mcproute._core import encode_reply

_OK = "HTTP/1.1 200 OK\r\n"


class NotServable(Exception):
    """A response the front cannot write itself (streamed, compressed, a payload object)."""


class WholeReply:
    """A 200 JSON reply that the front writes as bytes: what the model lane, the routes'
    `guarded`, the middlewares and the request's record read of a `web.Response` (`headers`,
    `prepared`, `status`, `body`, `body_length`), without one. At one connection making a
    `web.Response` (its multidict, its content type parsed back, a property per field read)
    cost about as much as writing the reply. `headers` is a plain dict: only the proxy's own
    code adds to it, each name in one spelling."""

    __slots__ = ("_body_length", "_eof_sent", "body", "headers")
    status = 200
    keep_alive = None  # the connection's to decide, as for a `web.Response` that sets none

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.headers = {"Content-Type": "application/json; charset=utf-8"}
        self._eof_sent = False  # `mark_sent`'s names: aiohttp's own
        self._body_length = 0

    @property
    def prepared(self) -> bool:
        return self._eof_sent

    @property
    def body_length(self) -> int:
        return self._body_length


def encoded(response: web.StreamResponse | WholeReply, keep_alive: bool) -> bytes:
    """The response's bytes; raises `NotServable` for anything but a whole body in memory, and
    ValueError for a header that would split the response (as aiohttp does)."""
    if type(response) is WholeReply:
        return whole_reply(_OK, response.headers.items(), response.body, keep_alive)
    if type(response) is not web.Response and not isinstance(response, web.Response):
        raise NotServable("a streamed response")
    body = response.body
    if body is None:
        body = b""
    elif not isinstance(body, bytes):
        raise NotServable("a payload body")
    # (`_cookies`: the `cookies` property would make an empty jar for every response)
    if response.compression or response.chunked or response._cookies:
        raise NotServable("compression, chunking or cookies")
    start = f"HTTP/1.1 {response.status} {response.reason}\r\n"
    return whole_reply(start, response.headers.items(), body, keep_alive)


def whole_reply(
    start: str, fields: Iterable[tuple[str, str]], body: bytes, keep_alive: bool
) -> bytes:
    """`start` (the status line and any header lines known to be sound), `fields` (checked:
    a CR or LF raises ValueError), the header lines aiohttp adds to a reply without them
    (`Content-Length`, `Date`, `Server`, and `Connection: close` unless `keep_alive`), the
    blank line, then `body`: in one call to the core."""
    return encode_reply(start, fields, body, keep_alive, rfc822_formatted_time(), SERVER_SOFTWARE)


def mark_sent(response: web.StreamResponse | WholeReply, length: int) -> None:
    """Tell the response it was sent, as aiohttp's `write_eof` does: `prepared` is then true
    (the middlewares add no more headers) and `body_length` is what went out (the access log's
    `bytes_out`)."""
    response._eof_sent = True
    response._body_length = length
