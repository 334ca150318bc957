"""Query parameters that several list endpoints share, checked the same way everywhere."""

from __future__ import annotations

from aiohttp import web

from mcproute.proxy.handling import BadRequest


def query_limit(request: web.Request, maximum: int, default: int = 100) -> int:
    """`?limit=`, 1 to `maximum`; `BadRequest` (a 400 naming it) otherwise."""
    try:
        limit = int(request.query.get("limit", str(default)))
    except ValueError:
        raise BadRequest("limit: expected an integer") from None
    if not 1 <= limit <= maximum:
        raise BadRequest(f"limit: expected 1 to {maximum}")
    return limit
