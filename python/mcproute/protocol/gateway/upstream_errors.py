"""Errors an upstream MCP server answered, as the gateway relays them to its own client.

An upstream may echo a token or a URL with credentials it was given, and the gateway never
repeats a secret. The message is redacted like a model provider's error text. The code and
`data` pass through for clients to act on (a URL elicitation's `data.elicitations` carries URLs
with opaque state the client must open), so in `data` only credentials of a recognisable shape
are removed.
"""

from __future__ import annotations

from typing import Any

from mcproute.protocol.jsonrpc import MCPError
from mcproute.redact import redact, redact_credentials


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_credentials(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def relayed_error(exc: MCPError) -> MCPError:
    """`exc` from an upstream, fit to show the gateway's client."""
    return MCPError(exc.code, redact(str(exc)), _redacted(exc.data))
