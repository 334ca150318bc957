"""Framing of an upstream's HTTP/1.1 reply to a POST, fed bytes as they arrive.

Strict where a lenient parser could be led to read one reply as another: a reply with both
Content-Length and Transfer-Encoding, with differing Content-Length values, with a transfer
coding other than `chunked`, with folded or malformed header lines, or with a head or chunk
line over its limit is refused (`ReplyFramingError`), and its connection is never reused.
Informational (1xx) heads are skipped; 204 and 304 have no body; a reply without a length is
read to the end of the connection.
"""

from __future__ import annotations

import re

from multidict import CIMultiDict

MAX_HEAD = 64 * 1024  # status line and headers
MAX_CHUNK_LINE = 1024  # a chunk-size line with its extensions
MAX_BODY = 256 * 1024 * 1024  # a batch of 2,048 large embeddings is over 100 MB of JSON
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field names
_HEX = re.compile(rb"[0-9a-fA-F]{1,16}")
# Every header line at once, in C: a field name, a colon, a value without CR, LF or NUL.
_FIELD_LINES = re.compile(rb"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n\0]*\r\n)*")
_FRAMING = re.compile(
    rb"^(content-length|transfer-encoding|connection):[ \t]*([^\r\n]*?)[ \t]*\r\n",
    re.IGNORECASE | re.MULTILINE,
)


class ReplyFramingError(ConnectionError):
    """The upstream's reply is not one this client may read (see the module's rules)."""


class ReplyParser:
    """One reply at a time: `feed` until it returns True, then read `status`, `headers`,
    `body` and `keep_alive`; `finish_at_eof` when the connection ends."""

    def __init__(self, max_body: int = MAX_BODY) -> None:
        self.max_body = max_body
        self.status = 0
        self.keep_alive = False
        self._fields = b""  # the header lines, checked; made a mapping only when read
        self._headers: CIMultiDict[str] | None = None
        self._buffer = bytearray()
        self._parts: list[bytes] = []
        self._size = 0
        self._state = "head"  # head, length, chunk_size, chunk_data, trailers, eof, done
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

    @property
    def started(self) -> bool:
        """Whether any byte of the reply has arrived."""
        return bool(self._buffer) or self._state != "head"

    def feed(self, data: bytes) -> bool:
        """Take bytes; True once the reply is complete (bytes after it are an error)."""
        if self._state == "done":
            if data:
                raise ReplyFramingError("upstream sent bytes after its reply")
            return True
        self._buffer += data
        while True:
            state = self._state
            if state == "head":
                if not self._head():
                    return False
            elif state == "length":
                take = min(self._left, len(self._buffer))
                self._body(take)
                self._left -= take
                if self._left:
                    return False
                self._state = "done"
            elif state == "chunk_size":
                if not self._chunk_size():
                    return False
            elif state == "chunk_data":
                if not self._chunk_data():
                    return False
            elif state == "trailers":
                if not self._trailers():
                    return False
            elif state == "eof":
                self._body(len(self._buffer))
                return False
            if self._state == "done":
                if self._buffer:
                    raise ReplyFramingError("upstream sent bytes after its reply")
                return True

    def finish_at_eof(self) -> bool:
        """The connection ended: True if that completes the reply (one without a length)."""
        if self._state == "eof":
            self._state = "done"
            return True
        return self._state == "done"

    # --- states ------------------------------------------------------------------------

    def _body(self, n: int) -> None:
        if not n:
            return
        self._size += n
        if self._size > self.max_body:
            raise ReplyFramingError(f"upstream reply over {self.max_body} bytes")
        self._parts.append(bytes(self._buffer[:n]))
        del self._buffer[:n]

    def _head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD:
                raise ReplyFramingError("upstream reply head too large")
            return False
        if end > MAX_HEAD:
            raise ReplyFramingError("upstream reply head too large")
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        status_line, _, fields = head.partition(b"\r\n")
        version, status = _status_line(status_line)
        fields = fields + b"\r\n" if fields else b""
        if not _FIELD_LINES.fullmatch(fields):
            raise ReplyFramingError("upstream reply has a malformed header line")
        if 100 <= status < 200:  # informational: the real head follows
            return True
        self.status, self._fields, self._headers = status, fields, None
        found: dict[bytes, list[str]] = {}
        for name, value in _FRAMING.findall(fields):
            found.setdefault(name.lower(), []).append(value.decode("latin-1"))
        connection = {t.strip().lower() for t in ",".join(found.get(b"connection", [])).split(",")}
        self.keep_alive = version == b"HTTP/1.1" and "close" not in connection
        lengths = found.get(b"content-length", [])
        codings = found.get(b"transfer-encoding", [])
        if lengths and codings:
            raise ReplyFramingError("upstream reply has both Content-Length and Transfer-Encoding")
        if status in (204, 304):
            self._state = "done"
        elif codings:
            coding = ",".join(codings).strip().lower()
            if coding != "chunked":
                raise ReplyFramingError(f"upstream transfer coding {coding[:40]!r} not supported")
            self._state = "chunk_size"
        elif lengths:
            values = {v.strip() for v in ",".join(lengths).split(",")}
            if len(values) != 1 or not next(iter(values)).isdigit():
                raise ReplyFramingError("upstream reply has an invalid Content-Length")
            self._left = int(next(iter(values)))
            if self._left > self.max_body:
                raise ReplyFramingError(f"upstream reply over {self.max_body} bytes")
            self._state = "length" if self._left else "done"
        else:
            self.keep_alive = False  # read to the end of the connection
            self._state = "eof"
        return True

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > MAX_CHUNK_LINE:
                raise ReplyFramingError("upstream chunk line too long")
            return None
        if end > MAX_CHUNK_LINE:
            raise ReplyFramingError("upstream chunk line too long")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def _chunk_size(self) -> bool:
        line = self._line()
        if line is None:
            return False
        size = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size):
            raise ReplyFramingError("upstream chunk size is not hexadecimal")
        self._left = int(size, 16)
        self._state = "chunk_data" if self._left else "trailers"
        return True

    def _chunk_data(self) -> bool:
        take = min(self._left, len(self._buffer))
        self._body(take)
        self._left -= take
        if self._left:
            return False
        if len(self._buffer) < 2:
            return False
        if self._buffer[:2] != b"\r\n":
            raise ReplyFramingError("upstream chunk not followed by CRLF")
        del self._buffer[:2]
        self._state = "chunk_size"
        return True

    def _trailers(self) -> bool:
        while True:
            line = self._line()
            if line is None:
                return False
            if not line:
                self._state = "done"
                return True
            _header_line(line)  # checked, then dropped: nothing here reads trailers


def _status_line(line: bytes) -> tuple[bytes, int]:
    parts = line.split(b" ", 2)
    if len(parts) < 2 or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise ReplyFramingError("upstream reply has no HTTP/1.x status line")
    code = parts[1]
    if len(code) != 3 or not code.isdigit() or code[0] == ord("0"):
        raise ReplyFramingError("upstream reply has an invalid status code")
    return parts[0], int(code)


def _header_line(line: bytes) -> tuple[str, str]:
    name, sep, value = line.partition(b":")
    if not sep or not _TOKEN.fullmatch(name):
        raise ReplyFramingError("upstream reply has a malformed header line")
    if b"\r" in value or b"\n" in value or b"\0" in value:
        raise ReplyFramingError("upstream reply has a malformed header value")
    return name.decode("ascii"), value.strip(b" \t").decode("latin-1")
