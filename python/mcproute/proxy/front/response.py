"""A finished `web.Response` as the bytes aiohttp would send for it: the status line, the
response's headers in order, then `Content-Length`, `Date`, `Server` and (when the connection
closes) `Connection: close`, as aiohttp's `StreamResponse.prepare` adds them, and the body."""

from __future__ import annotations

from collections.abc import Container

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
    # (`_cookies`: the `cookies` property would make an empty jar for every response)
    if response.compression or response.chunked or response._cookies:
        raise NotServable("compression, chunking or cookies")
    headers = response.headers
    # `name: value` lines joined by CR LF (`str.join` over the items: half the cost of an
    # f-string per line); any other CR or LF would split the response.
    block = "\r\n".join(map(": ".join, headers.items()))
    separators = len(headers) - 1
    if separators >= 0:
        if block.count("\r") != separators or block.count("\n") != separators:
            raise ValueError("newline or carriage return in a response header")
        block += "\r\n"
    head = f"HTTP/1.1 {response.status} {response.reason}\r\n{block}"
    return (head + added(headers, len(body), keep_alive)).encode("utf-8") + body


def added(headers: Container[str], length: int, keep_alive: bool) -> str:
    """The header lines aiohttp adds to a reply whose own are `headers` and whose body is
    `length` bytes, and the blank line ending the head."""
    tail = ""
    if "Content-Length" not in headers:
        tail = f"Content-Length: {length}\r\n"
    if "Date" not in headers:
        tail += f"Date: {rfc822_formatted_time()}\r\n"
    if "Server" not in headers:
        tail += _SERVER
    if not keep_alive and "Connection" not in headers:
        tail += "Connection: close\r\n"
    return tail + "\r\n"


_SERVER = f"Server: {SERVER_SOFTWARE}\r\n"


def mark_sent(response: web.StreamResponse, length: int) -> None:
    """Tell the response it was sent, as aiohttp's `write_eof` does: `prepared` is then true
    (the middlewares add no more headers) and `body_length` is what went out (the access log's
    `bytes_out`)."""
    response._eof_sent = True
    response._body_length = length
