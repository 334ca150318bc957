"""OpenAI's API: chat completions and embeddings, as OpenAI documents them.

Top-level objects are open: fields OpenAI adds later pass through to upstreams untouched, but
every field known here is type-checked. `context_id` is ours (a shared context to prepend).
"""

from __future__ import annotations

from mcproute.contract.contract import Contract
from mcproute.contract.openai_rules import OPENAI_CHAT_RULES
from mcproute.contract.shapes import (
    Bool,
    Dict,
    Int,
    List,
    Num,
    Obj,
    Required,
    Str,
    Tagged,
    Union,
)

TOKENS = Int(1, 2**31 - 1)
NAME = Str(min_len=1)

TEXT_PART = Obj({"text": Required(Str())})
TEXT_PARTS = Tagged("type", {"text": TEXT_PART})
USER_PART = Tagged(
    "type",
    {
        "text": TEXT_PART,
        "image_url": Obj(
            {
                "image_url": Required(
                    Obj({"url": Required(Str()), "detail": Str(enum=("auto", "low", "high"))})
                )
            }
        ),
        "input_audio": Obj(
            {"input_audio": Required(Obj({"data": Required(Str()), "format": Required(Str())}))}
        ),
        "file": Obj(
            {"file": Required(Obj({"file_data": Str(), "file_id": Str(), "filename": Str()}))}
        ),
    },
)
ASSISTANT_PART = Tagged("type", {"text": TEXT_PART, "refusal": Obj({"refusal": Required(Str())})})
FUNCTION_CALL = Obj({"name": Required(Str()), "arguments": Required(Str())})
TOOL_CALL = Tagged(
    "type",
    {
        "function": Obj({"id": Required(Str()), "function": Required(FUNCTION_CALL)}),
        "custom": Obj(
            {
                "id": Required(Str()),
                "custom": Required(Obj({"name": Required(Str()), "input": Required(Str())})),
            }
        ),
    },
)
TEXT_CONTENT = Union(Str(), List(TEXT_PARTS))
INSTRUCTIONS = Obj({"content": Required(TEXT_CONTENT), "name": Str()})
MESSAGE = Tagged(
    "role",
    {
        "system": INSTRUCTIONS,
        "developer": INSTRUCTIONS,
        "user": Obj({"content": Required(Union(Str(), List(USER_PART))), "name": Str()}),
        "assistant": Obj(
            {
                "content": Union(Str(), List(ASSISTANT_PART)),
                "refusal": Str(),
                "name": Str(),
                "tool_calls": List(TOOL_CALL),
                "function_call": FUNCTION_CALL,
                "audio": Obj({"id": Required(Str())}),
            }
        ),
        "tool": Obj({"content": Required(TEXT_CONTENT), "tool_call_id": Required(Str())}),
        "function": Obj({"content": Str(), "name": Required(Str())}),
    },
    describe="a message object with a role",
)
TOOL = Tagged(
    "type",
    {
        "function": Obj(
            {
                "function": Required(
                    Obj(
                        {
                            "name": Required(Str(min_len=1, max_len=64)),
                            "description": Str(),
                            "parameters": Obj(),
                            "strict": Bool(),
                        }
                    )
                )
            }
        ),
        "custom": Obj(
            {
                "custom": Required(
                    Obj({"name": Required(NAME), "description": Str(), "format": Obj()})
                )
            }
        ),
    },
)
NAMED = Obj({"name": Required(Str())})
TOOL_CHOICE = Union(
    Str(enum=("none", "auto", "required")),
    Tagged(
        "type",
        {
            "function": Obj({"function": Required(NAMED)}),
            "custom": Obj({"custom": Required(NAMED)}),
            "allowed_tools": Obj(
                {
                    "allowed_tools": Required(
                        Obj(
                            {
                                "mode": Required(Str(enum=("auto", "required"))),
                                "tools": Required(List(Obj({"type": Required(Str())}))),
                            }
                        )
                    )
                }
            ),
        },
    ),
)
RESPONSE_FORMAT = Tagged(
    "type",
    {
        "text": Obj(),
        "json_object": Obj(),
        "json_schema": Obj(
            {
                "json_schema": Required(
                    Obj(
                        {
                            "name": Required(Str(min_len=1, max_len=64)),
                            "description": Str(),
                            "schema": Obj(),
                            "strict": Bool(),
                        }
                    )
                )
            }
        ),
    },
)
# OpenAI's metadata: up to 16 string pairs, keys up to 64 and values up to 512 characters.
METADATA = Dict(Str(max_len=512), max_keys=16, key_max_len=64)

CHAT = Contract(
    "openai.chat_completions",
    Obj(
        {
            "model": Required(NAME),
            "messages": Required(List(MESSAGE)),
            "audio": Obj({"voice": Required(Str()), "format": Required(Str())}),
            "frequency_penalty": Num(-2, 2),
            "function_call": Union(Str(enum=("none", "auto")), NAMED),
            "functions": List(
                Obj({"name": Required(NAME), "description": Str(), "parameters": Obj()})
            ),
            "logit_bias": Dict(Num(-100, 100)),
            "logprobs": Bool(),
            "max_completion_tokens": TOKENS,
            "max_tokens": TOKENS,
            "metadata": METADATA,
            "modalities": List(Str(enum=("text", "audio"))),
            "n": Int(1, 128),
            "parallel_tool_calls": Bool(),
            "prediction": Tagged("type", {"content": Obj({"content": Required(TEXT_CONTENT)})}),
            "presence_penalty": Num(-2, 2),
            "prompt_cache_key": Str(),
            "reasoning_effort": Str(),
            "response_format": RESPONSE_FORMAT,
            "safety_identifier": Str(),
            "seed": Int(),
            "service_tier": Str(),
            "stop": Union(Str(), List(Str(), max_items=4)),
            "store": Bool(),
            "stream": Bool(),
            "stream_options": Obj({"include_usage": Bool(), "include_obfuscation": Bool()}),
            "temperature": Num(0, 2),
            "tool_choice": TOOL_CHOICE,
            "tools": List(TOOL),
            "top_logprobs": Int(0, 20),
            "top_p": Num(0, 1),
            "user": Str(),
            "verbosity": Str(),
            "web_search_options": Obj(),
            "context_id": Str(),
        }
    ),
    rules=OPENAI_CHAT_RULES,
)

TOKEN_IDS = List(Int(0, 2**31 - 1), min_items=1)
EMBEDDINGS = Contract(
    "openai.embeddings",
    Obj(
        {
            "model": Required(NAME),
            "input": Required(
                Union(
                    Str(),
                    List(Union(Str(), Int(0, 2**31 - 1), TOKEN_IDS), min_items=1, max_items=2048),
                )
            ),
            "dimensions": Int(1, 65536),
            "encoding_format": Str(enum=("float", "base64")),
            "user": Str(),
        }
    ),
)

# The legacy completions API (`POST /v1/completions`): a prompt in, text out.
COMPLETIONS = Contract(
    "openai.completions",
    Obj(
        {
            "model": Required(NAME),
            # text, texts, token ids, or lists of token ids
            "prompt": Required(
                Union(Str(), List(Union(Str(), Int(0, 2**31 - 1), TOKEN_IDS), min_items=1))
            ),
            "best_of": Int(0, 20),
            "echo": Bool(),
            "frequency_penalty": Num(-2, 2),
            "logit_bias": Dict(Num(-100, 100)),
            "logprobs": Int(0, 5),
            "max_tokens": Int(0, 2**31 - 1),
            "n": Int(1, 128),
            "presence_penalty": Num(-2, 2),
            "seed": Int(),
            "stop": Union(Str(), List(Str(), max_items=4)),
            "stream": Bool(),
            "stream_options": Obj({"include_usage": Bool(), "include_obfuscation": Bool()}),
            "suffix": Str(),
            "temperature": Num(0, 2),
            "top_p": Num(0, 1),
            "user": Str(),
        }
    ),
)

__all__ = ["CHAT", "COMPLETIONS", "EMBEDDINGS", "MESSAGE"]
