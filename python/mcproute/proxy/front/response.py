"""A finished `web.Response` as the bytes aiohttp would send for it: the status line, the
response's headers in order, then `Content-Length`, `Date`, `Server` and (when the connection
closes) `Connection: close`, as aiohttp's `StreamResponse.prepare` adds them, and the body."""

from __future__ import annotations

from aiohttp import web
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http import SERVER_SOFTWARE


class NotServable(Exception):
    """A response the front cannot write itself (streamed, compressed, a payload object)."""


def encoded(response: web.StreamResponse, keep_alive: bool) -> bytes:
    """The response's bytes; raises `NotServable` for anything but a whole body in memory, and
    ValueError for a header that would split the response (as aiohttp does)."""
    if type(response) is not web.Response and not isinstance(response, web.Response):
        raise NotServable("a streamed response")
    body = response.body
    if body is None:
        body = b""
    elif not isinstance(body, bytes):
        raise NotServable("a payload body")
    if response.compression or response.chunked or response.cookies:
        raise NotServable("compression, chunking or cookies")
    headers = response.headers
    lines = [f"HTTP/1.1 {response.status} {response.reason}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError("newline or carriage return in a response header")
        lines.append(f"{name}: {value}")
    if "Content-Length" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    if "Date" not in headers:
        lines.append(f"Date: {rfc822_formatted_time()}")
    if "Server" not in headers:
        lines.append(f"Server: {SERVER_SOFTWARE}")
    if not keep_alive and "Connection" not in headers:
        lines.append("Connection: close")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("utf-8") + body


def mark_sent(response: web.StreamResponse, length: int) -> None:
    """Tell the response it was sent, as aiohttp's `write_eof` does: `prepared` is then true
    (the middlewares add no more headers) and `body_length` is what went out (the access log's
    `bytes_out`)."""
    response._eof_sent = True
    response._body_length = length
