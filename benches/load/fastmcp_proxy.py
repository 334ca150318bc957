"""FastMCP's proxy in front of an MCP server, the peer for the gateway's MCP rows; run in the
bench venv: `python -m benches.load.fastmcp_proxy PORT UPSTREAM_URL`."""

from __future__ import annotations

import sys

from fastmcp.server import create_proxy

if __name__ == "__main__":
    port, upstream = int(sys.argv[1]), sys.argv[2]
    create_proxy(upstream, name="bench-proxy").run(
        transport="http", host="127.0.0.1", port=port, show_banner=False, log_level="warning"
    )
