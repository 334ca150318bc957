"""OpenAI ⇄ Anthropic translation: round trips, SDK-type validity, and live cross-format calls."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from anthropic.types import Message, RawMessageStreamEvent
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import TypeAdapter

from mcproute.config import DeploymentConfig
from mcproute.models.target import ProviderTarget
from mcproute.models.translate import (
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
    anthropic_to_openai_request,
    anthropic_to_openai_response,
    openai_to_anthropic_request,
    openai_to_anthropic_response,
)
from mcproute.secret import Secret
from mcproute.testing.upstream import Simulator
from models_support import running_simulator

STREAM_EVENT: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)

OPENAI_REQUEST: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You are terse."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image, and the weather?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Rome"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": "rain"},
        {"role": "user", "content": "Thanks"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "description": "Weather by city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ],
    "tool_choice": {"type": "function", "function": {"name": "weather"}},
    "parallel_tool_calls": False,
    "max_tokens": 300,
    "temperature": 0.2,
    "top_p": 0.9,
    "stop": ["END"],
    "user": "u-1",
}


def test_openai_request_to_anthropic() -> None:
    out = openai_to_anthropic_request(OPENAI_REQUEST)
    assert out["system"] == "You are terse."
    assert [m["role"] for m in out["messages"]] == ["user", "assistant", "user"]
    image, url_image = out["messages"][0]["content"][1:]
    assert image["source"] == {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
    assert url_image["source"] == {"type": "url", "url": "https://example.com/cat.png"}
    tool_uses = [b for b in out["messages"][1]["content"] if b["type"] == "tool_use"]
    assert [b["input"] for b in tool_uses] == [{"city": "Paris"}, {"city": "Rome"}]
    results = out["messages"][2]["content"]
    assert [r.get("tool_use_id") for r in results[:2]] == ["call_1", "call_2"]
    assert results[2] == {"type": "text", "text": "Thanks"}
    assert out["tools"][0]["input_schema"]["properties"] == {"city": {"type": "string"}}
    assert out["tool_choice"] == {
        "type": "tool",
        "name": "weather",
        "disable_parallel_tool_use": True,
    }
    assert out["stop_sequences"] == ["END"]
    assert out["metadata"] == {"user_id": "u-1"}


def test_request_round_trip_openai_anthropic_openai() -> None:
    back = anthropic_to_openai_request(openai_to_anthropic_request(OPENAI_REQUEST))
    for key in ("model", "tools", "tool_choice", "parallel_tool_calls", "max_tokens", "stop"):
        assert back[key] == OPENAI_REQUEST[key], key
    assert back["temperature"] == 0.2
    assert back["user"] == "u-1"
    roles = [m["role"] for m in back["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "tool", "user"]
    assert back["messages"][1]["content"] == OPENAI_REQUEST["messages"][1]["content"]
    assert back["messages"][2] == OPENAI_REQUEST["messages"][2]
    assert back["messages"][3:] == OPENAI_REQUEST["messages"][3:]


def test_request_round_trip_anthropic_openai_anthropic() -> None:
    request = openai_to_anthropic_request(OPENAI_REQUEST)
    assert openai_to_anthropic_request(anthropic_to_openai_request(request)) == request


@pytest.mark.parametrize(
    ("tool_choice", "anthropic_choice"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
    ],
)
def test_tool_choice_both_ways(tool_choice: str, anthropic_choice: dict[str, Any]) -> None:
    request = {"model": "m", "messages": [], "tool_choice": tool_choice}
    translated = openai_to_anthropic_request(request)
    assert translated["tool_choice"] == anthropic_choice
    assert anthropic_to_openai_request(translated)["tool_choice"] == tool_choice


ANTHROPIC_MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-5-5",
    "content": [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 20, "output_tokens": 7, "cache_read_input_tokens": 5},
}


def test_response_round_trip_through_sdk_types() -> None:
    completion = anthropic_to_openai_response(ANTHROPIC_MESSAGE)
    parsed = ChatCompletion.model_validate(completion)
    assert parsed.choices[0].finish_reason == "tool_calls"
    assert parsed.choices[0].message.content == "Checking."
    assert parsed.usage is not None
    assert (parsed.usage.prompt_tokens, parsed.usage.completion_tokens) == (25, 7)
    message = openai_to_anthropic_response(completion)
    Message.model_validate(message)
    for key in ("id", "model", "content", "stop_reason", "usage"):
        assert message[key] == ANTHROPIC_MESSAGE[key], key


@pytest.mark.parametrize(
    ("anthropic_stop", "openai_stop"),
    [
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
    ],
)
def test_stop_reasons(anthropic_stop: str, openai_stop: str) -> None:
    completion = anthropic_to_openai_response({**ANTHROPIC_MESSAGE, "stop_reason": anthropic_stop})
    assert completion["choices"][0]["finish_reason"] == openai_stop
    assert openai_to_anthropic_response(completion)["stop_reason"] == anthropic_stop


def _anthropic_events() -> list[dict[str, Any]]:
    start = {**ANTHROPIC_MESSAGE, "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": 20, "output_tokens": 1}
    return [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"city":'},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '"Oslo"}'},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    ]


def test_stream_round_trip_anthropic_openai_anthropic() -> None:
    to_openai = AnthropicToOpenAIStream()
    chunks = [c for e in _anthropic_events() for c in to_openai.feed(e)]
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Hi!"
    assert chunks[-1]["usage"] == {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29}

    to_anthropic = OpenAIToAnthropicStream()
    events = [e for c in chunks for e in to_anthropic.feed(c)] + to_anthropic.finish()
    for event in events:
        STREAM_EVENT.validate_python(event)
    original = _anthropic_events()
    assert [e["type"] for e in events] == [e["type"] for e in original]
    assert [e.get("delta") for e in events[2:-2]] == [e.get("delta") for e in original[2:-2]]
    assert events[-2]["delta"]["stop_reason"] == "tool_use"
    # OpenAI's usage comes last: the input count rides on message_delta, as Anthropic's does
    assert events[-2]["usage"] == {"input_tokens": 20, "output_tokens": 9}


# ----------------------------------------------------------------------------- live, cross-format


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with running_simulator(tokens=4) as s:
        yield s


def _target(sim: Simulator, provider_type: str) -> ProviderTarget:
    return ProviderTarget(
        DeploymentConfig(
            name=f"{provider_type}/m#0",
            group="m",
            provider=provider_type,
            provider_type=provider_type,
            endpoint=sim.url,
            api_key=Secret("k"),
            api_key_source="literal",
            model="upstream-model",
        )
    )


TOOLS = OPENAI_REQUEST["tools"]


async def test_openai_client_on_anthropic_model(sim: Simulator) -> None:
    target = _target(sim, "anthropic")
    body = {"model": "m", "messages": [{"role": "system", "content": "S"}, *USER], "tools": TOOLS}
    completion = await target.chat(body)
    ChatCompletion.model_validate(completion)
    assert sim.requests[-1].path == "/v1/messages"
    assert sim.requests[-1].body["system"] == "S"
    call = completion["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "weather", "arguments": '{"city":"sim"}'}

    chunks = [c async for c in target.chat_stream({**body, "tools": None})]
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "echo: hi there w3"
    assert all("usage" not in c for c in chunks)  # not asked for, not sent


async def test_anthropic_client_on_openai_model(sim: Simulator) -> None:
    target = _target(sim, "openai")
    body = {
        "model": "m",
        "system": "S",
        "max_tokens": 50,
        "messages": USER,
        "tools": [{"name": "weather", "input_schema": {"type": "object", "properties": {}}}],
    }
    message = await target.messages(body)
    Message.model_validate(message)
    assert sim.requests[-1].path == "/v1/chat/completions"
    assert sim.requests[-1].body["messages"][0] == {"role": "system", "content": "S"}
    assert message["stop_reason"] == "tool_use"

    events = [e async for e in target.messages_stream({**body, "tools": []})]
    for event in events:
        STREAM_EVENT.validate_python(event)
    assert sim.requests[-1].body["stream_options"] == {"include_usage": True}
    assert events[-2]["usage"]["output_tokens"] == 4
    text = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
    assert text == "echo: hi there w3"


USER = [{"role": "user", "content": "hi there"}]


# ----------------------------------------------------------------------------- property


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)
_args = st.dictionaries(
    st.text("abcxyz_", min_size=1, max_size=5),
    st.one_of(st.integers(-5, 5), st.booleans(), _text, st.none()),
    max_size=3,
)


@st.composite
def conversations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """OpenAI conversations in the shape that maps one-to-one onto Anthropic turns."""
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(_text)})
    for turn in range(draw(st.integers(1, 4))):
        messages.append({"role": "user", "content": draw(_text)})
        calls = [
            {
                "id": f"call_{turn}_{i}",
                "type": "function",
                "function": {"name": f"tool{i}", "arguments": orjson.dumps(draw(_args)).decode()},
            }
            for i in range(draw(st.integers(0, 2)))
        ]
        reply: dict[str, Any] = {"role": "assistant", "content": draw(st.one_of(st.none(), _text))}
        if calls:
            reply["tool_calls"] = calls
        elif reply["content"] is None:
            reply["content"] = draw(_text)
        messages.append(reply)
        messages += [
            {"role": "tool", "tool_call_id": c["id"], "content": draw(_text)} for c in calls
        ]
    return messages


@given(conversations())
@settings(max_examples=150, deadline=None)
def test_conversations_survive_a_round_trip(messages: list[dict[str, Any]]) -> None:
    request = {"model": "m", "messages": messages, "max_tokens": 10}
    anthropic_request = openai_to_anthropic_request(request)
    roles = [m["role"] for m in anthropic_request["messages"]]
    assert all(a != b for a, b in itertools.pairwise(roles))  # turns alternate
    assert anthropic_to_openai_request(anthropic_request)["messages"] == messages
