"""The browser's side of linking a per-user upstream (an `mcpServers` entry with
`"auth": {"type": "oauth"}`), two open paths (a browser carries no API key):

- `GET /oauth/link/<id>`: the URL a user is told to open. It changes nothing: it answers a page
  naming the upstream and the mcproute identity the grant will belong to (so a link someone
  else made for themselves is recognised as such), with a form to continue, and sets a
  short-lived cookie (HttpOnly, SameSite=Lax, Secure under an https public URL) whose value the
  form's CSRF token is derived from. The page loads nothing, runs no script and cannot be framed.
- `POST /oauth/link/<id>`: the form. With the cookie and its token, it takes the link (single
  use, expiring), binds the flow to this browser and redirects to the authorization server.
- `GET /oauth/callback`: where the authorization server sends the browser back. Honoured only
  with the cookie of the flow its `state` names; the page says which upstream is linked, or why
  not (400), and never shows the code or a token.

`mcp_mount.add_link_routes` registers them; this module is imported on the first request to one.
"""

from __future__ import annotations

import asyncio
import html
import os
import secrets
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from mcproute.config import Config
from mcproute.oauth_client import OAuthError
from mcproute.protocol.gateway import CALLER
from mcproute.protocol.gateway.link_flows import Identity, LinkRefused, LinkView, cookie_name
from mcproute.protocol.gateway.user_links import callback_state, principal_only
from mcproute.proxy.auth import OAUTH_ENV, tenant_of
from mcproute.proxy.handling import BODY_TIMEOUT
from mcproute.proxy.html_page import html_page
from mcproute.proxy.mcp_mount import LINK_CALLBACK, MCP_MOUNT
from mcproute.security import ApiKeyRecord

PUBLIC_URL_ENV = "MCPROUTE_PUBLIC_URL"  # how browsers reach this gateway, e.g. https://gw.example
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
STYLE = """body{font:15px system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}
dt{font-weight:600}dd{margin:0 0 .6em 0;font-family:monospace}.warn{font-weight:600}
button{padding:.6em 1.2em}"""
CONFIRM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>mcproute · link {upstream}</title><style nonce="{nonce}">{style}</style></head><body>
<h1>Link MCP server <code id="upstream">{upstream}</code></h1>
<p>You are about to sign in at this server's authorization server. The access you grant there
will be used by this mcproute gateway for the identity below, and only for it:</p>
<dl id="identity">{identity}</dl>
<p class="warn">Continue only if you asked for this yourself, from your own MCP client. If someone
sent you this link, close this page: continuing would give them your access.</p>
<form method="post" action="{action}"><input type="hidden" name="csrf" value="{csrf}">
<button id="continue" type="submit">Continue to sign in</button></form></body></html>"""
REFUSED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>mcproute · authorization failed</title><style nonce="{nonce}">{style}</style></head>
<body><h1>Authorization failed</h1><p id="error">{message}</p></body></html>"""


def caller_identity(principal: str) -> Identity:
    """How the link page names the caller whose tool call made the link: their API key's name,
    id and tenant, or their OAuth subject and tenant. Never the key or a token."""
    record = CALLER.get()
    if not isinstance(record, ApiKeyRecord):
        return principal_only(principal)
    tenant = ("tenant", tenant_of(record))
    if record.env == OAUTH_ENV:
        return (("OAuth subject", record.name or record.key_id), tenant)
    return (("API key", record.name or "(unnamed)"), ("key id", record.key_id), tenant)


def callback_url(config: Config) -> str:
    """The redirect URI registered for per-user upstreams (an entry's own `auth.redirect_uri`
    wins): under MCPROUTE_PUBLIC_URL, else the origin of `auth.oauth.audience`, else the
    default listen address."""
    base = os.environ.get(PUBLIC_URL_ENV, "").rstrip("/")
    if not base and config.oauth is not None:
        parts = urlsplit(config.oauth.audience)
        base = f"{parts.scheme}://{parts.netloc}"
    return f"{base or DEFAULT_PUBLIC_URL}{LINK_CALLBACK}"


def refused(exc: OAuthError) -> web.Response:
    return web.Response(status=400, text=f"Authorization failed: {exc}\n", headers=NO_STORE)


def refused_page(message: str, status: int) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    body = REFUSED.format(nonce=nonce, style=STYLE, message=html.escape(message))
    return html_page(body, nonce, status)


def confirm_page(view: LinkView, action: str) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    identity = "".join(
        f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>"
        for label, value in view.identity
    )
    body = CONFIRM.format(
        nonce=nonce, style=STYLE, upstream=html.escape(view.upstream), identity=identity,
        action=html.escape(action), csrf=html.escape(view.csrf),
    )  # fmt: skip
    return html_page(body, nonce, form_action=(view.authorize_origin,))


async def link(request: web.Request) -> web.StreamResponse:
    """The confirmation page; sets the cookie its form's token is bound to, nothing else."""
    gateway = request.app[MCP_MOUNT].service.gateway
    try:
        view = await gateway.links.view_link(request.match_info["link_id"])
    except LinkRefused as exc:
        return refused_page(f"Authorization failed: {exc}", exc.status)
    resp = confirm_page(view, request.path)
    resp.set_cookie(
        view.cookie, view.value, max_age=view.max_age, path="/", httponly=True,
        samesite="Lax", secure=gateway.links.secure_cookies,
    )  # fmt: skip
    return resp


async def confirm(request: web.Request) -> web.StreamResponse:
    """The page's form: on to the authorization server, if it came from the page in this
    browser (a cross-site post carries no Lax cookie, and its sender cannot know the token)."""
    gateway = request.app[MCP_MOUNT].service.gateway
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return refused_page("Authorization failed: confirm on the link's own page.", 403)
    try:
        async with asyncio.timeout(request.app.get(BODY_TIMEOUT, 30.0)):
            form = await request.post()
    except TimeoutError:
        return refused_page("Authorization failed: the form did not arrive in time.", 408)
    except (ValueError, LookupError, HttpProcessingError):
        return refused_page("Authorization failed: send the form field 'csrf'.", 400)
    csrf = form.get("csrf")
    try:
        url = await gateway.links.confirm_link(
            request.match_info["link_id"], request.cookies, csrf if isinstance(csrf, str) else None
        )
    except LinkRefused as exc:
        return refused_page(f"Authorization failed: {exc}", exc.status)
    return web.Response(status=302, headers={"Location": url, **NO_STORE})


async def callback(request: web.Request) -> web.Response:
    gateway = request.app[MCP_MOUNT].service.gateway
    url = str(request.url)
    cookie = cookie_name(callback_state(url))
    try:
        name = await gateway.complete_link(url, request.cookies.get(cookie))
    except OAuthError as exc:
        return refused(exc)
    resp = web.Response(
        text=f"MCP server {name!r} is linked to your account: you can close this page.\n",
        headers=NO_STORE,
    )
    resp.del_cookie(cookie, path="/")
    return resp
