"""The Messages API's rules beyond shapes, as Anthropic enforces them (checked after the shape
holds, so every field has its documented type here).

Anthropic merges consecutive turns of one role, so alternation is not required; `system` is
not a role (the shape's role enum says so). What it refuses, and so is refused here first:
tool results that answer no `tool_use` of the message before, `tool_use` blocks left without
their results in the next message, text before the tool results of a message, blocks in the
wrong role's message, and a `tool_choice` naming a tool that is not in `tools`.
"""

from __future__ import annotations

from typing import Any

from mcproute.contract.shapes import Invalid

# Blocks only the model writes (assistant turns) and only the caller writes (user turns).
ASSISTANT_ONLY = frozenset(
    {"tool_use", "server_tool_use", "mcp_tool_use", "thinking", "redacted_thinking"}
)
USER_ONLY = frozenset({"tool_result"})


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message["content"]
    return content if isinstance(content, list) else []


def _ids(blocks: list[dict[str, Any]], kind: str, key: str) -> list[str]:
    return [b[key] for b in blocks if b["type"] == kind]


def block_roles(body: dict[str, Any]) -> None:
    for i, message in enumerate(body["messages"]):
        role = message["role"]
        wrong = USER_ONLY if role == "assistant" else ASSISTANT_ONLY
        for j, block in enumerate(_blocks(message)):
            if block["type"] in wrong:
                raise Invalid(
                    f"a {block['type']} block cannot be in a {role} message",
                    "messages",
                    i,
                    "content",
                    j,
                    "type",
                )


def tool_results(body: dict[str, Any]) -> None:
    """Each tool_result answers a tool_use of the message just before; each tool_use of an
    assistant message that is followed by another is answered there; results come first."""
    messages = body["messages"]
    for i, message in enumerate(messages):
        blocks = _blocks(message)
        if message["role"] == "user":
            asked = set(_ids(_blocks(messages[i - 1]), "tool_use", "id")) if i else set()
            seen_other = False
            for j, block in enumerate(blocks):
                if block["type"] != "tool_result":
                    seen_other = True
                    continue
                where = ("messages", i, "content", j)
                if seen_other:
                    raise Invalid("tool_result blocks must come before any other content", *where)
                if block["tool_use_id"] not in asked:
                    raise Invalid(
                        f"tool_use_id {block['tool_use_id']!r} answers no tool_use block of"
                        " the previous message",
                        *where,
                        "tool_use_id",
                    )
        elif i + 1 < len(messages):
            calls = _ids(blocks, "tool_use", "id")
            answered = set(_ids(_blocks(messages[i + 1]), "tool_result", "tool_use_id"))
            missing = [c for c in calls if c not in answered]
            if missing:
                raise Invalid(
                    f"tool_use ids without a tool_result in the next message: {', '.join(missing)}",
                    "messages",
                    i,
                )


def tool_choice(body: dict[str, Any]) -> None:
    choice = body.get("tool_choice")
    if choice is None or choice["type"] in ("auto", "none"):
        return
    names = {tool["name"] for tool in body.get("tools") or []}
    if not names:
        raise Invalid(f"tool_choice {choice['type']!r} needs tools", "tool_choice", "type")
    if choice["type"] == "tool" and choice["name"] not in names:
        raise Invalid(f"tool {choice['name']!r} is not in tools", "tool_choice", "name")


ANTHROPIC_RULES = (block_roles, tool_results, tool_choice)
