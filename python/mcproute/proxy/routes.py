"""Model endpoints: OpenAI chat completions and embeddings; Anthropic messages (the other
model routes are in `surface`).

The body is parsed once (orjson); the model group comes from its `model` field; the call runs
through the registry's Router; streams are relayed event by event as they arrive (an OpenAI chat
stream to an OpenAI chat caller as the upstream's bytes: `models/sse_passthrough.py`). A stream that
has started and is cut for a reason of ours (idle or total timeout, the upstream cutting it, the
drain deadline on shutdown) ends with an error event in the caller's format, never silently;
every started stream's ending is counted by reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from mcproute import tracing
from mcproute.contract import anthropic, openai
from mcproute.errors import UpstreamError
from mcproute.models import ModelRegistry, served
from mcproute.models.ensemble import EnsembleModel
from mcproute.models.routed import RoutedModel
from mcproute.models.sse_passthrough import PassedEvent
from mcproute.proxy import governance
from mcproute.proxy.auth import RECORD, allows
from mcproute.proxy.contexts import HEADER as CONTEXT_HEADER
from mcproute.proxy.contexts import (
    referenced_messages,
    with_context_anthropic,
    with_context_openai,
)
from mcproute.proxy.current_request import after_reply, note_usage
from mcproute.proxy.ensemble_accounting import accounted
from mcproute.proxy.ensembles import ensemble_events, ensemble_reply
from mcproute.proxy.errors import upstream_error_event, upstream_error_text
from mcproute.proxy.handling import checked_body, checked_now, guarded, json_reply, relayed_reply
from mcproute.proxy.metrics import METRICS
from mcproute.proxy.observe import TIMING
from mcproute.routing import StreamCut


class LiveStreams:
    """The streams being relayed. On shutdown, those still running at the drain deadline are
    ended with an error event (a margin before the server cuts their connections)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self.draining = False

    def add(self, task: asyncio.Task[object]) -> None:
        self._tasks.add(task)

    def discard(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)

    async def end_at_deadline(self, drain: float) -> None:
        await asyncio.sleep(max(0.0, drain - min(1.0, drain / 10)))
        self.draining = True
        for task in list(self._tasks):
            task.cancel()


REGISTRY = web.AppKey("registry", ModelRegistry)
STREAMS = web.AppKey("streams", LiveStreams)
SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


def _model_or_wait(request: web.Request, name: str) -> RoutedModel | Awaitable[RoutedModel]:
    """The routed model `name` names, once the key may use it: at once for a name asked for
    before (the common case: no coroutine), else what to await for it."""
    record = request[RECORD]
    if not allows(record, "models", name):
        raise PermissionError(f"this API key may not use model {name!r}")
    registry = request.app[REGISTRY]
    model = registry.model_now(name)
    if model is None:
        return _new_model(request, registry, name)
    _known(request, name)
    return model


async def _new_model(request: web.Request, registry: ModelRegistry, name: str) -> RoutedModel:
    model = await registry.get_model(name)
    _known(request, name)
    return model


def _known(request: web.Request, name: str) -> None:
    request[TIMING].model = name  # known to the registry: a bounded label from here on
    served.begin()  # attempts note their provider there, for the metrics' labels


def _names_context(request: web.Request, body: dict[str, Any]) -> bool:
    """Whether the request names a shared context (else there is none to read: no coroutine
    for `referenced_messages`, which drops a body's `context_id` and reads the named one)."""
    return "context_id" in body or CONTEXT_HEADER in request.headers


async def _model(request: web.Request, name: str) -> RoutedModel:
    """`_model_or_wait`, awaited."""
    model = _model_or_wait(request, name)
    return model if isinstance(model, RoutedModel) else await model


async def _call(
    request: web.Request, operation: str, name: str, call: Awaitable[dict[str, Any]]
) -> dict[str, Any]:
    """Await a model call, recording its duration, outcome and token usage (once the reply
    is written: the caller waits for none of it)."""
    metrics = request.app[METRICS]
    started = time.perf_counter()
    try:
        result = await call
    except UpstreamError as exc:
        metrics.operation_done(operation, name, time.perf_counter() - started, exc.kind.value)
        raise
    after_reply(_called, request, operation, name, time.perf_counter() - started, result)
    return result


def _called(
    request: web.Request, operation: str, name: str, elapsed: float, result: dict[str, Any]
) -> None:
    usage = result.get("usage")
    request.app[METRICS].operation_done(operation, name, elapsed, usage=usage)
    note_usage(usage)
    governance.settle(request, name, usage)


# The events that end a stream in a route's own format: (why, the message, the upstream's error).
Failure = Callable[[str, str, UpstreamError | None], list[dict[str, Any]]]


async def _relay(
    request: web.Request,
    name: str,
    events: AsyncIterator[Any],
    anthropic: bool,
    failure: Failure | None = None,
    hide_usage: bool = False,
) -> web.StreamResponse:
    """Relay `events` as SSE (`event:` lines when `anthropic`); a stream cut or broken ends
    with the format's error event, or with `failure`'s events when the route has its own.
    With `hide_usage`, OpenAI's usage-only chunk (which `ask_usage` requested for the ledger
    and the reservation's settlement) is read but not relayed."""
    usage: dict[str, Any] = {}  # Anthropic reports input and output in different events
    try:
        return await _relay_events(request, name, events, anthropic, failure, hide_usage, usage)
    finally:
        governance.settle(request, name, usage)  # what was seen, if the client left


async def _relay_events(
    request: web.Request,
    name: str,
    events: AsyncIterator[Any],
    anthropic: bool,
    failure: Failure | None,
    hide_usage: bool,
    usage: dict[str, Any],
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
    governance.limit_headers(request, response)
    request[TIMING].mark_first_byte(response)
    await response.prepare(request)
    event: Any = first
    error_type = None
    streams = request.app.get(STREAMS)
    task = asyncio.current_task()
    if streams is not None and task is not None:
        streams.add(task)
    ending = "completed"
    try:
        while event is not None:
            found, usage_only, data = _inspected(event, anthropic)
            if found is not None:
                usage.update(found)
                if hide_usage and usage_only:
                    event = await anext(iterator, None)
                    continue
            await response.write(data)
            event = await anext(iterator, None)
        if not anthropic:
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except UpstreamError as exc:
        # Mid-stream: the status line is sent already; report in-band and end the stream.
        error_type = exc.kind.value
        ending = exc.reason if isinstance(exc, StreamCut) else "upstream_error"
        if failure is not None:
            await _final_events(response, anthropic, failure(ending, upstream_error_text(exc), exc))
        elif ending == "upstream_error":  # the upstream's own error, sanitized
            await _final_events(response, anthropic, [upstream_error_event(exc, anthropic)])
        else:  # a cut: say why
            await _end_with_error(response, anthropic, ending, upstream_error_text(exc))
    except ConnectionResetError:
        error_type = ending = "client_disconnected"  # stop relaying; closing cancels upstream
    except asyncio.CancelledError:
        if streams is None or not streams.draining or task is None:
            metrics.stream_ended(name, "client_disconnected")
            note_usage(usage)  # what the stream reported before the caller left
            raise
        task.uncancel()  # our own drain deadline: end the stream properly, then return
        error_type = ending = "shutdown"
        message = "the server is shutting down"
        if failure is not None:
            await _final_events(response, anthropic, failure(ending, message, None))
        else:
            await _end_with_error(response, anthropic, ending, message)
    finally:
        if streams is not None and task is not None:
            streams.discard(task)
        await _close(iterator)
    metrics.stream_ended(name, ending)
    metrics.operation_done("chat", name, time.perf_counter() - started, error_type, usage)
    note_usage(usage)
    return response


def _inspected(
    event: dict[str, Any] | PassedEvent, anthropic: bool
) -> tuple[dict[str, Any] | None, bool, bytes]:
    """The usage an event carries, whether it is OpenAI's usage-only chunk, and its bytes."""
    if type(event) is PassedEvent:
        return event.usage, event.usage_only, event.sse
    assert isinstance(event, dict)
    outer = event.get("message") or event.get("response")  # Anthropic's, Responses'
    found = event.get("usage") or (outer.get("usage") if isinstance(outer, dict) else None)
    if not isinstance(found, dict):
        found = None
    return found, event.get("choices") == [], _sse(event, anthropic)


def ask_usage(body: dict[str, Any]) -> bool:
    """Have an OpenAI-format stream report its usage (its cost is recorded from it); whether
    the caller asked for it too (else its usage-only chunk is not relayed)."""
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        return True
    body["stream_options"] = {**(options or {}), "include_usage": True}
    return False


async def _end_with_error(
    response: web.StreamResponse, anthropic: bool, reason: str, message: str
) -> None:
    """The final event of a cut stream, in the caller's format; the client may be gone."""
    if anthropic:
        kind = "timeout_error" if reason.endswith("timeout") else "api_error"
        event: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
    else:
        error = {"message": message, "type": "server_error", "param": None, "code": reason}
        event = {"type": "error", "error": error}
    await _final_events(response, anthropic, [event])


async def _final_events(
    response: web.StreamResponse, anthropic: bool, events: list[dict[str, Any]]
) -> None:
    try:
        for event in events:
            await response.write(_sse(event, anthropic))
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client may be gone


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
    body = checked_now(request, openai.CHAT) or await checked_body(request, openai.CHAT)
    found = _model_or_wait(request, body["model"])
    model = found if isinstance(found, RoutedModel) else await found
    context = await referenced_messages(request, body) if _names_context(request, body) else []
    with_context_openai(body, context)
    admitting = governance.admit_now(request, body, model=model)
    if admitting is not None:
        await admitting
    with accounted(request, model, "chat"):
        if body.get("stream"):
            hide = not ask_usage(body)
            events: AsyncIterator[Any]
            if context or isinstance(model, EnsembleModel) or tracing.ACTIVE:  # spans read chunks
                events = ensemble_events(request, model, model.chat_stream(body))
            else:  # the caller's format is the stream's: relayed as the upstream's bytes
                events = model.chat_stream_bytes(body)
            return await _relay(request, body["model"], events, anthropic=False, hide_usage=hide)
        result = await _call(request, "chat", body["model"], model.chat(body))
    if isinstance(model, EnsembleModel):
        return json_reply(ensemble_reply(request, model, result))
    return relayed_reply(request, result)  # an OpenAI deployment's: as its bytes


@guarded
async def messages(request: web.Request) -> web.StreamResponse:
    body = checked_now(request, anthropic.MESSAGES) or await checked_body(
        request, anthropic.MESSAGES
    )
    found = _model_or_wait(request, body["model"])
    model = found if isinstance(found, RoutedModel) else await found
    context = await referenced_messages(request, body) if _names_context(request, body) else []
    with_context_anthropic(body, context)
    admitting = governance.admit_now(request, body, model=model)
    if admitting is not None:
        await admitting
    with accounted(request, model, "chat"):
        if body.get("stream"):
            events: AsyncIterator[Any]
            if context or isinstance(model, EnsembleModel) or tracing.ACTIVE:
                events = ensemble_events(request, model, model.messages_stream(body))
            else:  # the caller's format is the stream's: relayed as the upstream's bytes
                events = model.messages_stream_bytes(body)
            return await _relay(request, body["model"], events, anthropic=True)
        result = await _call(request, "chat", body["model"], model.messages(body))
    if isinstance(model, EnsembleModel):
        return json_reply(ensemble_reply(request, model, result))
    return relayed_reply(request, result)  # an Anthropic deployment's: as its bytes


@guarded
async def embeddings(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, openai.EMBEDDINGS)
    model = await _model(request, body["model"])
    await governance.admit(request, body, output=False)
    result = await _call(request, "embeddings", body["model"], model.embeddings(body))
    return web.json_response({**result, "model": body["model"]})
