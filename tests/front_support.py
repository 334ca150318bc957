"""The proxy served in this event loop the way `mcproute serve` serves it: aiohttp's runner
with the malformed-request answers, behind the raw-protocol front (or, for comparison, on
aiohttp's own site), in front of the upstream simulator."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from mcp_support import http_server
from mcproute.config import parse_config
from mcproute.proxy.app import build_app
from mcproute.proxy.front.server import Front
from mcproute.proxy.malformed import MalformedRequestRunner
from mcproute.store import DataDir
from models_support import OPENAI_KEY, running_simulator
from proxy_support import Proxy, document


@contextlib.asynccontextmanager
async def served_app(
    app: web.Application,
    front: bool,
    idle_timeout: float = 60.0,
    body_timeout: float = 30.0,
) -> AsyncIterator[tuple[str, Front | None]]:
    """`app` on 127.0.0.1 (a free port): its URL and the front, if one."""
    runner = MalformedRequestRunner(
        app, access_log=None, shutdown_timeout=1.0, handle_signals=False,
        keepalive_timeout=idle_timeout,
    )  # fmt: skip
    await runner.setup()
    server: Front | None = None
    if front:
        server = Front(runner, idle_timeout=idle_timeout, body_timeout=body_timeout)
        await server.start("127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    else:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        if server is not None:
            await server.stop(1.0)
        await runner.cleanup()


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    front: bool = True,
    config_document: Callable[[str, str], dict[str, Any]] = document,
    sim: dict[str, Any] | None = None,
    **timeouts: float,
) -> AsyncIterator[tuple[Proxy, Front | None]]:
    """The proxy on `config_document(simulator URL, MCP server URL)`, as `running_proxy`;
    `sim`: the simulator's settings."""
    async with running_app(tmp_path, front, config_document, sim, **timeouts) as (proxy, server, _):
        yield proxy, server


@contextlib.asynccontextmanager
async def running_app(
    tmp_path: Path,
    front: bool = True,
    config_document: Callable[[str, str], dict[str, Any]] = document,
    sim: dict[str, Any] | None = None,
    **timeouts: float,
) -> AsyncIterator[tuple[Proxy, Front | None, web.Application]]:
    """`running`, and the app served."""
    data_dir = DataDir(tmp_path / "data")
    async with running_simulator(**{"tokens": 4, **(sim or {})}) as sim_, http_server() as mcp_url:
        config = parse_config(
            config_document(sim_.url, mcp_url), env={"OPENAI_API_KEY": OPENAI_KEY}
        )
        app = build_app(config, data_dir, body_timeout=timeouts.get("body_timeout", 30.0))
        async with served_app(app, front, **timeouts) as (url, server):
            yield Proxy(url, data_dir, sim_), server, app
