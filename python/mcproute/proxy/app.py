"""Assemble the proxy's aiohttp application from a configuration and a data directory."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os

from aiohttp import web

from mcproute import tracing
from mcproute.config import Config
from mcproute.context.keyring_schedule import keep_rotating
from mcproute.governance.journal import SETTLEMENT_JOURNAL_NAME, SettlementJournal
from mcproute.governance.reservation import Governor
from mcproute.models import ModelRegistry
from mcproute.proxy import (
    admin,
    admin_audit,
    auth,
    contexts,
    dashboard,
    governance,
    heap,
    history,
    mcp_chain,
    mcp_mount,
    merged_metrics,
    reload,
    routes,
    spend,
    surface,
)
from mcproute.proxy.environment import positive
from mcproute.proxy.front import model_lane
from mcproute.proxy.handling import BODY_TIMEOUT, MAX_BODY
from mcproute.proxy.mcp_metrics import MCP_METRICS, McpMetrics, admin_mcp
from mcproute.proxy.metrics import METRICS, Metrics
from mcproute.proxy.per_request import Books
from mcproute.proxy.per_request import middleware as per_request
from mcproute.proxy.responses import add_routes as add_responses
from mcproute.proxy.worker_snapshots import SnapshotStore, SqliteSnapshots, instance_id
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.shared import (
    check_keyring,
    check_pepper,
    database_url,
    open_database,
    open_shared,
)
from mcproute.store.spend_ledger import open_ledger
from mcproute.store.sqlite_contexts import SqliteContextStore, TenantContexts
from mcproute.store.sqlite_tenants import TenantPolicies

SWEEP_INTERVAL_S = 60.0
# Seconds a worker keeps an API key's record; changes made elsewhere reach it sooner over Redis.
KEY_CACHE_ENV = "MCPROUTE_KEY_CACHE_S"
DEFAULT_KEY_CACHE_S = 1.0
log = logging.getLogger("mcproute.proxy")


async def _sweep_expired(store: SqliteContextStore) -> None:
    while True:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        try:
            await store.purge_expired()
        except Exception:  # a failed sweep is retried next time; serving goes on
            log.exception("contexts: sweeping expired contexts failed")


def build_app(
    config: Config, data_dir: DataDir, *, body_timeout: float = 30.0, instance: str | None = None
) -> web.Application:
    # PostgreSQL (migrated) when configured, else the data directory's SQLite.
    database = open_database(database_url(config.store), data_dir)
    cache_s = positive(os.environ, KEY_CACHE_ENV, float) or DEFAULT_KEY_CACHE_S
    store = SqliteApiKeyStore(data_dir, database=database, cache_s=cache_s)
    keys = ApiKeyManager(data_dir.pepper(), store, max_age=config.security.max_key_age_s)
    context_store = SqliteContextStore(data_dir, database=database)
    check_pepper(database, data_dir.pepper())
    check_keyring(database, context_store.keyring.current())
    shared = open_shared(data_dir, config.store, database)  # Redis, else this host
    tenants = TenantPolicies(data_dir, database=database)
    journal = SettlementJournal(data_dir.ensure().path / SETTLEMENT_JOURNAL_NAME)
    governor = Governor(
        shared.counter,
        tenants.load,
        lambda: registry.config,
        journal=journal,
        tenant_cached=tenants.cached,
    )
    # The deployments' rpm windows are admitted from the governor's leases too.
    registry = ModelRegistry(
        config,
        context_store=TenantContexts(context_store),
        counter=shared.counter,
        governor=governor,
    )
    metrics = Metrics()
    authenticator = auth.Authenticator(keys, shared.nonces)
    # auth.oauth: /mcp as an OAuth protected resource (imported only then: it needs joserfc).
    resource = None
    if config.oauth is not None:
        from mcproute.proxy.oauth import OAuthResource

        resource = OAuthResource(config.oauth)
    recent = history.History(config.dashboard)
    ledger = open_ledger(data_dir, database)
    prices = spend.Prices(lambda: registry.config)
    billing = spend.Recorder(ledger, prices, metrics)
    authenticate = auth.middleware(authenticator, resource, admin_audit.refused)
    mcp_done = mcp_chain.recorder(metrics, recent, lambda: registry.config.dashboard)
    books = Books(metrics, recent, lambda: registry.config.dashboard, billing)
    recording = per_request(books)
    app = web.Application(
        middlewares=[
            *tracing.middlewares(),
            # /mcp: auth, metrics and history; none of the model calls' bookkeeping
            mcp_chain.middleware(mcp_done, authenticate),
            recording,
            authenticate,
            surface.unknown_routes,
        ],
        client_max_size=MAX_BODY,
    )
    app[BODY_TIMEOUT] = body_timeout
    if not tracing.ACTIVE:  # the server span is a middleware: a traced app runs its chain
        app[model_lane.LANE] = model_lane.Lane(authenticator, books, recording)
    app[routes.REGISTRY] = registry
    app[routes.STREAMS] = routes.LiveStreams()
    app[admin.ADMIN_REGISTRY] = registry
    app[admin.KEYS] = keys
    app[admin_audit.KEY_STORE] = store
    app[admin.TENANTS] = tenants
    app[governance.GOVERNOR] = governor
    app[contexts.CONTEXTS] = context_store
    app[METRICS] = metrics
    app[history.HISTORY] = recent
    app[spend.LEDGER] = ledger
    app[spend.SPEND_VIEW] = spend.SpendView(ledger, store.load)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        stores = await shared.readiness()
        ready = bool(registry.models()) and all(state == "ok" for state in stores.values())
        body = {"ready": ready, **({"stores": stores} if stores else {})}
        return web.json_response(body, status=200 if ready else 503)

    mcp_metrics = app[MCP_METRICS] = McpMetrics()

    if resource is not None:
        resource.add_routes(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", merged_metrics.prometheus)  # every worker's, summed
    app.router.add_post("/v1/chat/completions", routes.chat_completions)
    app.router.add_post("/v1/messages", routes.messages)
    app.router.add_post("/v1/embeddings", routes.embeddings)
    app.router.add_get("/v1/usage", governance.usage)
    surface.add_routes(app)  # models, count_tokens, legacy completions
    contexts.add_routes(app)
    add_responses(app)
    admin.add_routes(app)
    app.router.add_get("/admin/spend", spend.admin_spend)
    # Every replica's workers through Redis, else this host's through the data directory.
    snapshots: SnapshotStore
    if shared.redis is not None:
        from mcproute.proxy.redis_snapshots import RedisSnapshots  # the client only when used

        snapshots = RedisSnapshots(shared.redis.url, shared.redis.prefix)
    else:
        snapshots = SqliteSnapshots(data_dir)
    dashboard.add_routes(app, authenticator, snapshots, instance or instance_id())
    # The MCP gateway, built on first use (at once if `mcpServers` has any): `mcp_mount`.
    parts = mcp_mount.McpParts(
        config, context_store.keyring, shared, database,
        state_secret=hmac.new(data_dir.pepper(), b"mcp request state", hashlib.sha256).digest(),
        local=contexts.ContextResources(context_store),
        observer=mcp_metrics,
        authenticator=authenticator,
        done=mcp_done,
        refused=admin_audit.refused,
        resource=resource,
        session_limits=mcp_mount.mcp_session_limits(os.environ),
    )  # fmt: skip
    # The server front's `/mcp` lane applies where no OAuth resource or tracing wraps the route.
    mcp = mcp_mount.McpMount(
        parts, reload.mcp_upstreams(config), lane=resource is None and not tracing.ACTIVE
    )
    mcp_mount.add_routes(app, mcp)
    if mcp.upstreams:
        mcp.service  # noqa: B018 - builds it
    app.router.add_get("/admin/mcp", admin_mcp)
    app[reload.RELOADER] = reload.Reloader(config, registry, mcp)
    app.router.add_post("/admin/reload", admin_audit.audited(reload.handle))

    async def start_sweeper(_: web.Application) -> None:
        shared.start(store)
        ledger.start()
        sweeper = asyncio.create_task(_sweep_expired(context_store))
        app.on_cleanup.insert(0, lambda _: _cancel(sweeper))
        rotation = asyncio.create_task(
            keep_rotating(
                context_store, lambda: registry.config.security.keyring_rotation_s, store.audit
            )
        )
        app.on_cleanup.insert(0, lambda _: _cancel(rotation))
        leases = asyncio.create_task(governor.keep_leases())
        app.on_cleanup.insert(0, lambda _: _cancel(leases))
        replays = asyncio.create_task(governor.settler.keep_replaying())
        app.on_cleanup.insert(0, lambda _: _cancel(replays))
        heap.limit_arenas()
        trims = asyncio.create_task(heap.keep_trimming(lambda: recent.version))
        app.on_cleanup.insert(0, lambda _: _cancel(trims))

    async def close(_: web.Application) -> None:
        await ledger.close()  # the drain is over: every call's row is pending or written
        await mcp.close()
        await registry.aclose()
        context_store.close()
        await governor.close()
        await shared.close()
        tenants.close()
        store.close()
        snapshots.close()

    app.on_startup.append(start_sweeper)
    app.on_cleanup.append(close)
    return app


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
