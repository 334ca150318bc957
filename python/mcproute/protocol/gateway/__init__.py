"""The gateway: one MCP server in front of several upstreams (`upstreams` pools their
connections; `forwarding`, `fan_in`, `held_calls`, `relayed_ids` and `namespacing` do the
rest), composed onto `MCPServer` through its public handler and session hooks."""

from mcproute.protocol.gateway.gateway import CALLER, Gateway
from mcproute.protocol.gateway.upstreams import UNAVAILABLE_META

__all__ = ["CALLER", "UNAVAILABLE_META", "Gateway"]
