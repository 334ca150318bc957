"""The rest of the surface SDKs call: models (listed and retrieved), Anthropic token counting,
OpenAI's legacy completions, and errors in the caller's format for routes that do not exist."""

from __future__ import annotations

from aiohttp import web

from mcproute.contract import anthropic, openai
from mcproute.proxy import governance
from mcproute.proxy.auth import RECORD, Handler, allows
from mcproute.proxy.contexts import referenced_messages, with_context_anthropic
from mcproute.proxy.errors import error_response
from mcproute.proxy.handling import checked_body, guarded, json_reply
from mcproute.proxy.routes import REGISTRY, _call, _model, _relay, ask_usage
from mcproute.redact import redact

TOKEN_COUNT_HEADER = "x-mcproute-token-count"  # "exact" (the upstream counted) or "estimate"


def _model_object(request: web.Request, name: str) -> dict[str, object]:
    out: dict[str, object] = {"id": name, "object": "model", "created": 0, "owned_by": "mcproute"}
    ensemble = request.app[REGISTRY].config.ensembles.get(name)
    if ensemble is not None:  # an extension field: SDKs keep unknown model fields
        out["mcproute"] = {"ensemble": {"strategy": ensemble.strategy, "models": ensemble.models}}
    return out


def _visible_models(request: web.Request) -> list[str]:
    """Models, groups, aliases and ensembles this caller's key may use, in configuration order."""
    registry = request.app[REGISTRY]
    record = request[RECORD]
    names = dict.fromkeys(
        [*registry.models(), *registry.config.aliases, *registry.config.ensembles]
    )
    return [m for m in names if allows(record, "models", m)]


async def list_models(request: web.Request) -> web.StreamResponse:
    data = [_model_object(request, m) for m in _visible_models(request)]
    return web.json_response({"object": "list", "data": data})


async def retrieve_model(request: web.Request) -> web.StreamResponse:
    """OpenAI's model object; an id the caller may not use is as unknown as one not configured."""
    name = request.match_info["model"]
    if name not in _visible_models(request):
        return error_response(
            request,
            404,
            f"model: {redact(name[:200])!r} does not exist",
            "model_not_found",
            param="model",
        )
    return web.json_response(_model_object(request, name))


@guarded
async def count_tokens(request: web.Request) -> web.StreamResponse:
    """Anthropic's `count_tokens`: exact from an Anthropic deployment, else an estimate (the
    `x-mcproute-token-count` header says which)."""
    body = await checked_body(request, anthropic.COUNT_TOKENS)
    model = await _model(request, body["model"])
    with_context_anthropic(body, await referenced_messages(request, body))
    count = await model.count_tokens(body)
    return web.json_response(
        {"input_tokens": count.input_tokens},
        headers={TOKEN_COUNT_HEADER: "exact" if count.exact else "estimate"},
    )


@guarded
async def completions(request: web.Request) -> web.StreamResponse:
    """OpenAI's legacy completions, forwarded to OpenAI and OpenAI-compatible deployments."""
    body = await checked_body(request, openai.COMPLETIONS)
    model = await _model(request, body["model"])
    await governance.admit(request, body)
    if body.get("stream"):
        hide = not ask_usage(body)
        stream = model.completions_stream(body)
        return await _relay(request, body["model"], stream, anthropic=False, hide_usage=hide)
    result = await _call(request, "completions", body["model"], model.completions(body))
    return json_reply(result)


@web.middleware
async def unknown_routes(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A route or method that does not exist gets an error object in the caller's format (by
    path and headers), never aiohttp's plain-text page."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        response = error_response(
            request,
            405,
            f"method {request.method} is not allowed on {_shown(request)} (allowed: {allowed})",
            "method_not_allowed",
        )
        response.headers["Allow"] = allowed
        return response
    except web.HTTPNotFound:
        return error_response(
            request, 404, f"no route {request.method} {_shown(request)}", "route_not_found"
        )


def _shown(request: web.Request) -> str:
    """The path as the caller gave it, cut short and with anything like a credential redacted."""
    return redact(request.path[:200])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model:.+}", retrieve_model)  # ids may hold a "/"
    app.router.add_post("/v1/messages/count_tokens", count_tokens)
    app.router.add_post("/v1/completions", completions)
