"""`/dashboard`: the operator's page: the last hour of traffic, latency percentiles and
tokens per second, breakdowns by model, key, route and status, top errors, deployment health,
and `/dashboard/requests`, the request log. Every number covers all the workers of the
`mcproute serve` (see `worker_snapshots`); what the page shows is the panels of `panels`.

GET /dashboard/data?range=300|3600&panels=a,b   the panels' data, merged over the workers
GET /dashboard/requests/data?key=&model=&status=&limit=   the newest requests, filtered

A browser cannot put an API key in a header when it navigates, so the page signs in once: the
form posts the key, and a valid key with the `metrics` (or `admin`) scope gets a session cookie
(HttpOnly, SameSite=Strict, Secure behind https) that names the key but holds no secret; the
key's revocation or expiry ends the session. The data endpoints (the JSON the page polls)
also accept the key in a header, like every other route, checked the same way (a key
that requires request signatures must sign it). Such a key never gets a cookie: a browser cannot
sign its requests, and a cookie would let unsigned ones through. Cookies work on these paths
only: the API keeps header authentication, so it has no CSRF surface.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mcproute.proxy.auth import Authenticator, allows, log_refusal, presented_key
from mcproute.proxy.current_request import after_reply
from mcproute.proxy.errors import error_response
from mcproute.proxy.handling import BODY_TIMEOUT
from mcproute.proxy.history import HISTORY
from mcproute.proxy.html_page import html_page
from mcproute.proxy.mcp_metrics import MCP_METRICS, McpMetrics
from mcproute.proxy.mcp_mount import MCP_MOUNT
from mcproute.proxy.metrics import METRICS
from mcproute.proxy.panels import (
    PANELS,
    RANGES,
    LogFilter,
    View,
    merge,
    request_log,
    worker_snapshot,
)
from mcproute.proxy.routes import REGISTRY
from mcproute.proxy.spend import SPEND_VIEW
from mcproute.proxy.worker_snapshots import (
    PUBLISHER,
    SNAPSHOTS,
    Publisher,
    SnapshotStore,
    published,
)
from mcproute.routing.router import Observer
from mcproute.routing.types import AttemptEvent
from mcproute.security import ApiKeyError, ApiKeyRecord
from mcproute.store.nonces import StoreUnavailableError

if TYPE_CHECKING:
    from mcproute.protocol.gateway import Gateway

COOKIE = "mcproute_dashboard"
SESSION_S = 12 * 3600
DASHBOARD_AUTH = web.AppKey("dashboard_auth", Authenticator)
STATUS_FILTER = re.compile(r"[1-5](?:\d\d|xx)|error")
# Beside this module (the package is never zipped: it holds the compiled core).
PAGE = Path(__file__).with_name("dashboard.html").read_text(encoding="utf-8")
SIGN_IN = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>mcproute · sign in</title><style nonce="{nonce}">
body{{font:15px system-ui,sans-serif;background:#0f1419;color:#e6e6e6;display:grid;
place-items:center;height:100vh;margin:0}}form{{background:#1a2029;padding:2em;border-radius:8px;
min-width:22em}}input{{width:100%;box-sizing:border-box;padding:.6em;margin:.6em 0;
background:#0f1419;color:#e6e6e6;border:1px solid #334}}button{{padding:.6em 1.2em}}
.error{{color:#ff7b72}}</style></head><body><form method="post" action="/dashboard/login">
<h1>mcproute</h1><p>Sign in with an API key that has the <code>metrics</code> scope.</p>
<p id="error" class="error">{error}</p>
<input id="key" name="key" type="password" autocomplete="off" placeholder="mcpr_..." required>
<button id="sign-in" type="submit">Sign in</button></form></body></html>"""


def _page(body: str, nonce: str, status: int = 200) -> web.Response:
    return html_page(body, nonce, status)


def _sign_in(error: str = "", status: int = 200) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    return _page(SIGN_IN.format(nonce=nonce, error=html.escape(error)), nonce, status)


def _see_dashboard() -> web.Response:
    return web.Response(status=303, headers={"Location": "/dashboard", "Cache-Control": "no-store"})


async def _session(request: web.Request) -> ApiKeyRecord | None:
    """The key of the request's session cookie, read off the loop; raises
    `StoreUnavailableError` when the key store cannot tell."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        record = await request.app[DASHBOARD_AUTH].keys.asession_record(token)
    except ApiKeyError:
        return None
    if record.require_signature:  # never issued one; refuse any that exists all the same
        return None
    return record if allows(record, "metrics") else None


STORE_DOWN = "The key store cannot be reached; try again shortly."


async def page(request: web.Request) -> web.StreamResponse:
    try:
        if await _session(request) is None:
            return _sign_in()
    except StoreUnavailableError:
        return _sign_in(STORE_DOWN, 503)
    nonce = secrets.token_urlsafe(16)
    return _page(PAGE.replace("{{nonce}}", nonce), nonce)


async def sign_in(request: web.Request) -> web.StreamResponse:
    try:
        async with asyncio.timeout(request.app.get(BODY_TIMEOUT, 30.0)):
            form = await request.post()  # within the app's size limit (413 beyond)
    except TimeoutError:
        return _sign_in("The form did not arrive in time.", 408)
    except (ValueError, LookupError, HttpProcessingError):  # a bad form, charset or multipart
        return _sign_in("Send the key as the form field 'key'.", 400)
    key = form.get("key")
    if not isinstance(key, str) or not key.strip():
        return _sign_in("Enter an API key.", 400)
    keys = request.app[DASHBOARD_AUTH].keys
    try:
        record = await keys.averify(key.strip())
    except ApiKeyError as exc:
        log_refusal(request, exc)
        return _sign_in("That key is not valid.", 401)
    except StoreUnavailableError:
        return _sign_in(STORE_DOWN, 503)
    if record.require_signature:
        return _sign_in("That key requires signed requests, which a browser cannot make.", 401)
    if not allows(record, "metrics"):
        return _sign_in("That key lacks the metrics scope.", 403)
    response = _see_dashboard()
    secure = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
    response.set_cookie(
        COOKIE,
        keys.session_token(record.key_id, SESSION_S),
        max_age=SESSION_S,
        path="/dashboard",
        httponly=True,
        samesite="Strict",
        secure=secure,
    )
    return response


async def sign_out(_: web.Request) -> web.StreamResponse:
    response = _see_dashboard()
    response.del_cookie(COOKIE, path="/dashboard")
    return response


async def _viewer(request: web.Request) -> web.Response | None:
    """None if the request may read dashboard data, else the refusal: every data endpoint
    is guarded by this one check (a session cookie, or a key in a header)."""
    if presented_key(request):
        record = await request.app[DASHBOARD_AUTH].authenticate(request)
        if isinstance(record, web.Response):
            return record
        if not allows(record, "metrics"):
            message = "this API key lacks the 'metrics' scope"
            return error_response(request, 403, message, "forbidden")
    else:
        try:
            if await _session(request) is None:
                return error_response(request, 401, "sign in at /dashboard", "missing_api_key")
        except StoreUnavailableError as exc:
            return error_response(request, 503, str(exc), "store_unavailable")
    return None


class QueryError(ValueError):
    pass


def _range(request: web.Request) -> int:
    text = request.query.get("range", str(RANGES[0]))
    if not text.isdigit() or int(text) not in RANGES:
        raise QueryError(f"range: expected one of {', '.join(map(str, RANGES))} seconds")
    return int(text)


def _short(request: web.Request, name: str) -> str | None:
    value = request.query.get(name) or None
    if value is not None and len(value) > 256:
        raise QueryError(f"{name}: longer than 256 characters")
    return value


def _log_filter(request: web.Request) -> LogFilter:
    status = _short(request, "status")
    if status is not None and not STATUS_FILTER.fullmatch(status):
        raise QueryError("status: expected a status code, a class such as 4xx, or 'error'")
    limit_text = request.query.get("limit", "200")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100_000:
        raise QueryError("limit: expected a whole number from 1 to 100000")
    return LogFilter(_short(request, "key"), _short(request, "model"), status, int(limit_text))


def _view(request: web.Request, range_s: int) -> Callable[[], tuple[View, dict[str, Any]]]:
    """A function (to run in a thread) that merges every published snapshot of every worker
    of every replica, and says how far it reached (`store_up` false: this worker's alone)."""
    read = published(request.app, deployment=True)
    now = time.time()

    def build() -> tuple[View, dict[str, Any]]:
        collected = read()
        view = merge(collected.snapshots, now, range_s)
        return view, {"replicas": collected.replicas, "store_up": collected.store_up}

    return build


def _json(body: Any) -> web.Response:
    response = web.Response(body=orjson.dumps(body), content_type="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


async def data(request: web.Request) -> web.StreamResponse:
    """`{"time", "range_s", "workers", "panels": {name: ...}}` for `?panels=a,b` (all by
    default) over `?range=300|3600` seconds, merged over every worker."""
    refused = await _viewer(request)
    if refused is not None:
        return refused
    try:
        range_s = _range(request)
        wanted = [p for p in request.query.get("panels", ",".join(PANELS)).split(",") if p]
        unknown = [p for p in wanted if p not in PANELS]
        if unknown:
            raise QueryError(f"panels: unknown panel {unknown[0]!r} (known: {', '.join(PANELS)})")
    except QueryError as exc:
        return error_response(request, 400, str(exc), "invalid_query")
    build = _view(request, range_s)
    ledger = request.app.get(SPEND_VIEW)
    spend = await ledger.read() if ledger is not None and "spend" in wanted else None

    def answer() -> dict[str, Any]:
        view, reach = build()
        view.spend = spend
        panels = {name: PANELS[name](view) for name in wanted}
        return {
            "time": view.now,
            "range_s": range_s,
            "workers": len(view.workers),
            **reach,
            "panels": panels,
        }

    return _json(await asyncio.to_thread(answer))


async def log_data(request: web.Request) -> web.StreamResponse:
    """The newest requests of every worker, filtered by `?key=`, `?model=`, `?status=`."""
    refused = await _viewer(request)
    if refused is not None:
        return refused
    try:
        wanted = _log_filter(request)
    except QueryError as exc:
        return error_response(request, 400, str(exc), "invalid_query")
    build = _view(request, RANGES[-1])

    def answer() -> dict[str, Any]:
        view, reach = build()
        entries = request_log(view, wanted)
        return {"time": view.now, "workers": len(view.workers), **reach, "requests": entries}

    return _json(await asyncio.to_thread(answer))


def add_routes(
    app: web.Application, authenticator: Authenticator, snapshots: SnapshotStore, instance: str
) -> None:
    """The dashboard's routes, and this worker's publisher of its snapshot into `snapshots`
    (started and withdrawn with the app)."""
    app[DASHBOARD_AUTH] = authenticator
    app[SNAPSHOTS] = snapshots
    history = app[HISTORY]
    router = app[REGISTRY].router
    router.observer = _also(router.observer, _after_reply(history.attempt))
    publisher = Publisher(
        snapshots,
        lambda now: worker_snapshot(history, app[METRICS], app[REGISTRY].router, now, _mcp(app)),
        lambda: history.version,
        time.time,
        instance,
    )
    app[PUBLISHER] = publisher

    async def start(_: web.Application) -> None:
        task = asyncio.create_task(publisher.run())

        async def stop(_: web.Application) -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await publisher.withdraw()

        app.on_cleanup.insert(0, stop)

    app.on_startup.append(start)
    app.router.add_get("/dashboard", page)
    app.router.add_get("/dashboard/requests", page)
    app.router.add_post("/dashboard/login", sign_in)
    app.router.add_post("/dashboard/logout", sign_out)
    app.router.add_get("/dashboard/data", data)
    app.router.add_get("/dashboard/requests/data", log_data)


def _after_reply(observer: Observer) -> Observer:
    """`observer`, told once the request's reply is written: counting an attempt (and noting
    its deployment for the request's record) is nothing the reply waits for."""

    def later(event: AttemptEvent) -> None:
        after_reply(observer, event)

    return later


def _also(first: Observer | None, second: Observer) -> Observer:
    if first is None:
        return second

    def both(event: AttemptEvent) -> None:
        first(event)
        second(event)

    return both


def _mcp(app: web.Application) -> tuple[McpMetrics, Gateway | None] | None:
    """This worker's MCP numbers and gateway (None until it is built), when the app has them."""
    metrics, mount = app.get(MCP_METRICS), app.get(MCP_MOUNT)
    return (metrics, mount.gateway) if metrics is not None and mount is not None else None
