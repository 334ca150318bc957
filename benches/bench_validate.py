"""The request contract's cost on the hot path: checking an already-parsed chat body.

`openai.CHAT.check` runs the contract's compiled predicate over the body orjson produced (what
every valid request pays); the shape-tree walk (what a refused body pays on top, to name the
fault's path) and the parse itself (done once, before the check) are shown for scale.
Run with `make bench` (or `python -m benches.run validate`). Never part of `make test`.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mcproute.contract import openai

# A typical small request (90 bytes).
SMALL = (
    b'{"model":"gpt-4","messages":[{"role":"user","content":"Say hi in Dutch"}],"max_tokens":32}'
)


def _large() -> bytes:
    """A 4 kB conversation: system prompt, tools, several turns with tool calls and results."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a careful assistant for a travel agency. " * 4}
    ]
    for i in range(10):
        messages += [
            {
                "role": "user",
                "content": [{"type": "text", "text": f"Question {i}: flights to city {i}?"}],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {
                            "name": "search_flights",
                            "arguments": '{"to":"LIS","days":3}',
                        },
                    }
                ],
            },
            {
                "role": "tool",
                "tool_call_id": f"call_{i}",
                "content": "3 flights found: 09:10, 13:45, 18:20",
            },
        ]
    body = {
        "model": "gpt-4",
        "messages": messages,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "search_flights",
                    "description": "Search flights to a destination",
                    "parameters": {
                        "type": "object",
                        "properties": {"to": {"type": "string"}, "days": {"type": "integer"}},
                        "required": ["to"],
                    },
                },
            }
        ],
        "tool_choice": "auto",
        "temperature": 0.2,
        "max_tokens": 512,
        "stop": ["\n\n"],
        "metadata": {"team": "travel"},
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    return orjson.dumps(body)


LARGE = _large()
BODIES = {f"{len(SMALL)} B": SMALL, f"{len(LARGE) / 1000:.1f} kB": LARGE}


@pytest.mark.parametrize("size", list(BODIES))
def test_check(benchmark: Any, size: str) -> None:
    raw = BODIES[size]
    body = orjson.loads(raw)
    openai.CHAT.check(body)  # valid, so the benchmark measures the whole walk
    benchmark.group = f"contract: chat completions body, {size}"
    benchmark.extra_info.update(role="ours", bytes=len(raw))
    benchmark.extra_info["label"] = "openai.CHAT.check (parsed body)"
    benchmark(openai.CHAT.check, body)


@pytest.mark.parametrize("size", list(BODIES))
def test_shape_walk_for_scale(benchmark: Any, size: str) -> None:
    raw = BODIES[size]
    body = orjson.loads(raw)
    benchmark.group = f"contract: chat completions body, {size}"
    benchmark.extra_info.update(role="reference", bytes=len(raw))
    benchmark.extra_info["label"] = "shape-tree walk (run for refused bodies)"
    benchmark(openai.CHAT.shape.check, body)


@pytest.mark.parametrize("size", list(BODIES))
def test_parse_for_scale(benchmark: Any, size: str) -> None:
    raw = BODIES[size]
    benchmark.group = f"contract: chat completions body, {size}"
    benchmark.extra_info.update(role="reference", bytes=len(raw))
    benchmark.extra_info["label"] = "orjson.loads (the one parse)"
    benchmark(orjson.loads, raw)
