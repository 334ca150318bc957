"""The server side: what a server offers (`registry`), what a handler sees (`context`), the
message path (`dispatch`), and its transports (`http` with its sessions and `session_tokens`,
`stdio`, and the SSE event store `sse_store`)."""

from mcproute.protocol.jsonrpc import Json, MCPError
from mcproute.protocol.server.context import Listener, Outbound, RequestContext, Session
from mcproute.protocol.server.dispatch import MCPServer, Reply, ServerObserver

__all__ = [
    "Json",
    "Listener",
    "MCPError",
    "MCPServer",
    "Outbound",
    "Reply",
    "RequestContext",
    "ServerObserver",
    "Session",
]
