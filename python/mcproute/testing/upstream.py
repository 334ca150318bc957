"""Upstream simulator: a small model server speaking the OpenAI and Anthropic wire formats (and
Bedrock's Converse API, in ``upstream_bedrock``).

Used by tests and benchmarks in place of real providers. Run it with
``python -m mcproute.testing.upstream --host 127.0.0.1 --port 8089``.

Timing (latency, time to first token, token pace) and response size are server options. A fault
is chosen per server (``--fault``, on every request or every Nth with ``--fault-every``) or per
request with the ``x-sim-fault`` header:

- ``429`` rate limited, with ``Retry-After``; ``500``; ``503``
- ``reset``: the connection is closed without a response
- ``stall``: nothing is sent for ``--stall`` seconds (streams: after the first chunk)
- ``stall_start``: nothing is sent for ``--stall`` seconds, then a normal answer (streams too:
  the wait comes before the response headers), as a deployment that is slow, not failing
- ``cut``: a stream ends without its terminator (JSON bodies: the body is truncated)
- ``malformed``: a 200 response whose JSON (or one SSE event) does not parse
- ``context``: a 400 "context length exceeded"; ``auth``: a 401
- ``stream_error``: a stream that sends an error event after its first event (JSON bodies: a 500)

``--valid-key`` (repeatable) makes the simulator accept only those provider keys (``Authorization:
Bearer`` or ``x-api-key``; others get a 401) and ``--rate-limited-key`` answers a key with a 429,
so tests can see which key each request carried (``GET /_sim/requests``) and how keys rotate.

``--reply TEXT`` makes every completion answer TEXT (never a tool call) instead of echoing the
prompt, so several simulators can stand for models that answer differently. ``GET /_sim/stats``
counts the requests received (``served``) and the stream events actually sent (``streamed``).

``--error-detail TEXT`` is appended to every error message the simulator sends (bodies and
stream error events), as providers echo request details, for tests that check what is relayed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

FAULTS = (
    "429",
    "500",
    "503",
    "reset",
    "stall",
    "stall_start",
    "cut",
    "malformed",
    "context",
    "auth",
    "stream_error",
)
FAULT_HEADER = "x-sim-fault"
MODELS = ("gpt-4", "gpt-3.5-turbo", "gpt-4o", "text-embedding-3-small", "claude-sonnet-5-5")


@dataclass
class SimulatorSettings:
    latency: float = 0.0  # seconds before the response headers
    ttft: float = 0.0  # seconds before the first streamed token
    token_interval: float = 0.0  # seconds between streamed tokens
    tokens: int = 8  # completion size in tokens (words)
    fault: str | None = None  # applied to every request unless a header overrides it
    fault_every: int = 1  # the server fault hits requests 1, 1+N, 1+2N, ... (1: every one)
    retry_after: float = 1.0
    stall: float = 30.0  # seconds a stall lasts (bounded, so a forgotten client still ends)
    embedding_dim: int = 8
    error_detail: str = ""  # appended to every error message sent
    valid_keys: frozenset[str] | None = None  # None: any key (or none) is accepted
    rate_limited_keys: frozenset[str] = frozenset()  # keys answered with a 429
    reply: str | None = None  # every completion's text, never a tool call (None: echo)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _State:
    settings: SimulatorSettings
    requests: deque[RecordedRequest] = field(default_factory=lambda: deque(maxlen=256))
    served: int = 0
    streamed: int = 0  # stream events written to a client


_STATE: web.AppKey[_State] = web.AppKey("state", _State)


# ----------------------------------------------------------------------------- content


def _text_of(content: Any) -> str:
    """Plain text of an OpenAI or Anthropic message content (string or list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict):
                if isinstance(part.get("text"), str):
                    parts.append(part["text"])
                elif isinstance(part.get("content"), str | list):
                    parts.append(_text_of(part["content"]))
        return " ".join(parts)
    return ""


def _reply_words(messages: list[Any], tokens: int, reply: str | None = None) -> list[str]:
    """``reply`` if given, else the last user text echoed and padded up to ``tokens`` words."""
    if reply is not None:
        return reply.split()
    last = ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            last = _text_of(message.get("content"))
            break
    words = ["echo:", *last.split()][: max(tokens, 1)]
    while len(words) < tokens:
        words.append(f"w{len(words)}")
    return words


def _prompt_tokens(body: dict[str, Any]) -> int:
    count = len(_text_of(body.get("system")).split())
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            count += len(_text_of(message.get("content")).split())
    return max(count, 1)


def _sample_value(schema: Any) -> Any:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind == "string":
        return "sim"
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return _sample_args(schema)
    return None


def _sample_args(schema: Any) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    return {name: _sample_value(sub) for name, sub in props.items()}


def _tool_to_call(body: dict[str, Any], anthropic: bool) -> tuple[str, dict[str, Any]] | None:
    """The tool the simulated model calls: the forced one, else the first, unless answered."""
    tools = body.get("tools") or []
    messages = body.get("messages") or []
    if not tools or not messages:
        return None
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    if last.get("role") == "tool":
        return None
    content = last.get("content")
    answered = isinstance(content, list) and any(
        isinstance(p, dict) and p.get("type") == "tool_result" for p in content
    )
    if anthropic and answered:
        return None
    choice = body.get("tool_choice")
    if choice == "none" or (isinstance(choice, dict) and choice.get("type") == "none"):
        return None
    forced = None
    if isinstance(choice, dict):
        forced = (choice.get("function") or {}).get("name") or choice.get("name")
    for tool in tools:
        spec = tool.get("function", tool) if isinstance(tool, dict) else {}
        name = spec.get("name")
        if forced is None or name == forced:
            schema = spec.get("parameters") if not anthropic else spec.get("input_schema")
            return str(name), _sample_args(schema)
    return None


def _ident(prefix: str, body: bytes) -> str:
    return prefix + hashlib.sha256(body).hexdigest()[:24]


# ----------------------------------------------------------------------------- faults


def _fault_of(request: web.Request) -> str | None:
    state = request.app[_STATE]
    state.served += 1
    chosen = request.headers.get(FAULT_HEADER)
    if chosen is not None:
        return chosen
    every = max(state.settings.fault_every, 1)
    return state.settings.fault if (state.served - 1) % every == 0 else None


def _error_payload(fault: str, anthropic: bool, detail: str) -> tuple[int, dict[str, Any]]:
    status, kind, code, message = {
        "429": (429, "rate_limit_error", "rate_limit_exceeded", "Rate limit reached"),
        "500": (500, "api_error", "server_error", "Internal server error"),
        "503": (503, "overloaded_error", "service_unavailable", "Service unavailable"),
        "context": (
            400,
            "invalid_request_error",
            "context_length_exceeded",
            "This model's maximum context length is 8192 tokens",
        ),
        "auth": (401, "authentication_error", "invalid_api_key", "Invalid API key"),
        "stream_error": (500, "overloaded_error", "server_error", "Overloaded mid-stream"),
    }[fault]
    message = f"{message} {detail}" if detail else message
    if anthropic:
        payload: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
    else:
        payload = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return status, payload


def _error_response(fault: str, anthropic: bool, settings: SimulatorSettings) -> web.Response:
    status, payload = _error_payload(fault, anthropic, settings.error_detail)
    retry_after = settings.retry_after
    headers = {"Retry-After": f"{retry_after:g}"} if status == 429 else {}
    return web.Response(
        status=status, body=orjson.dumps(payload), headers=headers, content_type="application/json"
    )


def _presented_key(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:]
    for header in ("x-api-key", "api-key", "x-goog-api-key"):  # Anthropic's, Azure's, Google's
        if header in request.headers:
            return request.headers[header]
    return None


def _key_fault(request: web.Request, settings: SimulatorSettings) -> str | None:
    """The fault a request's provider key earns: 401 for an unknown key, 429 for a limited one."""
    key = _presented_key(request)
    if settings.valid_keys is not None and key not in settings.valid_keys:
        return "auth"
    if key is not None and key in settings.rate_limited_keys:
        return "429"
    return None


def _reset(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)  # never reaches the client


async def _preamble(request: web.Request, anthropic: bool) -> tuple[dict[str, Any], str | None]:
    """Record the request and apply latency and the faults that replace a response."""
    state = request.app[_STATE]
    raw = await request.read()
    body = orjson.loads(raw) if raw else {}
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    headers = {str(k): v for k, v in request.headers.items()}  # plain str keys: JSON-ready
    state.requests.append(RecordedRequest(request.path, headers, body))
    if state.settings.latency:
        await asyncio.sleep(state.settings.latency)
    fault = _fault_of(request)
    fault = _key_fault(request, state.settings) or fault
    if fault is not None and fault not in FAULTS:
        raise web.HTTPBadRequest(text=f"unknown fault {fault!r}")
    return body, fault


async def _json_reply(request: web.Request, payload: Any, fault: str | None) -> web.StreamResponse:
    data = orjson.dumps(payload)
    if fault == "malformed":
        return web.Response(body=data[: len(data) // 2] + b"}{", content_type="application/json")
    if fault == "cut":
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[: len(data) // 2])
        if request.transport is not None:
            request.transport.close()
        return response
    return web.Response(body=data, content_type="application/json")


async def _sse(
    request: web.Request,
    events: Iterator[bytes],
    terminator: bytes | None,
    fault: str | None,
    anthropic: bool = False,
) -> web.StreamResponse:
    """Send pre-encoded SSE events with the configured pacing and stream faults."""
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    try:
        await response.prepare(request)
        return await _send_events(request, response, events, terminator, fault, anthropic)
    except ConnectionResetError:  # the client went away (it stopped reading): nothing to send
        return response


async def _send_events(
    request: web.Request,
    response: web.StreamResponse,
    events: Iterator[bytes],
    terminator: bytes | None,
    fault: str | None,
    anthropic: bool,
) -> web.StreamResponse:
    settings = request.app[_STATE].settings
    if settings.ttft:
        await asyncio.sleep(settings.ttft)
    for sent, event in enumerate(events, start=1):
        if sent > 1 and settings.token_interval:
            await asyncio.sleep(settings.token_interval)
        # a malformed event replaces the second one, after the stream has visibly started
        payload = b"data: {not json\n\n" if fault == "malformed" and sent == 2 else event
        await response.write(payload)
        request.app[_STATE].streamed += 1
        if fault == "stall" and sent == 1:
            await asyncio.sleep(settings.stall)
        if fault == "stream_error" and sent == 1:
            _, error = _error_payload(fault, anthropic, settings.error_detail)
            name = b"event: error\n" if anthropic else b""
            await response.write(name + b"data: " + orjson.dumps(error) + b"\n\n")
            await response.write_eof()
            return response
        if fault == "cut" and sent == 2:
            if request.transport is not None:
                request.transport.close()
            return response
    if terminator is not None:
        await response.write(terminator)
    await response.write_eof()
    return response


async def _fault_gate(
    request: web.Request, fault: str | None, anthropic: bool, stream: bool
) -> web.StreamResponse | None:
    settings = request.app[_STATE].settings
    if fault in ("429", "500", "503", "context", "auth") or (
        fault == "stream_error" and not stream
    ):
        return _error_response(fault, anthropic, settings)
    if fault == "reset":
        return _reset(request)
    if fault == "stall_start" or (fault == "stall" and not stream):
        await asyncio.sleep(settings.stall)
    return None


# ----------------------------------------------------------------------------- OpenAI


def _openai_data(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


@dataclass
class _Call:
    """An OpenAI-format request past its faults: what every reply to it is made of."""

    body: dict[str, Any]
    fault: str | None
    stream: bool
    settings: SimulatorSettings
    model: str
    ident: str
    created: int


async def _openai_call(request: web.Request, prefix: str) -> _Call | web.StreamResponse:
    body, fault = await _preamble(request, anthropic=False)
    stream = bool(body.get("stream"))
    gated = await _fault_gate(request, fault, anthropic=False, stream=stream)
    if gated is not None:
        return gated
    return _Call(
        body,
        fault,
        stream,
        request.app[_STATE].settings,
        str(body.get("model", "sim")),
        _ident(prefix, orjson.dumps(body)),
        int(time.time()),
    )


async def chat_completions(request: web.Request) -> web.StreamResponse:
    opened = await _openai_call(request, "chatcmpl-")
    if not isinstance(opened, _Call):
        return opened
    body, fault, stream, settings = opened.body, opened.fault, opened.stream, opened.settings
    model, ident, created = opened.model, opened.ident, opened.created
    call = None if settings.reply is not None else _tool_to_call(body, anthropic=False)
    words = (
        [] if call else _reply_words(body.get("messages") or [], settings.tokens, settings.reply)
    )
    usage = {
        "prompt_tokens": _prompt_tokens(body),
        "completion_tokens": len(words) if words else 8,
        "total_tokens": 0,
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    finish = "tool_calls" if call else "stop"
    call_id = "call_" + ident[-16:]
    if not stream:
        message: dict[str, Any] = {"role": "assistant", "content": " ".join(words) or None}
        if call:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call[0], "arguments": orjson.dumps(call[1]).decode()},
                }
            ]
        payload = {
            "id": ident,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": usage,
        }
        return await _json_reply(request, payload, fault)

    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return _openai_data(
            {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [choice],
            }
        )

    def events() -> Iterator[bytes]:
        yield chunk({"role": "assistant", "content": ""}, None)
        if call:
            arguments = orjson.dumps(call[1]).decode()
            first = {"index": 0, "id": call_id, "type": "function"}
            first["function"] = {"name": call[0], "arguments": ""}
            yield chunk({"tool_calls": [first]}, None)
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, None)
        for i, word in enumerate(words):
            yield chunk({"content": word if i == 0 else " " + word}, None)
        yield chunk({}, finish)
        if include_usage:
            yield _openai_data(
                {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )

    return await _sse(request, events(), b"data: [DONE]\n\n", fault)


async def completions(request: web.Request) -> web.StreamResponse:
    """The legacy completions API: the prompt is echoed back, padded to the completion size."""
    call = await _openai_call(request, "cmpl-")
    if not isinstance(call, _Call):
        return call
    prompt = call.body.get("prompt")
    text = prompt if isinstance(prompt, str) else " ".join(str(p) for p in prompt or [])
    words = _reply_words(
        [{"role": "user", "content": text}], call.settings.tokens, call.settings.reply
    )
    prompt_tokens = max(len(text.split()), 1)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(words),
        "total_tokens": prompt_tokens + len(words),
    }

    def completion(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        head = {"id": call.ident, "object": "text_completion", "created": call.created}
        return {**head, "model": call.model, "choices": choices, **extra}

    def choice(text: str, finish: str | None) -> dict[str, Any]:
        return {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}

    if not call.stream:
        payload = completion([choice(" ".join(words), "stop")], usage=usage)
        return await _json_reply(request, payload, call.fault)
    include_usage = bool((call.body.get("stream_options") or {}).get("include_usage"))

    def events() -> Iterator[bytes]:
        for i, word in enumerate(words):
            yield _openai_data(completion([choice(word if i == 0 else " " + word, None)]))
        yield _openai_data(completion([choice("", "stop")]))
        if include_usage:
            yield _openai_data(completion([], usage=usage))

    return await _sse(request, events(), b"data: [DONE]\n\n", call.fault)


def _embedding(text: str, dim: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [(digest[i % len(digest)] - 128) / 128.0 for i in range(dim)]


async def embeddings(request: web.Request) -> web.StreamResponse:
    body, fault = await _preamble(request, anthropic=False)
    gated = await _fault_gate(request, fault, anthropic=False, stream=False)
    if gated is not None:
        return gated
    settings = request.app[_STATE].settings
    inputs = body.get("input")
    texts = inputs if isinstance(inputs, list) else [inputs]
    dim = int(body.get("dimensions") or settings.embedding_dim)
    data = []
    for index, text in enumerate(texts):
        vector = _embedding(str(text), dim)
        encoded: Any = vector
        if body.get("encoding_format") == "base64":
            encoded = base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(len(str(t).split()) for t in texts)
    payload = {
        "object": "list",
        "data": data,
        "model": str(body.get("model", "sim")),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return await _json_reply(request, payload, fault)


def _model_entry(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1700000000, "owned_by": "mcproute-sim"}


async def list_models(request: web.Request) -> web.Response:
    return web.json_response(
        {"object": "list", "data": [_model_entry(m) for m in MODELS]}, dumps=_dumps
    )


async def get_model(request: web.Request) -> web.Response:
    return web.json_response(_model_entry(request.match_info["model"]), dumps=_dumps)


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


# ----------------------------------------------------------------------------- Anthropic


def _anthropic_event(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


async def messages(request: web.Request) -> web.StreamResponse:
    body, fault = await _preamble(request, anthropic=True)
    stream = bool(body.get("stream"))
    gated = await _fault_gate(request, fault, anthropic=True, stream=stream)
    if gated is not None:
        return gated
    settings = request.app[_STATE].settings
    model = str(body.get("model", "sim"))
    ident = _ident("msg_", orjson.dumps(body))
    call = None if settings.reply is not None else _tool_to_call(body, anthropic=True)
    words = _reply_words(body.get("messages") or [], settings.tokens, settings.reply)
    if call:
        words = words[:2]
    input_tokens = _prompt_tokens(body)
    stop = "tool_use" if call else "end_turn"
    tool_id = "toolu_" + ident[-16:]
    usage = {"input_tokens": input_tokens, "output_tokens": len(words) + (8 if call else 0)}
    if not stream:
        content: list[dict[str, Any]] = [{"type": "text", "text": " ".join(words)}]
        if call:
            content.append({"type": "tool_use", "id": tool_id, "name": call[0], "input": call[1]})
        payload = {
            "id": ident,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }
        return await _json_reply(request, payload, fault)

    def events() -> Iterator[bytes]:
        start: dict[str, Any] = {
            "id": ident,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        }
        yield _anthropic_event("message_start", {"type": "message_start", "message": start})
        block = {"type": "text", "text": ""}
        yield _anthropic_event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        )
        yield _anthropic_event("ping", {"type": "ping"})
        for i, word in enumerate(words):
            delta = {"type": "text_delta", "text": word if i == 0 else " " + word}
            yield _anthropic_event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        yield _anthropic_event("content_block_stop", {"type": "content_block_stop", "index": 0})
        if call:
            tool_block = {"type": "tool_use", "id": tool_id, "name": call[0], "input": {}}
            yield _anthropic_event(
                "content_block_start",
                {"type": "content_block_start", "index": 1, "content_block": tool_block},
            )
            arguments = orjson.dumps(call[1]).decode()
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield _anthropic_event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 1, "delta": delta},
                )
            yield _anthropic_event("content_block_stop", {"type": "content_block_stop", "index": 1})
        yield _anthropic_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )

    return await _sse(
        request,
        events(),
        _anthropic_event("message_stop", {"type": "message_stop"}),
        fault,
        anthropic=True,
    )


async def count_tokens(request: web.Request) -> web.StreamResponse:
    """Anthropic's token counting: the same count a Messages call reports as input_tokens."""
    body, fault = await _preamble(request, anthropic=True)
    gated = await _fault_gate(request, fault, anthropic=True, stream=False)
    if gated is not None:
        return gated
    return await _json_reply(request, {"input_tokens": _prompt_tokens(body)}, fault)


# ----------------------------------------------------------------------------- app


async def recorded(request: web.Request) -> web.Response:
    """Requests seen so far (newest last), for tests that check what a client sent."""
    entries = [
        {"path": r.path, "headers": r.headers, "body": r.body} for r in request.app[_STATE].requests
    ]
    return web.json_response(entries, dumps=_dumps)


async def stats(request: web.Request) -> web.Response:
    """How many model requests this simulator has received (faulted ones included)."""
    state = request.app[_STATE]
    return web.json_response({"served": state.served, "streamed": state.streamed})


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(settings: SimulatorSettings | None = None) -> web.Application:
    app = web.Application()
    app[_STATE] = _State(settings or SimulatorSettings())
    routes: list[tuple[str, str, Handler]] = [
        ("POST", "/v1/chat/completions", chat_completions),
        ("POST", "/v1/embeddings", embeddings),
        ("GET", "/v1/models", list_models),
        ("GET", "/v1/models/{model}", get_model),
        ("POST", "/v1/completions", completions),
        ("POST", "/v1/messages", messages),
        ("POST", "/v1/messages/count_tokens", count_tokens),
        ("GET", "/_sim/requests", recorded),
        ("GET", "/_sim/stats", stats),
    ]
    from mcproute.testing import upstream_azure, upstream_gemini  # they build on this module

    routes += upstream_azure.ROUTES + upstream_gemini.ROUTES
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    from mcproute.testing import upstream_bedrock  # it builds on this module's helpers

    upstream_bedrock.register(app)
    return app


class Simulator:
    """The simulator on an ephemeral 127.0.0.1 port inside the current event loop."""

    def __init__(self, settings: SimulatorSettings | None = None, host: str = "127.0.0.1") -> None:
        self.settings = settings or SimulatorSettings()
        self.app = create_app(self.settings)
        self._host = host
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def requests(self) -> deque[RecordedRequest]:
        return self.app[_STATE].requests

    @property
    def served(self) -> int:
        """Requests received so far (faulted ones included)."""
        return self.app[_STATE].served

    @property
    def streamed(self) -> int:
        """Stream events written to clients so far."""
        return self.app[_STATE].streamed

    async def start(self, port: int = 0) -> Simulator:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, port)
        await site.start()
        sockets = self._runner.addresses
        self.port = int(sockets[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m mcproute.testing.upstream", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before headers")
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds to the first token")
    parser.add_argument("--token-interval", type=float, default=0.0, help="seconds per token")
    parser.add_argument("--tokens", type=int, default=8, help="completion size in tokens")
    parser.add_argument("--fault", choices=FAULTS, default=None)
    parser.add_argument("--fault-every", type=int, default=1, help="fault every Nth request")
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--stall", type=float, default=30.0, help="seconds a stall lasts")
    parser.add_argument("--reply", default=None, help="the text of every completion")
    parser.add_argument("--error-detail", default="", help="text appended to error messages")
    parser.add_argument(
        "--valid-key", action="append", help="a provider key to accept (repeat; default: any)"
    )
    parser.add_argument(
        "--rate-limited-key", action="append", default=[], help="a key answered with a 429"
    )
    args = parser.parse_args(argv)
    settings = SimulatorSettings(
        latency=args.latency,
        ttft=args.ttft,
        token_interval=args.token_interval,
        tokens=args.tokens,
        fault=args.fault,
        fault_every=args.fault_every,
        retry_after=args.retry_after,
        stall=args.stall,
        error_detail=args.error_detail,
        reply=args.reply,
        valid_keys=frozenset(args.valid_key) if args.valid_key else None,
        rate_limited_keys=frozenset(args.rate_limited_key),
    )
    web.run_app(create_app(settings), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    # run the package's copy of this module, the one its provider modules build on
    from mcproute.testing.upstream import main as package_main

    package_main()
