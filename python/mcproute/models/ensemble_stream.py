"""A streamed member answer gathered chunk by chunk, so a streamed ensemble reply can report
each member's answer (text, tool calls, finish reason, usage) as a whole reply does; and the
trailing chunk that carries the report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]


class StreamedAnswer:
    """What the chunks of one OpenAI-format stream add up to (choice 0, as the relay sends)."""

    __slots__ = ("_calls", "_text", "finish_reason", "usage")

    def __init__(self) -> None:
        self._text: list[str] = []
        self._calls: dict[int, Json] = {}
        self.finish_reason: str | None = None
        self.usage: Mapping[str, Any] = {}

    def feed(self, chunk: Mapping[str, Any]) -> None:
        usage = chunk.get("usage")
        if usage:
            self.usage = usage
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                self._text.append(text)
            for call in delta.get("tool_calls") or ():
                self._call(call)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def _call(self, delta: Mapping[str, Any]) -> None:
        """Tool calls stream as fragments: the first names the call, the rest add arguments."""
        index = int(delta.get("index") or 0)
        function = delta.get("function") or {}
        call = self._calls.get(index)
        if call is None:
            name = function.get("name") or ""
            call = {"id": delta.get("id"), "type": "function", "function": {"name": name}}
            call["function"]["arguments"] = ""
            self._calls[index] = call
        if function.get("arguments"):
            call["function"]["arguments"] += function["arguments"]

    @property
    def text(self) -> str | None:
        return "".join(self._text) if self._text or not self._calls else None

    @property
    def tool_calls(self) -> tuple[Json, ...]:
        return tuple(self._calls[i] for i in sorted(self._calls))


def trailer(first: Mapping[str, Any], model: str, extension: Json, key: str) -> Json:
    """The stream's last chunk: no choices, the members' report under `key` (the proxy drops
    the chunk unless the caller asked for the report)."""
    return {
        "id": first.get("id"),
        "object": "chat.completion.chunk",
        "created": first.get("created", 0),
        "model": model,
        "choices": [],
        key: extension,
    }
