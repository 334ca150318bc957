"""The proxy's side of the spend ledger: the one place a call's rows are made, and
`GET /admin/spend`.

The middleware runs inside the history middleware, around every model route (chat
completions, messages, responses, embeddings, completions; JSON and streams alike, since a
relayed stream's handler returns only once the stream has ended). When the handler is done it
reads what the request noted on the way (`current_request`: the reply's usage, the deployment
that answered, an ensemble's parts), prices it with the configuration's current `PriceTable`
and hands the rows to this worker's `SpendLedger`. A request that never reached a model (bad
key, bad body) makes no row; a model call that failed makes one with its status and no tokens.

GET /admin/spend?group_by=key|tenant|model|day&from=&to=   billed calls summed (admin scope)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

from mcproute.config import Config
from mcproute.governance.ledger import SpendLedger, new_row_id
from mcproute.governance.prices import PriceTable
from mcproute.governance.report import ReportError, parse_query, spend_report
from mcproute.governance.usage import Usage, usage_of
from mcproute.proxy.auth import RECORD, tenant_of
from mcproute.proxy.current_request import CURRENT, CurrentRequest
from mcproute.proxy.errors import error_response
from mcproute.proxy.history import status_of
from mcproute.proxy.metrics import Metrics
from mcproute.proxy.observe import TIMING
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.spend import SpendRow

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LEDGER = web.AppKey("spend_ledger", SpendLedger)


class Prices:
    """The price table of the registry's current configuration (rebuilt after a reload)."""

    def __init__(self, config: Callable[[], Config]) -> None:
        self._config = config
        self._built: tuple[Config, PriceTable] | None = None

    def table(self) -> PriceTable:
        config = self._config()
        if self._built is None or self._built[0] is not config:
            self._built = (config, PriceTable(config))
        return self._built[1]


def _cost(prices: PriceTable, model: str, deployment: str | None, usage: Usage) -> int | None:
    """Nanodollars; 0 for a call without tokens, None when tokens were used at an unknown
    price."""
    if usage == Usage():
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
    prices: PriceTable,
    now: float,
) -> list[SpendRow]:
    """The ledger rows of one finished request: one ``call``, or an ``ensemble`` row with one
    ``member`` row per model it called."""
    usage = usage_of(current.usage)

    def row(
        model: str, deployment: str | None, usage: Usage, cost: int | None, **kw: Any
    ) -> SpendRow:
        return SpendRow(
            id=kw.pop("id", None) or new_row_id(),
            at=now,
            request_id=request_id,
            key_id=key_id,
            tenant=tenant,
            model=model,
            deployment=deployment,
            input_tokens=usage.input,
            output_tokens=usage.output,
            cached_input_tokens=usage.cached,
            cost_nusd=cost,
            status=status,
            **kw,
        )

    if not current.parts:
        deployment = current.deployment
        return [row(model, deployment, usage, _cost(prices, model, deployment, usage))]
    parent = new_row_id()
    members = []
    for part_model, deployment, part_usage, _role in current.parts:
        counted = usage_of(part_usage)
        cost = _cost(prices, part_model, deployment, counted)
        members.append(row(part_model, deployment, counted, cost, role="member", parent=parent))
    costs = [m.cost_nusd for m in members]
    total = None if None in costs else sum(c for c in costs if c is not None)
    return [row(model, None, usage, total, role="ensemble", id=parent), *members]


def middleware(ledger: SpendLedger, prices: Prices, metrics: Metrics) -> Middleware:
    @web.middleware
    async def spend(request: web.Request, handler: Handler) -> web.StreamResponse:
        response: web.StreamResponse | None = None
        try:
            response = await handler(request)
            return response
        finally:
            current = CURRENT.get()
            timing = request[TIMING]
            if current is not None and timing.model is not None:
                record = request.get(RECORD)
                rows = request_rows(
                    current,
                    model=timing.model,
                    request_id=timing.request_id,
                    key_id=None if record is None else record.key_id,
                    tenant=None if record is None else tenant_of(record),
                    status=status_of(response, sys.exc_info()[1]),
                    prices=prices.table(),
                    now=time.time(),
                )
                ledger.record_all(rows)
                for r in rows:
                    if r.role != "ensemble" and r.cost_nusd:
                        metrics.spent(r.model, r.tenant or "", r.cost_nusd)

    return spend


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
