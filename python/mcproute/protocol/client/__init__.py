"""The client side: `MCPConnection` negotiates the era and correlates requests with replies
over one `Transport` (`streamable_http`, `http_sse` or `stdio`)."""

from mcproute.protocol.client.connection import MCPConnection
from mcproute.protocol.client.stdio import StdioServer
from mcproute.protocol.client.transport import Transport

__all__ = ["MCPConnection", "StdioServer", "Transport"]
