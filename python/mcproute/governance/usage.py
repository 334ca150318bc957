"""A call's token counts from the `usage` object its reply carried, in any of the shapes the
gateway relays: OpenAI chat/completions/embeddings (``prompt_tokens``, with
``prompt_tokens_details.cached_tokens``), the Responses API (``input_tokens`` with
``input_tokens_details.cached_tokens``) and Anthropic (``input_tokens`` without the cache reads
and writes, which come as ``cache_read_input_tokens`` and ``cache_creation_input_tokens``).

`input` always counts every prompt token; `cached` is the part read from a cache."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)  # never changed once made (not frozen: a frozen init costs 2x, per call)
class Usage:
    input: int = 0
    output: int = 0
    cached: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input + other.input, self.output + other.output, self.cached + other.cached
        )


def _count(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0  # (not a bool)


def usage_of(usage: Any) -> Usage:
    if not isinstance(usage, dict):
        return Usage()
    output = _count(usage.get("completion_tokens")) or _count(usage.get("output_tokens"))
    if "prompt_tokens" in usage:
        details = usage.get("prompt_tokens_details")
        cached = _count(details.get("cached_tokens")) if isinstance(details, dict) else 0
        return Usage(_count(usage["prompt_tokens"]), output, cached)
    details = usage.get("input_tokens_details")
    if isinstance(details, dict):  # the Responses API: input_tokens counts the cached ones
        cached = _count(details.get("cached_tokens"))
        return Usage(_count(usage.get("input_tokens")), output, cached)
    read = _count(usage.get("cache_read_input_tokens"))
    written = _count(usage.get("cache_creation_input_tokens"))
    return Usage(_count(usage.get("input_tokens")) + read + written, output, read)
