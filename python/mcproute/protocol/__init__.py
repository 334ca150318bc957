"""MCP protocol layer: message codec now; client, server and gateway build on it."""

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

__all__ = [
    "LATEST_LEGACY_VERSION",
    "LATEST_VERSION",
    "SUPPORTED_VERSIONS",
    "Codec",
    "Message",
    "ProtocolError",
    "detect_era",
    "encode_error",
    "encode_request",
    "encode_result",
    "loads",
    "negotiate",
    "parse",
    "validate",
]
