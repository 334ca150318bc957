"""Reading Server-Sent Events from an HTTP response, for the MCP client.

Lines are split here rather than by aiohttp's line reader, whose 512 KiB line limit is below the
size of a message the codec accepts. The reader keeps the stream's last event id and retry delay
in an `SseCursor`, so an interrupted stream can be resumed with `Last-Event-ID`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from mcproute.protocol.jsonrpc import MAX_MESSAGE_BYTES, MCPError

DEFAULT_RETRY_MS = 1000  # until the server sends an SSE `retry` field
# A data line holds one message plus its field name.
MAX_LINE = MAX_MESSAGE_BYTES + 64


class Chunks(Protocol):
    """A response body read as it arrives (aiohttp's `StreamReader`, or `http1.Body`)."""

    def iter_any(self) -> AsyncIterator[bytes]: ...


@dataclass
class SseCursor:
    """Where a stream can be resumed: the last event id seen and the server's retry delay."""

    last_id: str | None = None
    retry_ms: int = DEFAULT_RETRY_MS


async def _lines(content: Chunks) -> AsyncIterator[bytes]:
    buffer = bytearray()
    async for chunk in content.iter_any():
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            yield bytes(buffer[start:end]).rstrip(b"\r")
            start = end + 1
        del buffer[:start]
        if len(buffer) > MAX_LINE:
            raise MCPError(-32603, f"an SSE line over {MAX_LINE} bytes")
    if buffer:
        yield bytes(buffer).rstrip(b"\r")


async def events(content: Chunks, cursor: SseCursor) -> AsyncIterator[tuple[str, bytes]]:
    """(event type, data) of each event with data, in order. Events with empty data (priming
    events that only carry an id) and comments (keep-alives) update the cursor only. A dropped
    connection ends the iteration like a closed stream."""
    data: list[bytes] = []
    name = "message"
    try:
        async for line in _lines(content):
            if not line:
                event, data = b"\n".join(data), []
                kind, name = name, "message"
                if event.strip():
                    yield kind, event
                continue
            field, _, value = line.partition(b":")
            value = value.removeprefix(b" ")
            if field == b"data":
                data.append(value)
            elif field == b"event":
                name = value.decode(errors="replace")
            elif field == b"id" and b"\0" not in value:
                cursor.last_id = value.decode(errors="replace")
            elif field == b"retry" and value.isdigit():
                cursor.retry_ms = int(value)
    except aiohttp.ClientPayloadError:
        return
