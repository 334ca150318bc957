"""Shared contexts over HTTP (`/v1/contexts`), in chat requests, and as MCP resources.

    POST   /v1/contexts               {"messages": [...]} or {"document": "text"},
                                      optional "id", "ttl_seconds", "metadata"     -> 201
    GET    /v1/contexts               ?limit=&after=  (admin keys: every tenant, or ?tenant=)
    GET    /v1/contexts/{id}          the context with its messages or document
    POST   /v1/contexts/{id}/append   {"messages": [...]} or {"text": "..."}, optional "ttl_seconds"
    PATCH  /v1/contexts/{id}          {"ttl_seconds": n}: a new expiry, counted from now
    DELETE /v1/contexts/{id}

Context ids are namespaced per tenant: a key creates, reads and changes only its own tenant's
`ctx_...`, whatever other tenants use. Admin keys reach every tenant; where several tenants use
an id, `?tenant=` names the one meant.

A chat request names a context with `context_id` in its body or the `x-mcproute-context`
header; the context's messages go before the request's own. MCP clients of `/mcp` see the
contexts their key may read as resources `context://<id>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from mcproute.context import ContextNotFoundError, is_context_id, messages_of
from mcproute.contract import contexts as contract
from mcproute.proxy.auth import RECORD, context_tenant
from mcproute.proxy.handling import BadRequest, checked_body, guarded
from mcproute.proxy.query_params import query_limit
from mcproute.security import ApiKeyRecord
from mcproute.store.sqlite_contexts import AmbiguousContextError, ContextInfo, SqliteContextStore

if TYPE_CHECKING:
    from mcproute.protocol.jsonrpc import Json

CONTEXTS = web.AppKey("contexts", SqliteContextStore)
HEADER = "x-mcproute-context"
MAX_LIST = 1000
MAX_METADATA_BYTES = 16 * 1024


def _ttl(body: dict[str, Any]) -> float | None:
    ttl = body.get("ttl_seconds")  # the contract bounds it
    return None if ttl is None else float(ttl)


def _items(body: dict[str, Any], text_field: str) -> tuple[str, list[Any]]:
    """(kind, items) from a body the contract holds to either `messages` or a text field."""
    if "messages" in body:
        return "messages", body["messages"]
    return "document", [body[text_field]]


def _tenant(request: web.Request, ident: str | None, action: str) -> str | None:
    """The tenant the caller reaches for `action`; an admin key may name one (`?tenant=`)."""
    tenant = context_tenant(request[RECORD], ident, action)
    if tenant is None:
        return request.query.get("tenant") or None
    return tenant


def _context_id(request: web.Request) -> str:
    ident = request.match_info["id"]
    if not is_context_id(ident):
        raise BadRequest("id: a context id is 'ctx_' followed by 32 hex digits")
    return ident


def _full(info: ContextInfo, items: list[Any]) -> dict[str, Any]:
    out = info.to_json()
    if info.kind == "messages":
        out["messages"] = items
    else:
        out["document"] = "".join(items)
    return out


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _store_call(fn: Any) -> Any:
    """Store validation errors are the caller's: 400 naming the field."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)  # type: ignore[no-any-return]
        except ValueError as exc:
            if isinstance(exc, BadRequest | ContextNotFoundError):
                raise
            raise BadRequest(str(exc)) from None

    return guarded(wrapper)


@_store_call
async def create(request: web.Request) -> web.StreamResponse:
    record = request[RECORD]
    tenant = context_tenant(record, None, "create")
    body = await checked_body(request, contract.CREATE)
    kind, items = _items(body, "document")
    metadata = body.get("metadata")
    if metadata is not None and len(orjson.dumps(metadata)) > MAX_METADATA_BYTES:
        raise BadRequest(f"metadata: expected an object of at most {MAX_METADATA_BYTES} bytes")
    if tenant is None:  # an admin key creates in the tenant it names, else the default one
        tenant = body.get("tenant") or "default"
    info = await request.app[CONTEXTS].create(
        tenant, kind, items, ttl=_ttl(body), metadata=metadata, context_id=body.get("id")
    )
    _, stored = await request.app[CONTEXTS].read(tenant, info.id)
    return _json(_full(info, stored), status=201)


@_store_call
async def list_contexts(request: web.Request) -> web.StreamResponse:
    tenant = _tenant(request, None, "read")
    limit = query_limit(request, MAX_LIST)
    after = request.query.get("after")
    infos = await request.app[CONTEXTS].list(tenant, limit=limit + 1, after=after)
    page = infos[:limit]
    return _json(
        {
            "object": "list",
            "data": [i.to_json() for i in page],
            "has_more": len(infos) > limit,
            "last_id": page[-1].id if page else None,
        }
    )


@_store_call
async def read(request: web.Request) -> web.StreamResponse:
    ident = _context_id(request)
    tenant = _tenant(request, ident, "read")
    info, items = await request.app[CONTEXTS].read(tenant, ident)
    return _json(_full(info, items))


@_store_call
async def append(request: web.Request) -> web.StreamResponse:
    ident = _context_id(request)
    tenant = _tenant(request, ident, "append")
    body = await checked_body(request, contract.APPEND)
    _, items = _items(body, "text")
    info = await request.app[CONTEXTS].append(tenant, ident, items, ttl=_ttl(body))
    return _json(info.to_json())


@_store_call
async def update(request: web.Request) -> web.StreamResponse:
    ident = _context_id(request)
    tenant = _tenant(request, ident, "append")
    body = await checked_body(request, contract.UPDATE)
    info = await request.app[CONTEXTS].append(tenant, ident, [], ttl=_ttl(body))
    return _json(info.to_json())


@_store_call
async def delete(request: web.Request) -> web.StreamResponse:
    ident = _context_id(request)
    tenant = _tenant(request, ident, "delete")
    await request.app[CONTEXTS].delete(tenant, ident)
    return _json({"id": ident, "object": "context.deleted", "deleted": True})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/contexts", create)
    app.router.add_get("/v1/contexts", list_contexts)
    app.router.add_get("/v1/contexts/{id}", read)
    app.router.add_post("/v1/contexts/{id}/append", append)
    app.router.add_patch("/v1/contexts/{id}", update)
    app.router.add_delete("/v1/contexts/{id}", delete)


async def referenced_messages(request: web.Request, body: dict[str, Any]) -> list[Json]:
    """The messages of the context a chat request names (dropping the name from the body, since
    no provider knows it), or []."""
    ident = body.pop("context_id", None) or request.headers.get(HEADER)
    if ident is None:
        return []
    if not isinstance(ident, str) or not is_context_id(ident):
        raise BadRequest("context_id: a context id is 'ctx_' followed by 32 hex digits")
    tenant = context_tenant(request[RECORD], ident, "read")
    try:
        info, items = await request.app[CONTEXTS].read(tenant, ident)
    except AmbiguousContextError as exc:  # an admin key, and several tenants use the id
        raise BadRequest(f"context_id: {exc}") from None
    return messages_of(info.kind, items)


class ContextResources:
    """The contexts a caller's key may read, as MCP resources `context://<id>`."""

    prefix = "context://"

    def __init__(self, store: SqliteContextStore) -> None:
        self.store = store

    @staticmethod
    def _tenant(caller: Any, ident: str | None) -> str | None:
        if not isinstance(caller, ApiKeyRecord):
            raise PermissionError("no API key")
        return context_tenant(caller, ident, "read")

    async def list(self, caller: Any) -> list[Json]:
        try:
            tenant = self._tenant(caller, None)
        except PermissionError:
            return []  # a key with only `context:<id>` scopes: those it can read by URI
        return [
            {
                "uri": f"{self.prefix}{info.id}",
                "name": info.metadata.get("name") or info.id,
                "mimeType": "application/json" if info.kind == "messages" else "text/plain",
                "size": info.bytes,
            }
            for info in await self.store.list(tenant, limit=MAX_LIST)
        ]

    async def read(self, caller: Any, uri: str) -> Json | None:
        ident = uri[len(self.prefix) :]
        try:
            info, items = await self.store.read(self._tenant(caller, ident), ident)
        except (PermissionError, ContextNotFoundError, AmbiguousContextError):
            return None  # the same answer for missing and forbidden: existence is not revealed
        if info.kind == "messages":
            content = {
                "uri": uri,
                "mimeType": "application/json",
                "text": orjson.dumps(items).decode(),
            }
        else:
            content = {"uri": uri, "mimeType": "text/plain", "text": "".join(items)}
        return {"contents": [content]}


def with_context_openai(body: dict[str, Any], context: list[Json]) -> None:
    if context:
        body["messages"] = [*context, *(body.get("messages") or [])]


def with_context_anthropic(body: dict[str, Any], context: list[Json]) -> None:
    """Anthropic keeps system text apart from the turns: the context's system messages go
    before the request's own `system`, its other messages before the request's turns."""
    if not context:
        return
    system = [
        m["content"] for m in context if m["role"] == "system" and isinstance(m.get("content"), str)
    ]
    turns = [m for m in context if m["role"] != "system"]
    if system:
        own = body.get("system")
        if isinstance(own, list):
            body["system"] = [*({"type": "text", "text": t} for t in system), *own]
        else:
            body["system"] = "\n\n".join([*system, *([own] if own else [])])
    body["messages"] = [*turns, *(body.get("messages") or [])]
