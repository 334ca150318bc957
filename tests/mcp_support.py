"""Start the demo MCP server over HTTP on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from mcp_demo_server import server
from mcproute.protocol.http import StreamableHTTP


@contextlib.asynccontextmanager
async def http_server() -> AsyncIterator[str]:
    runner = web.AppRunner(StreamableHTTP(server).app(), handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        await runner.cleanup()
