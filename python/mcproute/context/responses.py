"""Stored Responses API responses: each one a shared context of its tenant.

A response `resp_<hex>` is the context `ctx_<hex>` of the tenant whose key created it: its
messages are the whole conversation so far in chat format (what `previous_response_id` continues
from, and what a chat request naming the context as `context_id` gets), and its sealed metadata
holds the response object `GET /v1/responses/{id}` returns and the request's input items. Items
and metadata are encrypted with the keyring and bound to the tenant like every context, so
another tenant's key finds nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcproute.context import ContextNotFoundError

if TYPE_CHECKING:
    from mcproute.context.sqlite import SqliteContextStore

RESPONSE_ID = re.compile(r"resp_[0-9a-f]{32}")
RESPONSE_TTL_S = 30 * 24 * 3600.0  # as long as OpenAI keeps a stored response
OBJECT = "response"  # the metadata mark that tells a response from another context


class ResponseNotFoundError(LookupError):
    def __init__(self, response_id: str) -> None:
        super().__init__(f"no response with id {response_id!r}")
        self.response_id = response_id


@dataclass(frozen=True)
class StoredResponse:
    response: dict[str, Any]
    conversation: list[dict[str, Any]]
    input_items: list[dict[str, Any]]  # the request's own input, as the API lists it


def is_response_id(value: str) -> bool:
    return RESPONSE_ID.fullmatch(value) is not None


def new_response_id() -> str:
    return "resp_" + secrets.token_hex(16)


def context_id_of(response_id: str) -> str:
    """The context a response is: the same 128 random bits under the context prefix."""
    return "ctx_" + response_id.removeprefix("resp_")


class ResponseStore:
    def __init__(self, contexts: SqliteContextStore, ttl: float = RESPONSE_TTL_S) -> None:
        self.contexts = contexts
        self.ttl = ttl

    async def save(
        self,
        tenant: str,
        response: dict[str, Any],
        conversation: Sequence[dict[str, Any]],
        input_items: Sequence[dict[str, Any]],
    ) -> None:
        metadata = {
            "name": response["id"],
            "object": OBJECT,
            "response": response,
            "input_items": list(input_items),
        }
        await self.contexts.create(
            tenant,
            "messages",
            conversation,
            ttl=self.ttl,
            metadata=metadata,
            context_id=context_id_of(response["id"]),
        )

    async def load(self, tenant: str, response_id: str) -> StoredResponse:
        """The response of this tenant with this id; any other tenant's, an expired one or a
        context that is not a response are all not found, alike."""
        try:
            info, items = await self.contexts.read(tenant, context_id_of(response_id))
        except ContextNotFoundError:
            raise ResponseNotFoundError(response_id) from None
        response = info.metadata.get("response")
        if info.metadata.get("object") != OBJECT or not isinstance(response, dict):
            raise ResponseNotFoundError(response_id)
        return StoredResponse(response, items, list(info.metadata.get("input_items") or []))

    async def delete(self, tenant: str, response_id: str) -> None:
        await self.load(tenant, response_id)  # only a response: not any context of that id
        await self.contexts.delete(tenant, context_id_of(response_id))
