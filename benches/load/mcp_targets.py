"""MCP `tools/call` targets: our MCP server, the same server through mcproute's gateway or
through FastMCP's proxy, and the official `mcp` SDK's server with the same tool. Each call is
one stateless 2026-07-28 POST (no session to set up), the same message for every target but
for the tool's exposed name."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benches.load.gateways import Target, peer_python, serve_mcproute
from benches.load.processes import Processes, wait_until_serving

TOOL = "test_simple_text"


def call_body(tool: str) -> bytes:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "mcproute-bench", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    params = {"name": tool, "arguments": {}, "_meta": meta}
    return json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    ).encode()


def _headers(tool: str) -> dict[str, str]:
    return {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }


def ours(group: Processes, port: int, cpu: str | None) -> Target:
    proc = group.start(
        "mcp-ours",
        [sys.executable, "-m", "mcproute.testing.everything_server", "--port", str(port)],
        cpu=cpu,
    )
    target = Target("mcproute MCPServer", f"http://127.0.0.1:{port}/mcp", _headers(TOOL), proc)
    wait_until_serving(target.url, call_body(TOOL), target.headers, proc, 30)
    return target


def sdk(group: Processes, port: int, cpu: str | None) -> Target:
    proc = group.start(
        "mcp-sdk", [sys.executable, "-m", "benches.load.sdk_mcp_server", str(port)], cpu=cpu
    )
    target = Target("mcp SDK server", f"http://127.0.0.1:{port}/mcp", _headers(TOOL), proc)
    wait_until_serving(target.url, call_body(TOOL), target.headers, proc, 30)
    return target


def gateway(
    group: Processes,
    work: Path,
    port: int,
    upstream_url: str,
    cpu: str | None,
    *,
    front: bool = True,
) -> Target:
    """The gateway in front of `upstream_url`; without `front`, on aiohttp's server alone."""
    document = {"mcp": {"models": {}}, "mcpServers": {"ev": {"url": upstream_url}}}
    env = None if front else {"MCPROUTE_FRONT": "0"}
    proc, key = serve_mcproute(
        group, work, port, document, scope="mcp", workers=1, cpu=cpu, env=env
    )
    tool = f"ev__{TOOL}"
    headers = {**_headers(tool), "Authorization": f"Bearer {key}"}
    name = "mcproute gateway" + ("" if front else ", front off")
    target = Target(name, f"http://127.0.0.1:{port}/mcp", headers, proc)
    wait_until_serving(target.url, call_body(tool), target.headers, proc, 60)
    return target


def fastmcp_proxy(group: Processes, port: int, upstream_url: str, cpu: str | None) -> Target:
    command = [peer_python(), "-m", "benches.load.fastmcp_proxy", str(port), upstream_url]
    proc = group.start("mcp-fastmcp-proxy", command, cpu=cpu)
    target = Target("FastMCP proxy", f"http://127.0.0.1:{port}/mcp", _headers(TOOL), proc)
    wait_until_serving(target.url, call_body(TOOL), target.headers, proc, 60)
    return target
