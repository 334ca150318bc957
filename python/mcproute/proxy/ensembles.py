"""Ensemble replies over the proxy: the members' answers stay out of the reply unless the
caller asks for them (``x-mcproute-answers: true``), so stock SDKs see a plain reply; each
member's token usage is recorded under its own model name, and noted for the spend ledger."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mcproute.models.ensemble import EXTENSION, EnsembleModel
from mcproute.models.routed import RoutedModel
from mcproute.proxy.current_request import note_part
from mcproute.proxy.metrics import METRICS

ANSWERS_HEADER = "x-mcproute-answers"


def wants_answers(request: web.Request) -> bool:
    return request.headers.get(ANSWERS_HEADER, "").strip().lower() in ("true", "1", "yes")


def ensemble_reply(
    request: web.Request, model: RoutedModel, operation: str, result: dict[str, Any]
) -> dict[str, Any]:
    if not isinstance(model, EnsembleModel):
        return result
    extension = result.pop(EXTENSION)
    metrics = request.app[METRICS]
    helpers = [extension[role] for role in ("judge", "merger") if role in extension]
    for part in [*extension["answers"], *helpers]:
        metrics.usage(operation, part["model"], part.get("usage"))
        note_part(part["model"], part.get("usage"))
    if wants_answers(request):
        result[EXTENSION] = extension
    return result
