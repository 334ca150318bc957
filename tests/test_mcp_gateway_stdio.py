"""The gateway with stdio upstreams (child processes it starts), beside an HTTP one, and era
bridging of input requests: a legacy client answers a modern upstream's InputRequiredResult on
its session's stream, and a legacy upstream's server-to-client requests reach a legacy client.
The upstreams are real servers: our everything server and the reference TypeScript
everything-server of the 2025-11-25 era."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from conftest import require
from mcp_demo_server import server as demo
from mcp_support import LEGACY_EVERYTHING, NODE, sample, serve
from mcproute.config import load_config
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.gateway.held_calls import HeldCalls
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.proxy.reload import mcp_upstreams

EVERYTHING = {
    "command": sys.executable,
    "args": ["-m", "mcproute.testing.everything_server", "--stdio"],
}
LEGACY = {"command": str(NODE), "args": [str(LEGACY_EVERYTHING), "stdio"]}


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


def text(result: dict[str, Any]) -> str:
    return str(result["content"][0]["text"])


@pytest.fixture
async def gateway_url() -> AsyncIterator[str]:
    require(LEGACY_EVERYTHING.is_file(), "the reference everything-server is missing (make test)")
    async with serve(StreamableHTTP(demo).app()) as demo_url:
        gateway = Gateway({"ours": EVERYTHING, "legacy": LEGACY, "http": demo_url})
        try:
            async with serve(StreamableHTTP(gateway).app()) as url:
                yield url
        finally:
            await gateway.close()


@pytest.mark.parametrize("prefer", ["modern", "legacy"])
async def test_stdio_and_http_upstreams_behind_one_endpoint(gateway_url: str, prefer: str) -> None:
    async with MCPConnection(gateway_url, prefer=prefer) as client:
        names = {t["name"] for t in await client.list_tools()}
        assert {"ours__test_simple_text", "legacy__get-sum", "http__add"} <= names
        calls = await asyncio.gather(
            client.call_tool("legacy__get-sum", {"a": 20, "b": 22}),
            client.call_tool("ours__test_simple_text", {}),
            client.call_tool("http__add", {"a": 1, "b": 2}),
        )
        assert text(calls[0]).endswith("42.")
        assert text(calls[1]) == "This is a simple text response for testing."
        assert text(calls[2]) == "3"
        prompts = {p["name"] for p in await client.list_prompts()}
        assert "ours__test_simple_prompt" in prompts


async def test_legacy_client_answers_a_modern_upstream_input_request(gateway_url: str) -> None:
    """Our everything server over stdio speaks 2026-07-28, so its sampling is an
    InputRequiredResult; the gateway turns it into a request on the legacy client's stream."""
    async with MCPConnection(
        gateway_url, prefer="legacy", capabilities={"sampling": {}}, on_request=sample
    ) as client:
        assert client.era == "legacy"
        result = await client.call_tool("ours__test_sampling", {"prompt": "bridge me"})
        assert "sampled: bridge me" in text(result)


async def test_modern_client_answers_a_modern_upstream_input_request(gateway_url: str) -> None:
    async with MCPConnection(
        gateway_url, capabilities={"sampling": {}}, on_request=sample
    ) as client:
        assert client.era == "modern"
        result = await client.call_tool("ours__test_sampling", {"prompt": "pass through"})
        assert "sampled: pass through" in text(result)


async def test_legacy_upstream_asks_a_legacy_client(gateway_url: str) -> None:
    async with MCPConnection(
        gateway_url, prefer="legacy", capabilities={"sampling": {}}, on_request=sample
    ) as client:
        result = await client.call_tool("legacy__trigger-sampling-request", {"prompt": "hi"})
        assert re.search(r"sampled: [^\"]*\bhi\b", text(result))


async def test_modern_client_answers_a_legacy_upstream(gateway_url: str) -> None:
    """The legacy upstream's sampling request waits in the gateway (a held call) while the
    stateless client answers it through an InputRequiredResult and a retry."""
    async with MCPConnection(
        gateway_url, capabilities={"sampling": {}}, on_request=sample
    ) as client:
        assert client.era == "modern"
        # The whole round trip, as a client library does it.
        result = await client.call_tool("legacy__trigger-sampling-request", {"prompt": "held"})
        assert re.search(r"sampled: [^\"]*\bheld\b", text(result))
        # What travels: an InputRequiredResult naming the upstream's request.
        first = await client.request(
            "tools/call",
            {"name": "legacy__trigger-sampling-request", "arguments": {"prompt": "once"}},
            answer_input=False,
        )
        assert first["resultType"] == "input_required"
        [asked] = first["inputRequests"].values()
        assert asked["method"] == "sampling/createMessage"


async def test_a_retry_for_a_call_no_longer_held_is_a_clear_error() -> None:
    with pytest.raises(MCPError, match=r"params\.requestState: the upstream call .* is gone"):
        await HeldCalls().resume("unknown", {})


async def test_a_client_without_the_capability_is_not_asked(gateway_url: str) -> None:
    async with MCPConnection(gateway_url, prefer="legacy", on_request=sample) as client:
        with pytest.raises(MCPError, match="sampling"):
            await client.call_tool("ours__test_sampling", {"prompt": "no"})


def test_proxy_config_starts_command_entries_as_stdio_upstreams(tmp_path: Any) -> None:
    config_file = tmp_path / "mcproute.json"
    config_file.write_text(
        '{"mcp": {"mcpServers": {'
        '"files": {"command": "npx", "args": ["-y", "server-files"], "env": {"TOKEN": "t"}},'
        '"remote": {"url": "https://mcp.example/mcp", "headers": {"X-Key": "k"}}}}}'
    )
    gateway = Gateway(mcp_upstreams(load_config(config_file)))  # as the proxy's is built
    files, remote = gateway.upstreams["files"], gateway.upstreams["remote"]
    assert files.stdio is not None
    assert files.url is None
    assert (files.stdio.command, files.stdio.args, dict(files.stdio.env)) == (
        "npx", ("-y", "server-files"), {"TOKEN": "t"}
    )  # fmt: skip
    assert remote.url == "https://mcp.example/mcp"
    assert remote.headers == {"X-Key": "k"}
