"""The proxy's side of the spend ledger: the one place a call's rows are made, and
`GET /admin/spend`.

`Recorder.request_done` runs from the per-request middleware (`per_request`) for every model
route (chat completions, messages, responses, embeddings, completions; JSON and streams alike,
since a relayed stream's handler returns only once the stream has ended). When the request is
done it reads what the request noted on the way (`current_request`: the reply's usage, the
deployment that answered, an ensemble's parts), prices it with the configuration's current
`PriceTable` and hands the rows to this worker's `SpendLedger`. A request that never reached a
model (bad key, bad body) makes no row; a model call that failed makes one with its status and
no tokens.

GET /admin/spend?group_by=key|tenant|model|day&from=&to=   billed calls summed (admin scope)

`SpendView` answers the dashboard's spend panel: today, this week and this month by key, tenant
and model (UTC calendar periods), with each key's budget used and left when its record has one
(`ApiKeyRecord.limits`: `budget_usd` per `budget_period`), read from the ledger at most every
`SpendView.TTL_S` seconds per worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson
from aiohttp import web

from mcproute.config import Config
from mcproute.governance.ledger import SpendLedger, new_row_id
from mcproute.governance.prices import Price, PriceTable
from mcproute.governance.report import (
    ReportError,
    dashboard_spend,
    parse_query,
    period_starts,
    spend_report,
)
from mcproute.governance.usage import Usage, usage_of
from mcproute.proxy.auth import RECORD, tenant_of
from mcproute.proxy.current_request import CurrentRequest
from mcproute.proxy.errors import error_response
from mcproute.proxy.history import status_of
from mcproute.proxy.metrics import Metrics
from mcproute.proxy.observe import RequestTiming
from mcproute.security import ApiKeyRecord
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.spend import SpendRow, SpendStore

# The routes whose calls cost something (count_tokens, also routed to a model, does not).
BILLED_PATHS = frozenset(
    {"/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/embeddings", "/v1/completions"}
)
LEDGER = web.AppKey("spend_ledger", SpendLedger)
log = logging.getLogger("mcproute.governance")


class PriceSource(Protocol):
    def price(self, model: str, deployment: str | None = None) -> Price | None: ...


class Prices:
    """The price table of the registry's current configuration (rebuilt after a reload), and
    each (model, deployment)'s price found in it, kept: both come from the configuration, so
    they are few, and a lookup (aliases, groups, the shipped defaults by name) is not free."""

    def __init__(self, config: Callable[[], Config]) -> None:
        self._config = config
        self._built: tuple[Config, PriceTable] | None = None
        self._found: dict[tuple[str, str | None], Price | None] = {}

    def table(self) -> PriceTable:
        config = self._config()
        if self._built is None or self._built[0] is not config:
            self._built = (config, PriceTable(config))
            self._found = {}
        return self._built[1]

    def price(self, model: str, deployment: str | None = None) -> Price | None:
        table = self.table()
        key = (model, deployment)
        try:
            return self._found[key]
        except KeyError:
            found = self._found[key] = table.price(model, deployment)
            return found


def _cost(prices: PriceSource, model: str, deployment: str | None, usage: Usage) -> int | None:
    """Nanodollars; 0 for a call without tokens, None when tokens were used at an unknown
    price."""
    if not (usage.input or usage.output or usage.cached):
        return 0
    price = prices.price(model, deployment)
    if price is None:
        return None
    return price.cost_nusd(usage.input, usage.output, usage.cached)


def request_rows(
    current: CurrentRequest,
    *,
    model: str,
    request_id: str,
    key_id: str | None,
    tenant: str | None,
    status: int,
    prices: PriceSource,
    now: float,
) -> list[SpendRow]:
    """The ledger rows of one finished request: one ``call``, or an ``ensemble`` row with one
    ``member`` row per model it called."""
    known = current.counted
    if not current.parts:  # the common case: one call, one row
        deployment = current.deployment
        if (
            known is not None and known[0] is current.usage and known[1:3] == (model, deployment)
        ):  # as the reservation's settlement counted and priced it
            usage = known[3]
            cost = known[4] if usage.input or usage.output or usage.cached else 0
        else:
            usage = usage_of(current.usage)
            cost = _cost(prices, model, deployment, usage)
        row = SpendRow(
            new_row_id(), now, request_id, key_id, tenant, model, deployment,
            usage.input, usage.output, usage.cached, cost, status,
        )  # fmt: skip
        return [row]
    usage = usage_of(current.usage)
    parent = new_row_id()
    members = []
    for part_model, deployment, part_usage in current.parts:
        counted = usage_of(part_usage)
        member = SpendRow(
            new_row_id(), now, request_id, key_id, tenant, part_model, deployment,
            counted.input, counted.output, counted.cached,
            _cost(prices, part_model, deployment, counted), status, "member", parent,
        )  # fmt: skip
        members.append(member)
    costs = [m.cost_nusd for m in members]
    total = None if None in costs else sum(c for c in costs if c is not None)
    ensemble = SpendRow(
        parent, now, request_id, key_id, tenant, model, None,
        usage.input, usage.output, usage.cached, total, status, "ensemble",
    )  # fmt: skip
    return [ensemble, *members]


class Recorder:
    """Makes a finished model call's rows and hands them to the ledger; called by the
    per-request middleware (`per_request`) once the response is sent, before the history row
    (which shows the cost), for every model route (JSON and streams alike, since a relayed
    stream's handler returns only once the stream has ended)."""

    def __init__(self, ledger: SpendLedger, prices: Prices, metrics: Metrics) -> None:
        self._ledger = ledger
        self._prices = prices
        self._metrics = metrics

    def request_done(
        self,
        request: web.Request,
        current: CurrentRequest,
        timing: RequestTiming,
        response: web.StreamResponse | None,
        raised: BaseException | None,
    ) -> None:
        model = timing.model
        if model is None or request.path not in BILLED_PATHS:
            return  # never reached a model (bad key, bad body), or nothing billed
        # 499 (nginx's "client closed request"): the caller left before the end
        cancelled = isinstance(raised, asyncio.CancelledError)
        status = 499 if cancelled else status_of(response, raised)
        try:
            self._record(request, current, timing, model, status)
        except Exception:  # accounting must never fail the call it accounts for
            log.exception("spend ledger: the call's rows could not be made")

    def _record(
        self,
        request: web.Request,
        current: CurrentRequest,
        timing: RequestTiming,
        model: str,
        status: int,
    ) -> None:
        record = request.get(RECORD)
        rows = request_rows(
            current,
            model=model,
            request_id=timing.request_id,
            key_id=None if record is None else record.key_id,
            tenant=None if record is None else tenant_of(record),
            status=status,
            prices=self._prices,
            now=time.time(),
        )
        self._ledger.record_all(rows)
        total: int | None = 0
        for row in rows:
            if row.role == "ensemble":
                continue
            cost = row.cost_nusd
            if cost:
                self._metrics.spent(row.model, row.tenant or "", cost)
            elif cost is None:
                total = None
            if total is not None and cost:
                total += cost
        current.cost_nusd = total


async def admin_spend(request: web.Request) -> web.StreamResponse:
    try:
        group_by, start, end = parse_query(request.query)
    except ReportError as exc:
        return error_response(request, 400, str(exc), "invalid_query", exc.param)
    try:
        body = await request.app[LEDGER].run(spend_report, group_by, start, end)
    except StoreUnavailableError as exc:
        return error_response(request, 503, str(exc), "store_unavailable")
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def key_budget(record: ApiKeyRecord | None) -> tuple[float, str, float | None] | None:
    """(USD, period, USD used or None) of a key that has a budget, else None."""
    if record is None or record.limits.budget_usd is None:
        return None
    return record.limits.budget_usd, record.limits.budget_period, None


def _spend_tables(store: SpendStore, now: float) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    starts = period_starts(now)
    rows = store.by_key_tenant_model_day(min(starts["week"], starts["month"]))
    totals = {g["key"]: g["cost_nusd"] for g in store.report("key")}
    return rows, totals


class SpendView:
    TTL_S = 2.0

    def __init__(
        self, ledger: SpendLedger, load: Callable[[str], Awaitable[ApiKeyRecord | None]]
    ) -> None:
        self._ledger = ledger
        self._load = load
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def read(self) -> dict[str, Any]:
        async with self._lock:  # one read at a time; the others take its answer
            now = time.time()
            if self._cached is not None and now - self._cached[0] < self.TTL_S:
                return self._cached[1]
            try:
                rows, totals = await self._ledger.run(_spend_tables, now)
                budgets = {}
                for key_id in {row[0] for row in rows} | set(totals):
                    if key_id is not None and (found := key_budget(await self._load(key_id))):
                        budgets[key_id] = found
            except Exception as exc:  # the panel says so; the rest of the page is unaffected
                log.warning("dashboard: the spend ledger did not answer (%s)", type(exc).__name__)
                return {"available": False, "by_key": [], "by_tenant": [], "by_model": []}
            view = {"available": True, **dashboard_spend(rows, totals, budgets, now)}
            self._cached = (now, view)
            return view


SPEND_VIEW = web.AppKey("spend_view", SpendView)
