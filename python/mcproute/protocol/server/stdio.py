"""stdio transport for MCPServer: newline-delimited JSON-RPC on stdin/stdout, one session per
process; anything else goes to stderr.

Requests run concurrently, so a handler that asks the client (sampling, elicitation) gets its
answer while it waits, and a `notifications/cancelled` stops the request it names. What a handler
sends while it runs (progress, logs, its requests to the client) goes out on stdout too.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from mcproute.protocol.jsonrpc import MAX_MESSAGE_BYTES
from mcproute.protocol.server.context import Session
from mcproute.protocol.server.dispatch import MCPServer


class _Stdout:
    """The Outbound of every request: stdout, open until stdin closes."""

    def __init__(self, write: Callable[[bytes], Awaitable[None]]) -> None:
        self._write = write
        self.closed = asyncio.Event()

    async def send(self, message: bytes) -> None:
        await self._write(message)

    async def close(self) -> None:
        """Nothing to end early on stdio: the process is the stream."""

    async def wait_closed(self) -> None:
        await self.closed.wait()


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
    outbound = _Stdout(write)
    tasks: set[asyncio.Task[None]] = set()  # held here: the loop keeps only weak references
    server.sessions[session.id] = session

    async def one(line: bytes) -> None:
        reply = await server.handle_bytes(line, session, outbound)
        if reply.body is not None:
            await write(reply.body)

    try:
        while True:
            line = await reader.readline()
            if not line:
                return  # the client closed stdin: shut down
            line = line.strip()
            if not line:
                continue
            # Each message in a task of its own: a notifications/cancelled reaches the server
            # while the request it names runs.
            task = asyncio.create_task(one(line))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        outbound.closed.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        del server.sessions[session.id]
