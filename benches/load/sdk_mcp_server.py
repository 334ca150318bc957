"""The official `mcp` SDK's server with the same one tool as ours, for the MCP load runs:
`python -m benches.load.sdk_mcp_server PORT`."""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("sdk-bench")


@server.tool()
def test_simple_text() -> str:
    """A fixed text answer."""
    return "This is a simple text response for testing."


if __name__ == "__main__":
    server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
