"""An estimate of a Messages request's input tokens, for upstreams that cannot count them.

Roughly four characters of text per token (the usual rule of thumb for English and code with
BPE tokenizers), counted over the system prompt, every text, tool input and tool result, and the
tool definitions, plus a few tokens of framing per message. An image or document given inline
counts as ``INLINE_MEDIA_TOKENS`` (about what a 1,000 x 1,000 pixel image costs). The estimate is
meant for budgeting and truncation decisions, not billing: real counts differ by tokenizer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

CHARS_PER_TOKEN = 4
PER_MESSAGE_TOKENS = 4  # role and turn markers
INLINE_MEDIA_TOKENS = 1_600
_MEDIA = ("image", "document")


def _chars(value: Any) -> tuple[int, int]:
    """(text characters, inline media items) in a content value or block list."""
    if isinstance(value, str):
        return len(value), 0
    if isinstance(value, list):
        chars = media = 0
        for item in value:
            c, m = _chars(item)
            chars, media = chars + c, media + m
        return chars, media
    if not isinstance(value, Mapping):
        return 0, 0
    kind = value.get("type")
    if kind in _MEDIA and (value.get("source") or {}).get("type") in ("base64", "url", "file"):
        return 0, 1
    if kind in ("tool_use", "server_tool_use"):
        return len(str(value.get("name", ""))) + len(orjson.dumps(value.get("input"))), 0
    chars = media = 0
    for key in ("text", "thinking", "content"):
        if key in value:
            c, m = _chars(value[key])
            chars, media = chars + c, media + m
    return chars, media


def estimate_input_tokens(body: Mapping[str, Any]) -> int:
    chars, media = _chars(body.get("system"))
    messages = body.get("messages") or []
    for message in messages:
        if isinstance(message, Mapping):
            c, m = _chars(message.get("content"))
            chars, media = chars + c, media + m
    tools = body.get("tools")
    if tools:
        chars += len(orjson.dumps(tools))
    text_tokens = -(-chars // CHARS_PER_TOKEN)  # rounded up
    return max(1, text_tokens + media * INLINE_MEDIA_TOKENS + PER_MESSAGE_TOKENS * len(messages))


# A bound on input tokens that no tokenizer exceeds, read off the raw body in one pass: every
# BPE token covers at least one byte of text, and the body holds every byte of the prompt (plus
# its JSON framing, which only makes the bound looser). Media are not text: each image or file
# part adds what the dearest image costs (OpenAI's high-detail tiling of a large image).
MEDIA_TOKEN_BOUND = 6_400
_MEDIA_MARKERS = (b'"image_url"', b'"image"', b'"input_image"', b'"document"', b'"input_file"')


def input_token_bound(raw: bytes) -> int:
    if b'"i' not in raw and b'"d' not in raw:  # no marker can be there (most chat bodies)
        return len(raw)
    media = sum(raw.count(marker) for marker in _MEDIA_MARKERS)
    return len(raw) + media * MEDIA_TOKEN_BOUND
