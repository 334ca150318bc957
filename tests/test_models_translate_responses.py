"""Responses API ⇄ chat translation, with the `openai` SDK's types as the oracle of every
response object and stream event produced."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from mcproute.contract import ContractError
from mcproute.contract.responses import CREATE
from mcproute.models.translate_responses import (
    ChatToResponseStream,
    ResponseShell,
    items_to_messages,
    responses_to_chat_request,
)

EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
ID = "resp_" + "a" * 32


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}]}


def run(stream: ChatToResponseStream, chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = stream.start()
    for c in chunks:
        events += stream.feed(c)
    closing, response = stream.finish()
    events += [*closing, stream.completed()]
    assert events[-1]["response"] is response
    for event in events:
        EVENTS.validate_python(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    return events


def test_input_items_become_chat_turns() -> None:
    items: Any = [
        {"role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": "data:image/png;base64,AA", "detail": "low"},
            ],
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "calling", "annotations": []}],
        },
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call", "call_id": "c2", "name": "g", "arguments": '{"a":1}'},
        {"type": "function_call_output", "call_id": "c1", "output": "one"},
        {
            "type": "function_call_output",
            "call_id": "c2",
            "output": [{"type": "input_text", "text": "two"}],
        },
    ]
    CREATE.check({"model": "m", "input": items})
    assert items_to_messages(items) == [
        {"role": "developer", "content": "rules"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AA", "detail": "low"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": "calling",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "c2", "type": "function", "function": {"name": "g", "arguments": '{"a":1}'}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "one"},
        {"role": "tool", "tool_call_id": "c2", "content": "two"},
    ]


def test_request_fields_map_to_chat() -> None:
    body: Any = {
        "model": "m",
        "input": "now",
        "instructions": "be terse",
        "max_output_tokens": 64,
        "tools": [{"type": "function", "name": "f", "strict": True}],
        "tool_choice": {"type": "function", "name": "f"},
        "parallel_tool_calls": False,
        "metadata": {"team": "a"},
        "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}}},
        "reasoning": {"effort": "low"},
    }
    CREATE.check(body)
    chat, turn = responses_to_chat_request(body, [{"role": "user", "content": "before"}])
    assert turn == [{"role": "user", "content": "now"}]
    assert chat["messages"] == [
        {"role": "system", "content": "be terse"},
        {"role": "user", "content": "before"},
        {"role": "user", "content": "now"},
    ]
    assert chat["max_completion_tokens"] == 64
    assert chat["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "f",
                "strict": True,
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert chat["parallel_tool_calls"] is False
    assert chat["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "out", "schema": {"type": "object"}},
    }
    assert chat["reasoning_effort"] == "low"
    assert "metadata" not in chat  # the response keeps it; chat upstreams refuse it unstored


def test_a_completion_becomes_a_response() -> None:
    body: Any = {"model": "m", "input": "x", "metadata": {"k": "v"}, "max_output_tokens": 5}
    completion = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": "cut sho",
                    "tool_calls": [
                        {"id": "call_9", "function": {"name": "f", "arguments": '{"q":'}}
                    ],
                },
                "finish_reason": "length",
            }
        ],
        "usage": {
            "prompt_tokens": 7,
            "completion_tokens": 5,
            "total_tokens": 12,
            "prompt_tokens_details": {"cached_tokens": 3},
        },
    }
    response = ResponseShell(body, ID, "m").from_chat(completion)
    parsed = Response.model_validate(response)
    assert parsed.status == "incomplete"
    assert parsed.incomplete_details is not None
    assert parsed.incomplete_details.reason == "max_output_tokens"
    assert parsed.output_text == "cut sho"
    assert [i.type for i in parsed.output] == ["message", "function_call"]
    assert parsed.output[1].call_id == "call_9"  # type: ignore[union-attr]
    assert parsed.usage is not None
    assert parsed.usage.input_tokens_details.cached_tokens == 3
    assert parsed.metadata == {"k": "v"}
    assert items_to_messages(response["output"])[0]["tool_calls"][0]["id"] == "call_9"


def test_stream_of_text_then_calls_closes_each_item_in_turn() -> None:
    stream = ChatToResponseStream(ResponseShell({"model": "m", "input": "x"}, ID, "m"))
    events = run(
        stream,
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "Let me "}),
            chunk({"content": "check."}),
            chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f"}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
            chunk({"tool_calls": [{"index": 1, "id": "c2", "function": {"name": "g"}}]}),
            chunk({}, "tool_calls"),
            {"choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": 3}},
        ],
    )
    kinds = [e["type"] for e in events]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    final = Response.model_validate(events[-1]["response"])
    assert final.output_text == "Let me check."
    assert [getattr(i, "arguments", None) for i in final.output] == [None, '{"a":1}', ""]
    assert final.usage is not None
    assert final.usage.total_tokens == 5
    assert stream.usage == {"prompt_tokens": 2, "completion_tokens": 3}


def test_refusals_streamed_and_whole() -> None:
    stream = ChatToResponseStream(ResponseShell({}, ID, "m"))
    refusal = [chunk({"refusal": "I can't "}), chunk({"refusal": "help."}), chunk({}, "stop")]
    events = run(stream, refusal)
    kinds = [e["type"] for e in events]
    assert kinds[3:8] == [
        "response.content_part.added",
        "response.refusal.delta",
        "response.refusal.delta",
        "response.refusal.done",
        "response.content_part.done",
    ]
    assert events[6]["refusal"] == "I can't help."
    final = Response.model_validate(events[-1]["response"])
    assert final.output[0].content[0].type == "refusal"  # type: ignore[union-attr]
    whole = ResponseShell({}, ID, "m").from_chat(
        {"choices": [{"message": {"content": None, "refusal": "No."}, "finish_reason": "stop"}]}
    )
    assert Response.model_validate(whole).output[0].content[0].refusal == "No."  # type: ignore[union-attr]


def test_empty_and_cut_streams() -> None:
    empty = run(ChatToResponseStream(ResponseShell({}, ID, "m")), [chunk({}, "stop")])
    final = Response.model_validate(empty[-1]["response"])
    assert final.status == "completed"
    assert final.output_text == ""
    cut = run(ChatToResponseStream(ResponseShell({}, ID, "m")), [chunk({"content": "a"}, "length")])
    assert cut[-1]["type"] == "response.incomplete"
    assert cut[-1]["response"]["output"][0]["status"] == "incomplete"
    failing = ChatToResponseStream(ResponseShell({}, ID, "m"))
    events = failing.start() + failing.feed(chunk({"content": "half"}))
    events += failing.fail("server_error", "upstream server: gone")
    for event in events:
        EVENTS.validate_python(event)
    assert [e["type"] for e in events[-4:]] == [
        "response.content_part.done",
        "response.output_item.done",
        "error",
        "response.failed",
    ]
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "half"


@settings(max_examples=40, deadline=None)
@given(
    text=st.lists(st.text(min_size=1, max_size=8), max_size=6),
    pieces=st.lists(st.text(max_size=6), max_size=6),
)
def test_deltas_add_up_to_what_is_done(text: list[str], pieces: list[str]) -> None:
    chunks = [chunk({"content": t}) for t in text]
    if pieces:
        chunks.append(chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f"}}]}))
        chunks += [
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces
        ]
    events = run(ChatToResponseStream(ResponseShell({}, ID, "m")), [*chunks, chunk({}, "stop")])
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert deltas == "".join(text)
    args = "".join(
        e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"
    )
    assert args == "".join(pieces)
    final = Response.model_validate(events[-1]["response"])
    assert final.output_text == "".join(text)
    if pieces:
        assert json.dumps(final.output[-1].arguments) == json.dumps(args)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "m", "input": [{"content": "no role"}]}, "input[0].role"),
        (
            {"model": "m", "input": [{"role": "system", "content": [{"type": "input_image"}]}]},
            "input[0].content[0].type",
        ),
        ({"model": "m", "input": [{"type": "function_call", "call_id": "c"}]}, "input[0].name"),
        ({"model": "m", "input": "x", "conversation": "conv_1"}, "conversation"),
        (
            {"model": "m", "input": "x", "text": {"format": {"type": "json_schema"}}},
            "text.format.name",
        ),
    ],
)
def test_contract_names_the_path(body: Any, param: str) -> None:
    with pytest.raises(ContractError) as info:
        CREATE.check(body)
    assert info.value.param == param
