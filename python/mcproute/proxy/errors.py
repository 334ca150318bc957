"""Errors in the caller's own format: OpenAI-style, Anthropic-style, or JSON-RPC on /mcp."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from mcproute._core import encode_error
from mcproute.errors import FailureKind, UpstreamError
from mcproute.redact import redact

# HTTP status for a classified upstream failure, as the caller should see it.
UPSTREAM_STATUS = {
    FailureKind.RATE_LIMITED: 429,
    FailureKind.SERVER: 502,
    FailureKind.TIMEOUT: 504,
    FailureKind.CONNECTION: 502,
    FailureKind.CONTEXT_WINDOW: 400,
    FailureKind.CONTENT_POLICY: 400,
    FailureKind.BAD_REQUEST: 400,
    FailureKind.AUTH: 502,  # our credentials upstream are wrong: not the caller's fault
}
OPENAI_TYPE = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    429: "rate_limit_error",
}
ANTHROPIC_TYPE = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    429: "rate_limit_error",
    502: "api_error",
    504: "api_error",
}


def speaks_anthropic(request: web.Request) -> bool:
    """Anthropic's error format for its paths and for its SDKs (which always send
    `anthropic-version`), OpenAI's for everything else."""
    return request.path.startswith("/v1/messages") or "anthropic-version" in request.headers


def error_response(
    request: web.Request,
    status: int,
    message: str,
    code: str | None = None,
    param: str | None = None,
) -> web.Response:
    """`message` must already be safe to show: no secrets, no upstream credentials. `param`
    names the offending request field (OpenAI's format carries it)."""
    path = request.path
    if path.startswith("/mcp"):
        body = encode_error(None, -32600 if status < 500 else -32603, message)
    elif speaks_anthropic(request):
        body = orjson.dumps(
            {
                "type": "error",
                "error": {"type": ANTHROPIC_TYPE.get(status, "api_error"), "message": message},
            }
        )
    else:
        body = orjson.dumps(
            {
                "error": {
                    "message": message,
                    "type": OPENAI_TYPE.get(status, "api_error"),
                    "param": param,
                    "code": code,
                }
            }
        )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def upstream_error_text(exc: UpstreamError) -> str:
    """The caller's view of an upstream failure. Adapters already reduce a provider's text to
    its status, type, code and redacted message; this redacts once more at the boundary, for
    what other layers (transport errors, routing) put in a message."""
    return redact(f"upstream {exc.kind.value}: {exc}")


def upstream_error_event(exc: UpstreamError, anthropic: bool) -> dict[str, Any]:
    """The in-band error event that ends a stream whose status line is already sent."""
    status = UPSTREAM_STATUS.get(exc.kind, 502)
    kind = (ANTHROPIC_TYPE if anthropic else OPENAI_TYPE).get(status, "api_error")
    error = {"type": kind, "message": upstream_error_text(exc)}
    return {"type": "error", "error": error if anthropic else {**error, "code": exc.kind.value}}


def upstream_error(request: web.Request, exc: UpstreamError) -> web.Response:
    status = UPSTREAM_STATUS.get(exc.kind, 502)
    response = error_response(request, status, upstream_error_text(exc), exc.kind.value)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return response
