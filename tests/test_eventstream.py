"""The core's AWS event-stream decoder against botocore's parser of the same bytes: any framing,
any chunking, and corruption caught by both."""

from __future__ import annotations

import struct
import zlib

import pytest
from botocore.eventstream import EventStreamBuffer, ParserError
from hypothesis import given, settings
from hypothesis import strategies as st

from mcproute._core import EventStreamDecoder, EventStreamError, encode_event_message

_NAME = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
_VALUE = st.text(max_size=40)
_MESSAGE = st.tuples(
    st.dictionaries(_NAME, _VALUE, max_size=4).map(lambda d: list(d.items())),
    st.binary(max_size=300),
)


def _typed_frame() -> bytes:
    """A frame with every header type, built by hand from the format's definition."""
    headers = b""
    for name, kind, value in [
        (b"t", 0, b""),
        (b"f", 1, b""),
        (b"b", 2, struct.pack(">b", -3)),
        (b"s", 3, struct.pack(">h", -300)),
        (b"i", 4, struct.pack(">i", 70000)),
        (b"l", 5, struct.pack(">q", -(2**40))),
        (b"y", 6, struct.pack(">H", 3) + b"\x00\x01\x02"),
        (b"u", 7, struct.pack(">H", 2) + "é".encode()),
        (b"ts", 8, struct.pack(">q", 1_700_000_000_123)),
        (b"id", 9, bytes(range(16))),
    ]:
        headers += bytes([len(name)]) + name + bytes([kind]) + value
    payload = b'{"ok":true}'
    total = 16 + len(headers) + len(payload)
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def botocore_messages(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(dict(m.headers), m.payload) for m in buffer]


@settings(max_examples=100, deadline=None)
@given(st.lists(_MESSAGE, min_size=1, max_size=5), st.lists(st.integers(1, 64), min_size=1))
def test_agrees_with_botocore_across_chunkings(
    messages: list[tuple[list[tuple[str, str]], bytes]], cuts: list[int]
) -> None:
    data = b"".join(encode_event_message(headers, payload) for headers, payload in messages)
    decoder = EventStreamDecoder()
    ours: list[tuple[dict[str, object], bytes]] = []
    at = 0
    for size in cuts * (len(data) // max(sum(cuts), 1) + 1):
        ours += decoder.feed(data[at : at + size])
        at += size
        if at >= len(data):
            break
    ours += decoder.feed(data[at:])
    decoder.finish()
    assert decoder.pending == 0
    assert ours == botocore_messages(data)
    assert [p for _, p in ours] == [p for _, p in messages]


def test_every_header_type() -> None:
    frame = _typed_frame()
    [(headers, payload)] = EventStreamDecoder().feed(frame)
    [(reference, _)] = botocore_messages(frame)
    assert payload == b'{"ok":true}'
    assert headers["t"] is True
    assert headers["f"] is False
    assert (headers["b"], headers["s"], headers["i"], headers["l"]) == (-3, -300, 70000, -(2**40))
    assert (headers["y"], headers["u"], headers["id"]) == (b"\x00\x01\x02", "é", bytes(range(16)))
    assert headers["ts"] == 1_700_000_000_123
    for name in ("t", "f", "b", "s", "i", "l", "y", "u", "id"):
        assert headers[name] == reference[name]


@settings(max_examples=100, deadline=None)
@given(_MESSAGE, st.data())
def test_corruption_is_refused_like_botocore(
    message: tuple[list[tuple[str, str]], bytes], data: st.DataObject
) -> None:
    frame = bytearray(encode_event_message(*message))
    index = data.draw(st.integers(0, len(frame) - 1))
    frame[index] ^= data.draw(st.integers(1, 255))
    decoder = EventStreamDecoder()
    with pytest.raises(EventStreamError) as info:
        decoder.feed(bytes(frame))
    assert info.value.reason in ("prelude_crc", "message_crc", "invalid_length", "invalid_header")
    with pytest.raises(EventStreamError):
        decoder.feed(b"")  # a framing error is final
    with pytest.raises(ParserError):
        botocore_messages(bytes(frame))


def test_truncated_stream() -> None:
    frame = encode_event_message([(":event-type", "x")], b"{}")
    decoder = EventStreamDecoder()
    assert decoder.feed(frame[:-3]) == []
    assert decoder.pending == len(frame) - 3
    with pytest.raises(EventStreamError) as info:
        decoder.finish()
    assert info.value.reason == "truncated"
