"""The Messages API's rules beyond shapes, as Anthropic enforces them (checked after the shape
holds, so every field has its documented type here).

Anthropic merges consecutive messages of one role into one turn, so alternation is not
required (the rules below look at turns); `system` is not a role (the shape's role enum says
so). What it refuses, and so is refused here first:
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
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


# A turn: consecutive messages of one role, as Anthropic merges them; each block with the
# path of the message and block it came from.
Turn = tuple[str, list[tuple[int, int, dict[str, Any]]]]


def _turns(messages: list[dict[str, Any]]) -> list[Turn]:
    turns: list[Turn] = []
    for i, message in enumerate(messages):
        blocks = [(i, j, block) for j, block in enumerate(_blocks(message))]
        if turns and turns[-1][0] == message["role"]:
            turns[-1][1].extend(blocks)
        else:
            turns.append((message["role"], blocks))
    return turns


def block_roles(body: dict[str, Any]) -> None:
    for i, message in enumerate(body["messages"]):
        role = message["role"]
        wrong = USER_ONLY if role == "assistant" else ASSISTANT_ONLY
        for j, block in enumerate(_blocks(message)):
            if block["type"] in wrong:
                raise Invalid(
                    f"{block['type']} blocks cannot be in {role} messages",
                    "messages",
                    i,
                    "content",
                    j,
                    "type",
                )


def tool_results(body: dict[str, Any]) -> None:
    """Each tool_result answers a tool_use of the turn just before, results come first in
    their turn, and each tool_use of an assistant turn that is not the last is answered in the
    next one."""
    turns = _turns(body["messages"])
    for t, (role, blocks) in enumerate(turns):
        if role == "user":
            before = turns[t - 1][1] if t else []
            asked = {b["id"] for _, _, b in before if b["type"] == "tool_use"}
            seen_other = False
            for i, j, block in blocks:
                if block["type"] != "tool_result":
                    seen_other = True
                    continue
                where = ("messages", i, "content", j)
                if seen_other:
                    raise Invalid("tool_result blocks must come before any other content", *where)
                if block["tool_use_id"] not in asked:
                    raise Invalid(
                        f"tool_use_id {block['tool_use_id']!r} answers no tool_use block of the"
                        " previous message",
                        *where,
                        "tool_use_id",
                    )
    for t, (role, blocks) in enumerate(turns[:-1]):  # stray results named first, above
        if role == "assistant":
            answered = {b["tool_use_id"] for _, _, b in turns[t + 1][1] if "tool_use_id" in b}
            for i, _, block in blocks:
                if block["type"] == "tool_use" and block["id"] not in answered:
                    raise Invalid(
                        f"tool_use id {block['id']!r} has no tool_result in the next message",
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
