"""Model endpoints: OpenAI chat completions, embeddings and models; Anthropic messages.

The body is parsed once (orjson); the model group comes from its `model` field; the call runs
through the registry's Router; streams are relayed event by event as they arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web

from mcproute.errors import UpstreamError
from mcproute.models import ModelRegistry
from mcproute.models.routed import RoutedModel
from mcproute.proxy.auth import RECORD, allows
from mcproute.proxy.contexts import (
    referenced_messages,
    with_context_anthropic,
    with_context_openai,
)
from mcproute.proxy.handling import BadRequest, guarded, json_object

REGISTRY = web.AppKey("registry", ModelRegistry)
SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


async def _body(request: web.Request) -> dict[str, Any]:
    body = await json_object(request)
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("model: required, a model name")
    return body


async def _model(request: web.Request, name: str) -> RoutedModel:
    record = request[RECORD]
    if not allows(record, "models", name):
        raise PermissionError(f"this API key may not use model {name!r}")
    return await request.app[REGISTRY].get_model(name)


async def _relay(
    request: web.Request, events: AsyncIterator[dict[str, Any]], anthropic: bool
) -> web.StreamResponse:
    iterator = aiter(events)
    first = await anext(iterator)  # failures before the first event still get an error reply
    response = web.StreamResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    event: dict[str, Any] | None = first
    try:
        while event is not None:
            await response.write(_sse(event, anthropic))
            event = await anext(iterator, None)
        if not anthropic:
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except UpstreamError as exc:
        # Mid-stream: the status line is sent already; report in-band and end the stream.
        error = {"type": "error", "error": {"type": "api_error", "message": str(exc)}}
        await response.write(_sse(error, anthropic))
        await response.write_eof()
    except ConnectionResetError:
        pass  # the caller went away: stop relaying; closing the iterator cancels upstream work
    finally:
        await _close(iterator)
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
    body = await _body(request)
    model = await _model(request, body["model"])
    with_context_openai(body, await referenced_messages(request, body))
    if body.get("stream"):
        return await _relay(request, model.chat_stream(body), anthropic=False)
    return web.json_response(await model.chat(body), dumps=lambda v: orjson.dumps(v).decode())


@guarded
async def messages(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    model = await _model(request, body["model"])
    with_context_anthropic(body, await referenced_messages(request, body))
    if body.get("stream"):
        return await _relay(request, model.messages_stream(body), anthropic=True)
    return web.json_response(await model.messages(body), dumps=lambda v: orjson.dumps(v).decode())


@guarded
async def embeddings(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    model = await _model(request, body["model"])
    texts = body.get("input")
    if not isinstance(texts, str | list):
        raise BadRequest("input: expected a string or a list of strings")
    vectors = await model.embed(texts)
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }
    )


async def list_models(request: web.Request) -> web.StreamResponse:
    record = request[RECORD]
    names = [m for m in request.app[REGISTRY].models() if allows(record, "models", m)]
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "mcproute"} for m in names]
    return web.json_response({"object": "list", "data": data})
