"""The per-API rules beyond shapes (roles, tool calls and their answers, tool_choice), each
refused with the JSON path it objects to, and conversations the APIs accept let through."""

from __future__ import annotations

from typing import Any

import pytest

from mcproute.contract import ContractError, anthropic, openai
from mcproute.models.translate import anthropic_to_openai_request, openai_to_anthropic_request

WEATHER_OPENAI = {
    "type": "function",
    "function": {"name": "weather", "parameters": {"type": "object"}},
}
WEATHER_ANTHROPIC = {"name": "weather", "input_schema": {"type": "object"}}


def _call(ident: str) -> dict[str, Any]:
    return {"id": ident, "type": "function", "function": {"name": "weather", "arguments": "{}"}}


def _chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": list(messages), "tools": [WEATHER_OPENAI], **extra}


def _use(ident: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": ident, "name": "weather", "input": {}}


def _result(ident: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": ident, "content": "sunny"}


def _messages(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"model": "m", "max_tokens": 5, "messages": list(messages)}
    return {"tools": [WEATHER_ANTHROPIC], **body, **extra}


USER = {"role": "user", "content": "weather?"}
OPENAI_ROUND = [
    USER,
    {"role": "assistant", "content": None, "tool_calls": [_call("c1"), _call("c2")]},
    {"role": "tool", "tool_call_id": "c2", "content": "rain"},
    {"role": "tool", "tool_call_id": "c1", "content": "sun"},
    {"role": "assistant", "content": "mixed"},
    {"role": "user", "content": "thanks"},
]
ANTHROPIC_ROUND = [
    USER,
    {"role": "assistant", "content": [{"type": "text", "text": "let me see"}, _use("t1")]},
    {"role": "user", "content": [_result("t1"), {"type": "text", "text": "and tomorrow?"}]},
    {"role": "user", "content": "merged with the turn before, as Anthropic does"},
    {"role": "assistant", "content": "sunny"},
    {"role": "assistant", "content": [_use("t2")]},  # the last turn: nothing answers it yet
    {"role": "assistant", "content": "merged into the last turn"},
]


def _refused(contract: Any, body: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ContractError) as info:
        contract.check(body)
    return info.value.param, info.value.problem


def test_conversations_the_apis_accept_pass() -> None:
    openai.CHAT.check(_chat(*OPENAI_ROUND, tool_choice="required"))
    openai.CHAT.check(
        _chat(USER, tool_choice={"type": "function", "function": {"name": "weather"}})
    )
    anthropic.MESSAGES.check(_messages(*ANTHROPIC_ROUND, tool_choice={"type": "any"}))
    anthropic.COUNT_TOKENS.check(
        {"model": "m", "messages": ANTHROPIC_ROUND[:3], "tools": [WEATHER_ANTHROPIC]}
    )
    # Translation keeps a valid conversation valid in the other format, both ways.
    openai.CHAT.check(anthropic_to_openai_request(_messages(*ANTHROPIC_ROUND[:3])))
    anthropic.MESSAGES.check(openai_to_anthropic_request(_chat(*OPENAI_ROUND, max_tokens=5)))


@pytest.mark.parametrize(
    ("messages", "param", "problem"),
    [
        (
            [USER, {"role": "tool", "tool_call_id": "c1", "content": "x"}],
            "messages[1].tool_call_id",
            "answers no tool call",
        ),
        (
            [
                USER,
                {"role": "assistant", "tool_calls": [_call("c1")]},
                {"role": "tool", "tool_call_id": "c9", "content": "x"},
            ],
            "messages[2].tool_call_id",
            "'c9' answers no tool call",
        ),
        (
            [
                USER,
                {"role": "assistant", "tool_calls": [_call("c1"), _call("c2")]},
                {"role": "tool", "tool_call_id": "c1", "content": "x"},
                {"role": "user", "content": "and?"},
            ],
            "messages[1].tool_calls",
            "without a tool message answering them: c2",
        ),
        (
            [
                USER,
                {"role": "assistant", "tool_calls": [_call("c1")]},
                {"role": "tool", "tool_call_id": "c1", "content": "x"},
                {"role": "user", "content": "again"},
                {"role": "tool", "tool_call_id": "c1", "content": "x"},
            ],
            "messages[4].tool_call_id",
            "answers no tool call",
        ),
    ],
)
def test_openai_tool_messages_answer_the_calls_before_them(
    messages: list[dict[str, Any]], param: str, problem: str
) -> None:
    got_param, got_problem = _refused(openai.CHAT, _chat(*messages))
    assert got_param == param
    assert problem in got_problem


def test_openai_tool_choice_names_a_given_tool() -> None:
    named = {"type": "function", "function": {"name": "nope"}}
    assert _refused(openai.CHAT, _chat(USER, tool_choice=named)) == (
        "tool_choice.function.name",
        "function 'nope' is not in tools",
    )
    no_tools = {"model": "m", "messages": [USER], "tool_choice": "required"}
    assert _refused(openai.CHAT, no_tools)[0] == "tool_choice"
    openai.CHAT.check({"model": "m", "messages": [USER], "tool_choice": "auto"})


@pytest.mark.parametrize(
    ("messages", "param", "problem"),
    [
        (
            [{"role": "user", "content": [_result("t1")]}],
            "messages[0].content[0].tool_use_id",
            "'t1' answers no tool_use block of the previous message",
        ),
        (
            [
                USER,
                {"role": "assistant", "content": [_use("t1")]},
                {"role": "user", "content": [_result("t2")]},
            ],
            "messages[2].content[0].tool_use_id",
            "'t2' answers no tool_use",
        ),
        (
            [
                USER,
                {"role": "assistant", "content": [_use("t1")]},
                {"role": "user", "content": "hm"},
            ],
            "messages[1]",
            "tool_use id 't1' has no tool_result in the next message",
        ),
        (
            [
                USER,
                {"role": "assistant", "content": [_use("t1")]},
                {"role": "user", "content": [{"type": "text", "text": "x"}, _result("t1")]},
            ],
            "messages[2].content[1]",
            "tool_result blocks must come before any other content",
        ),
        (
            [{"role": "user", "content": [_use("t1")]}],
            "messages[0].content[0].type",
            "tool_use blocks cannot be in user messages",
        ),
        (
            [USER, {"role": "assistant", "content": [_result("t1")]}],
            "messages[1].content[0].type",
            "tool_result blocks cannot be in assistant messages",
        ),
    ],
)
def test_anthropic_tool_results_answer_the_tool_use_before_them(
    messages: list[dict[str, Any]], param: str, problem: str
) -> None:
    for contract in (anthropic.MESSAGES, anthropic.COUNT_TOKENS):
        got_param, got_problem = _refused(contract, _messages(*messages))
        assert got_param == param
        assert problem in got_problem


def test_anthropic_roles_and_tool_choice() -> None:
    system_role = _messages({"role": "system", "content": "x"}, USER)
    assert _refused(anthropic.MESSAGES, system_role)[0] == "messages[0].role"
    named = _messages(USER, tool_choice={"type": "tool", "name": "nope"})
    assert _refused(anthropic.MESSAGES, named) == (
        "tool_choice.name",
        "tool 'nope' is not in tools",
    )
    bare = {"model": "m", "max_tokens": 5, "messages": [USER], "tool_choice": {"type": "any"}}
    assert _refused(anthropic.MESSAGES, bare) == (
        "tool_choice.type",
        "tool_choice 'any' needs tools",
    )
