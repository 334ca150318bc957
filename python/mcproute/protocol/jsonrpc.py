"""JSON-RPC and MCP definitions both sides share: error codes, `MCPError`, `Json`.

Depends on nothing of ours: the server, the client and the gateway import it, never each other
for it.
"""

from __future__ import annotations

from typing import Any

import orjson

Json = dict[str, Any]

CONNECTION_CLOSED = -32000  # implementation-defined: the transport is gone
RESOURCE_NOT_FOUND_LEGACY = -32002
HEADER_MISMATCH = -32020  # 2026-07-28: an Mcp-* header disagrees with the body
MISSING_CAPABILITY = -32021  # 2026-07-28: the request needs a capability the client lacks
UNSUPPORTED_VERSION = -32022
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the codec's default message limit
# The `_meta` key that ties a 2026-07-28 notification to the subscriptions/listen carrying it.
SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"


class MCPError(Exception):
    """Raise from a handler to answer with a JSON-RPC error instead of a result."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


def result_bytes(request_id: int | str, result: Json) -> bytes:
    """A result response, encoded in one orjson call (no trip into the Rust core: what we
    encode ourselves needs no validation)."""
    return (
        b'{"jsonrpc":"2.0","id":'
        + orjson.dumps(request_id)
        + b',"result":'
        + orjson.dumps(result)
        + b"}"
    )


def request_bytes(request_id: int | str | None, method: str, params: Json | None) -> bytes:
    """A request (`request_id` None: a notification), encoded in one orjson call."""
    message: Json = {"jsonrpc": "2.0", "method": method}
    if request_id is not None:
        message["id"] = request_id
    if params is not None:
        message["params"] = params
    return orjson.dumps(message)
