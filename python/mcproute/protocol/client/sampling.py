"""Serve an MCP server's `sampling/createMessage` requests with our own models.

`sampling_handler(registry)` is an `on_request` callback for MCPConnection: the server's
messages, system prompt, maxTokens, temperature and stop sequences become one routed completion
(the model is the first `modelPreferences.hints` name the registry knows, else the default).
"""

from __future__ import annotations

from typing import Any

from mcproute.models import ModelNotFoundError, ModelRegistry
from mcproute.protocol.client.connection import OnRequest
from mcproute.protocol.jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, Json, MCPError

STOP_REASONS = {"stop": "endTurn", "length": "maxTokens", "tool_calls": "toolUse"}


def _text_of(content: Any) -> str:
    blocks = content if isinstance(content, list) else [content]
    texts = [b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
    if not texts:
        raise MCPError(INVALID_PARAMS, "params.messages: only text content can be sampled here")
    return "\n".join(texts)


def sampling_handler(registry: ModelRegistry, default_model: str = "text-generation") -> OnRequest:
    async def on_request(method: str, params: Json) -> Json:
        if method != "sampling/createMessage":
            raise MCPError(METHOD_NOT_FOUND, f"method not found: {method!r}")
        messages = [
            {"role": m.get("role", "user"), "content": _text_of(m.get("content"))}
            for m in params.get("messages", [])
        ]
        if params.get("systemPrompt"):
            messages.insert(0, {"role": "system", "content": params["systemPrompt"]})
        hints = [h.get("name") for h in (params.get("modelPreferences") or {}).get("hints", [])]
        model = None
        for name in [*filter(None, hints), default_model]:
            try:
                model = await registry.get_model(name)
                break
            except ModelNotFoundError:
                continue
        if model is None:
            raise MCPError(INVALID_PARAMS, "no model available for sampling")
        options: dict[str, Any] = {"max_tokens": params.get("maxTokens")}
        if params.get("temperature") is not None:
            options["temperature"] = params["temperature"]
        if params.get("stopSequences"):
            options["stop"] = params["stopSequences"]
        result = await model.generate(None, messages, **options)
        return {
            "role": "assistant",
            "content": {"type": "text", "text": result.text},
            "model": result.model or model.name,
            "stopReason": STOP_REASONS.get(result.finish_reason or "", "endTurn"),
        }

    return on_request
