"""The simulator's Azure OpenAI surface: the OpenAI handlers at Azure's paths, with Azure's checks.

``/openai/deployments/{deployment}/chat/completions``, ``/completions`` and ``/embeddings`` need an
``api-version`` query parameter (a dated version, ``-preview`` allowed); the version-less
``/openai/v1/...`` API takes none. Every call needs an ``api-key`` header or an
``Authorization: Bearer`` token (Entra ID). Azure's error shapes answer failed checks and two
extra faults (``x-sim-fault`` or the server's ``fault``): ``content_filter`` (HTTP 400,
``innererror`` ``ResponsibleAIPolicyViolation``) and ``deployment_not_found`` (HTTP 404).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp import web

from mcproute.testing import upstream

API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")
V1_VERSIONS = ("preview", "latest")

_FILTER_CATEGORIES = ("hate", "self_harm", "sexual", "violence")


def _filter_results(flagged: str | None = None) -> dict[str, Any]:
    return {
        name: {"filtered": name == flagged, "severity": "medium" if name == flagged else "safe"}
        for name in _FILTER_CATEGORIES
    }


def _error(status: int, error: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps({"error": error}), content_type="application/json"
    )


def _check(request: web.Request, dated: bool) -> web.Response | None:
    """Azure's answer to a request it refuses before the model runs, or None."""
    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    if not request.headers.get("api-key") and not bearer:
        return _error(
            401,
            {
                "code": "401",
                "message": "Access denied due to invalid subscription key or wrong API endpoint."
                " Make sure to provide a valid key for an active subscription and use a correct"
                " regional API endpoint for your resource.",
            },
        )
    version = request.query.get("api-version")
    if dated and version is None:
        return _error(404, {"code": "404", "message": "Resource not found"})
    if version is not None and not (
        API_VERSION.fullmatch(version) or (not dated and version in V1_VERSIONS)
    ):
        return _error(400, {"code": "BadRequest", "message": "API version not supported"})
    fault = (
        request.headers.get(upstream.FAULT_HEADER) or request.app[upstream._STATE].settings.fault
    )
    if fault == "deployment_not_found":
        return _error(
            404,
            {
                "code": "DeploymentNotFound",
                "message": "The API deployment for this resource does not exist. If you created"
                " the deployment within the last 5 minutes, please wait a moment and try again.",
            },
        )
    if fault == "content_filter":
        return _error(
            400,
            {
                "message": "The response was filtered due to the prompt triggering Azure"
                " OpenAI's content management policy. Please modify your prompt and retry.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": _filter_results("violence"),
                },
            },
        )
    return None


def _with_filter_results(response: web.StreamResponse) -> web.StreamResponse:
    """A JSON completion gets Azure's prompt and choice content filter annotations."""
    if not isinstance(response, web.Response) or response.status != 200:
        return response
    if not isinstance(response.body, bytes):
        return response
    try:
        payload = orjson.loads(response.body)
    except orjson.JSONDecodeError:  # a malformed fault: sent as it is
        return response
    if not isinstance(payload, dict) or payload.get("object") != "chat.completion":
        return response
    payload["prompt_filter_results"] = [
        {"prompt_index": 0, "content_filter_results": _filter_results()}
    ]
    for choice in payload.get("choices") or []:
        choice["content_filter_results"] = _filter_results()
    return web.Response(body=orjson.dumps(payload), content_type="application/json")


def _handler(inner: upstream.Handler, dated: bool) -> upstream.Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        refused = _check(request, dated)
        if refused is not None:
            return refused
        return _with_filter_results(await inner(request))

    return handle


async def _list_models(request: web.Request) -> web.StreamResponse:
    refused = _check(request, dated=request.path.startswith("/openai/models"))
    return refused if refused is not None else await upstream.list_models(request)


ROUTES: list[tuple[str, str, upstream.Handler]] = [
    (
        "POST",
        "/openai/deployments/{deployment}/chat/completions",
        _handler(upstream.chat_completions, dated=True),
    ),
    ("POST", "/openai/deployments/{deployment}/embeddings", _handler(upstream.embeddings, True)),
    ("POST", "/openai/deployments/{deployment}/completions", _handler(upstream.completions, True)),
    ("GET", "/openai/models", _list_models),
    ("POST", "/openai/v1/chat/completions", _handler(upstream.chat_completions, dated=False)),
    ("POST", "/openai/v1/embeddings", _handler(upstream.embeddings, dated=False)),
    ("POST", "/openai/v1/completions", _handler(upstream.completions, dated=False)),
    ("GET", "/openai/v1/models", _list_models),
]
