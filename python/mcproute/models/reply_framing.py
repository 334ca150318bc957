"""Framing of an upstream's HTTP/1.1 reply to a POST, fed bytes as they arrive.

The head is parsed in the Rust core in one call (`mcproute._core.parse_reply_head`, on
`httparse`), strictly: a reply with both Content-Length and Transfer-Encoding, with differing
Content-Length values, with a transfer coding other than `chunked`, with folded or malformed
header lines, bare LF line ends, or a head over its limit is refused (`ReplyFramingError`), and
its connection is never reused. The body is framed here: a chunk line over its limit, a chunk
not followed by CRLF, or bytes after the reply are refused too. Informational (1xx) heads are
skipped; 204 and 304 have no body; a reply without a length is read to the end of the
connection. A streamed reply's body is taken piece by piece as it arrives (`take`).
"""

from __future__ import annotations

import re

from multidict import CIMultiDict

from mcproute._core import (
    BODY_CHUNKED,
    BODY_EMPTY,
    BODY_LENGTH,
    MAX_REPLY_HEAD,
    ReplyHeadError,
    parse_reply_head,
)

MAX_HEAD = MAX_REPLY_HEAD  # status line and headers
MAX_CHUNK_LINE = 1024  # a chunk-size line with its extensions
MAX_BODY = 256 * 1024 * 1024  # a batch of 2,048 large embeddings is over 100 MB of JSON
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field names
_HEX = re.compile(rb"[0-9a-fA-F]{1,16}")

# States, after the head: a known length, chunks (size line, data, trailers), to the close.
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _TRAILERS, _EOF, _DONE = range(7)


class ReplyFramingError(ConnectionError):
    """The upstream's reply is not one this client may read (see the module's rules)."""


class ReplyParser:
    """One reply at a time: `feed` until it returns True, then read `status`, `headers`,
    `body` and `keep_alive`; `finish_at_eof` when the connection ends. `max_body=None` for a
    stream, whose body is taken as it comes (`take`) rather than held."""

    __slots__ = (
        "_fields",
        "_headers",
        "_left",
        "_parts",
        "_pending",
        "_size",
        "_state",
        "keep_alive",
        "max_body",
        "status",
    )  # fmt: skip

    def __init__(self, max_body: int | None = MAX_BODY) -> None:
        self.max_body = max_body
        self.status = 0
        self.keep_alive = False
        self._fields = b""  # the header lines, checked; made a mapping only when read
        self._headers: CIMultiDict[str] | None = None
        self._pending = b""  # the start of a head, or of a chunk line, not yet complete
        self._parts: list[bytes] = []
        self._size = 0
        self._state = _HEAD
        self._left = 0

    @property
    def headers(self) -> CIMultiDict[str]:
        if self._headers is None:
            self._headers = CIMultiDict()
            for line in self._fields.split(b"\r\n")[:-1]:
                name, _, value = line.partition(b":")
                self._headers.add(name.decode("ascii"), value.strip(b" \t").decode("latin-1"))
        return self._headers

    @property
    def body(self) -> bytes:
        return b"".join(self._parts)

    def take(self) -> list[bytes]:
        """The body bytes that arrived since the last call."""
        parts = self._parts
        self._parts = []
        return parts

    @property
    def started(self) -> bool:
        """Whether any byte of the reply has arrived."""
        return bool(self._pending) or self._state != _HEAD

    @property
    def head_done(self) -> bool:
        """Whether the final (non-1xx) head has been read: `status` and `headers` are set."""
        return self._state != _HEAD

    def feed(self, data: bytes) -> bool:
        """Take bytes; True once the reply is complete (bytes after it are an error)."""
        state = self._state
        if state == _HEAD:
            if self._pending:
                data, self._pending = self._pending + data, b""
            rest = self._head(data)
            if rest is None:
                return False
            data, state = rest, self._state
        if state == _LENGTH:  # the usual reply: no copy of the body but its slice
            left, n = self._left, len(data)
            if n > left:
                raise ReplyFramingError("upstream sent bytes after its reply")
            if n:
                self._parts.append(data)
                self._left = left = left - n
            if left:
                return False
            self._state = _DONE
            return True
        if state == _DONE:
            if data:
                raise ReplyFramingError("upstream sent bytes after its reply")
            return True
        if state == _EOF:
            self._keep(data)
            return False
        if self._pending:
            data, self._pending = self._pending + data, b""
        return self._chunks(data)

    def finish_at_eof(self) -> bool:
        """The connection ended: True if that completes the reply (one without a length)."""
        if self._state == _EOF:
            self._state = _DONE
            return True
        return self._state == _DONE

    # --- the head ----------------------------------------------------------------------

    def _head(self, data: bytes) -> bytes | None:
        """The bytes after the final head, None while it is incomplete."""
        while True:
            try:
                head = parse_reply_head(data)
            except ReplyHeadError as exc:
                raise ReplyFramingError(str(exc)) from None
            if head is None:
                self._pending = data
                return None
            end, status, keep_alive, framing, length, fields_at = head
            if status >= 200:
                break
            data = data[end:]  # informational: the real head follows
        self.status, self.keep_alive = status, keep_alive
        self._fields, self._headers = data[fields_at : end - 2], None
        if framing == BODY_LENGTH:
            if self.max_body is not None and length > self.max_body:
                raise ReplyFramingError(f"upstream reply over {self.max_body} bytes")
            self._state, self._left = _LENGTH, length
        elif framing == BODY_CHUNKED:
            self._state = _CHUNK_SIZE
        elif framing == BODY_EMPTY:
            self._state = _DONE
        else:
            self._state = _EOF
        return data[end:]

    # --- the body ----------------------------------------------------------------------

    def _keep(self, piece: bytes) -> None:
        if not piece:
            return
        self._size += len(piece)
        if self.max_body is not None and self._size > self.max_body:
            raise ReplyFramingError(f"upstream reply over {self.max_body} bytes")
        self._parts.append(piece)

    def _chunks(self, data: bytes) -> bool:
        """Chunked framing, walked by offset (a chunk per read is the usual case: no copy but
        its data's slice); what is left of an incomplete line waits in `_pending`."""
        at, end_of_data = 0, len(data)
        while True:
            state = self._state
            if state == _CHUNK_DATA:
                take = min(self._left, end_of_data - at)
                if take:
                    self._keep(data[at : at + take])
                    at += take
                    self._left -= take
                if self._left or end_of_data - at < 2:
                    break
                if data[at : at + 2] != b"\r\n":
                    raise ReplyFramingError("upstream chunk not followed by CRLF")
                at += 2
                self._state = _CHUNK_SIZE
                continue
            end = data.find(b"\r\n", at, at + MAX_CHUNK_LINE + 2)
            if end < 0:
                if end_of_data - at > MAX_CHUNK_LINE:
                    raise ReplyFramingError("upstream chunk line too long")
                break
            line, at = data[at:end], end + 2
            if state == _CHUNK_SIZE:
                size = line.split(b";", 1)[0].strip()
                if not _HEX.fullmatch(size):
                    raise ReplyFramingError("upstream chunk size is not hexadecimal")
                self._left = int(size, 16)
                self._state = _CHUNK_DATA if self._left else _TRAILERS
            elif line:
                _header_line(line)  # a trailer: checked, then dropped (nothing reads them)
            else:
                if at < end_of_data:
                    raise ReplyFramingError("upstream sent bytes after its reply")
                self._state = _DONE
                return True
        self._pending = data[at:]
        return False


def _header_line(line: bytes) -> None:
    name, sep, value = line.partition(b":")
    if not sep or not _TOKEN.fullmatch(name):
        raise ReplyFramingError("upstream reply has a malformed header line")
    if b"\r" in value or b"\n" in value or b"\0" in value:
        raise ReplyFramingError("upstream reply has a malformed header value")
