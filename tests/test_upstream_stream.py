"""Streams on the lean upstream client (`models/upstream_client.py`, `open_stream` in
`models/http.py`): server-sent events read with hypothesis over every way the body may be cut
into pieces, and against real aiohttp servers (plain TCP and TLS with a CA made here): events
handed over as they arrive, the read and total timeouts mid-stream, a connection kept after a
stream read to its end and closed when one is abandoned, back-pressure on a reader that is
behind, and the one-timer deadlines with timeouts of different lengths at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.http import (
    Endpoint,
    SseEvent,
    _pooled,
    _sse_events,
    close_session,
    open_stream,
)
from mcproute.models.reply_framing import ReplyParser
from mcproute.models.upstream_client import (
    REPLACEMENTS,
    Replacements,
    StreamReply,
    UpstreamClient,
)
from upstream_support import (  # noqa: F401  # the `serve` and `client` fixtures
    client_fixture,
    make_test_ca,
    raw_server,
    serve_fixture,
)

# --------------------------------------------------------------------------- framing


async def _pieces(data: bytes, cuts: list[int]) -> AsyncIterator[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    for a, b in zip([0, *points], [*points, len(data)], strict=True):
        if b > a:
            yield data[a:b]


def _events_of(data: bytes, cuts: list[int]) -> list[SseEvent]:
    async def read() -> list[SseEvent]:
        return [event async for event in _sse_events(_pieces(data, cuts), "d")]

    return asyncio.run(read())


DATA = st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))
NAMES = st.none() | st.from_regex(r"[a-z_]{1,12}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(st.tuples(NAMES, st.lists(DATA, min_size=1, max_size=3)), max_size=6),
    crlf=st.booleans(),
    cuts=st.lists(st.integers(0, 5_000), max_size=10),
)
def test_events_read_the_same_however_the_body_is_cut(
    events: list[tuple[str | None, list[bytes]]], crlf: bool, cuts: list[int]
) -> None:
    end = b"\r\n" if crlf else b"\n"
    body = b": keep-alive" + end + end
    for name, lines in events:
        if name is not None:
            body += b"event: " + name.encode() + end
        body += b"".join(b"data: " + line + end for line in lines) + b"id: 7" + end + end
    expected = [SseEvent(name, b"\n".join(lines)) for name, lines in events]
    assert _events_of(body, cuts) == expected


def test_the_last_event_may_lack_its_blank_line_and_its_lf() -> None:
    assert _events_of(b"data: a\n\ndata: b", [3, 9]) == [SseEvent(None, b"a"), SseEvent(None, b"b")]


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=3000), sizes=st.lists(st.integers(1, 500), max_size=8),
       cuts=st.lists(st.integers(0, 10_000), max_size=12))  # fmt: skip
def test_a_streamed_body_is_taken_whole_however_its_bytes_are_split(
    body: bytes, sizes: list[int], cuts: list[int]
) -> None:
    framed, at = b"", 0
    for size in [*sizes, len(body)]:
        piece = body[at : at + size]
        at += len(piece)
        if piece:
            framed += b"%x\r\n%s\r\n" % (len(piece), piece)
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + framed + b"0\r\n\r\n"
    parser, taken = ReplyParser(max_body=None), []
    points = sorted({c % (len(data) + 1) for c in cuts})
    for a, b in zip([0, *points], [*points, len(data)], strict=True):
        if b > a:
            parser.feed(data[a:b])
            taken.extend(parser.take())
    assert b"".join(taken) == body
    assert all(taken)  # no empty pieces handed over


# --------------------------------------------------------------------------- servers


async def test_events_are_handed_over_as_they_arrive(
    serve: Callable[..., Awaitable[str]], client: UpstreamClient
) -> None:
    first_read = asyncio.Event()

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: one\n\n")
        await first_read.wait()  # the second event only once the client has the first
        await response.write(b"data: two\n\n")
        return response

    base = await serve(events)
    reply = await client.stream(base + "/", {}, b"{}", None)
    try:
        seen = []
        async for piece in reply:
            seen.append(piece)
            first_read.set()
    finally:
        reply.release()
    assert seen == [b"data: one\n\n", b"data: two\n\n"]


async def _first_event(request: web.Request, peers: list[object]) -> web.StreamResponse:
    """An event stream begun (its first event sent), the connection's peer noted."""
    peers.append(request.transport.get_extra_info("peername") if request.transport else None)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"data: 1\n\n")
    return response


async def test_a_stream_read_to_its_end_keeps_its_connection_and_an_abandoned_one_closes(
    serve: Callable[..., Awaitable[str]], client: UpstreamClient
) -> None:
    peers: list[object] = []
    abandoned = asyncio.Event()

    async def events(request: web.Request) -> web.StreamResponse:
        response = await _first_event(request, peers)
        if request.path == "/long":
            try:
                for _ in range(200):
                    await asyncio.sleep(0.02)
                    await response.write(b"data: more\n\n")
            except (ConnectionResetError, asyncio.CancelledError):
                abandoned.set()
                raise
        await response.write(b"data: [DONE]\n\n")
        return response

    base = await serve(events)
    endpoint = Endpoint(base, {}, "d")
    for _ in range(2):  # each stopped at its [DONE]: the chunked terminator may come after
        async with open_stream(endpoint, "/", {}, None) as stream:
            async for event in stream:
                if event.data == b"[DONE]":
                    break
        idle = _pooled().client._idle
        for _ in range(500):  # until the terminator has come and the connection is back
            if any(idle.values()):
                break
            await asyncio.sleep(0.01)

    async def leave_early() -> None:
        async with open_stream(endpoint, "/long", {}, None) as stream:
            assert (await anext(stream)).data == b"1"
            raise RuntimeError("the reader left")

    with pytest.raises(RuntimeError):
        await leave_early()
    assert not _pooled().client._deadlines._watched  # closed at once, not read on
    await asyncio.wait_for(abandoned.wait(), 5)  # the upstream saw the connection close
    await close_session()
    assert len(peers) == 3
    assert len(set(peers)) == 1  # one connection for all three, closed by the last


async def test_a_stream_idle_too_long_or_past_its_total_time_times_out(
    serve: Callable[..., Awaitable[str]], client: UpstreamClient
) -> None:
    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for _ in range(20 if request.path == "/steady" else 1):
            await response.write(b"data: x\n\n")
            await asyncio.sleep(0.05)
        await asyncio.sleep(3)
        return response

    base = await serve(events)
    for path, timeout in [
        ("/idle", aiohttp.ClientTimeout(sock_read=0.3)),
        ("/steady", aiohttp.ClientTimeout(total=0.4)),  # never idle, but too long in all
    ]:
        reply = await client.stream(base + path, {}, b"", timeout)
        got: list[bytes] = []

        async def read_all(reply: StreamReply = reply, got: list[bytes] = got) -> None:
            try:
                async for piece in reply:
                    got.append(piece)
            finally:
                reply.release()

        with pytest.raises(TimeoutError):
            await read_all()
        assert got  # what came before the timeout was handed over


async def test_a_short_timeout_fires_while_longer_ones_run_on(
    serve: Callable[..., Awaitable[str]], client: UpstreamClient
) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query["s"]))
        return web.Response(text="ok")

    base = await serve(slow)
    long_first = asyncio.ensure_future(
        client.post(base + "/?s=0.5", {}, b"", aiohttp.ClientTimeout(sock_read=5))
    )
    await asyncio.sleep(0.05)  # its deadline is the timer's when the shorter one comes
    with pytest.raises(TimeoutError):
        await client.post(base + "/?s=3", {}, b"", aiohttp.ClientTimeout(sock_read=0.2))
    assert (await long_first).body == b"ok"
    assert (await client.post(base + "/?s=0", {}, b"", aiohttp.ClientTimeout(total=1))).body


async def test_a_reader_that_is_behind_pauses_the_socket_and_still_gets_every_byte(
    serve: Callable[..., Awaitable[str]], client: UpstreamClient
) -> None:
    block = b"x" * 65536

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(32):  # 2 MiB, far over the high-water mark
            await response.write(block)
        await asyncio.sleep(4)  # then nothing: the read timeout must still hold
        return response

    base = await serve(big)
    reply = await client.stream(base + "/", {}, b"", aiohttp.ClientTimeout(sock_read=1))
    got: list[bytes] = []

    async def read_all() -> None:
        async for piece in reply:
            got.append(piece)

    try:
        paused = False
        for _ in range(100):
            await asyncio.sleep(0.01)
            paused = not reply._conn.transport.is_reading()  # type: ignore[union-attr]
            if paused:
                break
        assert paused
        await asyncio.sleep(1.5)  # longer than the read timeout: not counted while paused
        with pytest.raises(TimeoutError):  # once the reader caught up and nothing more came
            await read_all()
    finally:
        reply.release()
    assert len(b"".join(got)) == 32 * len(block)


async def test_a_stream_over_tls_and_an_error_status_read_whole(
    serve: Callable[..., Awaitable[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_tls, _ = make_test_ca(tmp_path)

    async def events(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/limited"):
            return web.json_response(
                {"error": {"message": "slow down", "type": "rate_limit"}},
                status=429,
                headers={"Retry-After": "3"},
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"n": 1}\n\ndata: [DONE]\n\n')
        return response

    base = await serve(events, server_tls)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # the default context's CA
    try:
        async with open_stream(Endpoint(base, {}, "d"), "/ok", {}, None) as stream:
            assert [event.data async for event in stream] == [b'{"n": 1}', b"[DONE]"]
        with pytest.raises(UpstreamError) as raised:
            async with open_stream(Endpoint(base, {}, "d"), "/limited", {}, None):
                pass
        assert (raised.value.kind, raised.value.retry_after) == (FailureKind.RATE_LIMITED, 3.0)
    finally:
        await close_session()


async def test_a_stream_without_a_length_ends_with_its_connection(client: UpstreamClient) -> None:
    reply = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\ndata: a\n\ndata: b\n\n"
    server, port = await raw_server(reply)
    async with server:
        stream = await client.stream(f"http://127.0.0.1:{port}/", {}, b"", None)
        try:
            assert stream.status == 200
            assert await stream.read() == b"data: a\n\ndata: b\n\n"
            assert stream.complete
        finally:
            stream.release()
        assert not any(client._idle.values())  # read to the close: not reusable


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ndata: a\n\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ndata: a\n\n\r\n",  # then closed
    ],
)
async def test_a_stream_broken_midway_fails_its_reader_as_a_connection_failure(
    reply: bytes,
) -> None:
    server, port = await raw_server(reply)
    async with server:
        seen: list[SseEvent] = []

        async def read_all() -> None:
            url = f"http://127.0.0.1:{port}"
            async with open_stream(Endpoint(url, {}, "d"), "/", {}, None) as events:
                async for event in events:
                    seen.append(event)

        try:
            with pytest.raises(UpstreamError) as raised:
                await read_all()
        finally:
            await close_session()
    assert seen == [SseEvent(None, b"a")]  # what came before the break was handed over
    assert raised.value.kind is FailureKind.CONNECTION


async def test_a_stopped_stream_is_replaced_when_due_and_within_the_pool_limits(
    serve: Callable[..., Awaitable[str]],
) -> None:
    """A stream cancelled where `REPLACEMENTS` is set (a race's loser) has its connection
    opened again, idle, once `due()`; the next request goes out on it. Nothing is opened
    before `due()`, for a stream abandoned elsewhere, or when the host has no room."""
    peers: list[object] = []

    async def events(request: web.Request) -> web.StreamResponse:
        response = await _first_event(request, peers)
        if request.path == "/long":
            await asyncio.sleep(2)
        with contextlib.suppress(ConnectionResetError):  # a stopped stream's client is gone
            await response.write(b"data: [DONE]\n\n")
        return response

    base = await serve(events)
    client = UpstreamClient(limit_per_host=1)
    key = ("http", "127.0.0.1", int(base.rsplit(":", 1)[1]))

    async def stopped(replacements: Replacements | None) -> None:
        """One stream to its first event, then cancelled as a race's loser is."""
        got = asyncio.Event()

        async def read() -> None:
            REPLACEMENTS.set(replacements)
            reply = await client.stream(base + "/long", {}, b"{}", None)
            try:
                async for _ in reply:
                    got.set()
            except asyncio.CancelledError:
                reply.release(stopped=True)
                raise

        task = asyncio.ensure_future(read())
        await got.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def idle_soon() -> list[object]:
        for _ in range(500):
            if client._idle.get(key) or not client._opening:
                break
            await asyncio.sleep(0.01)
        return list(client._idle.get(key, ()))

    try:
        await stopped(None)  # no `Replacements` here (a caller that left): just closed
        await stopped(replacements := Replacements())
        assert not client._opening
        assert not client._idle.get(key)
        replacements.due()
        [replacement] = await idle_soon()
        replacements.due()  # once per connection closed
        assert not client._opening
        assert len(client._idle[key]) == 1
        sockname = replacement.transport.get_extra_info("sockname")  # type: ignore[attr-defined]
        reply = await client.stream(base + "/", {}, b"{}", None)
        assert b"".join([piece async for piece in reply]) == b"data: 1\n\ndata: [DONE]\n\n"
        reply.release()
        assert peers[-1] == sockname  # the request went out on the replacement

        # No room: the host's one connection is in use when the replacement is due
        await stopped(replacements := Replacements())
        busy = await client.stream(base + "/long", {}, b"{}", None)
        replacements.due()
        assert not client._opening
        assert not client._idle.get(key)
        busy.release()
        assert len(peers) == 5
    finally:
        await client.close()
