"""One configured deployment, callable in either wire format.

A ``ProviderTarget`` is what the Router hands back for an attempt (``Deployment.target``): it
holds the adapter and the rpm/tpm budget, and translates when the caller's format differs from
the upstream's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any, Protocol

import aiohttp

from mcproute.config import DeploymentConfig
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.anthropic import AnthropicAdapter
from mcproute.models.azure import AzureOpenAIAdapter
from mcproute.models.gemini import GeminiAdapter
from mcproute.models.limits import UsageWindow
from mcproute.models.openai import OpenAIAdapter
from mcproute.models.openai_compatible import OpenAICompatibleAdapter
from mcproute.models.translate import (
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
    anthropic_to_openai_request,
    anthropic_to_openai_response,
    openai_to_anthropic_request,
    openai_to_anthropic_response,
)
from mcproute.secret import Secret

Json = dict[str, Any]


class Timeouts(Protocol):
    """What one attempt must honour (the Router's ``AttemptContext`` has these fields)."""

    @property
    def connect_timeout(self) -> float | None: ...
    @property
    def first_byte_timeout(self) -> float | None: ...
    @property
    def total_timeout(self) -> float | None: ...
    @property
    def stream_idle_timeout(self) -> float | None: ...


def attempt_timeout(
    timeouts: Timeouts | None, default_total: float | None, stream: bool
) -> aiohttp.ClientTimeout:
    """aiohttp timeouts for one attempt; the deployment's own timeout bounds what is unset."""
    if timeouts is None:
        return aiohttp.ClientTimeout(
            total=None if stream else default_total, sock_read=default_total if stream else None
        )
    read = timeouts.first_byte_timeout
    if stream and timeouts.stream_idle_timeout is not None:
        read = max(read or 0.0, timeouts.stream_idle_timeout)
    total = timeouts.total_timeout
    if total is None and not stream:
        total = default_total
    return aiohttp.ClientTimeout(
        total=total, sock_connect=timeouts.connect_timeout, sock_read=read or None
    )


def build_adapter(config: DeploymentConfig) -> OpenAIAdapter | AnthropicAdapter | GeminiAdapter:
    kwargs: Mapping[str, Any] = {"model": config.model, "deployment": config.name}
    if config.provider_type == "anthropic":
        return AnthropicAdapter(config.endpoint, config.api_key, **kwargs)
    if config.provider_type == "azure":
        return AzureOpenAIAdapter(
            config.endpoint,
            config.api_key,
            api_version=config.api_version,
            auth=config.auth,
            **kwargs,
        )
    if config.provider_type == "gemini":
        return GeminiAdapter(
            config.endpoint, config.api_key, auth=config.auth, project=config.project,
            location=config.location, **kwargs,
        )  # fmt: skip
    if config.provider_type == "openai_compatible":
        return OpenAICompatibleAdapter(config.endpoint, config.api_key, **kwargs)
    return OpenAIAdapter(config.endpoint, config.api_key, **kwargs)


def _openai_tokens(usage: Any) -> int:
    return int(usage.get("total_tokens") or 0) if isinstance(usage, dict) else 0


def _anthropic_tokens(usage: Any) -> int:
    if not isinstance(usage, dict):
        return 0
    return int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)


class ProviderTarget:
    def __init__(self, config: DeploymentConfig) -> None:
        self.config = config
        self.adapter = build_adapter(config)
        self.usage = UsageWindow(config.rpm, config.tpm, config.name)

    def __repr__(self) -> str:
        return f"ProviderTarget({self.adapter!r})"

    def rekey(self, api_key: Secret) -> None:
        """Use a new provider key from the next request on (attempts in flight keep theirs)."""
        self.config = replace(self.config, api_key=api_key)
        self.adapter = build_adapter(self.config)

    @property
    def is_anthropic(self) -> bool:
        return isinstance(self.adapter, AnthropicAdapter)

    # --- OpenAI format in and out

    async def chat(self, body: Mapping[str, Any], timeouts: Timeouts | None = None) -> Json:
        self.usage.admit()
        timeout = attempt_timeout(timeouts, self.config.timeout, stream=False)
        adapter = self.adapter
        if isinstance(adapter, AnthropicAdapter):
            message = await adapter.messages(openai_to_anthropic_request(body), timeout)
            result = anthropic_to_openai_response(message)
        else:
            result = await adapter.chat(body, timeout)
        self.usage.record_tokens(_openai_tokens(result.get("usage")))
        return result

    async def chat_stream(
        self, body: Mapping[str, Any], timeouts: Timeouts | None = None
    ) -> AsyncIterator[Json]:
        self.usage.admit()
        timeout = attempt_timeout(timeouts, self.config.timeout, stream=True)
        adapter = self.adapter
        if isinstance(adapter, AnthropicAdapter):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            translator = AnthropicToOpenAIStream(body.get("model"), include_usage=True)
            request = openai_to_anthropic_request(body)
            async for event in adapter.messages_stream(request, timeout):
                for chunk in translator.feed(event):
                    if "usage" in chunk:
                        self.usage.record_tokens(_openai_tokens(chunk["usage"]))
                        if not include_usage:
                            continue
                    yield chunk
            return
        async for chunk in adapter.chat_stream(body, timeout):
            if chunk.get("usage"):
                self.usage.record_tokens(_openai_tokens(chunk["usage"]))
            yield chunk

    async def embeddings(self, body: Mapping[str, Any], timeouts: Timeouts | None = None) -> Json:
        adapter = self.adapter
        if isinstance(adapter, AnthropicAdapter):
            raise UpstreamError(
                FailureKind.BAD_REQUEST,
                "this deployment's provider (anthropic) has no embeddings endpoint",
                deployment=self.config.name,
            )
        self.usage.admit()
        result = await adapter.embeddings(
            body, attempt_timeout(timeouts, self.config.timeout, stream=False)
        )
        self.usage.record_tokens(_openai_tokens(result.get("usage")))
        return result

    # --- Anthropic format in and out

    async def messages(self, body: Mapping[str, Any], timeouts: Timeouts | None = None) -> Json:
        adapter = self.adapter
        if isinstance(adapter, AnthropicAdapter):
            self.usage.admit()
            timeout = attempt_timeout(timeouts, self.config.timeout, stream=False)
            result = await adapter.messages(body, timeout)
            self.usage.record_tokens(_anthropic_tokens(result.get("usage")))
            return result
        completion = await self.chat(anthropic_to_openai_request(body), timeouts)
        return openai_to_anthropic_response(completion)

    async def messages_stream(
        self, body: Mapping[str, Any], timeouts: Timeouts | None = None
    ) -> AsyncIterator[Json]:
        adapter = self.adapter
        if isinstance(adapter, AnthropicAdapter):
            self.usage.admit()
            timeout = attempt_timeout(timeouts, self.config.timeout, stream=True)
            usage: Json = {}
            async for event in adapter.messages_stream(body, timeout):
                if event.get("type") in ("message_start", "message_delta"):
                    usage.update((event.get("message") or event).get("usage") or {})
                yield event
            self.usage.record_tokens(_anthropic_tokens(usage))
            return
        translator = OpenAIToAnthropicStream(body.get("model"))
        async for chunk in self.chat_stream(
            anthropic_to_openai_request({**body, "stream": True}), timeouts
        ):
            for event in translator.feed(chunk):
                yield event
        for event in translator.finish():
            yield event
