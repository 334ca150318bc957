"""Model endpoints: OpenAI chat completions and embeddings; Anthropic messages (the other
model routes are in `surface`).

The body is parsed once (orjson); the model group comes from its `model` field; the call runs
through the registry's Router; streams are relayed event by event as they arrive.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import orjson
from aiohttp import web

from mcproute.contract import anthropic, openai
from mcproute.errors import UpstreamError
from mcproute.models import ModelRegistry
from mcproute.models.routed import RoutedModel
from mcproute.proxy.auth import RECORD, allows
from mcproute.proxy.contexts import (
    referenced_messages,
    with_context_anthropic,
    with_context_openai,
)
from mcproute.proxy.errors import upstream_error_event
from mcproute.proxy.handling import checked_body, guarded
from mcproute.proxy.metrics import METRICS
from mcproute.proxy.observe import TIMING

REGISTRY = web.AppKey("registry", ModelRegistry)
SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


async def _model(request: web.Request, name: str) -> RoutedModel:
    record = request[RECORD]
    if not allows(record, "models", name):
        raise PermissionError(f"this API key may not use model {name!r}")
    model = await request.app[REGISTRY].get_model(name)
    request[TIMING].model = name  # known to the registry: a bounded label from here on
    return model


async def _call(
    request: web.Request, operation: str, name: str, call: Awaitable[dict[str, Any]]
) -> dict[str, Any]:
    """Await a model call, recording its duration, outcome and token usage."""
    metrics = request.app[METRICS]
    started = time.perf_counter()
    try:
        result = await call
    except UpstreamError as exc:
        metrics.operation_done(operation, name, time.perf_counter() - started, exc.kind.value)
        raise
    metrics.operation_done(operation, name, time.perf_counter() - started)
    metrics.usage(operation, name, result.get("usage"))
    return result


async def _relay(
    request: web.Request,
    name: str,
    events: AsyncIterator[dict[str, Any]],
    anthropic: bool,
) -> web.StreamResponse:
    metrics = request.app[METRICS]
    started = time.perf_counter()
    iterator = aiter(events)
    try:
        first = await anext(iterator)  # failures before the first event get an error reply
    except UpstreamError as exc:
        metrics.operation_done("chat", name, time.perf_counter() - started, exc.kind.value)
        raise
    metrics.first_token("chat", name, time.perf_counter() - started)
    response = web.StreamResponse(headers=SSE_HEADERS)
    request[TIMING].mark_first_byte(response)
    await response.prepare(request)
    event: dict[str, Any] | None = first
    usage: dict[str, Any] = {}  # Anthropic reports input and output in different events
    error_type = None
    try:
        while event is not None:
            found = event.get("usage") or (event.get("message") or {}).get("usage")
            if isinstance(found, dict):
                usage.update(found)
            await response.write(_sse(event, anthropic))
            event = await anext(iterator, None)
        if not anthropic:
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except UpstreamError as exc:
        # Mid-stream: the status line is sent already; report in-band and end the stream.
        error_type = exc.kind.value
        await response.write(_sse(upstream_error_event(exc, anthropic), anthropic))
        await response.write_eof()
    except ConnectionResetError:
        error_type = "client_disconnected"  # stop relaying; closing cancels upstream work
    finally:
        await _close(iterator)
    metrics.operation_done("chat", name, time.perf_counter() - started, error_type)
    metrics.usage("chat", name, usage)
    return response


def _sse(event: dict[str, Any], anthropic: bool) -> bytes:
    data = orjson.dumps(event)
    if anthropic:
        return (
            b"event: " + str(event.get("type", "message")).encode() + b"\ndata: " + data + b"\n\n"
        )
    return b"data: " + data + b"\n\n"


async def _close(iterator: AsyncIterator[Any]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


@guarded
async def chat_completions(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, openai.CHAT)
    model = await _model(request, body["model"])
    with_context_openai(body, await referenced_messages(request, body))
    if body.get("stream"):
        return await _relay(request, body["model"], model.chat_stream(body), anthropic=False)
    result = await _call(request, "chat", body["model"], model.chat(body))
    return web.json_response(result, dumps=lambda v: orjson.dumps(v).decode())


@guarded
async def messages(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, anthropic.MESSAGES)
    model = await _model(request, body["model"])
    with_context_anthropic(body, await referenced_messages(request, body))
    if body.get("stream"):
        return await _relay(request, body["model"], model.messages_stream(body), anthropic=True)
    result = await _call(request, "chat", body["model"], model.messages(body))
    return web.json_response(result, dumps=lambda v: orjson.dumps(v).decode())


@guarded
async def embeddings(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, openai.EMBEDDINGS)
    model = await _model(request, body["model"])
    result = await _call(request, "embeddings", body["model"], model.embeddings(body))
    return web.json_response({**result, "model": body["model"]})
