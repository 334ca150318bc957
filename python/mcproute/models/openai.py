"""OpenAI adapter: chat completions (JSON and streaming, tools, usage), legacy completions,
embeddings, models."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from mcproute.models.http import (
    Endpoint,
    SseEvent,
    get_json,
    open_stream,
    post_json,
    stream_cut,
)
from mcproute.models.sse_passthrough import PassedEvent, checked_chunk, passed_event
from mcproute.secret import Secret

DEFAULT_BASE_URL = "https://api.openai.com/v1"
T = TypeVar("T")


def with_api_path(base_url: str, path: str = "/v1") -> str:
    """``https://host`` becomes ``https://host/v1``; a URL that already has a path is kept."""
    base = base_url.rstrip("/")
    return base if urlsplit(base).path else base + path


class OpenAIAdapter:
    """One OpenAI-format deployment: a base URL, a key and the upstream model name."""

    wire_format = "openai"
    relays_sse_bytes = True  # its chat chunks may go to an OpenAI-format caller as they came

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: Secret | None = None,
        *,
        model: str | None = None,
        deployment: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        all_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        all_headers.update(headers or {})
        if api_key is not None:
            all_headers["Authorization"] = "Bearer " + api_key.reveal()
        self.model = model
        self.endpoint = Endpoint(with_api_path(base_url), all_headers, deployment)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.endpoint!r}, model={self.model!r})"

    def _body(self, body: Mapping[str, Any], stream: bool | None = None) -> dict[str, Any]:
        out = dict(body)
        if self.model is not None:
            out["model"] = self.model
        if stream is not None:
            out["stream"] = stream
        return out

    async def chat(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        """A non-streaming chat completion (OpenAI request and response format)."""
        result: dict[str, Any] = await post_json(
            self.endpoint, "/chat/completions", self._body(body, stream=False), http_timeout
        )
        return result

    def chat_stream(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Chat completion chunks, each relayed as soon as it arrives."""
        return self._stream("/chat/completions", body, http_timeout, checked_chunk)

    def chat_stream_bytes(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[PassedEvent]:
        """The same chunks as the upstream's bytes (`sse_passthrough`)."""
        return self._stream("/chat/completions", body, http_timeout, passed_event)

    async def completions(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        """A legacy (prompt in, text out) completion."""
        result: dict[str, Any] = await post_json(
            self.endpoint, "/completions", self._body(body, stream=False), http_timeout
        )
        return result

    def completions_stream(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Legacy completion chunks (``text_completion`` objects) as they arrive."""
        return self._stream("/completions", body, http_timeout, checked_chunk)

    async def _stream(
        self,
        path: str,
        body: Mapping[str, Any],
        http_timeout: aiohttp.ClientTimeout | None,
        read: Callable[[SseEvent, str | None], T],
    ) -> AsyncIterator[T]:
        deployment = self.endpoint.deployment
        async with open_stream(
            self.endpoint, path, self._body(body, stream=True), http_timeout
        ) as events:
            async for event in events:
                if event.data == b"[DONE]":
                    return
                yield read(event, deployment)
        raise stream_cut(deployment)

    async def embeddings(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await post_json(
            self.endpoint, "/embeddings", self._body(body), http_timeout
        )
        return result

    async def models(
        self, http_timeout: aiohttp.ClientTimeout | None = None
    ) -> list[dict[str, Any]]:
        result = await get_json(self.endpoint, "/models", http_timeout)
        data = result.get("data") if isinstance(result, dict) else None
        return list(data) if isinstance(data, list) else []
