"""An MCP server built with the official `mcp` SDK.

`python tests/sdk_server.py PORT [streamable-http|sse]` or `python tests/sdk_server.py stdio`.
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("sdk-peer")


@server.tool()
def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


@server.tool()
async def chatty(ctx: Context) -> str:
    """Logs while it runs."""
    await ctx.info("working")
    return "done"


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
