"""`/admin/...`: keys, models and contexts, for admin keys only (the auth middleware checks).

GET    /admin/keys                   every key, never a secret; its age, state and rotate-by time
POST   /admin/keys                   {"scopes": [...], "env", "ttl_seconds", "name"} -> 201
POST   /admin/keys/{key_id}/rotate   {"grace_seconds": n}: a new key; the old one works n s more
DELETE /admin/keys/{key_id}          revoke now
GET    /admin/models                 model groups, their deployments and health
GET    /admin/contexts               every tenant's contexts (?tenant=, ?limit=, ?after=)
GET    /admin/contexts/{id}, DELETE /admin/contexts/{id}
POST   /admin/keyring/rotate         a new primary key; every context re-encrypted under it
"""

from __future__ import annotations

import base64
import time
from typing import Any

import orjson
from aiohttp import web

from mcproute.config import DAY_S
from mcproute.contract import admin as contract
from mcproute.models import ModelRegistry
from mcproute.proxy import contexts
from mcproute.proxy.handling import BadRequest, checked_body, guarded
from mcproute.proxy.metrics import deployment_state
from mcproute.redact import redact_url
from mcproute.security import ApiKeyError, ApiKeyManager, ApiKeyRecord
from mcproute.security.apikeys import key_state, rotate_by
from mcproute.store import SqliteApiKeyStore

KEYS = web.AppKey("keys", ApiKeyManager)
KEY_STORE = web.AppKey("key_store", SqliteApiKeyStore)
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


async def list_keys(request: web.Request) -> web.StreamResponse:
    now = time.time()
    records = request.app[KEY_STORE].all()
    max_age = request.app[KEYS].max_age
    return _json({"object": "list", "data": [_key_json(r, now, max_age) for r in records]})


@_key_errors
async def create_key(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, contract.KEY_CREATE)
    scopes = body.get("scopes", ["models"])
    env = body.get("env", "live")
    signed = body.get("require_signature", False)
    keys = request.app[KEYS]
    key, record = keys.issue(
        env,
        scopes,
        ttl=_seconds(body, "ttl_seconds"),
        require_signature=signed,
        name=body.get("name"),
    )
    return _json(_issued_json(keys, key, record), status=201)


@_key_errors
async def rotate_key(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, contract.KEY_ROTATE) if request.can_read_body else {}
    grace = _seconds(body, "grace_seconds")
    keys = request.app[KEYS]
    key, record = keys.rotate(
        request.match_info["key_id"], grace=3600.0 if grace is None else grace
    )
    return _json(_issued_json(keys, key, record), status=201)


@_key_errors
async def revoke_key(request: web.Request) -> web.StreamResponse:
    key_id = request.match_info["key_id"]
    request.app[KEYS].revoke(key_id)
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
    key_id = store.keyring.rotate()
    rewritten = await store.reencrypt_all()
    return _json({"primary": key_id, "reencrypted": rewritten})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/keys", list_keys)
    app.router.add_post("/admin/keys", create_key)
    app.router.add_post("/admin/keys/{key_id}/rotate", rotate_key)
    app.router.add_delete("/admin/keys/{key_id}", revoke_key)
    app.router.add_get("/admin/models", list_models)
    app.router.add_get("/admin/contexts", contexts.list_contexts)
    app.router.add_get("/admin/contexts/{id}", contexts.read)
    app.router.add_delete("/admin/contexts/{id}", contexts.delete)
    app.router.add_post("/admin/keyring/rotate", rotate_keyring)
