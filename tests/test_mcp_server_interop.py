"""Our MCPServer against the official `mcp` SDK client, over stdio and Streamable HTTP, in the
legacy (initialize) and the stateless (2026-07-28) eras."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import (
    BlobResourceContents,
    ElicitRequestParams,
    ElicitResult,
    TextContent,
    TextResourceContents,
)

from mcp_support import http_server, serve
from mcproute.protocol.server import MCPServer, RequestContext
from mcproute.protocol.server.http import StreamableHTTP

DEMO = str(Path(__file__).with_name("mcp_demo_server.py"))


@pytest.fixture
async def http_url() -> AsyncIterator[str]:
    async with http_server() as url:
        yield url


async def exercise(client: Client) -> None:
    tools = await client.list_tools()
    assert [t.name for t in tools.tools] == ["add", "broken", "strict"]
    result = await client.call_tool("add", {"a": 2, "b": 3})
    assert isinstance(result.content[0], TextContent)
    assert result.content[0].text == "5"
    failed = await client.call_tool("broken", {})
    assert failed.is_error
    resources = await client.list_resources()
    assert {str(r.uri) for r in resources.resources} == {"test://greeting", "test://blob"}
    read = await client.read_resource("test://greeting")
    assert isinstance(read.contents[0], TextResourceContents)
    assert read.contents[0].text == "hello"
    blob = await client.read_resource("test://blob")
    assert isinstance(blob.contents[0], BlobResourceContents)
    prompt = await client.get_prompt("hi", {"who": "Ada"})
    assert isinstance(prompt.messages[0].content, TextContent)
    assert prompt.messages[0].content.text == "Say hi to Ada."


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_sdk_client_over_http(http_url: str, mode: str) -> None:
    async with Client(http_url, mode=mode) as client:
        await exercise(client)


async def test_sdk_client_over_stdio() -> None:
    params = StdioServerParameters(command=sys.executable, args=[DEMO, "stdio"])
    async with Client(params, mode="legacy") as client:
        await exercise(client)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_float_elicitation_answer_is_accepted(mode: str) -> None:
    """A form's `number` field answered with 95.5 by the SDK client, in both eras."""
    asking = MCPServer("asking")

    @asking.tool(description="Asks for a score.")
    async def score(arguments: dict[str, Any], ctx: RequestContext) -> str:
        schema = {"type": "object", "properties": {"score": {"type": "number"}}}
        answer = await ctx.elicit("Your score?", schema)
        return repr(answer["content"]["score"])

    async def answer(context: Any, params: ElicitRequestParams) -> ElicitResult:
        return ElicitResult(action="accept", content={"score": 95.5})

    async with (
        serve(StreamableHTTP(asking).app()) as url,
        Client(url, mode=mode, elicitation_callback=answer) as client,
    ):
        result = await client.call_tool("score", {})
        assert not result.is_error, result
        assert isinstance(result.content[0], TextContent)
        assert result.content[0].text == "95.5"
