"""Anthropic adapter: the Messages API (JSON and streaming events, tools, system prompts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

import aiohttp

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.http import (
    Endpoint,
    SseEvent,
    decode_event,
    open_stream,
    post_json,
    stream_cut,
    upstream_message,
)
from mcproute.models.sse_passthrough import PassedEvent, data_lines
from mcproute.secret import Secret

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
T = TypeVar("T")
DEFAULT_MAX_TOKENS = 4096  # the Messages API requires max_tokens; OpenAI clients may omit it

_STREAM_ERRORS: Mapping[str, FailureKind] = {
    "overloaded_error": FailureKind.SERVER,
    "api_error": FailureKind.SERVER,
    "rate_limit_error": FailureKind.RATE_LIMITED,
    "timeout_error": FailureKind.TIMEOUT,
    "authentication_error": FailureKind.AUTH,
    "permission_error": FailureKind.AUTH,
}


class AnthropicAdapter:
    """One Anthropic deployment: base URL, key and upstream model name."""

    wire_format = "anthropic"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: Secret | None = None,
        *,
        model: str | None = None,
        deployment: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        base = base.removesuffix("/v1")
        all_headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "anthropic-version": API_VERSION,
        }
        all_headers.update(headers or {})
        if api_key is not None:
            all_headers["x-api-key"] = api_key.reveal()
        self.model = model
        self.endpoint = Endpoint(base + "/v1", all_headers, deployment)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.endpoint!r}, model={self.model!r})"

    def _body(self, body: Mapping[str, Any], stream: bool) -> dict[str, Any]:
        out = dict(body)
        if self.model is not None:
            out["model"] = self.model
        out.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        out["stream"] = stream
        return out

    async def messages(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        """A non-streaming Messages call (Anthropic request and response format)."""
        result: dict[str, Any] = await post_json(
            self.endpoint, "/messages", self._body(body, stream=False), http_timeout
        )
        return result

    async def count_tokens(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        """The upstream's exact input token count for a Messages request (``input_tokens``)."""
        out = dict(body)
        if self.model is not None:
            out["model"] = self.model
        result: dict[str, Any] = await post_json(
            self.endpoint, "/messages/count_tokens", out, http_timeout
        )
        return result

    def messages_stream(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream events (``message_start`` ... ``message_stop``), relayed as they arrive."""
        return self._events(body, http_timeout, _decoded_event)

    def messages_stream_bytes(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[PassedEvent]:
        """The same events as the upstream's bytes, for an Anthropic-format caller: only
        those that carry usage or an error are decoded (`passed_event`)."""
        return self._events(body, http_timeout, passed_event)

    async def _events(
        self,
        body: Mapping[str, Any],
        http_timeout: aiohttp.ClientTimeout | None,
        read: Callable[[SseEvent, str | None], tuple[T | None, bool]],
    ) -> AsyncIterator[T]:
        deployment = self.endpoint.deployment
        async with open_stream(
            self.endpoint, "/messages", self._body(body, stream=True), http_timeout
        ) as events:
            async for event in events:
                item, last = read(event, deployment)
                if item is not None:
                    yield item
                if last:
                    return
        raise stream_cut(deployment)


def _decoded_event(event: SseEvent, deployment: str | None) -> tuple[Any, bool]:
    """An event decoded (None for a ping), and whether it is the last (`message_stop`)."""
    payload = decode_event(event, deployment)
    kind = payload.get("type") if isinstance(payload, dict) else None
    if kind == "error":
        raise _stream_error(payload, deployment)
    return (None if kind == "ping" else payload), kind == "message_stop"


# Events decoded when relayed as bytes: the two that carry usage, and errors.
_READ = frozenset({"message_start", "message_delta", "error"})


def passed_event(event: SseEvent, deployment: str | None) -> tuple[PassedEvent | None, bool]:
    """A Messages stream event as it came (its `event:` line and data), None for a ping; and
    whether it is the last. `usage` is that of `message_start` (its message's) or
    `message_delta`; an `error` event is raised as the upstream's. An event without an
    `event:` line is decoded for its type."""
    name = event.event
    usage = None
    if name is None or name in _READ or b'"error"' in event.data:
        payload = decode_event(event, deployment)
        kind = payload.get("type") if isinstance(payload, dict) else None
        if kind == "error":
            raise _stream_error(payload, deployment)
        name = kind if isinstance(kind, str) else "message"
        if isinstance(payload, dict):
            outer = payload.get("message")
            found = (outer if isinstance(outer, dict) else payload).get("usage")
            usage = found if isinstance(found, dict) else None
    if name == "ping":
        return None, False
    sse = b"event: " + name.encode() + b"\n" + data_lines(event.data)
    return PassedEvent(sse, usage, False), name == "message_stop"


def _stream_error(payload: dict[str, Any], deployment: str | None) -> UpstreamError:
    """An in-band `error` event, as the upstream's failure."""
    error = payload.get("error")
    kind = error.get("type") if isinstance(error, dict) else None
    return UpstreamError(
        _STREAM_ERRORS.get(str(kind), FailureKind.SERVER),
        "mid-stream: " + upstream_message(None, error),
        deployment=deployment,
    )
