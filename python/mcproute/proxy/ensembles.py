"""Ensemble replies over the proxy: the members' answers stay out of the reply unless the
caller asks for them (``x-mcproute-answers: true``), so stock SDKs see a plain reply (each
call's accounting is `ensemble_accounting`'s). Streams carry the answers on their last event
(a chunk with no choices for OpenAI, ``message_stop`` for Anthropic), which is dropped or
stripped the same way."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from mcproute.models.ensemble import EXTENSION, EnsembleModel
from mcproute.models.routed import RoutedModel

ANSWERS_HEADER = "x-mcproute-answers"


def wants_answers(request: web.Request) -> bool:
    return request.headers.get(ANSWERS_HEADER, "").strip().lower() in ("true", "1", "yes")


def ensemble_reply(
    request: web.Request, model: RoutedModel, result: dict[str, Any]
) -> dict[str, Any]:
    if not isinstance(model, EnsembleModel):
        return result
    extension = result.pop(EXTENSION)
    if wants_answers(request):
        result[EXTENSION] = extension
    return result


def ensemble_events(
    request: web.Request, model: RoutedModel, events: AsyncIterator[Any]
) -> AsyncIterator[Any]:
    """`events` of a stream, with an ensemble's answers recorded and kept only if asked for."""
    if not isinstance(model, EnsembleModel):
        return events
    return _answers_handled(request, events)


async def _answers_handled(request: web.Request, events: AsyncIterator[Any]) -> AsyncIterator[Any]:
    keep = wants_answers(request)
    async with contextlib.aclosing(events):  # type: ignore[type-var]
        async for event in events:
            extension = event.pop(EXTENSION, None)
            if extension is not None:
                if keep:
                    event[EXTENSION] = extension
                elif event.get("object") == "chat.completion.chunk" and not event.get("choices"):
                    continue  # the trailing chunk carries nothing else
            yield event
