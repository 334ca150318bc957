"""A routed model handle: one model group, called through the Router.

``generate`` / ``stream`` take a prompt and a context (a message list, a string, or a shared
context id); ``chat`` / ``chat_stream`` and ``messages`` / ``messages_stream`` take whole
OpenAI- or Anthropic-format requests, whatever format the chosen deployment speaks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcproute.context import ContextStore, is_context_id, validated_messages
from mcproute.models import served
from mcproute.models.sse_passthrough import PassedEvent
from mcproute.models.target import ProviderTarget, TokenCount
from mcproute.models.token_estimate import estimate_input_tokens

if TYPE_CHECKING:
    from mcproute.routing import AttemptContext, Deployment, Router
    from mcproute.routing.router import Attempt

Json = dict[str, Any]
Context = Sequence[Mapping[str, Any]] | str | None


@dataclass(frozen=True)
class Generation:
    """A finished completion; ``raw`` is the OpenAI-format response."""

    text: str
    finish_reason: str | None
    model: str | None
    usage: Mapping[str, int]
    tool_calls: Sequence[Mapping[str, Any]] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def from_completion(cls, completion: Mapping[str, Any]) -> Generation:
        choice = (completion.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        content = message.get("content")
        return cls(
            text=content if isinstance(content, str) else "",
            finish_reason=choice.get("finish_reason"),
            model=completion.get("model"),
            usage=dict(completion.get("usage") or {}),
            tool_calls=tuple(message.get("tool_calls") or ()),
            raw=completion,
        )


@dataclass(frozen=True)
class GenerationChunk:
    """One streamed piece; ``raw`` is the OpenAI-format chunk it came from."""

    text: str
    finish_reason: str | None = None
    tool_calls: Sequence[Mapping[str, Any]] = ()
    usage: Mapping[str, int] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_chunk(cls, chunk: Mapping[str, Any]) -> GenerationChunk:
        choices = chunk.get("choices") or []
        choice = choices[0] if choices else {}
        delta = choice.get("delta") or {}
        return cls(
            text=delta.get("content") or "",
            finish_reason=choice.get("finish_reason"),
            tool_calls=tuple(delta.get("tool_calls") or ()),
            usage=chunk.get("usage"),
            raw=chunk,
        )


async def context_messages(context: Context, store: ContextStore) -> list[Json]:
    """The messages a context stands for.

    A list is used as the conversation so far; a string of the form ``ctx_<32 hex>`` is a shared
    context id resolved through the store; any other string is a system instruction.
    """
    if context is None:
        return []
    if isinstance(context, str):
        if is_context_id(context):
            return await store.get(context)
        return [{"role": "system", "content": context}]
    if isinstance(context, Mapping) or not isinstance(context, Sequence):
        raise TypeError("context: must be a list of messages, a string or a context id")
    return validated_messages(context)


def _target(deployment: Deployment) -> ProviderTarget:
    target = deployment.target
    assert isinstance(target, ProviderTarget), "deployment built outside ModelRegistry"
    return target


class RoutedModel:
    """A model group behind the Router; cheap to create, safe to share."""

    def __init__(
        self,
        group: str,
        router: Router,
        store: ContextStore,
        capabilities: frozenset[str],
        *,
        on_attempt: Callable[[], None] | None = None,
        upstream_counts: bool = True,
    ) -> None:
        self.name = group
        # Whether a deployment of the group counts tokens upstream (else the estimate is made
        # here, outside the Router, so its near-zero latency never shapes the group's health).
        self._upstream_counts = upstream_counts
        self.capabilities = capabilities
        self._router = router
        self._store = store
        self._on_attempt = on_attempt  # e.g. the registry's cheap "are provider keys due?"

    def _target(self, deployment: Deployment) -> ProviderTarget:
        if self._on_attempt is not None:
            self._on_attempt()
        target = _target(deployment)
        served.note(target.config)
        return target

    def __repr__(self) -> str:
        return f"RoutedModel({self.name!r}, capabilities={sorted(self.capabilities)!r})"

    async def _request(
        self, prompt: str | None, context: Context, params: Mapping[str, Any]
    ) -> Json:
        messages = await context_messages(context, self._store)
        if prompt is not None:
            if not isinstance(prompt, str):
                raise TypeError("prompt: must be a string")
            messages.append({"role": "user", "content": prompt})
        if not messages:
            raise ValueError("prompt: give a prompt or a non-empty context")
        return {**params, "model": self.name, "messages": messages}

    async def generate(
        self, prompt: str | None = None, context: Context = None, **params: Any
    ) -> Generation:
        """One completion; ``params`` are OpenAI request fields (max_tokens, tools, ...)."""
        body = await self._request(prompt, context, params)
        return Generation.from_completion(await self.chat(body))

    async def stream(
        self, prompt: str | None = None, context: Context = None, **params: Any
    ) -> AsyncIterator[GenerationChunk]:
        """The completion as it is produced, chunk by chunk."""
        body = await self._request(prompt, context, params)
        async for chunk in self.chat_stream(body):
            yield GenerationChunk.from_chunk(chunk)

    async def chat(self, body: Mapping[str, Any]) -> Json:
        """An OpenAI-format request in, an OpenAI-format completion out."""
        return await self._router.call(self.name, self.chat_attempt(body))

    def chat_attempt(self, body: Mapping[str, Any]) -> Attempt[Json]:
        """One Router attempt of ``chat``, for callers that run the Router themselves."""
        request = {**body, "model": self.name}

        async def attempt(deployment: Deployment, ctx: AttemptContext) -> Json:
            return await self._target(deployment).chat(request, ctx)

        return attempt

    def chat_stream(self, body: Mapping[str, Any]) -> AsyncIterator[Json]:
        """OpenAI-format chunks, relayed as each arrives; usage comes in the last chunk."""
        request = {**body, "model": self.name, "stream": True}
        request.setdefault("stream_options", {"include_usage": True})

        def attempt(deployment: Deployment, ctx: AttemptContext) -> AsyncIterator[Json]:
            return self._target(deployment).chat_stream(request, ctx)

        return self._router.stream(self.name, attempt)

    def chat_stream_bytes(self, body: Mapping[str, Any]) -> AsyncIterator[PassedEvent]:
        """`chat_stream` as SSE events ready to relay: the upstream's own bytes where it speaks
        OpenAI chat (`sse_passthrough`)."""
        request = {**body, "model": self.name, "stream": True}
        request.setdefault("stream_options", {"include_usage": True})

        def attempt(deployment: Deployment, ctx: AttemptContext) -> AsyncIterator[PassedEvent]:
            return self._target(deployment).chat_stream_bytes(request, ctx)

        return self._router.stream(self.name, attempt)

    async def messages(self, body: Mapping[str, Any]) -> Json:
        """An Anthropic-format request in, an Anthropic-format message out."""
        request = {**body, "model": self.name}

        async def attempt(deployment: Deployment, ctx: AttemptContext) -> Json:
            return await self._target(deployment).messages(request, ctx)

        return await self._router.call(self.name, attempt)

    def messages_stream(self, body: Mapping[str, Any]) -> AsyncIterator[Json]:
        """Anthropic-format stream events."""
        request = {**body, "model": self.name, "stream": True}

        def attempt(deployment: Deployment, ctx: AttemptContext) -> AsyncIterator[Json]:
            return self._target(deployment).messages_stream(request, ctx)

        return self._router.stream(self.name, attempt)

    def messages_stream_bytes(self, body: Mapping[str, Any]) -> AsyncIterator[PassedEvent | Json]:
        """`messages_stream` as events ready to relay: the upstream's own bytes where it is
        Anthropic's Messages API (`anthropic.passed_event`)."""
        request = {**body, "model": self.name, "stream": True}

        def attempt(
            deployment: Deployment, ctx: AttemptContext
        ) -> AsyncIterator[PassedEvent | Json]:
            return self._target(deployment).messages_stream_bytes(request, ctx)

        return self._router.stream(self.name, attempt)

    async def embed(self, texts: str | Sequence[str], **params: Any) -> list[list[float]]:
        """Embedding vectors, one per input text."""
        result = await self.embeddings({**params, "input": texts})
        rows = sorted(result.get("data") or [], key=lambda row: row.get("index", 0))
        return [list(row.get("embedding") or []) for row in rows]

    async def embeddings(self, body: Mapping[str, Any]) -> Json:
        """An OpenAI embeddings request body in, the upstream's response (with its usage) out."""
        request = {"encoding_format": "float", **body, "model": self.name}

        async def attempt(deployment: Deployment, ctx: AttemptContext) -> Json:
            return await self._target(deployment).embeddings(request, ctx)

        return await self._router.call(self.name, attempt)

    async def completions(self, body: Mapping[str, Any]) -> Json:
        """A legacy completions request (``prompt``), for OpenAI-format deployments."""
        request = {**body, "model": self.name}

        async def attempt(deployment: Deployment, ctx: AttemptContext) -> Json:
            return await self._target(deployment).completions(request, ctx)

        return await self._router.call(self.name, attempt)

    def completions_stream(self, body: Mapping[str, Any]) -> AsyncIterator[Json]:
        """Legacy completion chunks, relayed as each arrives."""
        request = {**body, "model": self.name, "stream": True}

        def attempt(deployment: Deployment, ctx: AttemptContext) -> AsyncIterator[Json]:
            return self._target(deployment).completions_stream(request, ctx)

        return self._router.stream(self.name, attempt)

    async def count_tokens(self, body: Mapping[str, Any]) -> TokenCount:
        """Input tokens of an Anthropic Messages request, counted by the deployment it would go
        to: exact from Anthropic deployments, estimated for the others."""
        if not self._upstream_counts:
            return TokenCount(estimate_input_tokens(body), exact=False)
        request = {**body, "model": self.name}

        async def attempt(deployment: Deployment, ctx: AttemptContext) -> TokenCount:
            return await self._target(deployment).count_tokens(request, ctx)

        return await self._router.call(self.name, attempt)
