"""JSON-RPC and MCP definitions both sides share: error codes, `MCPError`, `Json`.

Depends on nothing: the server, the client and the gateway import it, never each other for it.
"""

from __future__ import annotations

from typing import Any

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
