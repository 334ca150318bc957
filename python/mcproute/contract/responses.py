"""OpenAI's Responses API (`POST /v1/responses`): the part a chat-style upstream can carry.

Open like the chat contract: fields OpenAI adds later pass through (and are ignored), known
ones are type-checked. Input items, content parts and tools are checked by their `type`; only
what translates to a chat request is accepted (messages, function calls and their outputs,
text, image and file parts, function tools), and anything else is refused naming its path,
never silently dropped. `context_id` is ours (a shared context to prepend).
"""

from __future__ import annotations

from typing import Any

from mcproute.context.responses import RESPONSE_ID as ID_PATTERN
from mcproute.contract.contract import Contract
from mcproute.contract.openai import METADATA, NAME, TOKENS
from mcproute.contract.shapes import (
    Bool,
    Invalid,
    List,
    Num,
    Obj,
    Required,
    Shape,
    Str,
    Tagged,
    Union,
)

RESPONSE_ID = Str(
    pattern=ID_PATTERN.pattern, describe="a response id: 'resp_' followed by 32 hex digits"
)
STATUS = Str(enum=("in_progress", "completed", "incomplete"))
INPUT_TEXT = Obj({"text": Required(Str())})
INPUT_IMAGE = Obj(
    {
        "image_url": Required(Str(min_len=1)),  # no Files API here: file_id has nothing to name
        "detail": Str(enum=("auto", "low", "high", "original")),
    }
)
INPUT_FILE = Obj({"file_data": Str(), "file_id": Str(), "filename": Str()})
INPUT_PARTS = List(
    Tagged("type", {"input_text": INPUT_TEXT, "input_image": INPUT_IMAGE, "input_file": INPUT_FILE})
)
TEXT_PARTS = List(Tagged("type", {"input_text": INPUT_TEXT}))
ASSISTANT_PARTS = List(
    Tagged(
        "type",
        {
            "output_text": Obj({"text": Required(Str()), "annotations": List(Obj())}),
            "input_text": INPUT_TEXT,
            "refusal": Obj({"refusal": Required(Str())}),
        },
    )
)


def _message(content: Shape) -> Obj:
    return Obj(
        {
            "content": Required(content),
            "type": Str(enum=("message",)),
            "id": Str(),
            "status": STATUS,
            "phase": Str(),
        }
    )


INSTRUCTION = _message(Union(Str(), TEXT_PARTS))
MESSAGE = Tagged(
    "role",
    {
        "user": _message(Union(Str(), INPUT_PARTS)),
        "system": INSTRUCTION,
        "developer": INSTRUCTION,
        "assistant": _message(Union(Str(), ASSISTANT_PARTS)),
    },
    describe="a message item with a role",
)
FUNCTION_CALL = Obj(
    {
        "call_id": Required(Str(min_len=1)),
        "name": Required(Str(min_len=1)),
        "arguments": Required(Str()),
        "id": Str(),
        "status": STATUS,
    }
)
FUNCTION_CALL_OUTPUT = Obj(
    {
        "call_id": Required(Str(min_len=1)),
        "output": Required(Union(Str(), TEXT_PARTS)),  # a chat `tool` message is text only
        "id": Str(),
        "status": STATUS,
    }
)
CALLS = Tagged(
    "type", {"function_call": FUNCTION_CALL, "function_call_output": FUNCTION_CALL_OUTPUT}
)
ITEM_TYPE = Str(enum=("message", *CALLS.variants))


class InputItem(Shape):
    """An input item, tagged by `type`; a message may leave it out (OpenAI's "easy" input
    message is `{role, content}`), so a missing type means a message."""

    kinds = (dict,)
    describe = "an input item (a message, function_call or function_call_output)"
    message = MESSAGE
    calls = CALLS

    def check(self, value: Any) -> None:
        if type(value) is not dict:
            self.fail(value)
        kind = value.get("type")
        if kind is None or kind == "message":
            MESSAGE.check(value)
        elif type(kind) is str and kind in CALLS.variants:
            CALLS.check(value)
        else:
            raise Invalid(f"expected {ITEM_TYPE.describe}", "type")


FUNCTION_TOOL = Obj(
    {
        "name": Required(Str(min_len=1, max_len=64)),
        "description": Str(),
        "parameters": Obj(),
        "strict": Bool(),
    }
)
TOOL_CHOICE = Union(
    Str(enum=("none", "auto", "required")),
    Tagged("type", {"function": Obj({"name": Required(Str(min_len=1))})}),
)
TEXT_FORMAT = Tagged(
    "type",
    {
        "text": Obj(),
        "json_object": Obj(),
        "json_schema": Obj(
            {
                "name": Required(Str(min_len=1, max_len=64)),
                "schema": Required(Obj()),
                "description": Str(),
                "strict": Bool(),
            }
        ),
    },
)

CREATE = Contract(
    "openai.responses",
    Obj(
        {
            "model": Required(NAME),
            "input": Required(Union(Str(), List(InputItem()))),
            "instructions": Str(),
            "previous_response_id": RESPONSE_ID,
            "store": Bool(),
            "stream": Bool(),
            "stream_options": Obj({"include_obfuscation": Bool()}),
            "max_output_tokens": TOKENS,
            "temperature": Num(0, 2),
            "top_p": Num(0, 1),
            "tools": List(Tagged("type", {"function": FUNCTION_TOOL})),
            "tool_choice": TOOL_CHOICE,
            "parallel_tool_calls": Bool(),
            "text": Obj({"format": TEXT_FORMAT, "verbosity": Str(enum=("low", "medium", "high"))}),
            "reasoning": Obj({"effort": Str(), "summary": Str()}),
            "truncation": Str(enum=("auto", "disabled")),
            "metadata": METADATA,
            "user": Str(),
            "safety_identifier": Str(),
            "prompt_cache_key": Str(),
            "service_tier": Str(),
            "include": List(Str()),
            "background": Bool(),
            "context_id": Str(),
        }
    ),
)


@CREATE.rule
def _served_here(body: dict[str, Any]) -> None:
    """Features that need OpenAI's own state or workers: refused, not ignored."""
    if body.get("background"):
        raise Invalid("background responses are not supported; stream instead", "background")
    for name in ("conversation", "prompt"):
        if body.get(name) is not None:
            raise Invalid("not supported; chain responses with previous_response_id", name)
    tool_choice = body.get("tool_choice")
    if isinstance(tool_choice, dict):
        named = {t["name"] for t in body.get("tools") or []}
        if tool_choice["name"] not in named:
            raise Invalid("names no function in tools", "tool_choice", "name")


__all__ = ["CREATE", "RESPONSE_ID"]
