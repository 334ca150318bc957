"""The lean upstream client (`models/upstream_client.py`) and its reply framing
(`models/reply_framing.py`): framing checked with hypothesis over every way the bytes may be
split, refusals of ambiguous replies, and the client against real servers: aiohttp on plain TCP
and on TLS with a CA made here, raw sockets for replies aiohttp would not send."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from mcproute import _core
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.http import Endpoint, classify_exception, post_json
from mcproute.models.reply_framing import ReplyFramingError, ReplyParser
from mcproute.models.upstream_client import UpstreamClient
from upstream_support import (  # noqa: F401  # the `serve` and `client` fixtures
    client_fixture,
    make_test_ca,
    raw_server,
    serve_fixture,
)

# --------------------------------------------------------------------------- framing


def _reply(status: int, headers: list[tuple[str, str]], body: bytes, chunks: list[int]) -> bytes:
    head = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers]
    if chunks:
        head.append("Transfer-Encoding: chunked")
        out, at = b"", 0
        for size in [*chunks, len(body)]:
            piece = body[at : at + size]
            at += len(piece)
            if piece:
                out += b"%x;ext=1\r\n%s\r\n" % (len(piece), piece)
        framed = out + b"0\r\nTrailer-Field: t\r\n\r\n"
    else:
        head.append(f"Content-Length: {len(body)}")
        framed = body
    return ("\r\n".join(head) + "\r\n\r\n").encode() + framed


def _feed_split(data: bytes, cuts: list[int]) -> ReplyParser:
    parser = ReplyParser()
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    complete = False
    for piece in filter(None, pieces):
        assert not complete
        complete = parser.feed(piece)
    assert complete
    return parser


NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True).filter(
    lambda n: n.lower() not in ("content-length", "transfer-encoding", "connection")
)
VALUES = st.from_regex(r"[ -~]{0,30}", fullmatch=True).map(str.strip)


@settings(max_examples=300, deadline=None)
@given(
    status=st.integers(200, 599).filter(lambda s: s not in (204, 304)),
    headers=st.lists(st.tuples(NAMES, VALUES), max_size=6),
    body=st.binary(max_size=3000),
    chunks=st.lists(st.integers(1, 700), max_size=6),
    chunked=st.booleans(),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_a_reply_reads_the_same_however_its_bytes_are_split(
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    chunks: list[int],
    chunked: bool,
    cuts: list[int],
) -> None:
    data = _reply(status, headers, body, (chunks or [len(body) or 1]) if chunked else [])
    parser = _feed_split(data, cuts)
    assert parser.status == status
    assert parser.body == body
    assert parser.keep_alive
    for name, value in headers:
        assert value in parser.headers.getall(name)


def test_informational_heads_are_skipped_and_bodiless_statuses_have_no_body() -> None:
    parser = ReplyParser()
    assert parser.feed(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No\r\n\r\n")
    assert (parser.status, parser.body) == (204, b"")


def test_a_reply_without_a_length_runs_to_the_end_of_the_connection() -> None:
    parser = ReplyParser()
    assert not parser.feed(b"HTTP/1.1 200 OK\r\n\r\nsome")
    assert not parser.feed(b" body")
    assert parser.finish_at_eof()
    assert parser.body == b"some body"
    assert not parser.keep_alive


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: a\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nNoColon\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab",  # bytes after the reply
        b"HTTP/1.1 200 OK\r\nX: " + b"a" * (70 * 1024) + b"\r\n\r\n",
    ],
)
def test_ambiguous_or_malformed_replies_are_refused(reply: bytes) -> None:
    parser = ReplyParser()
    with pytest.raises(ReplyFramingError):
        parser.feed(reply)


def test_a_body_over_the_limit_is_refused() -> None:
    with pytest.raises(ReplyFramingError):
        ReplyParser(max_body=10).feed(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")
    parser = ReplyParser(max_body=10)
    parser.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(ReplyFramingError):
        parser.feed(b"b\r\n" + b"x" * 11 + b"\r\n")


# --------------------------------------------------------------------------- servers


async def test_posts_reuse_one_keep_alive_connection(
    serve: Callable[..., Awaitable[str]], client: UpstreamClient
) -> None:
    peers: list[object] = []

    async def echo(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        body = await request.read()
        assert request.headers["Authorization"] == "Bearer k"
        return web.Response(body=body[::-1], headers={"X-Seen": request.path_qs})

    base = await serve(echo)
    for i in range(3):
        reply = await client.post(f"{base}/v1/x?n={i}", {"Authorization": "Bearer k"}, b"abc", None)
        assert (reply.status, reply.body, reply.headers["x-seen"]) == (200, b"cba", f"/v1/x?n={i}")
    assert len(set(peers)) == 1


async def test_a_chunked_reply_is_read_whole(
    serve: Callable[..., Awaitable[str]], client: UpstreamClient
) -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for piece in (b'{"a"', b": 1", b"}"):
            await response.write(piece)
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    base = await serve(chunked)
    reply = await client.post(base + "/", {}, b"{}", None)
    assert reply.body == b'{"a": 1}'


async def test_the_read_timeout_and_the_total_timeout(
    serve: Callable[..., Awaitable[str]], client: UpstreamClient
) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    base = await serve(slow)
    with pytest.raises(TimeoutError):
        await client.post(base + "/", {}, b"", aiohttp.ClientTimeout(sock_read=0.2))
    with pytest.raises(TimeoutError):
        await client.post(base + "/", {}, b"", aiohttp.ClientTimeout(total=0.2))


async def test_the_per_host_limit_holds(serve: Callable[..., Awaitable[str]]) -> None:
    running = [0, 0]  # now, most at once

    async def count(request: web.Request) -> web.Response:
        running[0] += 1
        running[1] = max(running)
        await asyncio.sleep(0.05)
        running[0] -= 1
        return web.Response(text="ok")

    base = await serve(count)
    client = UpstreamClient(limit_per_host=2)
    try:
        await asyncio.gather(*(client.post(base + "/", {}, b"", None) for _ in range(6)))
    finally:
        await client.close()
    assert running[1] == 2


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", FailureKind.CONNECTION),
        (b"", FailureKind.CONNECTION),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            FailureKind.CONNECTION,
        ),
    ],
)
async def test_cut_short_or_smuggling_replies_are_connection_failures(
    client: UpstreamClient, reply: bytes, kind: FailureKind
) -> None:
    server, port = await raw_server(reply)
    async with server:
        with pytest.raises((ConnectionError, aiohttp.ClientPayloadError)) as raised:
            await client.post(f"http://127.0.0.1:{port}/", {}, b"", None)
    assert classify_exception(raised.value, "d").kind is kind


async def test_a_refused_connection_is_a_connection_failure(client: UpstreamClient) -> None:
    server, port = await raw_server(b"")
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectionError) as raised:
        await client.post(f"http://127.0.0.1:{port}/", {}, b"", None)
    assert classify_exception(raised.value, "d").kind is FailureKind.CONNECTION


# --------------------------------------------------------------------------- TLS


async def test_tls_to_a_server_of_a_trusted_ca_and_refused_otherwise(
    serve: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    server_tls, trusting = make_test_ca(tmp_path)

    async def ok(request: web.Request) -> web.Response:
        return web.Response(body=b'{"ok": true}', content_type="application/json")

    base = await serve(ok, server_tls)
    trusted = UpstreamClient(ssl_context=trusting)
    default = UpstreamClient()  # the system's CAs: the test CA is not among them
    try:
        reply = await trusted.post(base + "/v1/chat", {}, b"{}", None)
        assert reply.body == b'{"ok": true}'
        with pytest.raises(ConnectionError) as raised:
            await default.post(base + "/v1/chat", {}, b"{}", None)
        assert isinstance(raised.value.__cause__, ssl.SSLCertVerificationError)
        wrong_name = base.replace("localhost", "127.0.0.1")  # the certificate names localhost
        with pytest.raises(ConnectionError):
            await trusted.post(wrong_name + "/v1/chat", {}, b"{}", None)
    finally:
        await trusted.close()
        await default.close()


async def test_post_json_goes_through_the_lean_client(
    serve: Callable[..., Awaitable[str]],
) -> None:
    async def error(request: web.Request) -> web.Response:
        return web.json_response(
            {"error": {"message": "slow down", "type": "rate_limit"}},
            status=429,
            headers={"Retry-After": "7"},
        )

    base = await serve(error)
    with pytest.raises(UpstreamError) as raised:
        await post_json(Endpoint(base, {"Authorization": "Bearer k"}, "d"), "/x", {}, None)
    assert raised.value.kind is FailureKind.RATE_LIMITED
    assert raised.value.retry_after == 7.0


async def test_an_ipv6_literal_keeps_its_brackets_in_the_host_header(
    client: UpstreamClient,
) -> None:
    seen: list[str] = []

    async def host(request: web.Request) -> web.Response:
        seen.append(request.headers["Host"])
        return web.Response(text="{}")

    app = web.Application()
    app.router.add_post("/", host)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "::1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        await client.post(f"http://[::1]:{port}/", {}, b"", None)
    finally:
        await runner.cleanup()
    assert seen == [f"[::1]:{port}"]


async def test_a_reply_without_a_length_ends_with_the_connection_and_is_not_reused(
    client: UpstreamClient,
) -> None:
    server, port = await raw_server(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"a": 1}')
    async with server:
        for _ in range(2):  # the second needs a new connection: the first one is closed
            reply = await client.post(f"http://127.0.0.1:{port}/", {}, b"", None)
            assert (reply.status, reply.body) == (200, b'{"a": 1}')


# --------------------------------------------------------------------------- the Rust head parser

FRAMING_VALUES = {
    "Content-Length": ["3", " 3 ", "3, 3", "3,4", "-3", "", "0x3", "007", "0", "1" * 20, "²"],
    "Transfer-Encoding": ["chunked", "Chunked ", "gzip, chunked", "identity", "chunked, chunked"],
    "Connection": ["close", "keep-alive", "Keep-Alive, Close", "upgrade"],
}


def _expected_framing(
    status: int, minor: int, headers: list[tuple[str, str]]
) -> tuple[int, bool, int] | None:
    """The rules of `reply_framing`, written out plainly: (framing, keep_alive, length), or
    None for a head that must be refused."""
    lengths = [v for n, v in headers if n == "Content-Length"]
    codings = [v for n, v in headers if n == "Transfer-Encoding"]
    tokens = {t.strip().lower() for n, v in headers if n == "Connection" for t in v.split(",")}
    values = {t.strip() for v in lengths for t in v.split(",")}
    if lengths and not all(v.isascii() and v.isdigit() and len(v) <= 19 for v in values):
        return None
    if len(values) > 1 or (lengths and codings):
        return None
    if len(codings) > 1 or (codings and codings[0].strip().lower() != "chunked"):
        return None
    keep_alive = minor == 1 and "close" not in tokens
    if status < 200 or status in (204, 304):
        return _core.BODY_EMPTY, keep_alive, 0
    if codings:
        return _core.BODY_CHUNKED, keep_alive, 0
    if lengths:
        length = int(next(iter(values)))
        return (_core.BODY_LENGTH if length else _core.BODY_EMPTY), keep_alive, length
    return _core.BODY_UNTIL_CLOSE, False, 0


@settings(max_examples=500, deadline=None)
@given(
    status=st.sampled_from([100, 103, 200, 201, 204, 304, 404, 500]),
    minor=st.integers(0, 1),
    headers=st.lists(
        st.sampled_from(list(FRAMING_VALUES)).flatmap(
            lambda name: st.tuples(st.just(name), st.sampled_from(FRAMING_VALUES[name]))
        )
        | st.tuples(NAMES, VALUES),
        max_size=5,
    ),
)
def test_the_rust_head_parser_frames_bodies_by_the_rules(
    status: int, minor: int, headers: list[tuple[str, str]]
) -> None:
    head = f"HTTP/1.{minor} {status} Reason\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    data = head.encode("utf-8") + b"\r\nbody"
    expected = _expected_framing(status, minor, headers)
    if expected is None:
        with pytest.raises(_core.ReplyHeadError):
            _core.parse_reply_head(data)
        return
    parsed = _core.parse_reply_head(data)
    assert parsed is not None
    end, got_status, keep_alive, framing, length, fields_at = parsed
    assert (end, got_status) == (len(data) - 4, status)
    assert (framing, keep_alive, length) == expected
    assert data[fields_at : end - 2] == "".join(f"{n}: {v}\r\n" for n, v in headers).encode()
    for cut in range(end):  # no prefix of a head is a head
        assert _core.parse_reply_head(data[:cut]) is None
