"""Ensemble replies over the proxy: the members' answers stay out of the reply unless the
caller asks for them (``x-mcproute-answers: true``), so stock SDKs see a plain reply; each
member's token usage is recorded under its own model name, and noted for the spend ledger.
Streams carry the answers on their last event (a chunk with no choices for OpenAI,
``message_stop`` for Anthropic), which is dropped or stripped the same way."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from mcproute.models.ensemble import EXTENSION, EnsembleModel
from mcproute.models.routed import RoutedModel
from mcproute.proxy.current_request import note_part
from mcproute.proxy.metrics import METRICS

ANSWERS_HEADER = "x-mcproute-answers"


def wants_answers(request: web.Request) -> bool:
    return request.headers.get(ANSWERS_HEADER, "").strip().lower() in ("true", "1", "yes")


def _record_members(request: web.Request, operation: str, extension: dict[str, Any]) -> None:
    metrics = request.app[METRICS]
    helpers = [extension[role] for role in ("judge", "merger") if role in extension]
    for part in [*extension["answers"], *helpers]:
        metrics.usage(operation, part["model"], part.get("usage"))
        note_part(part["model"], part.get("usage"))


def ensemble_reply(
    request: web.Request, model: RoutedModel, operation: str, result: dict[str, Any]
) -> dict[str, Any]:
    if not isinstance(model, EnsembleModel):
        return result
    extension = result.pop(EXTENSION)
    _record_members(request, operation, extension)
    if wants_answers(request):
        result[EXTENSION] = extension
    return result


def ensemble_events(
    request: web.Request, model: RoutedModel, operation: str, events: AsyncIterator[Any]
) -> AsyncIterator[Any]:
    """`events` of a stream, with an ensemble's answers recorded and kept only if asked for."""
    if not isinstance(model, EnsembleModel):
        return events
    return _answers_handled(request, operation, events)


async def _answers_handled(
    request: web.Request, operation: str, events: AsyncIterator[Any]
) -> AsyncIterator[Any]:
    keep = wants_answers(request)
    async with contextlib.aclosing(events):  # type: ignore[type-var]
        async for event in events:
            extension = event.pop(EXTENSION, None)
            if extension is not None:
                _record_members(request, operation, extension)
                if keep:
                    event[EXTENSION] = extension
                elif event.get("object") == "chat.completion.chunk" and not event.get("choices"):
                    continue  # the trailing chunk carries nothing else
            yield event
