"""MCP monitoring in the proxy: `GET /admin/mcp`, the MCP Prometheus series, the dashboard
summary, and failed upstreams made visible (logged, shown, and named in errors) without their
secrets."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mcp_support import serve
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server import MCPServer, RequestContext
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.proxy import mcp_metrics
from mcproute.proxy.mcp_metrics import McpMetrics
from mcproute.proxy.merged_metrics import merged_mcp, metrics_state
from proxy_support import document, running_proxy, without_instance

SECRET = "sk-upstream-secret-0123456789abcdef"


def with_failing_upstreams(sim_url: str, mcp_url: str) -> dict[str, Any]:
    doc = document(sim_url, mcp_url)
    doc["mcp"]["mcpServers"] = {
        "demo": {"url": mcp_url},
        "dead": {
            "url": f"http://user:{SECRET}@127.0.0.1:9/mcp",
            "headers": {"X-Api-Key": SECRET},
            "connect_timeout_s": 2,
        },
        "absent": {"command": str(Path("/nonexistent") / "mcp-server"), "args": [SECRET]},
    }
    return doc


async def test_upstream_state_metrics_and_summary(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _ERA_CACHE.clear()
    caplog.set_level(logging.WARNING)
    apps: list[Any] = []
    async with running_proxy(tmp_path, apps.append, with_failing_upstreams) as proxy:
        admin = {"Authorization": f"Bearer {proxy.key('admin')}"}
        user = {"Authorization": f"Bearer {proxy.key('mcp')}"}
        async with MCPConnection(f"{proxy.url}/mcp", headers=user) as client:
            names = {t["name"] for t in await client.list_tools()}
            assert names == {"demo__add", "demo__broken", "demo__strict"}
            for a in (1, 2):
                await client.call_tool("demo__add", {"a": a, "b": 1})
            assert (await client.call_tool("demo__broken", {}))["isError"] is True
            with pytest.raises(MCPError, match="'dead' is unavailable") as raised:
                await client.call_tool("dead__anything", {})
            assert SECRET not in str(raised.value)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{proxy.url}/admin/mcp", headers=user) as r:
                assert r.status == 403
            async with http.get(f"{proxy.url}/admin/mcp", headers=admin) as r:
                assert r.status == 200
                text = await r.text()
                servers = (await r.json())["servers"]
            async with http.get(f"{proxy.url}/metrics", headers=admin) as r:
                metrics = without_instance(await r.text())
    assert SECRET not in text
    assert servers["demo"]["state"] == "up"
    assert servers["demo"]["tools"] == 3
    assert servers["demo"]["latency_ms"] is not None
    assert servers["dead"]["state"] in ("down", "open")
    assert servers["dead"]["target"].startswith("http://***@127.0.0.1:9")
    assert servers["dead"]["last_error"]
    assert "cannot start" in servers["absent"]["last_error"]
    assert servers["absent"]["target"] == "/nonexistent/mcp-server"  # not its arguments

    assert SECRET not in metrics
    add = 'upstream="demo",mcp_method_name="tools/call",gen_ai_tool_name="add"'
    assert f"mcp_client_operation_duration_seconds_count{{{add}}} 2" in metrics
    broken = 'gen_ai_tool_name="broken",error_type="tool_error"'
    assert f"{broken}}} 1" in metrics
    assert 'mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call"}' in metrics
    assert 'mcp_upstream_state{upstream="demo",state="up"} 1' in metrics
    assert 'mcp_upstream_state{upstream="dead",state="up"} 0' in metrics
    assert 'mcp_upstream_tools{upstream="demo"} 3' in metrics
    assert 'mcp_sessions_open{era="legacy"}' in metrics

    summary = mcp_metrics.summary(apps[0])
    assert {s["name"] for s in summary["servers"]} == {"demo", "dead", "absent"}
    top = summary["top_tools_by_calls"][0]
    assert (top["server"], top["tool"], top["calls"]) == ("demo", "add", 2)
    assert summary["error_rate"] > 0

    warned = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert "'dead'" in warned
    assert "'absent'" in warned
    assert SECRET not in warned


async def test_notifications_relayed_and_sessions_open_are_counted() -> None:
    _ERA_CACHE.clear()
    chatty = MCPServer("chatty")

    @chatty.tool(description="Reports progress while it works.")
    async def work(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.progress(1, 2)
        await ctx.progress(2, 2)
        return "done"

    observed = McpMetrics()
    async with serve(StreamableHTTP(chatty).app()) as url:
        gateway = Gateway({"up": url}, observer=observed)
        try:
            async with serve(StreamableHTTP(gateway).app()) as gw_url:
                progress: list[Any] = []

                async def note(method: str, params: dict[str, Any]) -> None:
                    progress.append(params)

                async with MCPConnection(gw_url, prefer="legacy", on_notification=note) as client:
                    await client.request(
                        "tools/call",
                        {"name": "up__work", "arguments": {}, "_meta": {"progressToken": "p"}},
                    )
                    rendered = observed.render(gateway)
                    summary = observed.summary(gateway)
        finally:
            await gateway.close()
    assert len(progress) == 2
    relayed = 'upstream="up",mcp_method_name="notifications/progress"'
    assert f"mcp_notifications_relayed_total{{{relayed}}} 2" in rendered
    assert 'mcp_sessions_open{era="legacy"} 1' in rendered
    assert summary["sessions_open"] == {"legacy": 1, "modern": 0}
    assert summary["notifications_relayed"] == 2
    assert 'mcp_server_operation_duration_seconds_count{mcp_method_name="initialize"} 1' in rendered


def test_an_upstreams_state_is_read_from_a_worker_that_knows_it() -> None:
    """Each worker holds its own connections: one that has not used an upstream yet reads it
    "unknown", and the merged view takes the state of one that has."""

    def worker(**states: str) -> dict[str, Any]:
        servers = {name: {"state": state, "tools": None} for name, state in states.items()}
        counts = metrics_state(McpMetrics())
        return {"mcp": {"counts": counts, "readings": {"servers": servers, "sessions_open": {}}}}

    merged = merged_mcp([worker(ev="unknown", other="down"), worker(ev="up", other="up")])
    assert merged is not None
    servers = merged[1]["servers"]
    assert servers["ev"]["state"] == "up"
    assert servers["other"]["state"] == "down"  # known already: the first worker's reading
    assert merged_mcp([{}, {"mcp": None}]) is None
