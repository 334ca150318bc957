"""An MCP server built with FastMCP: `python tests/fastmcp_server.py PORT`."""

from __future__ import annotations

import sys

from fastmcp import Context, FastMCP

server = FastMCP("fastmcp-peer")


@server.tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@server.tool
async def chatty(ctx: Context) -> str:
    """Logs while it runs."""
    await ctx.info("working")
    return "done"


@server.tool
def fails() -> str:
    """Always raises."""
    raise ValueError("this tool always fails")


@server.resource("peer://fastmcp", mime_type="text/plain")
def hello() -> str:
    return "hello from FastMCP"


@server.resource("peer://items/{item}")
def item(item: str) -> str:
    return f"item {item}"


@server.prompt
def greet(name: str) -> str:
    return f"Greet {name}."


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run(transport="stdio", show_banner=False, log_level="warning")
    else:
        server.run(
            transport=sys.argv[2] if len(sys.argv) > 2 else "http",  # type: ignore[arg-type]
            host="127.0.0.1", port=int(sys.argv[1]), show_banner=False, log_level="warning",
        )  # fmt: skip
