"""Translation between the Bedrock Converse API and the OpenAI and Anthropic formats.

Both directions for requests, responses and ConverseStream events: messages (consecutive turns of
one role merged, as Converse requires alternation), system prompts, images (base64 only: Converse
takes no image URLs), tools and tool results, stop reasons and usage (cache reads included).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.translate import _loads_object, openai_usage

Json = dict[str, Any]

STOP_TO_OPENAI: Mapping[str | None, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
STOP_TO_ANTHROPIC: Mapping[str | None, str] = {
    "end_turn": "end_turn",
    "stop_sequence": "stop_sequence",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "model_context_window_exceeded",
    "tool_use": "tool_use",
    "guardrail_intervened": "refusal",
    "content_filtered": "refusal",
}
_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _label(value: Any) -> str | None:
    """A stop reason or event field that is a string (anything else is no value)."""
    return value if isinstance(value, str) else None


def _index(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _refuse(path: str, problem: str) -> UpstreamError:
    return UpstreamError(FailureKind.BAD_REQUEST, f"{path}: {problem}")


def _image(media_type: str, data: str, path: str) -> Json:
    fmt = _IMAGE_FORMATS.get(media_type.lower())
    if fmt is None:
        allowed = ", ".join(_IMAGE_FORMATS)
        raise _refuse(path, f"image type {media_type!r} is not one Bedrock accepts ({allowed})")
    return {"image": {"format": fmt, "source": {"bytes": data}}}


def _append(messages: list[Json], role: str, blocks: list[Json]) -> None:
    if not blocks:
        return
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].extend(blocks)
    else:
        messages.append({"role": role, "content": blocks})


def _inference(max_tokens: Any, temperature: Any, top_p: Any, stop: Any) -> Json:
    config: Json = {}
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    if temperature is not None:
        config["temperature"] = temperature
    if top_p is not None:
        config["topP"] = top_p
    stops = [stop] if isinstance(stop, str) else [s for s in _list(stop) if isinstance(s, str)]
    if any(stops):
        config["stopSequences"] = [s for s in stops if s]
    return config


def _request(
    messages: list[Json], system: list[Json], inference: Json, tool_config: Json | None
) -> Json:
    out: Json = {"messages": messages}
    if system:
        out["system"] = system
    if inference:
        out["inferenceConfig"] = inference
    if tool_config is not None:
        out["toolConfig"] = tool_config
    return out


def _tool_spec(name: Any, description: Any, schema: Any) -> Json:
    spec: Json = {"name": name, "inputSchema": {"json": schema or {"type": "object"}}}
    if description:
        spec["description"] = description
    return {"toolSpec": spec}


def _has_tool_blocks(messages: list[Json]) -> bool:
    return any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"])


def _tool_config(tools: list[Json], choice: Json | None, messages: list[Json]) -> Json | None:
    """Converse has no "none" choice: tools are left out then, unless the history uses them."""
    if not tools or (choice == {} and not _has_tool_blocks(messages)):
        return None
    config: Json = {"tools": tools}
    if choice:
        config["toolChoice"] = choice
    return config


def _usage_counts(usage: Any) -> tuple[int, int, int, int]:
    """(input, output, cache read, cache write) tokens of a Converse usage object."""
    usage = _dict(usage)
    return (
        _index(usage.get("inputTokens")),
        _index(usage.get("outputTokens")),
        _index(usage.get("cacheReadInputTokens")),
        _index(usage.get("cacheWriteInputTokens")),
    )


# ----------------------------------------------------------------------------- OpenAI


def _openai_parts(content: Any, path: str) -> list[Json]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    blocks: list[Json] = []
    for i, part in enumerate(_list(content)):
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text":
            if part.get("text"):
                blocks.append({"text": str(part["text"])})
        elif part.get("type") == "image_url":
            image = part.get("image_url")
            url = str(image.get("url", "")) if isinstance(image, dict) else str(image or "")
            if not (url.startswith("data:") and ";base64," in url):
                raise _refuse(
                    f"{path}[{i}].image_url.url",
                    "Bedrock takes images as data: URLs (base64), not links",
                )
            media_type, data = url[5:].split(";base64,", 1)
            blocks.append(_image(media_type, data, f"{path}[{i}].image_url.url"))
    return blocks


def _openai_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _openai_tool_choice(choice: Any) -> Json | None:
    if choice == "auto":
        return {"auto": {}}
    if choice == "required":
        return {"any": {}}
    if choice == "none":
        return {}
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name:
            return {"tool": {"name": name}}
    return None


def openai_to_converse(body: Mapping[str, Any]) -> Json:
    """An OpenAI chat completion request as a Converse request (the model goes in the URL)."""
    system: list[Json] = []
    messages: list[Json] = []
    for i, message in enumerate(_list(body.get("messages"))):
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        path = f"messages[{i}].content"
        if role in ("system", "developer"):
            text = _openai_text(message.get("content"))
            if text:
                system.append({"text": text})
        elif role == "assistant":
            blocks = _openai_parts(message.get("content"), path)
            for call in _list(message.get("tool_calls")):
                call = _dict(call)
                function = _dict(call.get("function"))
                use = {
                    "toolUseId": call.get("id"),
                    "name": function.get("name"),
                    "input": _loads_object(function.get("arguments")),
                }
                blocks.append({"toolUse": use})
            _append(messages, "assistant", blocks)
        elif role == "tool":
            result = {
                "toolUseId": message.get("tool_call_id"),
                "content": [{"text": _openai_text(message.get("content"))}],
            }
            _append(messages, "user", [{"toolResult": result}])
        else:
            _append(messages, "user", _openai_parts(message.get("content"), path))
    tools = [
        _tool_spec(f.get("name"), f.get("description"), f.get("parameters"))
        for t in _list(body.get("tools"))
        if isinstance(t, dict) and isinstance(f := t.get("function"), dict)
    ]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    inference = _inference(max_tokens, body.get("temperature"), body.get("top_p"), body.get("stop"))
    choice = _openai_tool_choice(body.get("tool_choice"))
    return _request(messages, system, inference, _tool_config(tools, choice, messages))


def converse_usage_to_openai(usage: Any) -> Json:
    return openai_usage(*_usage_counts(usage))


def converse_to_openai(response: Mapping[str, Any], model: str | None, ident: str) -> Json:
    """A Converse response as an OpenAI chat completion."""
    message = _dict(_dict(response.get("output")).get("message"))
    text: list[str] = []
    calls: list[Json] = []
    for block in map(_dict, _list(message.get("content"))):
        if "text" in block:
            text.append(str(block["text"]))
        elif "toolUse" in block:
            use = _dict(block["toolUse"])
            arguments = orjson.dumps(use.get("input") or {}).decode()
            calls.append(
                {
                    "id": use.get("toolUseId"),
                    "type": "function",
                    "function": {"name": use.get("name"), "arguments": arguments},
                }
            )
    reply: Json = {"role": "assistant", "content": "".join(text) if text else None}
    if calls:
        reply["tool_calls"] = calls
    return {
        "id": "chatcmpl-" + ident,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": reply,
                "finish_reason": STOP_TO_OPENAI.get(_label(response.get("stopReason")), "stop"),
                "logprobs": None,
            }
        ],
        "usage": converse_usage_to_openai(response.get("usage")),
    }


class ConverseToOpenAIStream:
    """ConverseStream events in, ``chat.completion.chunk`` objects out, one event at a time."""

    __slots__ = ("_base", "_include_usage", "_tools")

    def __init__(self, model: str | None, ident: str, include_usage: bool) -> None:
        self._base = ("chatcmpl-" + ident, int(time.time()), model)
        self._include_usage = include_usage
        self._tools: dict[int, int] = {}  # contentBlockIndex -> OpenAI tool call index

    def _chunk(self, delta: Json, finish: str | None = None) -> Json:
        ident, created, model = self._base
        return {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    def feed(self, kind: str, event: Mapping[str, Any]) -> Json | None:
        if kind == "contentBlockDelta":
            delta = _dict(event.get("delta"))
            if isinstance(delta.get("text"), str):
                return self._chunk({"content": delta["text"]})
            use = delta.get("toolUse")
            if isinstance(use, dict) and isinstance(use.get("input", ""), str):
                index = self._tools.get(_index(event.get("contentBlockIndex")), 0)
                call = {"index": index, "function": {"arguments": use.get("input", "")}}
                return self._chunk({"tool_calls": [call]})
            return None
        if kind == "contentBlockStart":
            use = _dict(event.get("start")).get("toolUse")
            if not isinstance(use, dict):
                return None
            index = len(self._tools)
            self._tools[_index(event.get("contentBlockIndex"))] = index
            call = {
                "index": index,
                "id": use.get("toolUseId"),
                "type": "function",
                "function": {"name": use.get("name"), "arguments": ""},
            }
            return self._chunk({"tool_calls": [call]})
        if kind == "messageStart":
            return self._chunk({"role": "assistant", "content": ""})
        if kind == "messageStop":
            return self._chunk({}, STOP_TO_OPENAI.get(_label(event.get("stopReason")), "stop"))
        if kind == "metadata" and self._include_usage:
            chunk = self._chunk({})
            chunk["choices"] = []
            chunk["usage"] = converse_usage_to_openai(event.get("usage"))
            return chunk
        return None


# ----------------------------------------------------------------------------- Anthropic


def _anthropic_blocks(content: Any, path: str) -> list[Json]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    blocks: list[Json] = []
    for i, block in enumerate(_list(content)):
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            if block.get("text"):
                blocks.append({"text": str(block["text"])})
        elif kind == "image":
            source = _dict(block.get("source"))
            if source.get("type") != "base64":
                raise _refuse(
                    f"{path}[{i}].source", "Bedrock takes images as base64 data, not links"
                )
            blocks.append(
                _image(str(source.get("media_type", "")), str(source.get("data", "")), path)
            )
        elif kind == "tool_use":
            use = {"toolUseId": block.get("id"), "name": block.get("name")}
            use["input"] = block.get("input") or {}
            blocks.append({"toolUse": use})
        elif kind == "tool_result":
            inner = block.get("content")
            parts = _anthropic_blocks(inner, f"{path}[{i}].content") if inner else []
            result: Json = {
                "toolUseId": block.get("tool_use_id"),
                "content": parts or [{"text": ""}],
            }
            if block.get("is_error"):
                result["status"] = "error"
            blocks.append({"toolResult": result})
    return blocks


def _anthropic_tool_choice(choice: Any) -> Json | None:
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "auto":
        return {"auto": {}}
    if kind == "any":
        return {"any": {}}
    if kind == "tool" and choice.get("name"):
        return {"tool": {"name": choice["name"]}}
    if kind == "none":
        return {}
    return None


def anthropic_to_converse(body: Mapping[str, Any]) -> Json:
    """An Anthropic Messages request as a Converse request."""
    raw_system = body.get("system")
    system = (
        [b for b in _anthropic_blocks(raw_system, "system") if "text" in b] if raw_system else []
    )
    messages: list[Json] = []
    for i, message in enumerate(_list(body.get("messages"))):
        if isinstance(message, dict):
            role = "assistant" if message.get("role") == "assistant" else "user"
            _append(
                messages, role, _anthropic_blocks(message.get("content"), f"messages[{i}].content")
            )
    tools = [
        _tool_spec(t.get("name"), t.get("description"), t.get("input_schema"))
        for t in _list(body.get("tools"))
        if isinstance(t, dict) and t.get("name")
    ]
    inference = _inference(
        body.get("max_tokens"),
        body.get("temperature"),
        body.get("top_p"),
        body.get("stop_sequences"),
    )
    choice = _anthropic_tool_choice(body.get("tool_choice"))
    return _request(messages, system, inference, _tool_config(tools, choice, messages))


def converse_usage_to_anthropic(usage: Any) -> Json:
    inp, out, read, write = _usage_counts(usage)
    result: Json = {"input_tokens": inp, "output_tokens": out}
    if read:
        result["cache_read_input_tokens"] = read
    if write:
        result["cache_creation_input_tokens"] = write
    return result


def converse_to_anthropic(response: Mapping[str, Any], model: str | None, ident: str) -> Json:
    """A Converse response as an Anthropic Messages response."""
    message = _dict(_dict(response.get("output")).get("message"))
    content: list[Json] = []
    for block in map(_dict, _list(message.get("content"))):
        if "text" in block:
            content.append({"type": "text", "text": str(block["text"])})
        elif "toolUse" in block:
            use = _dict(block["toolUse"])
            content.append(
                {
                    "type": "tool_use",
                    "id": use.get("toolUseId"),
                    "name": use.get("name"),
                    "input": use.get("input") or {},
                }
            )
    return {
        "id": "msg_" + ident,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": STOP_TO_ANTHROPIC.get(_label(response.get("stopReason")), "end_turn"),
        "stop_sequence": None,
        "usage": converse_usage_to_anthropic(response.get("usage")),
    }


class ConverseToAnthropicStream:
    """ConverseStream events in, Anthropic stream events out. Converse reports usage after its
    ``messageStop``, so ``message_delta`` (with input and output tokens) and ``message_stop``
    are sent on ``metadata``, or by ``finish()`` when a stream has none."""

    __slots__ = ("_blocks", "_done", "_ident", "_model", "_open", "_stop")

    def __init__(self, model: str | None, ident: str) -> None:
        self._model = model
        self._ident = ident
        self._blocks: dict[int, int] = {}  # contentBlockIndex -> Anthropic index
        self._open: int | None = None  # the Anthropic index of the open block
        self._stop: str | None = None
        self._done = False

    def _start_block(self, source: int, block: Json) -> list[Json]:
        events = self._close()
        index = len(self._blocks)
        self._blocks[source] = index
        self._open = index
        events.append({"type": "content_block_start", "index": index, "content_block": block})
        return events

    def _close(self) -> list[Json]:
        if self._open is None:
            return []
        index, self._open = self._open, None
        return [{"type": "content_block_stop", "index": index}]

    def _end(self, usage: Any) -> list[Json]:
        self._done = True
        events = self._close()
        events.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": self._stop or "end_turn", "stop_sequence": None},
                "usage": converse_usage_to_anthropic(usage),
            }
        )
        events.append({"type": "message_stop"})
        return events

    def feed(self, kind: str, event: Mapping[str, Any]) -> list[Json]:
        if kind == "contentBlockDelta":
            source = _index(event.get("contentBlockIndex"))
            delta = _dict(event.get("delta"))
            events: list[Json] = []
            if isinstance(delta.get("text"), str):
                if source not in self._blocks:  # Converse opens text blocks implicitly
                    events = self._start_block(source, {"type": "text", "text": ""})
                body: Json = {"type": "text_delta", "text": delta["text"]}
            elif source in self._blocks and isinstance(
                partial := _dict(delta.get("toolUse")).get("input", ""), str
            ):
                body = {"type": "input_json_delta", "partial_json": partial}
            else:
                return []
            events.append(
                {"type": "content_block_delta", "index": self._blocks[source], "delta": body}
            )
            return events
        if kind == "contentBlockStart":
            use = _dict(event.get("start")).get("toolUse")
            if not isinstance(use, dict):
                return []
            block = {"type": "tool_use", "id": use.get("toolUseId"), "name": use.get("name")}
            block["input"] = {}
            return self._start_block(_index(event.get("contentBlockIndex")), block)
        if kind == "contentBlockStop":
            source = _index(event.get("contentBlockIndex"))
            return self._close() if self._blocks.get(source) == self._open else []
        if kind == "messageStart":
            message: Json = {
                "id": "msg_" + self._ident,
                "type": "message",
                "role": "assistant",
                "model": self._model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }
            return [{"type": "message_start", "message": message}]
        if kind == "messageStop":
            self._stop = STOP_TO_ANTHROPIC.get(_label(event.get("stopReason")), "end_turn")
            return []
        if kind == "metadata" and not self._done:
            return self._end(event.get("usage"))
        return []

    @property
    def stopped(self) -> bool:
        """Whether the upstream sent its ``messageStop``."""
        return self._stop is not None

    def finish(self) -> list[Json]:
        return [] if self._done else self._end(None)
