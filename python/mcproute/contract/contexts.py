"""Shared contexts (`/v1/contexts`): our own API, so unknown fields are an error."""

from __future__ import annotations

from mcproute.contract.contract import Contract
from mcproute.contract.shapes import AnyValue, Dict, List, Num, Obj, Required, Str, Union

# The longest lifetime a context (or a key, or a grace period) may be given: ten years.
MAX_SECONDS = 10 * 366 * 86400
TTL = Num(gt=0, max=MAX_SECONDS)
CONTEXT_ID = Str(pattern=r"ctx_[0-9a-f]{32}", describe="a context id: 'ctx_' and 32 hex digits")
TENANT = Str(
    pattern=r"[^\s\x00-\x1f\x7f]{1,128}", describe="a tenant name (1 to 128 characters, no spaces)"
)
# A stored message is spliced into OpenAI- and Anthropic-format requests: a chat message with
# a role and text or content parts; its other fields are kept as given.
MESSAGE = Obj(
    {
        "role": Required(Str(enum=("system", "developer", "user", "assistant", "tool"))),
        "content": Union(Str(), List(Obj({"type": Required(Str())}))),
        "name": Str(),
        "tool_call_id": Str(),
        "tool_calls": List(Obj()),
    }
)
MESSAGES = List(MESSAGE)

CREATE = Contract(
    "contexts.create",
    Obj(
        {
            "messages": MESSAGES,
            "document": Str(),
            "id": CONTEXT_ID,
            "ttl_seconds": TTL,
            "metadata": Dict(AnyValue()),
            "tenant": TENANT,
        },
        closed=True,
        nulls=False,
        exclusive=[("messages", "document")],
    ),
)
APPEND = Contract(
    "contexts.append",
    Obj(
        {"messages": MESSAGES, "text": Str(), "ttl_seconds": TTL},
        closed=True,
        nulls=False,
        exclusive=[("messages", "text")],
    ),
)
UPDATE = Contract("contexts.update", Obj({"ttl_seconds": Required(TTL)}, closed=True, nulls=False))

__all__ = ["APPEND", "CREATE", "MAX_SECONDS", "UPDATE"]
