"""`/dashboard`: a live page of traffic, latency percentiles, errors and deployment health.

A browser cannot put an API key in a header when it navigates, so the page signs in once: the
form posts the key, and a valid key with the `metrics` (or `admin`) scope gets a session cookie
(HttpOnly, SameSite=Strict, Secure behind https) that names the key but holds no secret; the
key's revocation or expiry ends the session. `/dashboard/data` (the JSON the page polls every
second) also accepts the key in a header, like every other route, checked the same way (a key
that requires request signatures must sign it). Such a key never gets a cookie: a browser cannot
sign its requests, and a cookie would let unsigned ones through. Cookies work on these paths
only: the API keeps header authentication, so it has no CSRF surface.
"""

from __future__ import annotations

import asyncio
import html
import secrets
from importlib import resources

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mcproute.proxy.auth import Authenticator, allows, log_refusal, presented_key
from mcproute.proxy.errors import error_response
from mcproute.proxy.handling import BODY_TIMEOUT
from mcproute.proxy.metrics import METRICS
from mcproute.proxy.routes import REGISTRY
from mcproute.security import ApiKeyError, ApiKeyRecord

COOKIE = "mcproute_dashboard"
SESSION_S = 12 * 3600
DASHBOARD_AUTH = web.AppKey("dashboard_auth", Authenticator)
PAGE = resources.files("mcproute.proxy").joinpath("dashboard.html").read_text(encoding="utf-8")
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
    response = web.Response(text=body, status=status, content_type="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _sign_in(error: str = "", status: int = 200) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    return _page(SIGN_IN.format(nonce=nonce, error=html.escape(error)), nonce, status)


def _see_dashboard() -> web.Response:
    return web.Response(status=303, headers={"Location": "/dashboard", "Cache-Control": "no-store"})


def _session(request: web.Request) -> ApiKeyRecord | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        record = request.app[DASHBOARD_AUTH].keys.session_record(token)
    except ApiKeyError:
        return None
    if record.require_signature:  # never issued one; refuse any that exists all the same
        return None
    return record if allows(record, "metrics") else None


async def page(request: web.Request) -> web.StreamResponse:
    if _session(request) is None:
        return _sign_in()
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
        record = keys.verify(key.strip())
    except ApiKeyError as exc:
        log_refusal(request, exc)
        return _sign_in("That key is not valid.", 401)
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


async def data(request: web.Request) -> web.StreamResponse:
    if presented_key(request):
        record = await request.app[DASHBOARD_AUTH].authenticate(request)
        if isinstance(record, web.Response):
            return record
        if not allows(record, "metrics"):
            message = "this API key lacks the 'metrics' scope"
            return error_response(request, 403, message, "forbidden")
    elif _session(request) is None:
        return error_response(request, 401, "sign in at /dashboard", "missing_api_key")
    snapshot = request.app[METRICS].snapshot(request.app[REGISTRY].router)
    response = web.json_response(snapshot)
    response.headers["Cache-Control"] = "no-store"
    return response


def add_routes(app: web.Application, authenticator: Authenticator) -> None:
    app[DASHBOARD_AUTH] = authenticator
    app.router.add_get("/dashboard", page)
    app.router.add_post("/dashboard/login", sign_in)
    app.router.add_post("/dashboard/logout", sign_out)
    app.router.add_get("/dashboard/data", data)
