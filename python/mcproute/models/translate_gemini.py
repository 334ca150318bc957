"""Translation between the OpenAI Chat Completions format and Gemini's ``generateContent``.

Requests: messages become ``contents`` of ``user``/``model`` turns (system and developer
messages the ``systemInstruction``), image parts ``inlineData`` (data URLs) or ``fileData``
(other URLs), tools ``functionDeclarations``, tool calls ``functionCall`` parts and tool results
``functionResponse`` parts. Responses and stream chunks come back with finish reasons and
``usageMetadata`` mapped. Anthropic-format callers reach Gemini through this module after the
Anthropic <-> OpenAI translation (``translate.py``).
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import struct
import time
from collections.abc import Mapping
from typing import Any

import orjson

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.translate import _loads_object, _text

Json = dict[str, Any]

_FINISH_TO_OPENAI: Mapping[str, str] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
_TOOL_MODES: Mapping[str, str] = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
# OpenAI sampling fields and their generationConfig names
_GENERATION_FIELDS: Mapping[str, str] = {
    "temperature": "temperature",
    "top_p": "topP",
    "n": "candidateCount",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}


# ----------------------------------------------------------------------------- requests


def _image_part(part: Mapping[str, Any]) -> Json:
    image = part.get("image_url")
    url = str(image.get("url", "")) if isinstance(image, dict) else str(image or "")
    if url.startswith("data:") and ";base64," in url:
        mime, data = url[5:].split(";base64,", 1)
        return {"inlineData": {"mimeType": mime or "application/octet-stream", "data": data}}
    mime = mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _parts(content: Any) -> list[Json]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    out: list[Json] = []
    for part in content if isinstance(content, list) else []:
        if isinstance(part, str):
            out.append({"text": part})
        elif isinstance(part, dict) and part.get("type") == "text":
            out.append({"text": str(part.get("text", ""))})
        elif isinstance(part, dict) and part.get("type") == "image_url":
            out.append(_image_part(part))
    return out


def _append(contents: list[Json], role: str, parts: list[Json]) -> None:
    """Consecutive turns of one role are merged (parallel tool results share one turn)."""
    if not parts:
        return
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def _tool_response(message: Mapping[str, Any], names: Mapping[str, str]) -> Json:
    call_id = str(message.get("tool_call_id") or "")
    content = message.get("content")
    text = content if isinstance(content, str) else _text(content)
    try:
        parsed = orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        parsed = None
    response: Json = parsed if isinstance(parsed, dict) else {"output": text}
    result: Json = {"name": names.get(call_id, call_id), "response": response}
    if call_id:
        result["id"] = call_id
    return {"functionResponse": result}


def _function_declarations(tools: Any) -> list[Json]:
    out = []
    for tool in tools or []:
        spec = tool.get("function", tool) if isinstance(tool, dict) else {}
        entry: Json = {"name": spec.get("name")}
        if spec.get("description"):
            entry["description"] = spec["description"]
        if spec.get("parameters"):
            entry["parametersJsonSchema"] = spec["parameters"]
        out.append(entry)
    return out


def _tool_config(choice: Any) -> Json | None:
    if isinstance(choice, str) and choice in _TOOL_MODES:
        return {"functionCallingConfig": {"mode": _TOOL_MODES[choice]}}
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        config: Json = {"mode": "ANY"}
        if name:
            config["allowedFunctionNames"] = [name]
        return {"functionCallingConfig": config}
    return None


def _generation_config(body: Mapping[str, Any]) -> Json:
    config: Json = {}
    for field, name in _GENERATION_FIELDS.items():
        if body.get(field) is not None:
            config[name] = body[field]
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_object":
            config["responseMimeType"] = "application/json"
        elif response_format.get("type") == "json_schema":
            config["responseMimeType"] = "application/json"
            schema = (response_format.get("json_schema") or {}).get("schema")
            if schema:
                config["responseJsonSchema"] = schema
    return config


def openai_to_gemini_request(body: Mapping[str, Any]) -> Json:
    """An OpenAI chat completion request as a ``generateContent`` request body."""
    system: list[Json] = []
    contents: list[Json] = []
    names: dict[str, str] = {}  # tool call id -> function name, for functionResponse parts
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role in ("system", "developer"):
            system += _parts(message.get("content"))
        elif role == "user":
            _append(contents, "user", _parts(message.get("content")))
        elif role == "assistant":
            parts = _parts(message.get("content"))
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                names[str(call.get("id"))] = str(function.get("name"))
                fc: Json = {
                    "name": function.get("name"),
                    "args": _loads_object(function.get("arguments")),
                }
                if call.get("id"):
                    fc["id"] = call["id"]
                parts.append({"functionCall": fc})
            _append(contents, "model", parts)
        elif role == "tool":
            _append(contents, "user", [_tool_response(message, names)])
    out: Json = {"contents": contents}
    if system:
        out["systemInstruction"] = {"parts": system}
    if body.get("tools"):
        out["tools"] = [{"functionDeclarations": _function_declarations(body["tools"])}]
    tool_config = _tool_config(body.get("tool_choice"))
    if tool_config is not None:
        out["toolConfig"] = tool_config
    config = _generation_config(body)
    if config:
        out["generationConfig"] = config
    return out


# ----------------------------------------------------------------------------- responses


def gemini_usage_to_openai(meta: Any) -> Json:
    meta = meta if isinstance(meta, dict) else {}
    prompt = int(meta.get("promptTokenCount") or 0)
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    completion = int(meta.get("candidatesTokenCount") or 0) + thoughts
    out: Json = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": int(meta.get("totalTokenCount") or prompt + completion),
    }
    cached = int(meta.get("cachedContentTokenCount") or 0)
    if cached:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    if thoughts:
        out["completion_tokens_details"] = {"reasoning_tokens": thoughts}
    return out


def _call_id(response_id: str, candidate: int, index: int) -> str:
    digest = hashlib.sha256(f"{response_id}/{candidate}/{index}".encode()).hexdigest()
    return "call_" + digest[:24]


def _tool_call(part: Mapping[str, Any], response_id: str, candidate: int, index: int) -> Json:
    call = part["functionCall"]
    return {
        "id": call.get("id") or _call_id(response_id, candidate, index),
        "type": "function",
        "function": {
            "name": call.get("name"),
            "arguments": orjson.dumps(call.get("args") or {}).decode(),
        },
    }


def _finish(candidate: Mapping[str, Any], has_calls: bool) -> str | None:
    reason = candidate.get("finishReason")
    if not reason:
        return None
    finish = _FINISH_TO_OPENAI.get(str(reason), "stop")
    return "tool_calls" if has_calls and finish == "stop" else finish


def blocked_prompt(response: Mapping[str, Any], deployment: str | None) -> UpstreamError | None:
    """The prompt was refused (``promptFeedback.blockReason``, no candidates), or None."""
    feedback = response.get("promptFeedback")
    reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
    if not reason or response.get("candidates"):
        return None
    label = str(reason) if str(reason).replace("_", "").isalnum() else "unknown"
    return UpstreamError(
        FailureKind.CONTENT_POLICY,
        f"upstream refused the prompt (blockReason {label})",
        status=400,
        deployment=deployment,
    )


def gemini_to_openai_response(
    response: Mapping[str, Any], model: str | None, deployment: str | None = None
) -> Json:
    """A ``generateContent`` response as an OpenAI chat completion."""
    blocked = blocked_prompt(response, deployment)
    if blocked is not None:
        raise blocked
    response_id = str(response.get("responseId") or "")
    choices = []
    for number, candidate in enumerate(response.get("candidates") or []):
        text: list[str] = []
        calls: list[Json] = []
        for part in (candidate.get("content") or {}).get("parts") or []:
            if "functionCall" in part:
                calls.append(_tool_call(part, response_id, number, len(calls)))
            elif isinstance(part.get("text"), str) and not part.get("thought"):
                text.append(part["text"])
        message: Json = {"role": "assistant", "content": "".join(text) if text else None}
        if calls:
            message["tool_calls"] = calls
        choices.append(
            {
                "index": int(candidate.get("index", number)),
                "message": message,
                "finish_reason": _finish(candidate, bool(calls)) or "stop",
                "logprobs": None,
            }
        )
    return {
        "id": "chatcmpl-" + response_id if response_id else "chatcmpl-gemini",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": response.get("modelVersion") or model,
        "choices": choices,
        "usage": gemini_usage_to_openai(response.get("usageMetadata")),
    }


class GeminiToOpenAIStream:
    """Turns ``streamGenerateContent`` chunks into OpenAI ``chat.completion.chunk`` objects."""

    def __init__(self, model: str | None, deployment: str | None = None) -> None:
        self._model = model
        self._deployment = deployment
        self._id = ""
        self._created = int(time.time())
        self._calls: dict[int, int] = {}  # candidate -> tool calls sent so far
        self._usage: Any = None  # the latest usageMetadata, translated once at the end
        self.finished = False

    def _chunk(self, index: int, delta: Json, finish: str | None = None) -> Json:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [
                {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}
            ],
        }

    def feed(self, response: Mapping[str, Any]) -> list[Json]:
        out: list[Json] = []
        if not self._id:
            blocked = blocked_prompt(response, self._deployment)
            if blocked is not None:
                raise blocked
            self._id = "chatcmpl-" + str(response.get("responseId") or "gemini")
            self._model = response.get("modelVersion") or self._model
            out.append(self._chunk(0, {"role": "assistant", "content": ""}))
        usage = response.get("usageMetadata")
        if usage:
            self._usage = usage
        for number, candidate in enumerate(response.get("candidates") or ()):
            index = candidate.get("index", number)
            for part in (candidate.get("content") or {}).get("parts") or ():
                text = part.get("text")
                if text and isinstance(text, str) and not part.get("thought"):
                    out.append(self._chunk(index, {"content": text}))
                elif "functionCall" in part:
                    sent = self._calls.get(index, 0)
                    call = _tool_call(part, self._id, index, sent)
                    call["index"] = sent
                    self._calls[index] = sent + 1
                    out.append(self._chunk(index, {"tool_calls": [call]}))
            if candidate.get("finishReason"):
                self.finished = True
                finish = _finish(candidate, bool(self._calls.get(index)))
                out.append(self._chunk(index, {}, finish))
        return out

    @property
    def usage(self) -> Json:
        return gemini_usage_to_openai(self._usage)

    def usage_chunk(self) -> Json:
        chunk = self._chunk(0, {})
        chunk["choices"] = []
        chunk["usage"] = self.usage
        return chunk


# ----------------------------------------------------------------------------- embeddings


def embedding_inputs(body: Mapping[str, Any], deployment: str | None) -> list[str]:
    """The texts of an OpenAI embeddings request (Gemini embeds text, not token arrays)."""
    value = body.get("input")
    texts = value if isinstance(value, list) else [value]
    if not texts or not all(isinstance(t, str) for t in texts):
        raise UpstreamError(
            FailureKind.BAD_REQUEST,
            "input: Gemini embeds text only: give a string or a list of strings",
            status=400,
            deployment=deployment,
        )
    return [str(t) for t in texts]


def openai_embeddings(
    vectors: list[list[float]], body: Mapping[str, Any], model: str | None, tokens: int
) -> Json:
    """Vectors as an OpenAI embeddings response (``encoding_format: base64`` honoured)."""
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, vector in enumerate(vectors):
        encoded: Any = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return {
        "object": "list",
        "data": data,
        "model": body.get("model") or model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
