"""The audit trail of the admin API: every call that changes something (any method but GET and
HEAD) leaves an `admin.call` event naming the caller's key id, the method, the path and the
status it got, whatever the outcome (a refused call is audited too, also one the auth
middleware refused because its key lacks the `admin` scope: `refused`); `GET /admin/audit` reads
the newest events. Reads are not audited, so a dashboard polling `/admin/...` adds no rows.

The event is written once the call has been answered (the change it made, if any, has its own
event in its own transaction: `key.created`, `tenant.updated`, ...). It is written even when the
client has gone away meanwhile; if the database refuses it, the call's outcome stands and the
failure is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from mcproute.proxy.auth import RECORD
from mcproute.proxy.handling import guarded
from mcproute.proxy.history import status_of
from mcproute.proxy.query_params import query_limit
from mcproute.security import ApiKeyRecord
from mcproute.store import SqliteApiKeyStore
from mcproute.store.nonces import StoreUnavailableError

log = logging.getLogger("mcproute.audit")
KEY_STORE = web.AppKey("key_store", SqliteApiKeyStore)  # the keys' database holds the events
ADMIN_CALL = "admin.call"
MAX_EVENTS = 1000
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def audited(handler: Handler) -> Handler:
    """`handler`, with an `admin.call` event after each call."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse | None = None
        raised: BaseException | None = None
        try:
            response = await handler(request)
            return response
        except BaseException as exc:
            raised = exc
            raise
        finally:
            caller = request.get(RECORD)
            await _record(request, None if caller is None else caller.key_id,
                          status_of(response, raised))  # fmt: skip

    return wrapper


async def refused(request: web.Request, caller: ApiKeyRecord, response: web.Response) -> None:
    """The auth middleware's hook: an admin change refused to a key without the scope."""
    if request.path.startswith("/admin") and request.method not in ("GET", "HEAD"):
        await _record(request, caller.key_id, response.status)


async def _record(request: web.Request, key_id: str | None, status: int) -> None:
    write = request.app[KEY_STORE].audit(
        ADMIN_CALL, key_id, method=request.method, path=request.path, status=status
    )
    try:  # shielded: a client that left does not erase the trace of its call
        await asyncio.shield(write)
    except Exception as exc:  # (a locked SQLite too): the call's own answer stands
        reason = exc if isinstance(exc, StoreUnavailableError) else type(exc).__name__
        log.error("audit: %s %s not recorded (%s)", request.method, request.path, reason)


@guarded
async def read_events(request: web.Request) -> web.StreamResponse:
    """`GET /admin/audit?limit=N`: the newest N events (1 to 1000, default 100), oldest first."""
    events = await request.app[KEY_STORE].aevents(query_limit(request, MAX_EVENTS))
    body: dict[str, Any] = {"object": "list", "data": [e.as_json() for e in events]}
    return web.Response(body=orjson.dumps(body), content_type="application/json")
