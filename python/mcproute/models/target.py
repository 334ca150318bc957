"""One configured deployment, callable in either wire format.

A ``ProviderTarget`` is what the Router hands back for an attempt (``Deployment.target``): it
holds the adapter (one per provider key, see ``key_pool``) and the rpm/tpm budget, and
translates when the caller's format differs from the upstream's.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

import aiohttp

from mcproute.config import DeploymentConfig
from mcproute.errors import FailureKind, UpstreamError
from mcproute.governance.counters import UsageCounter
from mcproute.governance.reservation import Governor
from mcproute.models.anthropic import AnthropicAdapter
from mcproute.models.azure import AzureOpenAIAdapter
from mcproute.models.bedrock import BedrockAdapter
from mcproute.models.gemini import GeminiAdapter
from mcproute.models.key_pool import KeyPool
from mcproute.models.limits import UsageWindow
from mcproute.models.openai import OpenAIAdapter
from mcproute.models.openai_compatible import OpenAICompatibleAdapter
from mcproute.models.sse_passthrough import PassedEvent, encoded
from mcproute.models.token_estimate import estimate_input_tokens
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
Adapter = OpenAIAdapter | AnthropicAdapter | BedrockAdapter | GeminiAdapter
T = TypeVar("T")
LEGACY = "legacy completions (/v1/completions)"


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
    timeouts: Timeouts | None, limit: float | None, stream: bool
) -> aiohttp.ClientTimeout:
    """aiohttp timeouts for one attempt. `limit` is the deployment's own ``timeout``: it caps
    a call's total time and, for a stream (which may rightly run long), the wait for the first
    byte and between events; the routing timeouts bound the rest."""
    if timeouts is None:
        return _client_timeout(None, None, None, None, limit, stream, routed=False)
    return _client_timeout(
        timeouts.connect_timeout,
        timeouts.first_byte_timeout,
        timeouts.total_timeout,
        timeouts.stream_idle_timeout,
        limit,
        stream,
        routed=True,
    )


@functools.lru_cache(maxsize=1024)  # a handful of distinct settings: not built per attempt
def _client_timeout(
    connect: float | None,
    first_byte: float | None,
    total: float | None,
    idle: float | None,
    limit: float | None,
    stream: bool,
    *,
    routed: bool,
) -> aiohttp.ClientTimeout:
    if not routed:
        return aiohttp.ClientTimeout(
            total=None if stream else limit, sock_read=limit if stream else None
        )
    read = first_byte
    if stream and idle is not None:
        read = max(read or 0.0, idle)
    if limit is not None:
        read = _shorter(read, limit)
        connect = _shorter(connect, limit)
        if not stream:
            total = _shorter(total, limit)
    return aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read or None)


def _shorter(timeout: float | None, limit: float) -> float:
    return limit if not timeout else min(timeout, limit)


def build_adapter(config: DeploymentConfig) -> Adapter:
    kwargs: Mapping[str, Any] = {"model": config.model, "deployment": config.name}
    if config.provider_type == "bedrock":
        return BedrockAdapter(config.endpoint, config.aws, config.api_key, **kwargs)
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


def _unsupported(deployment: str, provider: str, what: str) -> UpstreamError:
    return UpstreamError(
        FailureKind.BAD_REQUEST,
        f"this deployment's provider ({provider}) has no {what} endpoint",
        deployment=deployment,
    )


def _usage_asked(body: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """The body with the upstream asked to report usage (the tpm budget needs it), and whether
    the caller asked for it (else it does not get the usage-only chunk)."""
    options = body.get("stream_options") or {}
    if options.get("include_usage"):
        return body, True
    return {**body, "stream_options": {**options, "include_usage": True}}, False


async def _close(events: AsyncIterator[Any]) -> None:
    close = getattr(events, "aclose", None)
    if close is not None:
        await close()


@dataclass(frozen=True)
class TokenCount:
    """A request's input tokens: counted by the upstream (exact) or estimated here."""

    input_tokens: int
    exact: bool


class ProviderTarget:
    def __init__(
        self,
        config: DeploymentConfig,
        counter: UsageCounter | None = None,
        governor: Governor | None = None,
    ) -> None:
        self.config = config
        self.keys: KeyPool[Adapter] = KeyPool(
            [key for key, _ in config.key_slots()], self._adapter_for, config.name
        )
        self.usage = UsageWindow(config.rpm, config.tpm, config.name, counter, governor)

    def __repr__(self) -> str:
        return f"ProviderTarget({self.adapter!r})"

    def _adapter_for(self, api_key: Secret | None) -> Adapter:
        return build_adapter(replace(self.config, api_key=api_key))

    @property
    def adapter(self) -> Adapter:
        """The adapter of the first key (all of a deployment's adapters are of one kind)."""
        return self.keys.slots[0].adapter

    def rekey(self, changed: Mapping[int, Secret]) -> None:
        """Use new provider keys (by key index) from the next request on; attempts in flight
        keep theirs, and a key that was refused is back in."""
        keys = list(self.config.api_keys)
        for index, key in changed.items():
            if keys:
                keys[index] = key
            if index == 0:
                self.config = replace(self.config, api_key=key)
        self.config = replace(self.config, api_keys=tuple(keys))
        for index, key in changed.items():
            self.keys.rekey(index, key)

    @property
    def is_anthropic(self) -> bool:
        return isinstance(self.adapter, AnthropicAdapter)

    def _timeout(self, timeouts: Timeouts | None, stream: bool) -> aiohttp.ClientTimeout:
        return attempt_timeout(timeouts, self.config.timeout, stream)

    # --- provider keys: the next one in turn; a 429 or 401 moves the call on to another

    async def _keyed(self, call: Callable[[Adapter], Awaitable[T]]) -> T:
        if len(self.keys) == 1:
            return await call(self.adapter)
        tried: list[int] = []  # each key at most once per call
        while True:
            slot = self.keys.pick(tried)  # raises once no key is left
            tried.append(slot.index)
            try:
                return await call(slot.adapter)
            except UpstreamError as exc:
                if not self.keys.failed(slot, exc):
                    raise

    def _keyed_stream(self, open_events: Callable[[Adapter], AsyncIterator[T]]) -> AsyncIterator[T]:
        if len(self.keys) == 1:
            return open_events(self.adapter)  # no extra layer per event
        return self._rotating_stream(open_events)

    async def _rotating_stream(
        self, open_events: Callable[[Adapter], AsyncIterator[T]]
    ) -> AsyncIterator[T]:
        tried: list[int] = []
        while True:
            slot = self.keys.pick(tried)
            tried.append(slot.index)
            events = aiter(open_events(slot.adapter))
            try:
                first = await anext(events)  # a key refused with a status: before any event
            except StopAsyncIteration:
                return
            except UpstreamError as exc:
                await _close(events)
                if not self.keys.failed(slot, exc):
                    raise
                continue
            try:
                yield first
                async for event in events:
                    yield event
            finally:
                await _close(events)
            return

    def _chat(self, adapter: Adapter) -> OpenAIAdapter | BedrockAdapter | GeminiAdapter:
        """The adapter for OpenAI-format chat: OpenAI's own, or one that translates it
        (Bedrock, Gemini)."""
        if isinstance(adapter, BedrockAdapter):
            return adapter
        return self._chat_format(adapter, "chat")

    @property
    def speaks_messages(self) -> bool:
        """Anthropic-format requests go as they are (Anthropic) or translated directly (Bedrock)."""
        return isinstance(self.adapter, AnthropicAdapter | BedrockAdapter)

    def _openai(self, adapter: Adapter, what: str) -> OpenAIAdapter:
        if not isinstance(adapter, OpenAIAdapter):
            raise _unsupported(self.config.name, self.config.provider_type, what)
        return adapter

    def _chat_format(self, adapter: Adapter, what: str) -> OpenAIAdapter | GeminiAdapter:
        """An adapter that takes OpenAI chat and embeddings bodies (Gemini translates them)."""
        return adapter if isinstance(adapter, GeminiAdapter) else self._openai(adapter, what)

    # --- OpenAI format in and out

    async def chat(self, body: Mapping[str, Any], timeouts: Timeouts | None = None) -> Json:
        usage = self.usage
        if usage.limited:  # (no coroutine made for a deployment without rpm/tpm)
            await usage.admit()
        timeout = self._timeout(timeouts, stream=False)
        if self.is_anthropic:
            request = openai_to_anthropic_request(body)
            message = await self._keyed(lambda a: _anthropic(a).messages(request, timeout))
            result = anthropic_to_openai_response(message)
        elif len(self.keys) == 1:  # the common case: one key, called without a closure
            result = await self._chat(self.adapter).chat(body, timeout)
        else:
            result = await self._keyed(lambda a: self._chat(a).chat(body, timeout))
        if usage.tpm is not None:
            await usage.record_tokens(_openai_tokens(result.get("usage")))
        return result

    async def chat_stream(
        self, body: Mapping[str, Any], timeouts: Timeouts | None = None
    ) -> AsyncIterator[Json]:
        await self.usage.admit()
        timeout = self._timeout(timeouts, stream=True)
        if self.is_anthropic:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            translator = AnthropicToOpenAIStream(body.get("model"), include_usage=True)
            request = openai_to_anthropic_request(body)
            events = self._keyed_stream(lambda a: _anthropic(a).messages_stream(request, timeout))
            async for event in events:
                for chunk in translator.feed(event):
                    if "usage" in chunk:
                        await self.usage.record_tokens(_openai_tokens(chunk["usage"]))
                        if not include_usage:
                            continue
                    yield chunk
            return
        asked, wants_usage = _usage_asked(body)
        async for chunk in self._keyed_stream(lambda a: self._chat(a).chat_stream(asked, timeout)):
            if chunk.get("usage"):
                await self.usage.record_tokens(_openai_tokens(chunk["usage"]))
                if not wants_usage and not chunk.get("choices"):
                    continue
            yield chunk

    async def chat_stream_bytes(
        self, body: Mapping[str, Any], timeouts: Timeouts | None = None
    ) -> AsyncIterator[PassedEvent]:
        """`chat_stream` for an OpenAI-format caller: the upstream's bytes when it speaks
        OpenAI chat too (`sse_passthrough`), else the translated chunks encoded once."""
        adapter = self.adapter
        if not isinstance(adapter, OpenAIAdapter) or not adapter.relays_sse_bytes:
            async for chunk in self.chat_stream(body, timeouts):
                yield encoded(chunk)
            return
        await self.usage.admit()
        timeout = self._timeout(timeouts, stream=True)
        asked, wants_usage = _usage_asked(body)
        events = self._keyed_stream(
            lambda a: self._openai(a, "chat").chat_stream_bytes(asked, timeout)
        )
        async for event in events:
            if event.usage is not None:
                await self.usage.record_tokens(_openai_tokens(event.usage))
                if not wants_usage and event.usage_only:
                    continue
            yield event

    async def completions(self, body: Mapping[str, Any], timeouts: Timeouts | None = None) -> Json:
        """The legacy completions API: OpenAI and OpenAI-compatible deployments only."""
        self._openai(self.adapter, LEGACY)
        await self.usage.admit()
        timeout = self._timeout(timeouts, stream=False)
        result = await self._keyed(lambda a: self._openai(a, LEGACY).completions(body, timeout))
        await self.usage.record_tokens(_openai_tokens(result.get("usage")))
        return result

    async def completions_stream(
        self, body: Mapping[str, Any], timeouts: Timeouts | None = None
    ) -> AsyncIterator[Json]:
        self._openai(self.adapter, LEGACY)
        await self.usage.admit()
        timeout = self._timeout(timeouts, stream=True)
        async for chunk in self._keyed_stream(
            lambda a: self._openai(a, LEGACY).completions_stream(body, timeout)
        ):
            if chunk.get("usage"):
                await self.usage.record_tokens(_openai_tokens(chunk["usage"]))
            yield chunk

    async def embeddings(self, body: Mapping[str, Any], timeouts: Timeouts | None = None) -> Json:
        self._chat_format(self.adapter, "embeddings")
        await self.usage.admit()
        timeout = self._timeout(timeouts, stream=False)
        result = await self._keyed(
            lambda a: self._chat_format(a, "embeddings").embeddings(body, timeout)
        )
        await self.usage.record_tokens(_openai_tokens(result.get("usage")))
        return result

    # --- Anthropic format in and out

    async def messages(self, body: Mapping[str, Any], timeouts: Timeouts | None = None) -> Json:
        if self.speaks_messages:
            await self.usage.admit()
            timeout = self._timeout(timeouts, stream=False)
            result = await self._keyed(lambda a: _messages_api(a).messages(body, timeout))
            await self.usage.record_tokens(_anthropic_tokens(result.get("usage")))
            return result
        completion = await self.chat(anthropic_to_openai_request(body), timeouts)
        return openai_to_anthropic_response(completion)

    async def messages_stream(
        self, body: Mapping[str, Any], timeouts: Timeouts | None = None
    ) -> AsyncIterator[Json]:
        if self.speaks_messages:
            await self.usage.admit()
            timeout = self._timeout(timeouts, stream=True)
            usage: Json = {}
            async for event in self._keyed_stream(
                lambda a: _messages_api(a).messages_stream(body, timeout)
            ):
                if event.get("type") in ("message_start", "message_delta"):
                    usage.update((event.get("message") or event).get("usage") or {})
                yield event
            await self.usage.record_tokens(_anthropic_tokens(usage))
            return
        translator = OpenAIToAnthropicStream(body.get("model"))
        async for chunk in self.chat_stream(
            anthropic_to_openai_request({**body, "stream": True}), timeouts
        ):
            for event in translator.feed(chunk):
                yield event
        for event in translator.finish():
            yield event

    async def messages_stream_bytes(
        self, body: Mapping[str, Any], timeouts: Timeouts | None = None
    ) -> AsyncIterator[PassedEvent | Json]:
        """`messages_stream` for an Anthropic-format caller: the upstream's bytes when it is
        Anthropic's Messages API too (`anthropic.passed_event`), else the events decoded."""
        if not isinstance(self.adapter, AnthropicAdapter):
            async for event in self.messages_stream(body, timeouts):
                yield event
            return
        await self.usage.admit()
        timeout = self._timeout(timeouts, stream=True)
        usage: Json = {}
        async for passed in self._keyed_stream(
            lambda a: _anthropic(a).messages_stream_bytes(body, timeout)
        ):
            if passed.usage is not None:
                usage.update(passed.usage)
            yield passed
        await self.usage.record_tokens(_anthropic_tokens(usage))

    async def count_tokens(
        self, body: Mapping[str, Any], timeouts: Timeouts | None = None
    ) -> TokenCount:
        """Input tokens of an Anthropic Messages request: Anthropic's own count, else the
        estimate of ``token_estimate`` (no upstream call, no rpm/tpm spent)."""
        if not self.is_anthropic:
            return TokenCount(estimate_input_tokens(body), exact=False)
        timeout = self._timeout(timeouts, stream=False)
        result = await self._keyed(lambda a: _anthropic(a).count_tokens(body, timeout))
        count = result.get("input_tokens")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise UpstreamError(
                FailureKind.SERVER,
                "upstream token count has no input_tokens",
                deployment=self.config.name,
            )
        return TokenCount(count, exact=True)


def _anthropic(adapter: Adapter) -> AnthropicAdapter:
    assert isinstance(adapter, AnthropicAdapter)
    return adapter


def _messages_api(adapter: Adapter) -> AnthropicAdapter | BedrockAdapter:
    assert isinstance(adapter, AnthropicAdapter | BedrockAdapter)
    return adapter
