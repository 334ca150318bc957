"""`/admin/...`: keys, models and contexts, for admin keys only (the auth middleware checks).

GET    /admin/keys                   every key, never a secret; its age, state and rotate-by time,
                                     its limits and their current usage
POST   /admin/keys                   {"scopes": [...], "env", "ttl_seconds", "name", and limits:
                                     "rpm", "tpm", "max_parallel", "budget_usd", "budget_period"}
PATCH  /admin/keys/{key_id}          limits to change (null removes one)
GET    /admin/tenants                every tenant policy
GET    /admin/tenants/{name}         a tenant's limits and their current usage
PUT    /admin/tenants/{name}         replace its limits; PATCH: change some (null removes one)
POST   /admin/keys/{key_id}/rotate   {"grace_seconds": n}: a new key; the old one works n s more
DELETE /admin/keys/{key_id}          revoke now
GET    /admin/models                 model groups, their deployments and health
GET    /admin/contexts               every tenant's contexts (?tenant=, ?limit=, ?after=)
GET    /admin/contexts/{id}, DELETE /admin/contexts/{id}
POST   /admin/keyring/rotate         a new primary key; every context re-encrypted under it
GET    /admin/audit                  the newest audit events (?limit=, 1 to 1000)

Every call but a GET is audited (`admin_audit`).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import time
from typing import Any

import orjson
from aiohttp import web

from mcproute.config import DAY_S
from mcproute.contract import admin as contract
from mcproute.contract.shapes import Invalid
from mcproute.governance.counters import Charge
from mcproute.governance.limits import Limits, limits_from
from mcproute.governance.reservation import usage_json
from mcproute.models import ModelRegistry
from mcproute.proxy import admin_audit, contexts
from mcproute.proxy.admin_audit import KEY_STORE, audited
from mcproute.proxy.governance import GOVERNOR
from mcproute.proxy.handling import BadRequest, checked_body, guarded
from mcproute.proxy.metrics import deployment_state
from mcproute.redact import redact_url
from mcproute.security import ApiKeyError, ApiKeyManager, ApiKeyRecord
from mcproute.security.apikeys import key_state, rotate_by
from mcproute.store.sqlite_tenants import TenantPolicies

KEYS = web.AppKey("keys", ApiKeyManager)
TENANTS = web.AppKey("tenants", TenantPolicies)
ADMIN_REGISTRY = web.AppKey("admin_registry", ModelRegistry)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _issued_json(keys: ApiKeyManager, key: str, record: ApiKeyRecord) -> dict[str, Any]:
    """A new key as the caller sees it once: with the key itself and any signing secret."""
    out = {**_key_json(record, time.time(), keys.max_age), "key": key}
    if record.require_signature:
        out["signing_secret"] = base64.b64encode(keys.signing_secret(record.key_id)).decode()
    return out


def _key_json(record: ApiKeyRecord, now: float, max_age: float | None) -> dict[str, Any]:
    deadline = rotate_by(record, max_age)
    return {
        "key_id": record.key_id,
        "name": record.name,
        "env": record.env,
        "scopes": sorted(record.scopes),
        "state": key_state(record, now, max_age),
        "created_at": int(record.created_at),
        "age_days": round(max(now - record.created_at, 0.0) / DAY_S, 1),
        "rotate_by": None if deadline is None else int(deadline),
        "expires_at": None if record.expires_at is None else int(record.expires_at),
        "replaced_by": record.replaced_by,
        "require_signature": record.require_signature,
        "limits": record.limits.as_json(),
    }


def _seconds(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)  # the contract bounds it
    return None if value is None else float(value)


def _key_errors(fn: Any) -> Any:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)  # type: ignore[no-any-return]
        except ApiKeyError as exc:
            if getattr(exc, "reason", "") == "unknown_key":
                return _json({"error": {"message": str(exc), "code": "key_not_found"}}, 404)
            raise BadRequest(str(exc)) from None

    return guarded(wrapper)


async def _usage(request: web.Request, charges: list[Charge]) -> list[dict[str, Any] | None]:
    """Each charge's limits and usage now (one read of the counters for all of them)."""
    limited = [c for c in charges if not c.limits.empty]
    read = await request.app[GOVERNOR].read(limited) if limited else ()
    found = {c.subject: usage_json(c, u) for c, u in zip(limited, read, strict=True)}
    return [found.get(c.subject) for c in charges]


async def list_keys(request: web.Request) -> web.StreamResponse:
    now = time.time()
    records = await asyncio.to_thread(request.app[KEY_STORE].all)  # the store's disk, off-loop
    max_age = request.app[KEYS].max_age
    live = [r for r in records if key_state(r, now, max_age) not in ("revoked", "expired")]
    usage = await _usage(request, [Charge("key:" + r.key_id, r.limits) for r in live])
    current = {r.key_id: u for r, u in zip(live, usage, strict=True)}
    data = [
        {**_key_json(r, now, max_age), "usage": (current.get(r.key_id) or {}).get("usage")}
        for r in records
    ]
    return _json({"object": "list", "data": data})


@_key_errors
async def create_key(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, contract.KEY_CREATE)
    scopes = body.get("scopes", ["models"])
    env = body.get("env", "live")
    signed = body.get("require_signature", False)
    keys = request.app[KEYS]
    key, record = await asyncio.to_thread(
        functools.partial(
            keys.issue,
            env,
            scopes,
            ttl=_seconds(body, "ttl_seconds"),
            require_signature=signed,
            name=body.get("name"),
            limits=limits_from({k: v for k, v in body.items() if k in contract.LIMITS}),
        )
    )
    return _json(_issued_json(keys, key, record), status=201)


@_key_errors
async def update_key(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, contract.KEY_UPDATE)
    keys = request.app[KEYS]
    record = await asyncio.to_thread(keys.set_limits, request.match_info["key_id"], body)
    return _json(_key_json(record, time.time(), keys.max_age))


def _tenant_name(request: web.Request) -> str:
    name = request.match_info["name"]
    try:
        contract.TENANT.check(name)
    except Invalid as exc:
        raise BadRequest(f"tenant: {exc.problem}") from None
    return name


async def _tenant_json(request: web.Request, name: str, limits: Limits) -> dict[str, Any]:
    (usage,) = await _usage(request, [Charge("tenant:" + name, limits)])
    return {"tenant": name, "limits": limits.as_json(), "usage": (usage or {}).get("usage")}


async def list_tenants(request: web.Request) -> web.StreamResponse:
    policies = await asyncio.to_thread(request.app[TENANTS].all)
    data = [{"tenant": name, "limits": limits.as_json()} for name, limits in policies.items()]
    return _json({"object": "list", "data": data})


@guarded
async def read_tenant(request: web.Request) -> web.StreamResponse:
    name = _tenant_name(request)
    limits = await asyncio.to_thread(request.app[TENANTS].get, name)
    return _json(await _tenant_json(request, name, limits))


@guarded
async def write_tenant(request: web.Request) -> web.StreamResponse:
    name = _tenant_name(request)
    tenants = request.app[TENANTS]
    if request.method == "PUT":
        body = await checked_body(request, contract.TENANT_PUT)
        limits = limits_from(body)
    else:
        body = await checked_body(request, contract.TENANT_PATCH)
        limits = (await asyncio.to_thread(tenants.get, name)).updated(body)
    await asyncio.to_thread(tenants.put, name, limits)
    return _json(await _tenant_json(request, name, limits))


@_key_errors
async def rotate_key(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, contract.KEY_ROTATE) if request.can_read_body else {}
    grace = _seconds(body, "grace_seconds")
    keys = request.app[KEYS]
    key, record = await asyncio.to_thread(
        keys.rotate, request.match_info["key_id"], grace=3600.0 if grace is None else grace
    )
    return _json(_issued_json(keys, key, record), status=201)


@_key_errors
async def revoke_key(request: web.Request) -> web.StreamResponse:
    key_id = request.match_info["key_id"]
    await asyncio.to_thread(request.app[KEYS].revoke, key_id)
    return _json({"key_id": key_id, "state": "revoked"})


async def list_models(request: web.Request) -> web.StreamResponse:
    registry = request.app[ADMIN_REGISTRY]
    config = registry.config
    health = registry.router.stats()
    key_states = registry.provider_key_states()
    groups = {
        name: {
            "deployments": [
                {
                    "name": d.name,
                    "provider": d.provider,
                    "provider_type": d.provider_type,
                    "endpoint": redact_url(d.endpoint),
                    "model": d.model,
                    "weight": d.weight,
                    **health.get(name, {}).get(d.name, {}),
                    "state": deployment_state(health.get(name, {}).get(d.name, {})),
                    **({"provider_keys": key_states[d.name]} if d.name in key_states else {}),
                }
                for d in deployments
            ]
        }
        for name, deployments in config.model_groups().items()
    }
    return _json({"object": "list", "groups": groups})


@guarded
async def rotate_keyring(request: web.Request) -> web.StreamResponse:
    if request.can_read_body:
        await checked_body(request, contract.KEYRING_ROTATE)
    store = request.app[contexts.CONTEXTS]
    key_id = await asyncio.to_thread(store.keyring.rotate)  # the keyring file, off the loop
    # The sweep before the events: an audit store that fails must not leave data under the
    # old key (the rotation is done; only its record would be missing).
    rewritten = await store.reencrypt_all()
    audit = request.app[KEY_STORE].audit
    await audit("keyring.rotated", str(key_id), by="admin")
    await audit("keyring.reencrypted", str(key_id), ciphertexts=rewritten)
    return _json({"primary": key_id, "reencrypted": rewritten})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/keys", list_keys)
    app.router.add_post("/admin/keys", audited(create_key))
    app.router.add_patch("/admin/keys/{key_id}", audited(update_key))
    app.router.add_post("/admin/keys/{key_id}/rotate", audited(rotate_key))
    app.router.add_get("/admin/tenants", list_tenants)
    app.router.add_get("/admin/tenants/{name}", read_tenant)
    app.router.add_put("/admin/tenants/{name}", audited(write_tenant))
    app.router.add_patch("/admin/tenants/{name}", audited(write_tenant))
    app.router.add_delete("/admin/keys/{key_id}", audited(revoke_key))
    app.router.add_get("/admin/models", list_models)
    app.router.add_get("/admin/contexts", contexts.list_contexts)
    app.router.add_get("/admin/contexts/{id}", contexts.read)
    app.router.add_delete("/admin/contexts/{id}", audited(contexts.delete))
    app.router.add_post("/admin/keyring/rotate", audited(rotate_keyring))
    app.router.add_get("/admin/audit", admin_audit.read_events)
