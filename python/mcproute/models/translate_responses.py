"""Translation between OpenAI's Responses API and the Chat Completions format the Router speaks.

A Responses request becomes a chat request (input items → messages, `instructions` → a system
message, function tools, `max_output_tokens`, `text.format` → `response_format`); the chat
completion, or its stream of chunks, becomes a `response` object or the typed `response.*`
events. Every provider the registry reaches from the chat format (Anthropic through
`translate.py`, and the others) so serves the Responses API too.

Item ids are minted here (`msg_...`, `fc_...`); a function call keeps the upstream's tool call
id as its `call_id`, which is what a later `function_call_output` answers.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

Json = dict[str, Any]

# Echoed in the response object as given (or null): what the request asked for.
_ECHOED = (
    "instructions",
    "max_output_tokens",
    "previous_response_id",
    "temperature",
    "top_p",
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "service_tier",
)
_PASSED = ("temperature", "top_p", "user", "safety_identifier", "prompt_cache_key", "service_tier")
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def _item_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(16)}"


# ----------------------------------------------------------------------------- request


def _part_to_chat(part: Mapping[str, Any]) -> Json:
    kind = part["type"]
    if kind == "input_image":
        image: Json = {"url": part["image_url"]}
        if part.get("detail") in ("auto", "low", "high"):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        fields = ("file_data", "file_id", "filename")
        return {"type": "file", "file": {k: part[k] for k in fields if part.get(k) is not None}}
    if kind == "refusal":
        return {"type": "text", "text": part["refusal"]}
    return {"type": "text", "text": part["text"]}  # input_text, output_text


def _content_to_chat(content: str | Sequence[Mapping[str, Any]]) -> str | list[Json]:
    """A string stays one; parts that are all text join into one string (every provider takes
    that), others become chat content parts."""
    if isinstance(content, str):
        return content
    parts = [_part_to_chat(p) for p in content]
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def _text_of(content: str | list[Json]) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content)


def items_to_messages(items: str | Sequence[Mapping[str, Any]]) -> list[Json]:
    """Responses input items (or output items, which are valid input) as chat messages.

    Function calls join the assistant message before them (one turn with text and tool
    calls, as chat has it); each function_call_output is a `tool` message."""
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    messages: list[Json] = []
    for item in items:
        kind = item.get("type") or "message"
        if kind == "message":
            role = item["role"]
            content = _content_to_chat(item["content"])
            if role == "assistant":
                content = _text_of(content)
            messages.append({"role": role, "content": content})
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item["output"]
            text = output if isinstance(output, str) else _text_of(_content_to_chat(output))
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": text})
    return messages


def _tools_to_chat(tools: Sequence[Mapping[str, Any]]) -> list[Json]:
    out = []
    for tool in tools:
        function = {
            k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool
        }
        function.setdefault("parameters", {"type": "object", "properties": {}})
        out.append({"type": "function", "function": function})
    return out


def _text_format_to_chat(text_format: Mapping[str, Any]) -> Json:
    if text_format["type"] != "json_schema":
        return {"type": text_format["type"]}
    schema = {
        k: text_format[k] for k in ("name", "schema", "description", "strict") if k in text_format
    }
    return {"type": "json_schema", "json_schema": schema}


def responses_to_chat_request(
    body: Mapping[str, Any], history: Sequence[Mapping[str, Any]] = ()
) -> tuple[Json, list[Json]]:
    """(the chat request, this turn's input as chat messages) for a Responses request (its
    contract already checked). `history` is the conversation so far: a previous response's,
    with any shared context before it. `instructions` go first and are not part of the turn:
    like OpenAI's, they do not carry over to a response that continues this one."""
    turn = items_to_messages(body["input"])
    messages: list[Json] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": body["instructions"]})
    messages += [dict(m) for m in history]
    messages += turn
    chat: Json = {"model": body["model"], "messages": messages}
    if body.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = body["max_output_tokens"]
    # `metadata` stays with the response: OpenAI's chat API takes it only with its own `store`.
    for key in _PASSED:
        if body.get(key) is not None:
            chat[key] = body[key]
    if body.get("tools"):
        chat["tools"] = _tools_to_chat(body["tools"])
        if body.get("parallel_tool_calls") is not None:  # chat refuses it without tools
            chat["parallel_tool_calls"] = body["parallel_tool_calls"]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        chat["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    elif choice is not None:
        chat["tool_choice"] = choice
    text = body.get("text") or {}
    if text.get("format") is not None:
        chat["response_format"] = _text_format_to_chat(text["format"])
    if text.get("verbosity") is not None:
        chat["verbosity"] = text["verbosity"]
    effort = (body.get("reasoning") or {}).get("effort")
    if effort is not None:
        chat["reasoning_effort"] = effort
    return chat, turn


def _input_part(part: Mapping[str, Any]) -> Json:
    if part["type"] == "input_image":
        return {**part, "detail": part.get("detail") or "auto"}
    return dict(part)


def input_items(items: str | Sequence[Mapping[str, Any]]) -> list[Json]:
    """A request's input as the items `GET /v1/responses/{id}/input_items` lists: each with
    an id (minted where the caller gave none) and a status, message content as parts."""
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    out: list[Json] = []
    for item in items:
        kind = item.get("type") or "message"
        entry: Json = {**item, "type": kind, "status": item.get("status") or "completed"}
        if kind == "message":
            entry["id"] = item.get("id") or _item_id("msg")
            content = item["content"]
            if item["role"] == "assistant":
                text = content if isinstance(content, str) else _text_of(_content_to_chat(content))
                entry["content"] = [_text_part(text)]
            elif isinstance(content, str):
                entry["content"] = [{"type": "input_text", "text": content}]
            else:
                entry["content"] = [_input_part(p) for p in content]
        else:
            entry["id"] = item.get("id") or _item_id("fc" if kind == "function_call" else "fco")
        out.append(entry)
    return out


# ----------------------------------------------------------------------------- response


def usage_from_chat(usage: Mapping[str, Any] | None) -> Json | None:
    if not usage:
        return None
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    details = usage.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens") or 0
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    return {
        "input_tokens": prompt,
        "input_tokens_details": {
            "cached_tokens": int(cached),
            "cache_write_tokens": int(details.get("cache_write_tokens") or 0),
        },
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": int(reasoning)},
        "total_tokens": int(usage.get("total_tokens") or prompt + completion),
    }


def _text_part(text: str) -> Json:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_item(item_id: str, parts: list[Json], status: str) -> Json:
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": parts,
    }


def _call_item(item_id: str, call_id: str, name: str, arguments: str, status: str) -> Json:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


class ResponseShell:
    """The response object of one request: what it echoes of the request, and its state."""

    def __init__(self, body: Mapping[str, Any], response_id: str, model: str) -> None:
        self.id = response_id
        self.created_at = int(time.time())
        self._body = body
        self._model = model

    def render(
        self,
        status: str,
        output: list[Json],
        usage: Json | None = None,
        *,
        incomplete: str | None = None,
        error: Json | None = None,
    ) -> Json:
        body = self._body
        text = body.get("text") or {}
        out: Json = {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": False,
            "error": error,
            "incomplete_details": {"reason": incomplete} if incomplete else None,
            "model": self._model,
            "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "tool_choice": body.get("tool_choice") or "auto",
            "tools": list(body.get("tools") or []),
            "store": body.get("store", True),
            "text": {"format": text.get("format") or {"type": "text"}},
            "truncation": body.get("truncation") or "disabled",
            "metadata": dict(body.get("metadata") or {}),
            "reasoning": {"effort": (body.get("reasoning") or {}).get("effort"), "summary": None},
            "usage": usage,
        }
        for key in _ECHOED:
            out[key] = body.get(key)
        if status == "completed":
            out["completed_at"] = int(time.time())
        return out

    def from_chat(self, completion: Mapping[str, Any]) -> Json:
        """The finished response for a chat completion."""
        choice = (completion.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        output: list[Json] = []
        parts = []
        if isinstance(message.get("content"), str) and message["content"]:
            parts.append(_text_part(message["content"]))
        if message.get("refusal"):
            parts.append({"type": "refusal", "refusal": message["refusal"]})
        if parts or not message.get("tool_calls"):
            output.append(_message_item(_item_id("msg"), parts or [_text_part("")], "completed"))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            output.append(
                _call_item(
                    _item_id("fc"),
                    str(call.get("id") or _item_id("call")),
                    str(function.get("name") or ""),
                    str(function.get("arguments") or ""),
                    "completed",
                )
            )
        return self.finished(choice.get("finish_reason"), output, completion.get("usage"))

    def finished(self, finish: str | None, output: list[Json], usage: Any) -> Json:
        incomplete = _INCOMPLETE.get(finish or "")
        status = "incomplete" if incomplete else "completed"
        if incomplete:
            for item in output:
                item["status"] = "incomplete"
        return self.render(status, output, usage_from_chat(usage), incomplete=incomplete)


class ChatToResponseStream:
    """Turns chat completion chunks into the Responses API's typed events, in OpenAI's order.

    `start()` gives `response.created` and `response.in_progress`; `feed(chunk)` the events
    for one chunk; `finish()` the events that close the open item, and `completed()` then
    `response.completed` (or `response.incomplete`); `fail()` gives `error` and
    `response.failed`. Items are opened
    and closed one at a time: text first, then each function call, as chat streams them."""

    def __init__(self, shell: ResponseShell) -> None:
        self.shell = shell
        self.response: Json | None = None  # the final object, once finished
        self.usage: Json | None = None  # the chat-format usage, once the upstream sent it
        self._seq = 0
        self._output: list[Json] = []  # finished items
        self._open: Json | None = None  # the item being streamed
        self._text: list[str] = []  # of the open message
        self._refusal = False  # whether the open message's part is a refusal
        self._calls: dict[int, Json] = {}  # chat tool call index -> its item
        self._finish: str | None = None

    def _event(self, kind: str, **fields: Any) -> Json:
        event = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return event

    def _item_fields(self) -> Json:
        return {"output_index": len(self._output), "item_id": self._open["id"]}  # type: ignore[index]

    def start(self) -> list[Json]:
        snapshot = self.shell.render("in_progress", [])
        return [
            self._event("response.created", response=snapshot),
            self._event("response.in_progress", response=snapshot),
        ]

    def _close(self, status: str = "completed") -> list[Json]:
        item = self._open
        if item is None:
            return []
        events = []
        if item["type"] == "message":
            text = "".join(self._text)
            where = {**self._item_fields(), "content_index": 0}
            if self._refusal:
                part = {"type": "refusal", "refusal": text}
                done = self._event("response.refusal.done", **where, refusal=text)
            else:
                part = _text_part(text)
                done = self._event("response.output_text.done", **where, text=text, logprobs=[])
            events += [done, self._event("response.content_part.done", **where, part=part)]
            item = _message_item(item["id"], [part], status)
            self._text = []
        else:
            item = {**item, "status": status}
            events.append(
                self._event(
                    "response.function_call_arguments.done",
                    **self._item_fields(),
                    name=item["name"],
                    arguments=item["arguments"],
                )
            )
        index = len(self._output)
        events.append(self._event("response.output_item.done", output_index=index, item=item))
        self._output.append(item)
        self._open = None
        return events

    def _open_item(self, item: Json) -> list[Json]:
        events = self._close()
        self._open = item
        added = self._event(
            "response.output_item.added", output_index=len(self._output), item=dict(item)
        )
        events.append(added)
        if item["type"] == "message":
            part = {"type": "refusal", "refusal": ""} if self._refusal else _text_part("")
            where = {**self._item_fields(), "content_index": 0}
            events.append(self._event("response.content_part.added", **where, part=part))
        return events

    def _text_delta(self, text: str, refusal: bool = False) -> list[Json]:
        """Text goes to the open message; a refusal (a part of its own kind) to a message of
        its own, as chat streams one or the other."""
        events = []
        if self._open is None or self._open["type"] != "message" or self._refusal != refusal:
            events += self._close()
            self._refusal = refusal
            events += self._open_item(_message_item(_item_id("msg"), [], "in_progress"))
        self._text.append(text)
        where = {**self._item_fields(), "content_index": 0}
        if refusal:
            events.append(self._event("response.refusal.delta", **where, delta=text))
        else:
            delta = self._event("response.output_text.delta", **where, delta=text, logprobs=[])
            events.append(delta)
        return events

    def _call_delta(self, delta: Mapping[str, Any]) -> list[Json]:
        events: list[Json] = []
        index = int(delta.get("index") or 0)
        function = delta.get("function") or {}
        item = self._calls.get(index)
        if item is None:
            call_id = str(delta.get("id") or _item_id("call"))
            name = str(function.get("name") or "")
            item = _call_item(_item_id("fc"), call_id, name, "", "in_progress")
            self._calls[index] = item
            events += self._open_item(item)
        arguments = function.get("arguments")
        if arguments:
            item["arguments"] += arguments
            if item is self._open:  # chat streams one call after another; OpenAI's do too
                fields = self._item_fields()
                events.append(
                    self._event("response.function_call_arguments.delta", **fields, delta=arguments)
                )
        return events

    def feed(self, chunk: Mapping[str, Any]) -> list[Json]:
        if chunk.get("usage"):
            self.usage = dict(chunk["usage"])
        events: list[Json] = []
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if delta.get("content"):
                events += self._text_delta(str(delta["content"]))
            if delta.get("refusal"):
                events += self._text_delta(str(delta["refusal"]), refusal=True)
            for call in delta.get("tool_calls") or []:
                events += self._call_delta(call)
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
        return events

    def finish(self) -> tuple[list[Json], Json]:
        """(the events that close the open item, the final response object); `completed()`
        then gives the event that announces it."""
        events = []
        if self._open is None and not self._output:  # an empty answer is one empty message
            events = self._open_item(_message_item(_item_id("msg"), [], "in_progress"))
        incomplete = _INCOMPLETE.get(self._finish or "")
        events += self._close("incomplete" if incomplete else "completed")
        self.response = self.shell.finished(self._finish, list(self._output), self.usage)
        return events, self.response

    def completed(self) -> Json:
        """`response.completed` (or `response.incomplete`), after `finish()`."""
        assert self.response is not None, "finish() first"
        kind = (
            "response.incomplete"
            if self.response["status"] == "incomplete"
            else "response.completed"
        )
        return self._event(kind, response=self.response)

    def fail(self, code: str, message: str) -> list[Json]:
        """The events that end a stream that failed: the upstream broke off, or (after
        `finish()`) the response could not be stored."""
        events = self._close("incomplete")
        error = {"code": code, "message": message}
        self.response = self.shell.render("failed", list(self._output), error=error)
        return [
            *events,
            self._event("error", code=code, message=message, param=None),
            self._event("response.failed", response=self.response),
        ]


__all__ = [
    "ChatToResponseStream",
    "ResponseShell",
    "input_items",
    "items_to_messages",
    "responses_to_chat_request",
    "usage_from_chat",
]
