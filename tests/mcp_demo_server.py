"""A small MCPServer for the protocol tests.

`python tests/mcp_demo_server.py stdio|http PORT [--big]`
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server import MCPServer, RequestContext

server = MCPServer("demo", "1.0.0", instructions="A demo server for tests.")


@server.tool(
    input_schema={
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    },
)
def add(arguments: dict[str, Any]) -> str:
    """Add two numbers."""
    return str(arguments["a"] + arguments["b"])


@server.tool(description="Always fails.")
async def broken(arguments: dict[str, Any]) -> str:
    raise RuntimeError("the tool broke")


@server.tool(description="Rejects its call as a protocol error.")
def strict(arguments: dict[str, Any]) -> str:
    raise MCPError(-32602, "params.arguments.x: required")


@server.resource("test://greeting", name="greeting", mime_type="text/plain")
def greeting() -> str:
    return "hello"


@server.resource("test://blob", name="blob", mime_type="application/octet-stream")
def blob() -> bytes:
    return b"\x00\x01\x02"


@server.prompt(description="Say hi to someone.", arguments=[{"name": "who", "required": True}])
def hi(arguments: dict[str, Any]) -> str:
    return f"Say hi to {arguments['who']}."


def add_big_tool(target: MCPServer) -> None:
    """`big`: one message larger than a line reader's usual limit (`--big` on the command line)."""

    @target.tool(description="Reports progress, then returns `size` characters of text.")
    async def big(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.progress(0, 1)
        return "x" * int(arguments.get("size", 1_000_000))


async def main() -> None:
    if "--big" in sys.argv:
        add_big_tool(server)
    if sys.argv[1] == "stdio":
        from mcproute.protocol.server.stdio import serve_stdio

        await serve_stdio(server)
        return
    from aiohttp import web

    from mcproute.protocol.server.http import StreamableHTTP

    runner = web.AppRunner(StreamableHTTP(server).app(), handle_signals=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[2])).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
