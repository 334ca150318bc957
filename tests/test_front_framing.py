"""The server front's framing on one connection, with a transport written here: requests
split across `data_received` calls at every place hypothesis picks, pipelined, served in
order; the first request that is not the fast shape hands the connection to aiohttp with
exactly the bytes that were not served; refused heads get the fixed 400 and the connection
closes."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, cast

import orjson
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcproute._core import (
    HEAD_CLOSE,
    HEAD_HANDED_OFF,
    HEAD_UPGRADE,
    RequestHeadError,
    parse_request_head,
)
from mcproute.proxy.front.protocol import FrontProtocol
from mcproute.proxy.front.server import Front
from mcproute.proxy.malformed import malformed_body
from mcproute.proxy.observe import finish

FAST = "/v1/chat/completions"


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False
        self.reading = True
        self.protocol: Any = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed
        self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else default


class HandedOff:
    """Stands for aiohttp's RequestHandler: records what it was given."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += data

    def pause_writing(self) -> None:
        pass


class FakeFront:
    """What a connection needs of its `Front`; the chain echoes the request back."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.app = web.Application()
        self.max_body = 1024
        self.connections: set[FrontProtocol] = set()
        self.stopping = False
        self.handed: list[HandedOff] = []
        self.chains = {FAST: self.echo, "/v1/messages": self.echo_then_fail}
        self.matches: dict[str, Any] = {}

    async def echo(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0)  # served on a task, as the real handlers are
        body = await request.read()
        response = web.Response(body=body, content_type="application/json")
        await finish(request, response)
        return response

    async def echo_then_fail(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if body == b'"fail"':
            raise RuntimeError("a bug before any reply")
        await self.echo(request)
        raise RuntimeError("a bug after the reply")

    def make_handler(self) -> HandedOff:
        self.handed.append(HandedOff())
        return self.handed[-1]

    def idle_deadline(self) -> float:
        return 1e12

    def body_deadline(self) -> float:
        return 1e12

    def request_done(self) -> None:
        pass


def post(body: bytes, path: str = FAST, extra: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: a\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


def bodies_in(written: bytes) -> list[bytes]:
    """The bodies of the responses written, in order (each framed by its Content-Length)."""
    out = []
    rest = written
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )  # fmt: skip
        out.append(rest[:length])
        rest = rest[length:]
    return out


async def feed(pieces: list[bytes]) -> tuple[Transport, FakeFront]:
    front = FakeFront()
    transport = Transport()
    protocol = FrontProtocol(cast(Front, front))
    protocol.connection_made(transport)
    for piece in pieces:
        if transport.protocol is not None:  # handed off: aiohttp's from here on
            transport.protocol.data_received(piece)
        else:
            protocol.data_received(piece)
        for _ in range(5):
            await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)
    return transport, front


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


json_bodies = st.lists(
    st.dictionaries(
        st.text(max_size=5), st.integers(-(2**53), 2**53) | st.text(max_size=20), max_size=4
    ).map(orjson.dumps),
    min_size=1,
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies=json_bodies, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_pipelined_requests_split_anywhere_are_served_in_order(
    bodies: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(post(b) for b in bodies)

    async def run() -> None:
        transport, front = await feed(split(data, cuts))
        assert not front.handed
        assert bodies_in(bytes(transport.written)) == bodies
        assert not transport.closed
        assert transport.reading  # paused while each ran, resumed after

    asyncio.run(run())


@settings(max_examples=100, deadline=None)
@given(
    bodies=json_bodies,
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    tail=st.sampled_from(
        [
            b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
            b"POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
            b"POST /v1/messages HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            b"POST /v1/messages HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
            b"POST /v1/messages HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
            b"POST /v1/messages?x=1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        ]
    ),
)
def test_the_first_other_request_hands_off_exactly_the_unserved_bytes(
    bodies: list[bytes], cuts: list[int], tail: bytes
) -> None:
    served = b"".join(post(b) for b in bodies)
    after = tail + post(b"{}")  # pipelined after the hand-off: aiohttp's too

    async def run() -> None:
        transport, front = await feed(split(served + after, cuts))
        assert bodies_in(bytes(transport.written)) == bodies
        assert len(front.handed) == 1
        assert bytes(front.handed[0].received) == after
        assert front.handed[0].transport is transport
        assert transport.reading

    asyncio.run(run())


SMUGGLING = {
    "CL and TE": b"POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
    "TE and CL": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
    "two CL": b"POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
    "repeated CL": b"POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n",
    "CL list": b"POST / HTTP/1.1\r\nContent-Length: 4, 4\r\n\r\n",
    "signed CL": b"POST / HTTP/1.1\r\nContent-Length: +4\r\n\r\n",
    "TE gzip": b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    "TE not final chunked": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    "TE twice": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n",
    "TE with space": b"POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n",
    "obs-fold": b"POST / HTTP/1.1\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
    "bare LF": b"POST / HTTP/1.1\nContent-Length: 0\r\n\r\n",
    "bare LF in headers": b"POST / HTTP/1.1\r\nX: a\nContent-Length: 4\r\n\r\n",
    "bare CR": b"POST / HTTP/1.1\r\nX: a\rContent-Length: 4\r\n\r\n",
    "bad name": b"POST / HTTP/1.1\r\nX(y): a\r\n\r\n",
    "NUL in value": b"POST / HTTP/1.1\r\nX: a\x00\r\n\r\n",
    "two hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "long line": b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
    "long header": b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n",
    "too many headers": b"GET / HTTP/1.1\r\n" + b"X: a\r\n" * 200 + b"\r\n",
    "HTTP/2 line": b"GET / HTTP/2.0\r\n\r\n",
    "bad method": b"G@T / HTTP/1.1\r\n\r\n",
}
PROBLEMS = {
    "long line": "request line or header too long",
    "long header": "request line or header too long",
    "too many headers": "request line or header too long",
    "bad method": "invalid method",
    "HTTP/2 line": "malformed request line",
    "bare LF": "malformed request line",
    "TE with space": "malformed header",
}


@pytest.mark.parametrize("case", list(SMUGGLING))
async def test_smuggling_and_malformed_heads_get_the_fixed_400_and_close(case: str) -> None:
    data = SMUGGLING[case]
    secret = b"Authorization: Bearer mcpr_secret\r\n"
    data = data.replace(b"\r\n", b"\r\n" + secret, 1) if b"HTTP/1.1\r\n" in data else data
    transport, front = await feed([data + post(b"{}")])
    assert not front.handed
    written = bytes(transport.written)
    assert written.startswith(b"HTTP/1.1 400 Bad Request\r\n"), written[:100]
    assert b"Connection: close" in written
    problem = PROBLEMS.get(case, "malformed body framing" if "CL" in case or "TE" in case
                           or case == "two hosts" else "malformed header")  # fmt: skip
    assert written.endswith(malformed_body(problem)), (written, problem)
    assert b"secret" not in written
    assert transport.closed


def test_the_rust_parser_names_the_problem_never_the_input() -> None:
    with pytest.raises(RequestHeadError) as caught:
        parse_request_head(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
    assert (str(caught.value), caught.value.reason) == ("malformed body framing", "framing")
    head = parse_request_head(b"POST /x HTTP/1.1\r\nA:  b c \r\nContent-Length: 3\r\n\r\nabc")
    assert head == (49, "POST", "/x", 1, 1, 3, [("A", "b c"), ("Content-Length", "3")], True, 0)
    assert parse_request_head(b"POST /x HTTP/1.1\r\nA: b") is None
    latin = parse_request_head(b"GET / HTTP/1.1\r\nA: \xe9\r\n\r\n")
    assert latin is not None
    assert latin[7] is False


def test_the_rust_parser_tells_the_headers_the_fast_shape_reads() -> None:
    def shape(headers: bytes) -> int:
        head = parse_request_head(b"POST /x HTTP/1.1\r\n" + headers + b"\r\n")
        assert head is not None
        return head[8]

    assert shape(b"Connection: keep-alive\r\nX-Expect: 1\r\n") == 0
    assert shape(b"connection: Keep-Alive, CLOSE\r\n") == HEAD_CLOSE
    # only the first `Connection` line is read, as a lookup of the first value reads only it
    assert shape(b"Connection: Upgrade\r\nConnection: close\r\n") == HEAD_UPGRADE
    for name in (b"expect", b"UPGRADE", b"Content-Encoding", b"signature", b"Signature-Input"):
        assert shape(name + b": x\r\n") == HEAD_HANDED_OFF, name


async def test_connection_close_is_answered_then_closed() -> None:
    transport, _ = await feed([post(b"{}", extra="Connection: close\r\n") + post(b"[]")])
    written = bytes(transport.written)
    assert bodies_in(written) == [b"{}"]  # the pipelined one after `close` is not served
    assert b"Connection: close\r\n" in written
    assert transport.closed


async def test_a_client_not_reading_holds_the_next_request_until_it_drains() -> None:
    front = FakeFront()
    transport = Transport()
    protocol = FrontProtocol(cast(Front, front))
    protocol.connection_made(transport)
    protocol.pause_writing()  # the transport's buffer is full
    protocol.data_received(post(b"[1]") + post(b"[2]"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert bodies_in(bytes(transport.written)) == [b"[1]"]  # written; the next one waits
    protocol.data_received(post(b"[3]"))
    assert not transport.reading  # bytes while it waits: no more is read meanwhile
    protocol.resume_writing()
    for _ in range(20):
        await asyncio.sleep(0)
    assert bodies_in(bytes(transport.written)) == [b"[1]", b"[2]", b"[3]"]
    assert transport.reading


async def test_a_handler_failing_gets_aiohttps_500_or_after_its_reply_a_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport, _ = await feed([post(b'"fail"', "/v1/messages") + post(b"{}")])
    written = bytes(transport.written)
    assert written.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert written.endswith(b"Server got itself in trouble")
    assert transport.closed
    transport, _ = await feed([post(b"[1]", "/v1/messages") + post(b"{}")])
    assert bodies_in(bytes(transport.written)) == [b"[1]"]  # no second reply for one request
    assert transport.closed
    assert "Error handling request" in caplog.text
