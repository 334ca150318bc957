"""stdio transport for MCPServer: newline-delimited JSON-RPC on stdin/stdout, one session per
process; anything else goes to stderr."""

from __future__ import annotations

import asyncio
import sys

from mcproute.protocol.server import MAX_MESSAGE_BYTES, MCPServer, Session


async def serve_stdio(server: MCPServer) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_MESSAGE_BYTES + 1)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer

    async def write(message: bytes) -> None:
        out.write(message + b"\n")
        out.flush()

    # Notifications not tied to a request (list changes, resource updates) go out on stdout too.
    session = Session(outbox=write)
    server.sessions[session.id] = session
    try:
        while True:
            line = await reader.readline()
            if not line:
                return  # the client closed stdin: shut down
            line = line.strip()
            if not line:
                continue
            reply = await server.handle(line, session)
            if reply is not None:
                await write(reply)
    finally:
        del server.sessions[session.id]
