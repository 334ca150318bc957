"""Translation between the OpenAI Chat Completions and Anthropic Messages formats.

Both directions, for requests, responses and streams: messages, system prompts, images, tools and
tool calls, stop reasons and usage. A client of either format can so use a model of the other.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

Json = dict[str, Any]

_ANTHROPIC_STOP_TO_OPENAI: Mapping[str | None, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_OPENAI_STOP_TO_ANTHROPIC: Mapping[str | None, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def _loads_object(text: Any) -> Json:
    """Tool-call arguments as an object; an unparsable string is kept under ``_raw``."""
    if isinstance(text, dict):
        return text
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"_raw": str(text)}
    return value if isinstance(value, dict) else {"_raw": str(text)}


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = (p.get("text", "") for p in content if isinstance(p, dict))
        return "".join(str(t) for t in texts)
    return ""


# ----------------------------------------------------------------------------- OpenAI → Anthropic


def _openai_part_to_anthropic(part: Any) -> Json | None:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict):
        return None
    if part.get("type") == "text":
        return {"type": "text", "text": str(part.get("text", ""))}
    if part.get("type") == "image_url":
        image = part.get("image_url")
        url = str(image.get("url", "")) if isinstance(image, dict) else str(image or "")
        if url.startswith("data:") and ";base64," in url:
            media_type, data = url[5:].split(";base64,", 1)
            return {
                "type": "image",
                "source": {"type": "base64", "media_type": media_type, "data": data},
            }
        return {"type": "image", "source": {"type": "url", "url": url}}
    return None


def _openai_content_to_blocks(content: Any) -> list[Json]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = [_openai_part_to_anthropic(p) for p in content] if isinstance(content, list) else []
    return [b for b in blocks if b is not None]


def _append(messages: list[Json], role: str, blocks: list[Json]) -> None:
    """Consecutive messages of one role are merged: Anthropic expects turns to alternate."""
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].extend(blocks)
    else:
        messages.append({"role": role, "content": blocks})


def openai_tools_to_anthropic(tools: Any) -> list[Json]:
    out = []
    for tool in tools or []:
        spec = tool.get("function", tool) if isinstance(tool, dict) else {}
        entry: Json = {
            "name": spec.get("name"),
            "input_schema": spec.get("parameters") or {"type": "object", "properties": {}},
        }
        if spec.get("description"):
            entry["description"] = spec["description"]
        out.append(entry)
    return out


def _openai_tool_choice_to_anthropic(choice: Any, parallel: Any) -> Json | None:
    result: Json | None
    if choice is None:
        result = None
    elif choice == "auto":
        result = {"type": "auto"}
    elif choice == "required":
        result = {"type": "any"}
    elif choice == "none":
        result = {"type": "none"}
    elif isinstance(choice, dict):
        result = {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    else:
        result = None
    if parallel is False:
        result = {**(result or {"type": "auto"}), "disable_parallel_tool_use": True}
    return result


def openai_to_anthropic_request(body: Mapping[str, Any]) -> Json:
    """An OpenAI chat completion request as an Anthropic Messages request."""
    system: list[str] = []
    messages: list[Json] = []
    for message in body.get("messages") or []:
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system.append(_text(content))
        elif role == "user":
            _append(messages, "user", _openai_content_to_blocks(content))
        elif role == "assistant":
            blocks = _openai_content_to_blocks(content)
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("id"),
                        "name": function.get("name"),
                        "input": _loads_object(function.get("arguments")),
                    }
                )
            _append(messages, "assistant", blocks)
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": _text(content) if not isinstance(content, str) else content,
            }
            _append(messages, "user", [result])
    out: Json = {"model": body.get("model"), "messages": messages}
    if system:
        out["system"] = "\n\n".join(system)
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        out["max_tokens"] = max_tokens
    for key in ("temperature", "top_p", "stream"):
        if body.get(key) is not None:
            out[key] = body[key]
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if body.get("tools"):
        out["tools"] = openai_tools_to_anthropic(body["tools"])
    choice = _openai_tool_choice_to_anthropic(
        body.get("tool_choice"), body.get("parallel_tool_calls")
    )
    if choice is not None:
        out["tool_choice"] = choice
    if body.get("user"):
        out["metadata"] = {"user_id": body["user"]}
    return out


def anthropic_usage_to_openai(usage: Mapping[str, Any] | None) -> Json:
    usage = usage or {}
    return openai_usage(
        int(usage.get("input_tokens") or 0),
        int(usage.get("output_tokens") or 0),
        int(usage.get("cache_read_input_tokens") or 0),
        int(usage.get("cache_creation_input_tokens") or 0),
    )


def openai_usage(uncached: int, completion: int, cache_read: int, cache_write: int) -> Json:
    """OpenAI's usage object from counts that keep cached prompt tokens apart (Anthropic's and
    Bedrock's): the prompt counts all of them, cache reads also as `cached_tokens`."""
    prompt = uncached + cache_read + cache_write
    out: Json = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cache_read:
        out["prompt_tokens_details"] = {"cached_tokens": cache_read}
    return out


def anthropic_to_openai_response(message: Mapping[str, Any]) -> Json:
    """An Anthropic Messages response as an OpenAI chat completion."""
    text: list[str] = []
    calls: list[Json] = []
    for block in message.get("content") or []:
        if block.get("type") == "text":
            text.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {
                        "name": block.get("name"),
                        "arguments": _dumps(block.get("input")),
                    },
                }
            )
    reply: Json = {"role": "assistant", "content": "".join(text) if text else None}
    if calls:
        reply["tool_calls"] = calls
    return {
        "id": message.get("id"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": message.get("model"),
        "choices": [
            {
                "index": 0,
                "message": reply,
                "finish_reason": _ANTHROPIC_STOP_TO_OPENAI.get(message.get("stop_reason"), "stop"),
                "logprobs": None,
            }
        ],
        "usage": anthropic_usage_to_openai(message.get("usage")),
    }


class AnthropicToOpenAIStream:
    """Turns Anthropic stream events into OpenAI ``chat.completion.chunk`` objects, one by one."""

    def __init__(self, model: str | None = None, include_usage: bool = True) -> None:
        self._model = model
        self._include_usage = include_usage
        self._id = ""
        self._created = int(time.time())
        self._tool_index: dict[int, int] = {}  # Anthropic block index -> OpenAI tool call index
        self._usage: Json = {}

    def _chunk(self, delta: Json, finish: str | None = None) -> Json:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    def feed(self, event: Mapping[str, Any]) -> list[Json]:
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message") or {}
            self._id = str(message.get("id", ""))
            self._model = self._model or message.get("model")
            self._usage = dict(message.get("usage") or {})
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") == "tool_use":
                index = len(self._tool_index)
                self._tool_index[int(event.get("index", 0))] = index
                call = {
                    "index": index,
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": ""},
                }
                return [self._chunk({"tool_calls": [call]})]
            if block.get("type") == "text" and block.get("text"):
                return [self._chunk({"content": block["text"]})]
            return []
        if kind == "content_block_delta":
            delta = event.get("delta") or {}
            if delta.get("type") == "text_delta":
                return [self._chunk({"content": delta.get("text", "")})]
            if delta.get("type") == "input_json_delta":
                index = self._tool_index.get(int(event.get("index", 0)), 0)
                call = {"index": index, "function": {"arguments": delta.get("partial_json", "")}}
                return [self._chunk({"tool_calls": [call]})]
            return []
        if kind == "message_delta":
            self._usage.update(event.get("usage") or {})
            stop = (event.get("delta") or {}).get("stop_reason")
            return [self._chunk({}, _ANTHROPIC_STOP_TO_OPENAI.get(stop, "stop"))]
        if kind == "message_stop" and self._include_usage:
            chunk = self._chunk({})
            chunk["choices"] = []
            chunk["usage"] = anthropic_usage_to_openai(self._usage)
            return [chunk]
        return []


# ----------------------------------------------------------------------------- Anthropic → OpenAI


def _anthropic_block_to_part(block: Mapping[str, Any]) -> Json | None:
    if block.get("type") == "text":
        return {"type": "text", "text": str(block.get("text", ""))}
    if block.get("type") == "image":
        source = block.get("source") or {}
        if source.get("type") == "base64":
            url = f"data:{source.get('media_type')};base64,{source.get('data')}"
        else:
            url = str(source.get("url", ""))
        return {"type": "image_url", "image_url": {"url": url}}
    return None


def _tool_result_text(content: Any) -> str:
    return content if isinstance(content, str) else _text(content)


def anthropic_tools_to_openai(tools: Any) -> list[Json]:
    out = []
    for tool in tools or []:
        function: Json = {
            "name": tool.get("name"),
            "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
        }
        if tool.get("description"):
            function["description"] = tool["description"]
        out.append({"type": "function", "function": function})
    return out


def _anthropic_tool_choice_to_openai(choice: Any) -> tuple[Any, bool | None]:
    if not isinstance(choice, dict):
        return None, None
    parallel = False if choice.get("disable_parallel_tool_use") else None
    kind = choice.get("type")
    if kind == "any":
        return "required", parallel
    if kind == "none":
        return "none", parallel
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name")}}, parallel
    return "auto", parallel


def _user_to_openai(content: Any, out: list[Json]) -> None:
    if isinstance(content, str):
        out.append({"role": "user", "content": content})
        return
    parts: list[Json] = []
    for block in content or []:
        if block.get("type") == "tool_result":
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": block.get("tool_use_id"),
                    "content": _tool_result_text(block.get("content")),
                }
            )
        else:
            part = _anthropic_block_to_part(block)
            if part is not None:
                parts.append(part)
    if parts:
        only_text = all(p["type"] == "text" for p in parts)
        body: Any = "".join(p["text"] for p in parts) if only_text else parts
        out.append({"role": "user", "content": body})


def _assistant_to_openai(content: Any) -> Json:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    text: list[str] = []
    calls: list[Json] = []
    for block in content or []:
        if block.get("type") == "text":
            text.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {
                        "name": block.get("name"),
                        "arguments": _dumps(block.get("input")),
                    },
                }
            )
    message: Json = {"role": "assistant", "content": "".join(text) if text else None}
    if calls:
        message["tool_calls"] = calls
    return message


def anthropic_to_openai_request(body: Mapping[str, Any]) -> Json:
    """An Anthropic Messages request as an OpenAI chat completion request."""
    messages: list[Json] = []
    system = body.get("system")
    if system:
        messages.append({"role": "system", "content": _tool_result_text(system)})
    for message in body.get("messages") or []:
        if message.get("role") == "assistant":
            messages.append(_assistant_to_openai(message.get("content")))
        else:
            _user_to_openai(message.get("content"), messages)
    out: Json = {"model": body.get("model"), "messages": messages}
    if body.get("max_tokens") is not None:
        out["max_tokens"] = body["max_tokens"]
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            out[key] = body[key]
    if body.get("stop_sequences"):
        out["stop"] = list(body["stop_sequences"])
    if body.get("tools"):
        out["tools"] = anthropic_tools_to_openai(body["tools"])
    choice, parallel = _anthropic_tool_choice_to_openai(body.get("tool_choice"))
    if choice is not None:
        out["tool_choice"] = choice
    if parallel is not None:
        out["parallel_tool_calls"] = parallel
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    user = (body.get("metadata") or {}).get("user_id")
    if user:
        out["user"] = user
    return out


def openai_usage_to_anthropic(usage: Mapping[str, Any] | None) -> Json:
    usage = usage or {}
    cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    out: Json = {
        "input_tokens": int(usage.get("prompt_tokens") or 0) - cached,
        "output_tokens": int(usage.get("completion_tokens") or 0),
    }
    if cached:
        out["cache_read_input_tokens"] = cached
    return out


def openai_to_anthropic_response(completion: Mapping[str, Any]) -> Json:
    """An OpenAI chat completion as an Anthropic Messages response."""
    choices = completion.get("choices") or [{}]
    choice = choices[0]
    message = choice.get("message") or {}
    content: list[Json] = []
    if message.get("content"):
        content.append({"type": "text", "text": _text(message["content"])})
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": _loads_object(function.get("arguments")),
            }
        )
    return {
        "id": completion.get("id"),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model"),
        "content": content,
        "stop_reason": _OPENAI_STOP_TO_ANTHROPIC.get(choice.get("finish_reason"), "end_turn"),
        "stop_sequence": None,
        "usage": openai_usage_to_anthropic(completion.get("usage")),
    }


class OpenAIToAnthropicStream:
    """Turns OpenAI chunks into Anthropic stream events; call ``finish()`` after the last one.
    The upstream request must ask for ``stream_options.include_usage`` (as
    ``anthropic_to_openai_request`` does) for the final usage to be known."""

    def __init__(self, model: str | None = None) -> None:
        self._model = model
        self._started = False
        self._block: tuple[str, int] | None = None  # ("text" | "tool", OpenAI tool index)
        self._next_index = 0
        self._stop: str | None = None
        self._usage: Json = {}

    def _start(self, chunk: Mapping[str, Any]) -> list[Json]:
        self._started = True
        message: Json = {
            "id": chunk.get("id"),
            "type": "message",
            "role": "assistant",
            "model": self._model or chunk.get("model"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return [{"type": "message_start", "message": message}]

    def _close_block(self) -> list[Json]:
        if self._block is None:
            return []
        self._block = None
        return [{"type": "content_block_stop", "index": self._next_index - 1}]

    def _open(self, key: tuple[str, int], block: Json) -> list[Json]:
        events = self._close_block()
        self._block = key
        start = {"type": "content_block_start", "index": self._next_index, "content_block": block}
        events.append(start)
        self._next_index += 1
        return events

    def _delta(self, delta: Json) -> Json:
        return {"type": "content_block_delta", "index": self._next_index - 1, "delta": delta}

    def feed(self, chunk: Mapping[str, Any]) -> list[Json]:
        events = [] if self._started else self._start(chunk)
        if chunk.get("usage"):
            self._usage = dict(chunk["usage"])
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                if self._block is None or self._block[0] != "text":
                    events += self._open(("text", 0), {"type": "text", "text": ""})
                events.append(self._delta({"type": "text_delta", "text": text}))
            for call in delta.get("tool_calls") or []:
                key = ("tool", int(call.get("index", 0)))
                function = call.get("function") or {}
                if self._block != key:
                    block = {
                        "type": "tool_use",
                        "id": call.get("id"),
                        "name": function.get("name"),
                        "input": {},
                    }
                    events += self._open(key, block)
                if function.get("arguments"):
                    partial = {"type": "input_json_delta", "partial_json": function["arguments"]}
                    events.append(self._delta(partial))
            if choice.get("finish_reason"):
                self._stop = _OPENAI_STOP_TO_ANTHROPIC.get(choice["finish_reason"], "end_turn")
        return events

    def finish(self) -> list[Json]:
        events = [] if self._started else self._start({})
        events += self._close_block()
        usage = openai_usage_to_anthropic(self._usage)
        events.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": self._stop or "end_turn", "stop_sequence": None},
                # OpenAI reports usage only in its last chunk, after message_start has gone out
                # with zeros: message_delta carries the whole of it (Anthropic's SDKs take the
                # input counts from there too).
                "usage": usage,
            }
        )
        events.append({"type": "message_stop"})
        return events
