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
CHECKED = ASSISTANT_ONLY | USER_ONLY


def _checked_blocks(messages: list[dict[str, Any]]) -> bool:
    """Whether any message holds a block these rules look at (most requests hold none, and
    then cost one pass over the contents)."""
    for message in messages:
        content = message["content"]
        if content.__class__ is not str:
            for block in content:
                if block["type"] in CHECKED:
                    return True
    return False


def _all_answered(waiting: list[tuple[int, str]], answered: set[str]) -> None:
    for i, ident in waiting:
        if ident not in answered:
            raise Invalid(
                f"tool_use id {ident!r} has no tool_result in the next message", "messages", i
            )


def tool_blocks(body: dict[str, Any]) -> None:
    """In one pass over the turns: blocks only in the role that may write them; each
    tool_result answers a tool_use of the assistant turn just before and comes before any other
    content of its turn; each tool_use of an assistant turn that is not the last is answered in
    the next turn."""
    messages = body["messages"]
    if not _checked_blocks(messages):
        return
    turn = None  # the role of the turn the message belongs to
    uses: list[tuple[int, str]] = []  # tool_use ids of the current assistant turn (message index)
    waiting: list[tuple[int, str]] = []  # those of the assistant turn before this user turn
    asked: set[str] = set()
    answered: set[str] = set()
    other = False  # content other than tool results seen in this user turn
    for i, message in enumerate(messages):
        role = message["role"]
        if role != turn:
            if role == "user":
                waiting, asked, answered, other = uses, {u for _, u in uses}, set(), False
            else:
                _all_answered(waiting, answered)
                uses = []
            turn = role
        content = message["content"]
        if content.__class__ is str:
            other = True
            continue
        wrong = USER_ONLY if role == "assistant" else ASSISTANT_ONLY
        for j, block in enumerate(content):
            kind = block["type"]
            if kind in wrong:
                raise Invalid(
                    f"{kind} blocks cannot be in {role} messages",
                    "messages",
                    i,
                    "content",
                    j,
                    "type",
                )
            if kind == "tool_use":
                uses.append((i, block["id"]))
            elif kind != "tool_result":
                other = True
            elif other:
                raise Invalid(
                    "tool_result blocks must come before any other content",
                    "messages",
                    i,
                    "content",
                    j,
                )
            elif block["tool_use_id"] not in asked:
                raise Invalid(
                    f"tool_use_id {block['tool_use_id']!r} answers no tool_use block of the"
                    " previous message",
                    "messages",
                    i,
                    "content",
                    j,
                    "tool_use_id",
                )
            else:
                answered.add(block["tool_use_id"])
    if turn == "user":
        _all_answered(waiting, answered)


def tool_choice(body: dict[str, Any]) -> None:
    choice = body.get("tool_choice")
    if choice is None or choice["type"] in ("auto", "none"):
        return
    names = {tool["name"] for tool in body.get("tools") or []}
    if not names:
        raise Invalid(f"tool_choice {choice['type']!r} needs tools", "tool_choice", "type")
    if choice["type"] == "tool" and choice["name"] not in names:
        raise Invalid(f"tool {choice['name']!r} is not in tools", "tool_choice", "name")


ANTHROPIC_RULES = (tool_blocks, tool_choice)
