"""Chat Completions rules beyond shapes, as OpenAI enforces them (checked after the shape
holds). Content part types per role and a `tool` message's `tool_call_id` are in the shape;
here: a `tool` message answers a tool call of the assistant message before it, an assistant
message's tool calls are all answered before the conversation goes on, and a `tool_choice`
naming a function needs that function in `tools`.
"""

from __future__ import annotations

from typing import Any

from mcproute.contract.shapes import Invalid


def tool_messages(body: dict[str, Any]) -> None:
    messages = body["messages"]
    for message in messages:  # most requests have no tool turns: one cheap pass
        if message["role"] == "tool" or message.get("tool_calls"):
            break
    else:
        return
    pending: list[str] = []  # the calls of the last assistant message, not yet answered
    asked: set[str] = set()
    after_calls = False  # inside the run of tool messages that follows an assistant's calls
    for i, message in enumerate(messages):
        role = message["role"]
        if role == "tool":
            call = message["tool_call_id"]
            if not after_calls or call not in asked:
                raise Invalid(
                    f"tool_call_id {call!r} answers no tool call of a preceding assistant message",
                    "messages",
                    i,
                    "tool_call_id",
                )
            if call in pending:
                pending.remove(call)
            continue
        if pending:
            raise Invalid(
                f"tool calls without a tool message answering them: {', '.join(pending)}",
                "messages",
                i - 1 - _tool_run(messages, i),
                "tool_calls",
            )
        calls = [c["id"] for c in message.get("tool_calls") or []] if role == "assistant" else []
        pending, asked, after_calls = list(calls), set(calls), bool(calls)


def _tool_run(messages: list[dict[str, Any]], end: int) -> int:
    """How many tool messages come right before `end`."""
    n = 0
    while end - 1 - n >= 0 and messages[end - 1 - n]["role"] == "tool":
        n += 1
    return n


def tool_choice(body: dict[str, Any]) -> None:
    choice = body.get("tool_choice")
    if choice is None or choice in ("none", "auto"):
        return
    tools = body.get("tools") or []
    if not tools:
        raise Invalid("tool_choice is only allowed when tools are given", "tool_choice")
    if isinstance(choice, dict) and choice["type"] in ("function", "custom"):
        kind = choice["type"]
        name = choice[kind]["name"]
        names = {t[kind]["name"] for t in tools if t["type"] == kind}
        if name not in names:
            raise Invalid(f"{kind} {name!r} is not in tools", "tool_choice", kind, "name")


OPENAI_CHAT_RULES = (tool_messages, tool_choice)
