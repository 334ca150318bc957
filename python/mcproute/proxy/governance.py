"""Key and tenant limits on the model routes: a route `admit`s its request once the body is
final (shared contexts merged in), and `settle` (the routes' `_call` and `_relay`) ends
the reservation, or `handling.guarded` releases it, whatever else happened.

`GET /v1/usage`: the calling key's own limits and usage, and its tenant's; never another key's.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping, MutableMapping
from typing import Any

import orjson
from aiohttp import web

from mcproute.governance.counters import Charge
from mcproute.governance.ensemble_bound import ensemble_bound
from mcproute.governance.limits import NO_LIMITS
from mcproute.governance.reservation import (
    UNBOUNDED,
    Bound,
    Charges,
    Governor,
    Reservation,
    usage_json,
)
from mcproute.governance.usage import usage_of
from mcproute.models import served
from mcproute.models.ensemble import EnsembleModel
from mcproute.models.routed import RoutedModel
from mcproute.proxy.auth import RECORD, tenant_of
from mcproute.proxy.current_request import CURRENT
from mcproute.proxy.handling import RESERVATION
from mcproute.security import ApiKeyRecord

GOVERNOR = web.AppKey("governor", Governor)
# An ensemble's reservation is settled call by call (`ensemble_accounting`), each at its own
# bound when its price is unknown; `settle` then only finishes it.
PART_BOUNDS = web.RequestKey("part_bounds", dict[str, Bound])


async def admit(
    request: web.Request,
    body: MutableMapping[str, Any],
    output: bool = True,
    model: RoutedModel | None = None,
) -> None:
    """Reserve the request's worst case against its key's and tenant's limits, or raise
    `LimitExceeded`. A key and tenant without limits cost nothing here. An ensemble
    (`model`) reserves the worst case of every call it may make, before any is made."""
    waiting = admit_now(request, body, output, model)
    if waiting is not None:
        await waiting


def admit_now(
    request: web.Request,
    body: MutableMapping[str, Any],
    output: bool = True,
    model: RoutedModel | None = None,
) -> Awaitable[None] | None:
    """`admit` without a coroutine where nothing needs waiting for (no limits, or a request
    admitted from this process's lease: the common case); else what to await to finish it."""
    governor = request.app.get(GOVERNOR)
    if governor is None:
        return None
    record = request[RECORD]
    tenant = tenant_of(record)
    charges = governor.charges_now(record.key_id, record.limits, tenant)  # (the common case)
    if charges is None:
        return _admit(request, body, output, model, governor, record, tenant)
    return _admit_charged(request, body, output, model, governor, charges)


async def _admit(
    request: web.Request,
    body: MutableMapping[str, Any],
    output: bool,
    model: RoutedModel | None,
    governor: Governor,
    record: ApiKeyRecord,
    tenant: str,
) -> None:
    """Admission once the tenant's limits are read."""
    charges = await governor.charges(record.key_id, record.limits, tenant)
    waiting = _admit_charged(request, body, output, model, governor, charges)
    if waiting is not None:
        await waiting


def _admit_charged(
    request: web.Request,
    body: MutableMapping[str, Any],
    output: bool,
    model: RoutedModel | None,
    governor: Governor,
    charges: Charges,
) -> Awaitable[None] | None:
    if not charges:
        return None
    ensemble = isinstance(model, EnsembleModel)
    parts: dict[str, Bound] = {}
    if not charges.bounded:  # only requests are counted
        bound = UNBOUNDED
    elif isinstance(model, EnsembleModel):  # every call it may make, worst case
        members, helpers = model.member_groups(), model.helper_groups()
        raw = orjson.dumps(body)
        found = ensemble_bound(governor, members, helpers, model.config.rubric, raw, body, output)
        bound, parts = found.total, dict(found.parts)
    else:  # tokens or money are limited: reserve the worst case
        bound = governor.bound(body["model"], orjson.dumps(body), body, output)
    reservation = governor.from_lease(charges, bound)
    if reservation is None:  # the store is asked
        return _reserved(request, governor, charges, bound, parts if ensemble else None)
    _held(request, reservation, parts if ensemble else None)
    return None


async def _reserved(
    request: web.Request,
    governor: Governor,
    charges: Charges,
    bound: Bound,
    parts: dict[str, Bound] | None,
) -> None:
    _held(request, await governor.reserve(charges, bound), parts)


def _held(request: web.Request, reservation: Reservation, parts: dict[str, Bound] | None) -> None:
    """`parts`: an ensemble's bounds per call, whose reservation is settled call by call."""
    if parts is not None:
        request[PART_BOUNDS] = parts
        reservation.by_part = True
    request[RESERVATION] = reservation


def settle(request: web.Request, model: str, usage: Mapping[str, Any] | None) -> None:
    """End the request's reservation at the usage its response reported (never waits: the
    settlement is counted in the lease, or sent off the request's path)."""
    reservation = request.get(RESERVATION)
    if reservation is None:
        return
    if usage and not reservation.by_part:
        used = usage_of(usage)
        deployment = served.deployment()
        governor = request.app[GOVERNOR]
        cost = governor.price_nusd(model, deployment, used.input, used.output, used.cached)
        reservation.record(used.input, used.output, cost)
        current = CURRENT.get()
        if current is not None:  # the spend ledger's row reuses the count and its price
            current.counted = (usage, model, deployment, used, cost)
    reservation.finish_now()


def limit_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The `x-ratelimit-*` headers of an admitted request, before the response is sent."""
    reservation = request.get(RESERVATION)
    if reservation is not None and not response.prepared:
        response.headers.update(reservation.headers)


async def usage(request: web.Request) -> web.StreamResponse:
    """The calling key's limits and usage, and its tenant's (null: no such limits)."""
    record = request[RECORD]
    tenant = tenant_of(record)
    out: dict[str, Any] = {"object": "usage", "key_id": record.key_id, "tenant": tenant}
    governor = request.app.get(GOVERNOR)
    tenant_limits = NO_LIMITS if governor is None else await governor.tenant_policy(tenant)
    charges = {
        "key": Charge("key:" + record.key_id, record.limits),
        "tenant_policy": Charge("tenant:" + tenant, tenant_limits),
    }
    limited = {name: c for name, c in charges.items() if not c.limits.empty}
    read = await governor.read(list(limited.values())) if governor and limited else ()
    for name in charges:
        out[name] = None
    for (name, charge), used in zip(limited.items(), read, strict=True):
        out[name] = usage_json(charge, used)
    out["at"] = int(time.time())
    return web.json_response(out)
