"""Stream events relayed as the upstream's bytes, when the caller speaks the upstream's format
(OpenAI chat chunks, Anthropic Messages events): no decode and re-encode per event. Only an
event that may carry a usage object or an error is decoded (OpenAI: found by a byte search,
as every other chunk has `"usage": null` or none; Anthropic: by its event name, `message_start`
and `message_delta` carry the usage), so the usage is still read for the limits, the ledger
and the metrics, and an in-band error still becomes an `UpstreamError`.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import orjson

from mcproute.models.http import SseEvent, classify_status, decode_event

_USAGE = re.compile(rb'"usage"\s*:\s*\{')
_ERROR = b'"error"'  # as a key; inside a JSON string its quotes would be escaped


class PassedEvent(NamedTuple):
    sse: bytes  # the event as the caller gets it: its `data:` lines (one, but for JSON spread
    # over several) and the blank line
    usage: dict[str, Any] | None  # the usage object, of the event that carries one
    usage_only: bool  # a chunk of usage and no choices: hidden from a caller that did not ask


def data_lines(data: bytes) -> bytes:
    """An event's data as `data:` lines (one, but for JSON spread over several)."""
    return b"data: " + (data.replace(b"\n", b"\ndata: ") if b"\n" in data else data) + b"\n\n"


def passed_event(event: SseEvent, deployment: str | None) -> PassedEvent:
    """The upstream event's data, as it came."""
    data = event.data
    sse = data_lines(data)
    if _USAGE.search(data) is None and _ERROR not in data:
        return PassedEvent(sse, None, False)
    chunk = checked_chunk(event, deployment)
    usage = chunk.get("usage") if isinstance(chunk, dict) else None
    if not isinstance(usage, dict):
        return PassedEvent(sse, None, False)
    return PassedEvent(sse, usage, chunk.get("choices") == [])


def encoded(chunk: dict[str, Any]) -> PassedEvent:
    """A chunk a deployment translated (another format upstream), encoded once for the relay."""
    usage = chunk.get("usage")
    if not isinstance(usage, dict):
        usage = None
    sse = b"data: " + orjson.dumps(chunk) + b"\n\n"
    return PassedEvent(sse, usage, usage is not None and chunk.get("choices") == [])


def checked_chunk(event: SseEvent, deployment: str | None) -> Any:
    """A chunk's JSON; an in-band error (an `error` and no `choices`) raised as the upstream's."""
    chunk = decode_event(event, deployment)
    if isinstance(chunk, dict) and "error" in chunk and "choices" not in chunk:
        raise classify_status(500, {}, event.data, deployment, mid_stream=True)
    return chunk
