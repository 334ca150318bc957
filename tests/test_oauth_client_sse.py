"""The 2024-11-05 HTTP+SSE client transport authorizes through the same hook as Streamable
HTTP: `MCPConnection` with an `OAuthClient` reaches the official SDK's SSE server protected by
its own bearer middleware (tokens of the test authorization server), discovering from the
GET's 401, and carries the token on the GET stream and on every message POST."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mcp_support import free_port, process
from mcproute.oauth_client import (
    MemoryTokenStore,
    OAuthClient,
    OAuthSettings,
    headless_authorize,
)
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.jsonrpc import MCPError
from oidc_support import authorization_server

SERVER = str(Path(__file__).with_name("sdk_oauth_sse_server.py"))
REDIRECT = "http://127.0.0.1:9/callback"  # never requested: the headless browser stops there


async def test_http_sse_with_oauth(tmp_path: Path) -> None:
    async with authorization_server(tmp_path) as auth:
        port = free_port()
        with process([sys.executable, SERVER, str(port), auth.issuer], port):
            url = f"http://127.0.0.1:{port}/sse"
            # Without the hook: the SDK's middleware refuses the stream.
            with pytest.raises(MCPError, match="HTTP 401"):
                async with MCPConnection(url, prefer="legacy") as conn:
                    await conn.list_tools()
            store = MemoryTokenStore()
            settings = OAuthSettings(client_name="mcproute sse test", redirect_uri=REDIRECT)
            client = OAuthClient(url, settings, store=store, on_authorize=headless_authorize)
            async with MCPConnection(url, prefer="legacy", auth=client) as conn:
                assert conn.transport is not None
                assert conn.transport.kind == "sse"
                assert "add" in {tool["name"] for tool in await conn.list_tools()}
                result = await conn.call_tool("add", {"a": 40, "b": 2})
            assert result["content"][0]["text"] == "42"
            record = await store.load(url)
            assert record is not None
            assert record["tokens"]["access_token"]
