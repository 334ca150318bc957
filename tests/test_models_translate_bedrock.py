"""Translation to and from Converse on hostile input: any JSON shape gives a request or a clear
refusal (never a crash), and any Converse reply or event translates without one."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.translate_bedrock import (
    ConverseToAnthropicStream,
    ConverseToOpenAIStream,
    anthropic_to_converse,
    converse_to_anthropic,
    converse_to_openai,
    openai_to_converse,
)

_SCALAR = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_KEYS = st.sampled_from(
    [
        "role", "content", "type", "text", "image_url", "url", "tool_calls", "function", "name",
        "arguments", "id", "tool_call_id", "source", "data", "media_type", "tool_use_id",
        "input", "is_error", "messages", "system", "tools", "tool_choice", "parameters",
        "input_schema", "stop", "max_tokens", "output", "message", "toolUse", "toolUseId",
        "usage", "inputTokens", "stopReason", "delta", "start", "contentBlockIndex",
    ]
)  # fmt: skip
_JSON = st.recursive(
    _SCALAR
    | st.sampled_from(["user", "assistant", "tool", "system", "text", "image", "image_url"])
    | st.sampled_from(["tool_use", "tool_result", "function", "base64", "auto", "any", "none"])
    | st.just("data:image/png;base64,AAAA"),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=30,
)


def _translates_or_refuses(fn: Any, body: Any) -> None:
    try:
        out = fn(body)
    except UpstreamError as exc:
        refused: UpstreamError | None = exc
    else:
        refused = None
        assert isinstance(out["messages"], list)
    assert refused is None or refused.kind is FailureKind.BAD_REQUEST


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=6))
def test_requests_never_crash(body: dict[str, Any]) -> None:
    _translates_or_refuses(openai_to_converse, body)
    _translates_or_refuses(anthropic_to_converse, body)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=6), st.lists(st.tuples(st.text(max_size=20), _JSON)))
def test_replies_and_events_never_crash(reply: dict[str, Any], events: list[Any]) -> None:
    converse_to_openai(reply, "m", "id")
    converse_to_anthropic(reply, "m", "id")
    to_openai = ConverseToOpenAIStream("m", "id", include_usage=True)
    to_anthropic = ConverseToAnthropicStream("m", "id")
    kinds = ["messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop"]
    kinds += ["messageStop", "metadata"]
    for name, payload in events:
        kind = kinds[len(name) % len(kinds)]
        event = payload if isinstance(payload, dict) else {"delta": payload}
        to_openai.feed(kind, event)
        to_anthropic.feed(kind, event)
    to_anthropic.finish()
