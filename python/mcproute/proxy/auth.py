"""API key middleware: every route but the health checks needs a key with the route's scope.

Keys come in `Authorization: Bearer <key>` or `x-api-key: <key>`. Scopes: `models` (every
model) or `model:<name>`, `mcp`, `metrics`, `admin`; `admin` grants everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from mcproute.proxy.errors import error_response
from mcproute.security import ApiKeyError, ApiKeyManager, ApiKeyRecord

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
RECORD = web.RequestKey("api_key_record", ApiKeyRecord)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_scope(path: str) -> str:
    if path.startswith("/mcp"):
        return "mcp"
    if path == "/metrics":
        return "metrics"
    if path.startswith("/admin"):
        return "admin"
    return "models"


def presented_key(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("x-api-key")


def allows(record: ApiKeyRecord, scope: str, model: str | None = None) -> bool:
    scopes = record.scopes
    if "admin" in scopes or scope in scopes:
        return True
    return scope == "models" and model is not None and f"model:{model}" in scopes


def middleware(
    keys: ApiKeyManager,
) -> Middleware:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS:
            return await handler(request)
        key = presented_key(request)
        if not key:
            return error_response(
                request, 401, "missing API key (Authorization: Bearer ...)", "missing_api_key"
            )
        try:
            record = keys.verify(key)
        except ApiKeyError as exc:
            # The reason (expired, revoked, ...) helps the caller; the key never appears.
            reason = getattr(exc, "reason", "invalid")
            return error_response(request, 401, f"invalid API key: {reason}", "invalid_api_key")
        scope = route_scope(request.path)
        if scope != "models" and not allows(record, scope):
            return error_response(
                request, 403, f"this API key lacks the {scope!r} scope", "forbidden"
            )
        request[RECORD] = record
        return await handler(request)

    return authenticate
