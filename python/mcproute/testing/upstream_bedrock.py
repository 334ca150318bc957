"""The simulator's AWS Bedrock runtime: Converse and ConverseStream.

Requests must carry a valid SigV4 signature (service ``bedrock``) by one of the simulator's
access keys (``AWS_KEYS`` of the app; ``SIM_ACCESS_KEY_ID``/``SIM_SECRET_ACCESS_KEY`` by
default), or a Bearer token listed in ``AWS_BEARER_TOKENS``; otherwise the answer is AWS's 403.
Replies are Converse JSON, or ConverseStream's ``application/vnd.amazon.eventstream`` frames.
The simulator's faults apply, in AWS's shapes: errors carry ``x-amzn-ErrorType`` and a
``{"message"}`` body, and stream faults are exception events (``stream_error``), a frame with a
bad CRC (``malformed``) or a stream cut after two frames (``cut``).
"""

from __future__ import annotations

import asyncio
import calendar
import hmac
import re
import time
from collections.abc import Iterator
from typing import Any

import orjson
from aiohttp import web

from mcproute._core import SignatureError, SigV4Signer, encode_event_message
from mcproute.testing import upstream

SIM_ACCESS_KEY_ID = "AKIASIMULATOR0000001"
SIM_SECRET_ACCESS_KEY = "simulator/secret/access/key/0000000000000"
SIM_BEARER_TOKEN = "ABSKsimulatorbedrockapikey0000"
CLOCK_SKEW = 300  # seconds a signature's X-Amz-Date may be off, as AWS allows

AWS_KEYS: web.AppKey[dict[str, str]] = web.AppKey("aws_keys", dict)
AWS_BEARER_TOKENS: web.AppKey[set[str]] = web.AppKey("aws_bearer_tokens", set)

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;!#$%&'*+.^_`|~-]+),\s*Signature=[0-9a-f]{64}"
)

_ERRORS = {
    "429": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "500": (500, "InternalServerException", "The server encountered an internal error."),
    "503": (503, "ServiceUnavailableException", "The service is temporarily unavailable."),
    "context": (400, "ValidationException", "Input is too long for requested model."),
    "auth": (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ),
    "stream_error": (500, "InternalServerException", "The server encountered an internal error."),
}


def _aws_error(status: int, kind: str, message: str, detail: str = "") -> web.Response:
    text = f"{message} {detail}" if detail else message
    headers = {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"}
    return web.Response(
        status=status,
        body=orjson.dumps({"message": text}),
        headers=headers,
        content_type="application/json",
    )


def _verify(request: web.Request, body: bytes) -> web.Response | None:
    """None when the request is authenticated, else AWS's 403."""
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        if auth[7:] in request.app[AWS_BEARER_TOKENS]:
            return None
        return _aws_error(403, "UnrecognizedClientException", "The API key is invalid.")
    match = _AUTH.fullmatch(auth)
    if match is None:
        return _aws_error(
            403, "MissingAuthenticationTokenException", "Missing Authentication Token"
        )
    key_id, _day, region, service, signed = match.groups()
    secret = request.app[AWS_KEYS].get(key_id)
    if secret is None:
        return _aws_error(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    stamp = request.headers.get("X-Amz-Date", "")
    try:
        when = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return _aws_error(403, "InvalidSignatureException", "X-Amz-Date is missing or malformed.")
    if abs(time.time() - when) > CLOCK_SKEW:
        return _aws_error(403, "InvalidSignatureException", "Signature expired.")
    names = signed.split(";")
    headers = [(k, v) for k, v in request.headers.items() if k.lower() in names]
    if "x-amz-security-token" not in names and "X-Amz-Security-Token" in request.headers:
        return _aws_error(403, "InvalidSignatureException", "The security token is not signed.")
    token = request.headers.get("X-Amz-Security-Token")
    mismatch = _aws_error(
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided.",
    )
    try:
        signer = SigV4Signer(key_id, secret, session_token=token, region=region, service=service)
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        expected = signer.sign(request.method, url, headers, body, timestamp=when)
    except SignatureError:
        return mismatch
    if not hmac.compare_digest(expected["Authorization"], auth):
        return mismatch
    return None


def _tool_call(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The tool the simulated model calls: the forced one, else the first, unless answered."""
    config = body.get("toolConfig") or {}
    tools = [t.get("toolSpec") or {} for t in config.get("tools") or [] if isinstance(t, dict)]
    messages = body.get("messages") or []
    if not tools or not messages:
        return None
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    if any(isinstance(b, dict) and "toolResult" in b for b in last.get("content") or []):
        return None
    forced = ((config.get("toolChoice") or {}).get("tool") or {}).get("name")
    for spec in tools:
        if forced is None or spec.get("name") == forced:
            schema = (spec.get("inputSchema") or {}).get("json")
            return str(spec.get("name")), upstream._sample_args(schema)
    return None


def _event(kind: str, payload: dict[str, Any]) -> bytes:
    headers = [
        (":event-type", kind),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ]
    return encode_event_message(headers, orjson.dumps(payload))


def _exception(kind: str, message: str) -> bytes:
    headers = [
        (":exception-type", kind),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    ]
    return encode_event_message(headers, orjson.dumps({"message": message}))


async def _converse(request: web.Request) -> web.StreamResponse:
    stream = request.path.endswith("/converse-stream")
    raw = await request.read()
    denied = _verify(request, raw)
    if denied is not None:
        return denied
    try:
        body, fault = await upstream._preamble(request, anthropic=False)
    except (web.HTTPBadRequest, orjson.JSONDecodeError):
        return _aws_error(400, "SerializationException", "The request body is not valid JSON.")
    settings = request.app[upstream._STATE].settings
    if fault in _ERRORS and not (fault == "stream_error" and stream):
        status, kind, message = _ERRORS[fault]
        response = _aws_error(status, kind, message, settings.error_detail)
        if status == 429:
            response.headers["Retry-After"] = f"{settings.retry_after:g}"
        return response
    if fault == "reset":
        return upstream._reset(request)
    if fault == "stall" and not stream:
        await asyncio.sleep(settings.stall)
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return _aws_error(400, "ValidationException", "messages: at least one message is required")
    model = request.match_info["model"]
    ident = upstream._ident("", raw + model.encode())[:32]
    call = _tool_call(body)
    words = upstream._reply_words(body["messages"], settings.tokens)
    if call:
        words = words[:2]
    limit = (body.get("inferenceConfig") or {}).get("maxTokens")
    stop = "tool_use" if call else "end_turn"
    if isinstance(limit, int) and 0 < limit < len(words):
        words, stop, call = words[:limit], "max_tokens", None
    usage = {
        "inputTokens": upstream._prompt_tokens(body),
        "outputTokens": len(words) + (8 if call else 0),
    }
    usage["totalTokens"] = usage["inputTokens"] + usage["outputTokens"]
    tool_id = "tooluse_" + ident[:22]
    headers = {"x-amzn-RequestId": ident}
    if not stream:
        content: list[dict[str, Any]] = [{"text": " ".join(words)}]
        if call:
            content.append({"toolUse": {"toolUseId": tool_id, "name": call[0], "input": call[1]}})
        payload = {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop,
            "usage": usage,
            "metrics": {"latencyMs": 1},
        }
        reply = await upstream._json_reply(request, payload, fault)
        reply.headers.update(headers)
        return reply

    def events() -> Iterator[bytes]:
        yield _event("messageStart", {"role": "assistant"})
        for i, word in enumerate(words):
            text = word if i == 0 else " " + word
            yield _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}})
        yield _event("contentBlockStop", {"contentBlockIndex": 0})
        if call:
            start = {"toolUse": {"toolUseId": tool_id, "name": call[0]}}
            yield _event("contentBlockStart", {"contentBlockIndex": 1, "start": start})
            arguments = orjson.dumps(call[1]).decode()
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                delta = {"toolUse": {"input": piece}}
                yield _event("contentBlockDelta", {"contentBlockIndex": 1, "delta": delta})
            yield _event("contentBlockStop", {"contentBlockIndex": 1})
        yield _event("messageStop", {"stopReason": stop})
        yield _event("metadata", {"usage": usage, "metrics": {"latencyMs": 1}})

    return await _event_stream(request, events(), fault, headers)


async def _event_stream(
    request: web.Request, events: Iterator[bytes], fault: str | None, headers: dict[str, str]
) -> web.StreamResponse:
    settings = request.app[upstream._STATE].settings
    response = web.StreamResponse(
        headers={"Content-Type": "application/vnd.amazon.eventstream", **headers}
    )
    await response.prepare(request)
    if settings.ttft:
        await asyncio.sleep(settings.ttft)
    for sent, frame in enumerate(events, start=1):
        if sent > 1 and settings.token_interval:
            await asyncio.sleep(settings.token_interval)
        if fault == "malformed" and sent == 2:
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])  # the message CRC no longer matches
        await response.write(frame)
        if fault == "stall" and sent == 1:
            await asyncio.sleep(settings.stall)
        if fault == "stream_error" and sent == 1:
            message = _ERRORS["stream_error"][2]
            detail = f"{message} {settings.error_detail}" if settings.error_detail else message
            await response.write(_exception("internalServerException", detail))
            await response.write_eof()
            return response
        if fault == "cut" and sent == 2:
            if request.transport is not None:
                request.transport.close()
            return response
    await response.write_eof()
    return response


def register(app: web.Application) -> None:
    """Adds the Bedrock runtime routes and the simulator's credentials to `app`."""
    app[AWS_KEYS] = {SIM_ACCESS_KEY_ID: SIM_SECRET_ACCESS_KEY}
    app[AWS_BEARER_TOKENS] = {SIM_BEARER_TOKEN}
    app.router.add_post("/model/{model}/converse", _converse)
    app.router.add_post("/model/{model}/converse-stream", _converse)
