"""The browser's side of linking a per-user upstream (an `mcpServers` entry with
`"auth": {"type": "oauth"}`), two open paths (a browser carries no API key):

- `GET /oauth/link/<id>`: the URL a user is told to open. Single-use and expiring; it sets a
  short-lived cookie (HttpOnly, SameSite=Lax, Secure under an https public URL) that binds the
  flow to this browser, and redirects to the authorization server.
- `GET /oauth/callback`: where the authorization server sends the browser back. Honoured only
  with the cookie of the flow its `state` names; the page says which upstream is linked, or why
  not (400), and never shows the code or a token.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from aiohttp import web

from mcproute.config import Config
from mcproute.oauth_client import OAuthError
from mcproute.protocol.gateway.link_flows import cookie_name
from mcproute.protocol.gateway.user_links import callback_state
from mcproute.proxy.mcp_metrics import MCP_GATEWAY

PUBLIC_URL_ENV = "MCPROUTE_PUBLIC_URL"  # how browsers reach this gateway, e.g. https://gw.example
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
PATH = "/oauth/callback"
LINK_PREFIX = "/oauth/link/"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def callback_url(config: Config) -> str:
    """The redirect URI registered for per-user upstreams (an entry's own `auth.redirect_uri`
    wins): under MCPROUTE_PUBLIC_URL, else the origin of `auth.oauth.audience`, else the
    default listen address."""
    base = os.environ.get(PUBLIC_URL_ENV, "").rstrip("/")
    if not base and config.oauth is not None:
        parts = urlsplit(config.oauth.audience)
        base = f"{parts.scheme}://{parts.netloc}"
    return f"{base or DEFAULT_PUBLIC_URL}{PATH}"


def refused(exc: OAuthError) -> web.Response:
    return web.Response(status=400, text=f"Authorization failed: {exc}\n", headers=NO_STORE)


async def link(request: web.Request) -> web.StreamResponse:
    gateway = request.app[MCP_GATEWAY]
    try:
        start = await gateway.links.open_link(request.match_info["link_id"])
    except OAuthError as exc:
        return refused(exc)
    resp = web.Response(status=302, headers={"Location": start.authorize_url, **NO_STORE})
    resp.set_cookie(
        start.cookie, start.value, max_age=start.max_age, path="/", httponly=True,
        samesite="Lax", secure=gateway.links.secure_cookies,
    )  # fmt: skip
    return resp


async def callback(request: web.Request) -> web.Response:
    gateway = request.app[MCP_GATEWAY]
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


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(PATH, callback)
    router.add_get(LINK_PREFIX + "{link_id}", link)
