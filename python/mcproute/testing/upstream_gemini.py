"""The simulator's Gemini surface: the Gemini API and Vertex AI's publisher model paths.

``POST /v1beta/models/{model}:{method}`` or ``/v1/...`` (key in ``x-goog-api-key`` or
``?key=``) and ``POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:{method}``
(a bearer token), for ``generateContent``, ``streamGenerateContent`` (``?alt=sse``),
``embedContent``, ``batchEmbedContents`` and (Vertex AI) ``predict``. The model echoes the last
user text, calls the first declared function unless its result is already there, and reports
``usageMetadata``. Faults are the simulator's usual ones in Google's error shape, plus
``safety`` (the prompt is blocked: no candidates, ``promptFeedback.blockReason``),
``finish_safety`` (the answer stops with ``finishReason: SAFETY``) and ``not_found`` (HTTP 404,
an unknown model). ``POST /token`` is Google's OAuth token endpoint for service account keys
(the jwt-bearer grant).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Iterator
from typing import Any

import orjson
from aiohttp import web

from mcproute.testing import upstream

EXTRA_FAULTS = ("safety", "finish_safety", "not_found")
_ERRORS: dict[str, tuple[int, str, str]] = {
    "429": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    "500": (500, "INTERNAL", "An internal error has occurred."),
    "503": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    "context": (
        400,
        "INVALID_ARGUMENT",
        "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).",
    ),
    "auth": (400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
    "stream_error": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
}


def _error(status: int, name: str, message: str, detail: str = "") -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(_error_body(status, name, message, detail)),
        content_type="application/json",
    )


def _error_body(status: int, name: str, message: str, detail: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {
        "code": status,
        "message": f"{message} {detail}" if detail else message,
        "status": name,
    }
    if "API key" in message:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
        ]
    if status == 429:
        error["details"] = [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}
        ]
    return {"error": error}


# ----------------------------------------------------------------------------- content


def _text(parts: Any) -> str:
    if not isinstance(parts, list):
        return ""
    return " ".join(
        p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)
    )


def _prompt_tokens(body: dict[str, Any]) -> int:
    count = len(_text((body.get("systemInstruction") or {}).get("parts")).split())
    for content in body.get("contents") or []:
        if isinstance(content, dict):
            count += len(_text(content.get("parts")).split())
    return max(count, 1)


def _function_call(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    contents = body.get("contents") or []
    last = contents[-1] if contents and isinstance(contents[-1], dict) else {}
    if any(isinstance(p, dict) and "functionResponse" in p for p in last.get("parts") or []):
        return None
    config = ((body.get("toolConfig") or {}).get("functionCallingConfig")) or {}
    if config.get("mode") == "NONE":
        return None
    allowed = config.get("allowedFunctionNames") or []
    for tool in body.get("tools") or []:
        for declaration in (tool or {}).get("functionDeclarations") or []:
            name = declaration.get("name")
            if allowed and name not in allowed:
                continue
            schema = (  # proto JSON: either spelling of a field name
                declaration.get("parametersJsonSchema")
                or declaration.get("parameters_json_schema")
                or declaration.get("parameters")
            )
            return str(name), upstream._sample_args(schema)
    return None


def _reply(body: dict[str, Any], tokens: int) -> list[str]:
    last = ""
    for content in reversed(body.get("contents") or []):
        if isinstance(content, dict) and content.get("role", "user") == "user":
            last = _text(content.get("parts"))
            if last:
                break
    words = ["echo:", *last.split()][: max(tokens, 1)]
    while len(words) < tokens:
        words.append(f"w{len(words)}")
    return words


def _safety_ratings(flagged: bool) -> list[dict[str, Any]]:
    return [
        {
            "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
            "probability": "HIGH" if flagged else "NEGLIGIBLE",
            **({"blocked": True} if flagged else {}),
        }
    ]


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": completion,
        "totalTokenCount": prompt + completion,
    }


# ----------------------------------------------------------------------------- handlers


async def _preamble(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Record the request; a fault of our own is taken here, the usual ones by upstream's."""
    fault = (
        request.headers.get(upstream.FAULT_HEADER) or request.app[upstream._STATE].settings.fault
    )
    if fault in EXTRA_FAULTS:
        raw = await request.read()
        body = orjson.loads(raw) if raw else {}
        state = request.app[upstream._STATE]
        state.requests.append(upstream.RecordedRequest(request.path, dict(request.headers), body))
        return body, fault
    return await upstream._preamble(request, anthropic=False)


def _refused(request: web.Request, vertex: bool) -> web.Response | None:
    if vertex:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return _error(
                401,
                "UNAUTHENTICATED",
                "Request is missing required authentication credential. Expected OAuth 2"
                " access token, login cookie or other valid authentication credential.",
            )
    elif not request.headers.get("x-goog-api-key") and not request.query.get("key"):
        return _error(
            403,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity)."
            " Please use API Key or other form of API consumer identity to call this API.",
        )
    return None


async def _generate(
    request: web.Request, model: str, body: dict[str, Any], fault: str | None, stream: bool
) -> web.StreamResponse:
    settings = request.app[upstream._STATE].settings
    ident = hashlib.sha256(orjson.dumps(body)).hexdigest()[:20]
    prompt = _prompt_tokens(body)
    if fault == "safety":
        payload = {
            "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": _safety_ratings(True)},
            "usageMetadata": {"promptTokenCount": prompt, "totalTokenCount": prompt},
            "modelVersion": model,
            "responseId": ident,
        }
        if stream:
            return await upstream._sse(request, iter([_data(payload)]), None, None)
        return await upstream._json_reply(request, payload, None)
    call = _function_call(body)
    words = [] if call else _reply(body, settings.tokens)
    parts: list[dict[str, Any]] = (
        [{"functionCall": {"name": call[0], "args": call[1]}}] if call else []
    )
    finish = "SAFETY" if fault == "finish_safety" else "STOP"
    completion = len(words) or 8

    def candidate(content_parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"content": {"parts": content_parts, "role": "model"}, "index": 0}
        if last:
            out["finishReason"] = finish
            out["safetyRatings"] = _safety_ratings(finish == "SAFETY")
        return out

    def response(content_parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
        return {
            "candidates": [candidate(content_parts, last)],
            "usageMetadata": _usage(prompt, completion if last else 0),
            "modelVersion": model,
            "responseId": ident,
        }

    if not stream:
        text = [{"text": " ".join(words)}] if words else []
        return await upstream._json_reply(request, response(text + parts, True), fault)

    def events() -> Iterator[bytes]:
        pieces = [[{"text": w if i == 0 else " " + w}] for i, w in enumerate(words)]
        if parts:
            pieces.append(parts)
        for i, piece in enumerate(pieces):
            yield _data(response(piece, i == len(pieces) - 1))

    return await upstream._sse(request, events(), None, fault)


def _data(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\r\n\r\n"


def _vector(text: str, dim: int) -> list[float]:
    return upstream._embedding(text, dim)


async def _embed(
    request: web.Request, method: str, body: dict[str, Any], fault: str | None
) -> web.StreamResponse:
    dim_default = request.app[upstream._STATE].settings.embedding_dim
    if method == "embedContent":
        dim = int(body.get("outputDimensionality") or dim_default)
        payload: dict[str, Any] = {
            "embedding": {"values": _vector(_text((body.get("content") or {}).get("parts")), dim)}
        }
    elif method == "batchEmbedContents":
        vectors = []
        for item in body.get("requests") or []:
            dim = int(item.get("outputDimensionality") or dim_default)
            vectors.append(
                {"values": _vector(_text((item.get("content") or {}).get("parts")), dim)}
            )
        payload = {"embeddings": vectors}
    else:  # Vertex AI's predict
        dim = int((body.get("parameters") or {}).get("outputDimensionality") or dim_default)
        predictions = []
        for instance in body.get("instances") or []:
            text = str(instance.get("content", ""))
            stats = {"token_count": len(text.split()), "truncated": False}
            predictions.append({"embeddings": {"values": _vector(text, dim), "statistics": stats}})
        payload = {"predictions": predictions}
    return await upstream._json_reply(request, payload, fault)


_METHODS = ("generateContent", "streamGenerateContent", "embedContent", "batchEmbedContents")


async def _dispatch(request: web.Request, vertex: bool) -> web.StreamResponse:
    model, _, method = request.match_info["call"].partition(":")
    methods = (*_METHODS, "predict") if vertex else _METHODS
    if method not in methods:
        return _error(404, "NOT_FOUND", f"Method {method!r} is not found for model {model!r}.")
    refused = _refused(request, vertex)
    if refused is not None:
        return refused
    body, fault = await _preamble(request)
    settings = request.app[upstream._STATE].settings
    stream = method == "streamGenerateContent"
    if stream and request.query.get("alt") != "sse":
        return _error(400, "INVALID_ARGUMENT", "this simulator streams only with alt=sse")
    if fault == "not_found":
        return _error(
            404,
            "NOT_FOUND",
            f"models/{model} is not found for API version v1beta, or is not supported for"
            f" {method}.",
        )
    if fault in _ERRORS and not (fault == "stream_error" and stream):
        status, name, message = _ERRORS[fault]
        return _error(status, name, message, settings.error_detail)
    if fault == "reset":
        return upstream._reset(request)
    if method in ("generateContent", "streamGenerateContent"):
        if not isinstance(body.get("contents"), list) or not body["contents"]:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "* GenerateContentRequest.contents: contents is not specified",
            )
        if fault == "stall" and not stream:
            await asyncio.sleep(settings.stall)
        return await _generate(request, model, body, fault, stream)
    if fault == "stall":
        await asyncio.sleep(settings.stall)
    return await _embed(request, method, body, fault)


async def _gemini_api(request: web.Request) -> web.StreamResponse:
    return await _dispatch(request, vertex=False)


async def _vertex(request: web.Request) -> web.StreamResponse:
    return await _dispatch(request, vertex=True)


def _jwt_part(segment: str) -> Any:
    return orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


async def _token(request: web.Request) -> web.StreamResponse:
    """Google's OAuth token endpoint for the jwt-bearer grant of a service account: checks the
    assertion's header and claims (its signature is the tests' to verify) and issues a token
    derived from it."""
    form = await request.post()
    assertion = str(form.get("assertion", ""))
    refused = web.json_response(
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, status=400
    )
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return web.json_response({"error": "unsupported_grant_type"}, status=400)
    try:
        header_part, claims_part, signature = assertion.split(".")
        header, claims = _jwt_part(header_part), _jwt_part(claims_part)
    except (ValueError, orjson.JSONDecodeError):
        return refused
    now = time.time()
    if (
        header.get("alg") != "RS256"
        or not signature
        or not claims.get("iss")
        or claims.get("aud") != "https://oauth2.googleapis.com/token"
        or "cloud-platform" not in str(claims.get("scope"))
        or not claims.get("iat", now + 1) <= now + 5 < claims.get("exp", 0) + 5
    ):
        return refused
    state = request.app[upstream._STATE]
    state.requests.append(
        upstream.RecordedRequest(request.path, dict(request.headers), {"assertion": assertion})
    )
    token = "ya29.sim-" + hashlib.sha256(assertion.encode()).hexdigest()[:32]
    return web.json_response({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})


ROUTES: list[tuple[str, str, upstream.Handler]] = [
    ("POST", "/token", _token),
    ("POST", "/v1beta/models/{call}", _gemini_api),
    ("POST", "/v1/models/{call}", _gemini_api),
    (
        "POST",
        "/v1/projects/{project}/locations/{location}/publishers/google/models/{call}",
        _vertex,
    ),
]
