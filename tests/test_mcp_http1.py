"""The small HTTP/1.1 client of the gateway's byte path, against a real aiohttp server: bodies
by length, chunked and until close, keep-alive reuse, a connection the server closed while
idle, a response cut short, and the same under uvloop (the proxy's loop); and against a raw
server, replies a real server would not send: an ambiguous length (refused), an informational
head before the reply, a head arriving a byte at a time."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvloop
from aiohttp import web

from mcp_support import free_port
from mcproute.protocol.client import http1

SEEN: list[dict[str, str]] = []


def app() -> web.Application:
    async def json_reply(request: web.Request) -> web.Response:
        SEEN.append(dict(request.headers))
        return web.json_response({"echo": (await request.read()).decode()})

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(3):
            await response.write(f"data: {i}\n\n".encode())
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    async def closing(request: web.Request) -> web.Response:
        return web.Response(text="bye", headers={"Connection": "close"})

    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "100"})
        await response.prepare(request)
        await response.write(b"only part")
        assert request.transport is not None
        request.transport.close()
        return response

    application = web.Application()
    application.router.add_post("/json", json_reply)
    application.router.add_post("/chunked", chunked)
    application.router.add_post("/close", closing)
    application.router.add_post("/cut", cut)
    return application


@asynccontextmanager
async def server(keepalive_s: float = 75.0) -> AsyncIterator[str]:
    runner = web.AppRunner(app(), keepalive_timeout=keepalive_s)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://u:p%40ss@127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def exchange(pool: http1.Pool, body: bytes = b"hi") -> tuple[http1.Head, bytes]:
    head, response = await pool.post({"Content-Type": "application/json"}, body)
    try:
        return head, await response.read()
    finally:
        response.release()


async def test_bodies_by_length_and_chunked_and_reuse() -> None:
    async with server() as base:
        pool = http1.Pool(f"{base}/json")
        head, body = await exchange(pool)
        assert (head.status, head.content_type, body) == (
            200,
            "application/json",
            b'{"echo": "hi"}',
        )
        assert len(pool._idle) == 1  # read whole: kept for the next request
        kept = pool._idle[0]
        await exchange(pool, b"again")
        assert pool._idle[0] is kept  # the same connection
        # Credentials in the URL go as Basic authentication, the Host without them.
        assert SEEN[-1]["Authorization"] == "Basic " + base64.b64encode(b"u:p@ss").decode()
        assert SEEN[-1]["Host"] == base.rsplit("@", 1)[1]
        pool.close()

        events = http1.Pool(f"{base}/chunked")
        head, response = await events.post({}, b"")
        chunks = [chunk async for chunk in response.iter_any()]
        response.release()
        assert head.content_type == "text/event-stream"
        assert b"".join(chunks) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
        assert len(events._idle) == 1
        events.close()

        closing = http1.Pool(f"{base}/close")
        assert (await exchange(closing))[1] == b"bye"
        assert not closing._idle  # the server said close


async def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    async with server(keepalive_s=0.1) as base:
        pool = http1.Pool(f"{base}/json")
        await exchange(pool)
        await asyncio.sleep(0.4)  # the server closes the idle connection
        head, body = await exchange(pool, b"later")
        assert (head.status, body) == (200, b'{"echo": "later"}')


async def test_a_response_cut_short_fails_and_is_not_reused() -> None:
    async with server() as base:
        pool = http1.Pool(f"{base}/cut")
        with pytest.raises(http1.HTTPError):
            await exchange(pool)
        assert not pool._idle


def test_the_same_under_uvloop() -> None:
    async def run() -> bytes:
        async with server() as base:
            pool = http1.Pool(f"{base}/json")
            try:
                await exchange(pool)
                return (await exchange(pool, b"uv"))[1]
            finally:
                pool.close()

    assert uvloop.run(run()) == b'{"echo": "uv"}'


async def test_a_header_that_would_split_the_request_is_refused() -> None:
    pool = http1.Pool("http://127.0.0.1:9/mcp")
    with pytest.raises(ValueError, match="X-Token"):
        await pool.post({"X-Token": "a\r\nInjected: 1"}, b"{}")
    with pytest.raises(ValueError, match="line break"):
        pool.request_bytes({"Bad\nName": "x"}, b"")


@asynccontextmanager
async def raw_server(reply: bytes, *, piecewise: bool = False) -> AsyncIterator[str]:
    """A server that answers every request with `reply` as it is (a byte at a time when
    `piecewise`), for replies a real server would not send."""

    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        pieces = [reply[i : i + 1] for i in range(len(reply))] if piecewise else [reply]
        for piece in pieces:
            writer.write(piece)
            await writer.drain()

    listening = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        listening.close()
        for writer in writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        await listening.wait_closed()


async def test_an_ambiguous_length_is_refused_and_the_connection_dropped() -> None:
    smuggled = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}"
    async with raw_server(smuggled) as url:
        pool = http1.Pool(url)
        with pytest.raises(http1.HTTPError, match="upstream reply"):
            await exchange(pool)
        assert not pool._idle


async def test_an_informational_head_is_skipped_and_a_head_may_come_in_pieces() -> None:
    reply = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: Application/JSON; charset=utf-8\r\n"
        b"X-Extra: 1\r\nContent-Length: 2\r\n\r\n{}"
    )
    for piecewise in (False, True):
        async with raw_server(reply, piecewise=piecewise) as url:
            pool = http1.Pool(url)
            head, body = await exchange(pool)
            assert (head.status, head.content_type, body) == (200, "application/json", b"{}")
            assert head.headers["x-extra"] == "1"
            assert len(pool._idle) == 1  # read whole: kept for the next call
            pool.close()
