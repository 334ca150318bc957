"""A small HTTP/1.1 client for one hot path: the gateway's forwarded POSTs.

A general client builds request and response objects, cookie jars, trace hooks and header
multidicts for every request; for a POST of bytes whose answer is JSON (or an SSE stream) that
is most of what a gateway adds to a call. Here a request is one prebuilt block of bytes written
on a pooled keep-alive connection, and the response is parsed from the socket's bytes as they
arrive: the status line and headers in the Rust core (`_core.parse_reply_head`, the strict
parser the model client uses: a head with both Content-Length and Transfer-Encoding, or with
differing lengths, is refused; informational heads are skipped), then the body by
`Content-Length`, chunked, or until the connection closes. A response that arrives whole in
one read (a small JSON reply) is taken as it is, without going through the buffer. A
connection goes back to the pool when its response has been read whole; one that fails, or
whose response was abandoned (a cancelled call), is closed.

A POST written on a pooled connection that the server had already closed (its keep-alive
timeout) is sent again once on a new connection, when not a byte of a response came back.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections import deque
from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import unquote, urlsplit

from mcproute._core import (
    BODY_CHUNKED,
    BODY_EMPTY,
    BODY_LENGTH,
    ReplyHeadError,
    parse_reply_head,
)
from mcproute.protocol.jsonrpc import MAX_MESSAGE_BYTES

MAX_IDLE = 32  # idle connections kept per origin


class HTTPError(ConnectionError):
    """The connection failed, or the response is not HTTP/1.1 as we read it."""


_last_type: tuple[bytes, str] = (b"", "")  # the header lines last read and their media type


class Head:
    """A response's status and headers; the header lines are decoded when first read."""

    __slots__ = ("_fields", "_headers", "status")

    def __init__(self, status: int, fields: bytes) -> None:
        self.status = status
        self._fields = fields  # the header lines, each ending in CR LF
        self._headers: dict[str, str] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Names lower-cased; a repeated header keeps its last value."""
        if self._headers is None:
            self._headers = _header_fields(self._fields)
        return self._headers

    @property
    def content_type(self) -> str:
        """The media type, lower-cased (read from the header lines: every reply asks for it,
        and the other headers are seldom read). A server's replies mostly come with the same
        header lines (its `Date` changes once a second): the last ones read are remembered."""
        global _last_type
        if self._headers is not None:
            value = self._headers.get("content-type", "")
            return value.split(";", 1)[0].strip().lower()
        fields = self._fields
        last_fields, last_type = _last_type
        if fields == last_fields:
            return last_type
        lines = b"\r\n" + fields.lower()
        at = lines.rfind(b"\r\ncontent-type:")  # a repeated header: its last value
        if at < 0:
            media = ""
        else:
            start = at + len(b"\r\ncontent-type:")
            value = lines[start : lines.index(b"\r\n", start)].decode("latin-1")
            media = value.split(";", 1)[0].strip()
        _last_type = (fields, media)
        return media


class _Chunks:
    """The body's chunks as they arrive, then None: a queue with one reader, cheaper than
    `asyncio.Queue` for the one or two chunks a JSON reply comes in."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: deque[bytes | None] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: bytes | None) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def ready(self) -> bool:
        """Whether `get` would answer at once."""
        return bool(self._items)

    def get_nowait(self) -> bytes | None:
        return self._items.popleft()

    async def get(self) -> bytes | None:
        while not self._items:
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()


class _Response(asyncio.Protocol):
    """One connection, reading one response at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._head: asyncio.Future[Head] | None = None
        self._chunks: _Chunks | None = None
        self._state = "idle"  # idle, head, length, chunk-size, chunk, chunk-end, trailer, eof
        self._left = 0
        self._received = 0
        self._keep = True
        self.reusable = False
        self.error: Exception | None = None

    # --- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        try:
            if self._state == "head" and not self._buffer:
                data = self._head_of(data)  # the common case: not copied into the buffer
                if self._state == "length" and len(data) == self._left:
                    self._left = 0
                    self._body(data)  # a whole reply in one read
                    self._finish(reusable=True)
                    return
            self._buffer += data
            self._advance()
        except HTTPError as e:
            self._fail(e)

    def eof_received(self) -> bool | None:
        if self._state == "eof":
            self._body(bytes(self._buffer))
            self._buffer.clear()
            self._finish(reusable=False)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._state == "eof":
            self._finish(reusable=False)
        elif self._state != "idle":
            self._fail(HTTPError(f"the connection closed: {exc or 'by the server'}"))

    # --- one exchange --------------------------------------------------------------------

    def start(self, request: bytes) -> tuple[asyncio.Future[Head], _Chunks]:
        assert self.transport is not None
        assert self._state == "idle"
        self._head = self._loop.create_future()
        self._chunks = _Chunks(self._loop)
        self._state, self._received, self.reusable, self.error = "head", 0, False, None
        self.transport.write(request)
        return self._head, self._chunks

    @property
    def answered_nothing(self) -> bool:
        return self._received == 0

    def _advance(self) -> None:
        buffer = self._buffer
        while buffer:
            state = self._state
            if state == "head":
                rest = self._head_of(bytes(buffer))
                buffer[:] = rest
                if self._state == "head":
                    return  # the head is not all here yet
            elif state == "length":
                take = bytes(buffer[: self._left])
                del buffer[: len(take)]
                self._left -= len(take)
                self._body(take)
                if self._left == 0:
                    self._finish(reusable=True)
            elif state == "chunk-size":
                end = buffer.find(b"\r\n")
                if end < 0:
                    return
                size = buffer[:end].split(b";", 1)[0].strip()
                del buffer[: end + 2]
                try:
                    self._left = int(size, 16)
                except ValueError:
                    raise HTTPError("a malformed chunk size") from None
                if self._left > MAX_MESSAGE_BYTES:
                    raise HTTPError("a chunk over the message limit")
                self._state = "chunk" if self._left else "trailer"
            elif state == "chunk":
                take = bytes(buffer[: self._left])
                del buffer[: len(take)]
                self._left -= len(take)
                self._body(take)
                if self._left == 0:
                    self._state = "chunk-end"
            elif state == "chunk-end":
                if len(buffer) < 2:
                    return
                del buffer[:2]
                self._state = "chunk-size"
            elif state == "trailer":
                end = buffer.find(b"\r\n")
                if end < 0:
                    return
                del buffer[: end + 2]
                if end == 0:  # the blank line that ends the trailers
                    self._finish(reusable=True)
            elif state == "eof":
                self._body(bytes(buffer))
                buffer.clear()
            else:  # bytes nobody asked for: the connection cannot be trusted
                raise HTTPError("the server sent more than its response")

    def _head_of(self, data: bytes) -> bytes:
        """Take the response's head from the start of `data` (informational heads skipped),
        and begin its body; the bytes after it. While the head is incomplete, `data` itself
        (the state stays "head")."""
        while True:
            try:
                parsed = parse_reply_head(data)
            except ReplyHeadError as exc:
                raise HTTPError(str(exc)) from None
            if parsed is None:
                return data
            end, status, keep_alive, framing, length, fields_at = parsed
            if status >= 200:
                break
            data = data[end:]
        head = Head(status, data[fields_at : end - 2])
        self._keep = keep_alive
        if framing == BODY_LENGTH:
            self._state, self._left = "length", length
        elif framing == BODY_CHUNKED:
            self._state = "chunk-size"
        elif framing == BODY_EMPTY:
            self._state, self._left = "length", 0
        else:
            self._state = "eof"
        assert self._head is not None
        if not self._head.done():
            self._head.set_result(head)
        if self._state == "length" and self._left == 0:
            self._finish(reusable=True)
        return data[end:]

    def _body(self, data: bytes) -> None:
        if data and self._chunks is not None:
            self._chunks.put(data)

    def _finish(self, *, reusable: bool) -> None:
        self._state = "idle"
        self.reusable = reusable and self._keep and not self.closed
        if self._chunks is not None:
            self._chunks.put(None)

    def _fail(self, error: Exception) -> None:
        self._state = "failed"
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
        elif self._chunks is not None:
            self._chunks.put(None)
            self.error = error
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _header_fields(fields: bytes) -> dict[str, str]:
    """Header lines the Rust core has checked, as a dict of lower-cased names."""
    headers: dict[str, str] = {}
    for line in fields.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return headers


class Body:
    """A response body as it arrives: `read()` whole, or `iter_any()` chunk by chunk."""

    def __init__(self, conn: _Response, chunks: _Chunks, pool: Pool):
        self._conn = conn
        self._chunks = chunks
        self._pool = pool
        self._done = False

    def _ended(self) -> None:
        """The body's end: or the error that cut it short."""
        self._done = True
        if self._conn.error is not None:
            raise self._conn.error

    async def iter_any(self) -> AsyncIterator[bytes]:
        while (chunk := await self._chunks.get()) is not None:
            yield chunk
        self._ended()

    async def read(self, limit: int = MAX_MESSAGE_BYTES) -> bytes:
        # Chunk by chunk without `iter_any` (an async generator costs every reply its own
        # machinery), and what has arrived taken without awaiting: a small reply is all there.
        chunks = self._chunks
        parts: list[bytes] = []
        size = 0
        while (chunk := chunks.get_nowait() if chunks.ready() else await chunks.get()) is not None:
            size += len(chunk)
            if size > limit:
                raise HTTPError(f"a response over {limit} bytes")
            parts.append(chunk)
        self._ended()
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def release(self) -> None:
        """Done with the response: its connection goes back to the pool if it was read whole
        and may be reused, else it is closed."""
        if self._done and self._conn.reusable:
            self._pool.put(self._conn)
        else:
            self._conn.close()


def _with_body(head: bytes, body: bytes) -> bytes:
    return b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)


class Pool:
    """Keep-alive connections to one origin (`http://` or `https://` host and port)."""

    def __init__(self, url: str, ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url: expected an http(s) URL, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        https = parts.scheme == "https"
        self.ssl = ssl_context or (ssl.create_default_context() if https else None)
        self.authority = parts.netloc.rsplit("@", 1)[-1]
        # Credentials in the URL are sent as Basic authentication, as general clients do.
        self.auth: str | None = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.auth = "Basic " + base64.b64encode(pair.encode()).decode()
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._idle: deque[_Response] = deque()

    def put(self, conn: _Response) -> None:
        if len(self._idle) < MAX_IDLE and not conn.closed:
            self._idle.append(conn)
        else:
            conn.close()

    async def _new(self) -> _Response:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(
            lambda: _Response(loop), self.host, self.port, ssl=self.ssl
        )
        return conn

    def head(self, headers: dict[str, str]) -> bytes:
        """A POST's request line and `headers`, encoded: all of its head but the length."""
        lines = [f"POST {self.target} HTTP/1.1", f"Host: {self.authority}"]
        if self.auth is not None and "Authorization" not in headers:
            lines.append(f"Authorization: {self.auth}")
        for name, value in headers.items():
            if "\n" in value or "\r" in value or "\n" in name or "\r" in name or ":" in name:
                raise ValueError(f"header {name!r}: a line break or colon has no place here")
            lines.append(f"{name}: {value}")
        return ("\r\n".join(lines) + "\r\n").encode("latin-1")

    def request_bytes(self, headers: dict[str, str], body: bytes) -> bytes:
        return _with_body(self.head(headers), body)

    async def post(self, headers: dict[str, str], body: bytes) -> tuple[Head, Body]:
        """Send one POST; its head and its body (to read, then `release`)."""
        return await self.post_with_head(self.head(headers), body)

    async def post_with_head(self, encoded: bytes, body: bytes) -> tuple[Head, Body]:
        """`post` with its head encoded already (`head`)."""
        request = _with_body(encoded, body)
        while self._idle:
            conn = self._idle.popleft()
            if conn.closed:
                continue
            head_future, chunks = conn.start(request)
            try:
                head = await head_future
            except HTTPError:
                if conn.answered_nothing:
                    break  # the server had closed it while idle: once more, on a new one
                raise
            except BaseException:
                conn.close()
                raise
            return head, Body(conn, chunks, self)
        conn = await self._new()
        head_future, chunks = conn.start(request)
        try:
            head = await head_future
        except BaseException:
            conn.close()
            raise
        return head, Body(conn, chunks, self)

    def close(self) -> None:
        while self._idle:
            self._idle.popleft().close()
