"""MCP protocol layer: the message codec (Rust), MCPServer and its transports."""

from mcproute._core import (
    LATEST_LEGACY_VERSION,
    LATEST_VERSION,
    SUPPORTED_VERSIONS,
    Codec,
    Message,
    ProtocolError,
    detect_era,
    encode_error,
    encode_request,
    encode_result,
    loads,
    negotiate,
    parse,
    validate,
)
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server.context import Session
from mcproute.protocol.server.dispatch import MCPServer

__all__ = [
    "LATEST_LEGACY_VERSION",
    "LATEST_VERSION",
    "SUPPORTED_VERSIONS",
    "Codec",
    "MCPError",
    "MCPServer",
    "Message",
    "ProtocolError",
    "Session",
    "detect_era",
    "encode_error",
    "encode_request",
    "encode_result",
    "loads",
    "negotiate",
    "parse",
    "validate",
]
