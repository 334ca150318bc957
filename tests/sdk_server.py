"""An MCP server built with the official `mcp` SDK.

`python tests/sdk_server.py PORT [streamable-http|sse]` or `python tests/sdk_server.py stdio`.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resources import TextResource

server = MCPServer("sdk-peer")
NOTES = itertools.count(1)


@server.tool()
def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


@server.tool()
async def chatty(ctx: Context) -> str:
    """Logs while it runs."""
    await ctx.info("working")
    return "done"


@server.tool()
async def add_note(content: str, ctx: Context) -> str:
    """Registers a resource and announces that the resource list changed."""
    name = f"note-{next(NOTES)}"
    server.add_resource(TextResource(uri=f"note://{name}", name=name, text=content))
    await ctx.notify_resources_changed()  # to 2026-07-28 listen streams
    if ctx.session.protocol_version < "2026":
        await ctx.session.send_resource_list_changed()  # to this legacy session's GET stream
    return f"registered {name}"


@server.tool()
async def wait_cancelled(marker: str) -> str:
    """Waits until the call is cancelled, then creates the file `marker`."""
    try:
        await anyio.sleep_forever()
    finally:
        Path(marker).touch()  # noqa: ASYNC240 - no await while being cancelled
    return "never"


@server.resource("peer://hello", mime_type="text/plain")
def hello() -> str:
    return "hello from the SDK"


@server.prompt()
def greet(name: str) -> str:
    return f"Greet {name}."


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        transport = sys.argv[2] if len(sys.argv) > 2 else "streamable-http"
        server.run(transport, host="127.0.0.1", port=int(sys.argv[1]))  # type: ignore[arg-type]
