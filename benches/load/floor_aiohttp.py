"""A minimal aiohttp proxy: one handler (`read()`, `session.post`, `Response`) on uvloop, the
client tuned (one session, keep-alive connector without a per-host limit, headers built once).
No auth, limits, metrics or routing.

    python -m benches.load.floor_aiohttp PORT UPSTREAM_PORT [--lowlevel] [--raw-client]

The two flags measure the HTTP machinery piece by piece: `--lowlevel` serves on aiohttp's
low-level server (`web.Server`, no application, router or middlewares); `--raw-client` sends to
the upstream on raw uvloop transports (a chat completion's head written once, the reply framed
as in `floor_asyncio`) instead of aiohttp's client.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
import uvloop
from aiohttp import web

from benches.load.floor_asyncio import Framing, no_delay

KEY = "sk-bench-upstream"
KEPT = ("Accept", "Content-Type", "MCP-Protocol-Version", "Mcp-Method", "Mcp-Name")
Reply = tuple[int, str, bytes]  # status, content type, body
Post = Callable[[web.BaseRequest, bytes], Awaitable[Reply]]


def aiohttp_client(port: int) -> Post:
    """Same path, the upstream's key, the content headers (and MCP's, for the MCP rows)."""
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {KEY}"}
    session: list[aiohttp.ClientSession] = []

    async def post(request: web.BaseRequest, body: bytes) -> Reply:
        if not session:  # made on the running loop
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
            session.append(aiohttp.ClientSession(connector=connector, skip_auto_headers=["UA"]))
        headers = {**auth, **{k: v for k in KEPT if (v := request.headers.get(k)) is not None}}
        async with session[0].post(base + request.path, data=body, headers=headers) as reply:
            return reply.status, reply.content_type, await reply.read()

    return post


class RawConnection(asyncio.Protocol):
    """One keep-alive upstream connection; a request at a time."""

    def __init__(self) -> None:
        self.framing = Framing()
        self.parts: list[bytes] = []
        self.reply: asyncio.Future[bytes] | None = None
        self.open = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        no_delay(transport)

    def data_received(self, data: bytes) -> None:
        self.parts.append(data)
        if self.framing.done(data) and self.reply is not None:
            self.reply.set_result(b"".join(self.parts))
            self.parts = []

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self.reply is not None and not self.reply.done():
            self.reply.set_exception(ConnectionError("upstream closed"))


def raw_client(port: int) -> Post:
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: "
    ).encode()
    idle: list[RawConnection] = []

    async def post(request: web.BaseRequest, body: bytes) -> Reply:
        loop = asyncio.get_running_loop()
        if idle:
            conn = idle.pop()
        else:
            _, conn = await loop.create_connection(RawConnection, "127.0.0.1", port)
        conn.reply = loop.create_future()
        conn.transport.write(b"%s%d\r\n\r\n%s" % (head, len(body), body))
        reply = await conn.reply
        if conn.open:
            idle.append(conn)
        end = reply.index(b"\r\n\r\n")
        return int(reply[9:12]), "application/json", reply[end + 4 :]

    return post


def handler(post: Post) -> Callable[[web.BaseRequest], Awaitable[web.Response]]:
    async def proxy(request: web.BaseRequest) -> web.Response:
        status, content_type, body = await post(request, await request.read())
        return web.Response(body=body, status=status, content_type=content_type)

    return proxy


async def main(port: int, upstream: int, *, lowlevel: bool, raw: bool) -> None:
    proxy = handler((raw_client if raw else aiohttp_client)(upstream))
    if lowlevel:
        runner: web.BaseRunner = web.ServerRunner(web.Server(proxy), access_log=None)
    else:
        app = web.Application()
        app.router.add_post("/{path:.*}", proxy)
        runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("upstream", type=int)
    parser.add_argument("--lowlevel", action="store_true")
    parser.add_argument("--raw-client", action="store_true")
    args = parser.parse_args()
    uvloop.run(main(args.port, args.upstream, lowlevel=args.lowlevel, raw=args.raw_client))
