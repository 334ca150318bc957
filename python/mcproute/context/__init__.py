"""Shared conversation contexts, addressed by id.

``ContextStore`` is the interface the model layer resolves context ids through;
``InMemoryContextStore`` is the process-local implementation; ``mcproute.store.sqlite_contexts``
holds the durable, encrypted one the proxy uses (``TenantContexts`` adapts it to this protocol).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

Message = Mapping[str, Any]

CONTEXT_ID = re.compile(r"ctx_[0-9a-f]{32}")


def is_context_id(value: str) -> bool:
    """Context ids look like ``ctx_`` + 32 hex digits; any other string is context text."""
    return CONTEXT_ID.fullmatch(value) is not None


def new_context_id() -> str:
    return "ctx_" + secrets.token_hex(16)


class ContextNotFoundError(LookupError):
    def __init__(self, context_id: str) -> None:
        super().__init__(f"context: no shared context with id {context_id!r}")
        self.context_id = context_id


@runtime_checkable
class ContextStore(Protocol):
    async def get(self, context_id: str) -> list[dict[str, Any]]:
        """The context's messages; raises ``ContextNotFoundError`` for an unknown id."""
        ...

    async def put(self, messages: Sequence[Message], context_id: str | None = None) -> str:
        """Store (or replace) a context; returns its id."""
        ...

    async def append(self, context_id: str, messages: Sequence[Message]) -> None: ...

    async def delete(self, context_id: str) -> None: ...


def validated_messages(messages: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise ValueError(f"context[{i}]: each message must be an object with a string role")
        out.append(dict(message))
    return out


def messages_of(kind: str, items: Sequence[Any]) -> list[dict[str, Any]]:
    """What a stored context contributes to a conversation: its messages, or a document as
    one system message."""
    if kind == "document":
        return [{"role": "system", "content": "".join(items)}]
    return [dict(m) for m in items]


class InMemoryContextStore:
    """Contexts held in this process; copies go in and out so callers cannot alias them."""

    def __init__(self) -> None:
        self._contexts: dict[str, list[dict[str, Any]]] = {}
        self._lock = asyncio.Lock()

    async def get(self, context_id: str) -> list[dict[str, Any]]:
        try:
            return [dict(m) for m in self._contexts[context_id]]
        except KeyError:
            raise ContextNotFoundError(context_id) from None

    async def put(self, messages: Sequence[Message], context_id: str | None = None) -> str:
        if context_id is not None and not is_context_id(context_id):
            raise ValueError("context_id: must be 'ctx_' followed by 32 hex digits")
        ident = context_id or new_context_id()
        self._contexts[ident] = validated_messages(messages)
        return ident

    async def append(self, context_id: str, messages: Sequence[Message]) -> None:
        async with self._lock:
            if context_id not in self._contexts:
                raise ContextNotFoundError(context_id)
            self._contexts[context_id].extend(validated_messages(messages))

    async def delete(self, context_id: str) -> None:
        self._contexts.pop(context_id, None)
