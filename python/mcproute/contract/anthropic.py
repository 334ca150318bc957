"""Anthropic's Messages API (`POST /v1/messages`), as Anthropic documents it.

Open like OpenAI's: unknown fields pass through, known ones are type-checked. `max_tokens` is
required here, unlike OpenAI's API. `context_id` is ours.
"""

from __future__ import annotations

from mcproute.contract.anthropic_rules import ANTHROPIC_RULES
from mcproute.contract.contract import Contract
from mcproute.contract.shapes import (
    Bool,
    Field,
    Int,
    List,
    Num,
    Obj,
    Required,
    Shape,
    Str,
    Tagged,
    Union,
)

NAME = Str(min_len=1)
CACHE_CONTROL = Obj({"type": Required(Str(enum=("ephemeral",))), "ttl": Str()})
TEXT = Obj({"text": Required(Str()), "cache_control": CACHE_CONTROL, "citations": List(Obj())})
BASE64 = Obj({"media_type": Required(Str()), "data": Required(Str())})
URL = Obj({"url": Required(Str())})
FILE = Obj({"file_id": Required(Str())})
IMAGE = Obj(
    {
        "source": Required(Tagged("type", {"base64": BASE64, "url": URL, "file": FILE})),
        "cache_control": CACHE_CONTROL,
    }
)
DOCUMENT = Obj(
    {
        "source": Required(
            Tagged(
                "type",
                {
                    "base64": BASE64,
                    "url": URL,
                    "file": FILE,
                    "text": BASE64,
                    "content": Obj(
                        {"content": Required(Union(Str(), List(Obj({"type": Required(Str())}))))}
                    ),
                },
            )
        ),
        "title": Str(),
        "context": Str(),
        "citations": Obj(),
        "cache_control": CACHE_CONTROL,
    }
)
SEARCH_RESULT = Obj(
    {
        "source": Required(Str()),
        "title": Required(Str()),
        "content": Required(List(Tagged("type", {"text": TEXT}))),
        "cache_control": CACHE_CONTROL,
    }
)
TOOL_USE = Obj({"id": Required(Str()), "name": Required(Str()), "input": Required(Obj())})
RESULT_OF = Obj({"tool_use_id": Required(Str())})  # server tools' results: provider-defined
TOOL_RESULT = Obj(
    {
        "tool_use_id": Required(Str()),
        "content": Union(
            Str(),
            List(
                Tagged(
                    "type",
                    {
                        "text": TEXT,
                        "image": IMAGE,
                        "document": DOCUMENT,
                        "search_result": SEARCH_RESULT,
                    },
                )
            ),
        ),
        "is_error": Bool(),
        "cache_control": CACHE_CONTROL,
    }
)
BLOCK = Tagged(
    "type",
    {
        "text": TEXT,
        "image": IMAGE,
        "document": DOCUMENT,
        "search_result": SEARCH_RESULT,
        "tool_use": TOOL_USE,
        "tool_result": TOOL_RESULT,
        "thinking": Obj({"thinking": Required(Str()), "signature": Required(Str())}),
        "redacted_thinking": Obj({"data": Required(Str())}),
        "server_tool_use": TOOL_USE,
        "web_search_tool_result": RESULT_OF,
        "web_fetch_tool_result": RESULT_OF,
        "code_execution_tool_result": RESULT_OF,
        "bash_code_execution_tool_result": RESULT_OF,
        "text_editor_code_execution_tool_result": RESULT_OF,
        "mcp_tool_use": Obj(
            {
                "id": Required(Str()),
                "name": Required(Str()),
                "server_name": Required(Str()),
                "input": Required(Obj()),
            }
        ),
        "mcp_tool_result": RESULT_OF,
        "container_upload": FILE,
    },
)
MESSAGE = Obj(
    {
        "role": Required(Str(enum=("user", "assistant"))),
        "content": Required(Union(Str(), List(BLOCK))),
    }
)
# Custom tools have an input_schema; server tools (`type` such as "web_search_20250305") have
# their own fields, so only the common ones are checked.
TOOL = Obj(
    {
        "name": Required(Str(min_len=1, max_len=128)),
        "type": Str(),
        "description": Str(),
        "input_schema": Obj(),
        "cache_control": CACHE_CONTROL,
    }
)
PARALLEL = Obj({"disable_parallel_tool_use": Bool()})
TOOL_CHOICE = Tagged(
    "type",
    {
        "auto": PARALLEL,
        "any": PARALLEL,
        "tool": Obj({"name": Required(Str()), "disable_parallel_tool_use": Bool()}),
        "none": Obj(),
    },
)

# What a request for a model turn says, shared by Messages and token counting.
PROMPT: dict[str, Shape | Field] = {
    "model": Required(NAME),
    "messages": Required(List(MESSAGE)),
    "system": Union(Str(), List(Tagged("type", {"text": TEXT}))),
    "mcp_servers": List(
        Obj({"type": Required(Str()), "url": Required(Str()), "name": Required(Str())})
    ),
    "thinking": Tagged(
        "type",
        {
            "enabled": Obj({"budget_tokens": Required(Int(1024, 2**31 - 1))}),
            "disabled": Obj(),
        },
    ),
    "tool_choice": TOOL_CHOICE,
    "tools": List(TOOL),
    "context_id": Str(),
}

MESSAGES = Contract(
    "anthropic.messages",
    Obj(
        {
            "model": PROMPT["model"],  # first, then max_tokens: the order problems are named in
            "max_tokens": Required(Int(1, 2**31 - 1)),
            **PROMPT,
            "container": Str(),
            "metadata": Obj({"user_id": Str(max_len=256)}),
            "service_tier": Str(enum=("auto", "standard_only")),
            "stop_sequences": List(Str()),
            "stream": Bool(),
            "temperature": Num(0, 1),
            "top_k": Int(0, 2**31 - 1),
            "top_p": Num(0, 1),
        }
    ),
    rules=ANTHROPIC_RULES,
)
# `POST /v1/messages/count_tokens`: the prompt alone (no max_tokens, nothing about sampling).
COUNT_TOKENS = Contract("anthropic.count_tokens", Obj(PROMPT), rules=ANTHROPIC_RULES)

__all__ = ["COUNT_TOKENS", "MESSAGES"]
