"""Assemble the proxy's aiohttp application from a configuration and a data directory."""

from __future__ import annotations

from aiohttp import web

from mcproute.config import Config
from mcproute.models import ModelRegistry
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.http import StreamableHTTP
from mcproute.proxy import auth, routes
from mcproute.proxy.metrics import Metrics
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore

METRICS = web.AppKey("metrics", Metrics)


def _gateway(config: Config) -> Gateway | None:
    upstreams = {
        s.name: {"url": s.url, "headers": {k: v.reveal() for k, v in s.headers.items()}}
        for s in config.mcp_servers
        if s.url is not None
    }
    return Gateway(upstreams) if upstreams else None


def build_app(config: Config, data_dir: DataDir) -> web.Application:
    store = SqliteApiKeyStore(data_dir)
    keys = ApiKeyManager(data_dir.pepper(), store)
    registry = ModelRegistry(config)
    metrics = Metrics()
    app = web.Application(
        middlewares=[metrics.middleware(), auth.middleware(keys)], client_max_size=8 * 1024 * 1024
    )
    app[routes.REGISTRY] = registry
    app[METRICS] = metrics

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        ready = bool(registry.models())
        return web.json_response({"ready": ready}, status=200 if ready else 503)

    async def prometheus(_: web.Request) -> web.Response:
        return web.Response(text=metrics.render(registry.router), content_type="text/plain")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", prometheus)
    app.router.add_post("/v1/chat/completions", routes.chat_completions)
    app.router.add_post("/v1/messages", routes.messages)
    app.router.add_post("/v1/embeddings", routes.embeddings)
    app.router.add_get("/v1/models", routes.list_models)
    gateway = _gateway(config)
    if gateway is not None:
        mcp = StreamableHTTP(gateway)
        app.router.add_post("/mcp", mcp.post)
        app.router.add_get("/mcp", mcp.get)
        app.router.add_delete("/mcp", mcp.delete)

    async def close(_: web.Application) -> None:
        if gateway is not None:
            await gateway.close()
        await registry.aclose()
        store.close()

    app.on_cleanup.append(close)
    return app
