"""An ensemble request's accounting, call by call: each member, judge, merger or embeddings
call the ensemble tells of (`models.ensemble_parts`) is recorded in the metrics under its own
model, noted for the spend ledger with the deployment that answered, and recorded on the
request's reservation at its price there (a call whose price is unknown at its own bound).
A member cancelled, failed or past the deadline reported no usage: it is recorded as nothing,
so its share of the reservation is given back when the request settles."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from aiohttp import web

from mcproute.governance.usage import usage_of
from mcproute.models.ensemble import EnsembleModel
from mcproute.models.ensemble_parts import PART_SINK, Part
from mcproute.models.routed import RoutedModel
from mcproute.proxy.current_request import note_part
from mcproute.proxy.governance import GOVERNOR, PART_BOUNDS
from mcproute.proxy.handling import RESERVATION
from mcproute.proxy.metrics import METRICS


def _recorder(request: web.Request, operation: str) -> Callable[[Part], None]:
    metrics = request.app[METRICS]

    def record(part: Part) -> None:
        usage = dict(part.usage)
        metrics.usage(operation, part.model, usage)
        note_part(part.model, usage, part.deployment)
        reservation = request.get(RESERVATION)
        if reservation is None or not usage:
            return
        used = usage_of(usage)
        price = request.app[GOVERNOR].price_nusd
        cost = price(part.model, part.deployment, used.input, used.output, used.cached)
        if cost is None:
            bound = request.get(PART_BOUNDS, {}).get(part.model)
            cost = (bound.cost_nusd if bound is not None else None) or 0
        reservation.record(used.input, used.output, cost)

    return record


_NOTHING_TO_ACCOUNT = contextlib.nullcontext()


def accounted(
    request: web.Request, model: RoutedModel, operation: str
) -> contextlib.AbstractContextManager[None]:
    """While the route runs (its stream included): an ensemble's calls are accounted for.
    Any other model's call is accounted for by the route itself: nothing to do here."""
    if not isinstance(model, EnsembleModel):
        return _NOTHING_TO_ACCOUNT
    return _accounting(request, operation)


@contextlib.contextmanager
def _accounting(request: web.Request, operation: str) -> Iterator[None]:
    token = PART_SINK.set(_recorder(request, operation))
    try:
        yield
    finally:
        PART_SINK.reset(token)
