"""The gateway's OAuth callback, `GET /oauth/callback`: where an authorization server sends a
user's browser back after they approved access to a per-user upstream (an `mcpServers` entry
with `"auth": {"type": "oauth"}`). The request carries no API key: its single-use `state` names
the user and the upstream the flow was started for. The page says which upstream is linked, or
why not, and never shows the code or a token."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from aiohttp import web

from mcproute.config import Config
from mcproute.oauth_client import OAuthError
from mcproute.proxy.mcp_metrics import MCP_GATEWAY

PUBLIC_URL_ENV = "MCPROUTE_PUBLIC_URL"  # how browsers reach this gateway, e.g. https://gw.example
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
PATH = "/oauth/callback"


def callback_url(config: Config) -> str:
    """The redirect URI registered for per-user upstreams (an entry's own `auth.redirect_uri`
    wins): under MCPROUTE_PUBLIC_URL, else the origin of `auth.oauth.audience`, else the
    default listen address."""
    base = os.environ.get(PUBLIC_URL_ENV, "").rstrip("/")
    if not base and config.oauth is not None:
        parts = urlsplit(config.oauth.audience)
        base = f"{parts.scheme}://{parts.netloc}"
    return f"{base or DEFAULT_PUBLIC_URL}{PATH}"


async def callback(request: web.Request) -> web.Response:
    gateway = request.app[MCP_GATEWAY]
    try:
        name = await gateway.complete_link(str(request.url))
    except OAuthError as exc:
        return web.Response(status=400, text=f"Authorization failed: {exc}\n")
    return web.Response(
        text=f"MCP server {name!r} is linked to your account: you can close this page.\n"
    )
