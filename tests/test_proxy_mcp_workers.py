"""`mcproute serve --workers 2`: one MCP session is served by whichever worker accepts each
connection (its id is a session token under the data directory's keyring), and `command`
entries of `mcpServers` run as stdio upstreams of every worker. A session's GET stream outlives
the proxy's idle timeout (that one is for idle connections, not open streams)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from mcp_support import free_port, http_server
from mcproute.protocol.client import MCPConnection
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from proxy_support import serve_command
from test_proxy_crash import wait_ready

DEMO = str(Path(__file__).with_name("mcp_demo_server.py"))


@contextlib.asynccontextmanager
async def proxy(tmp_path: Path, *extra: str) -> AsyncIterator[tuple[str, str]]:
    """`mcproute serve` with two MCP upstreams; yields (its URL, an API key with the mcp scope)."""
    data = tmp_path / "data"
    with SqliteApiKeyStore(DataDir(data)) as store:
        key, _ = ApiKeyManager(DataDir(data).pepper(), store).issue("test", ["mcp"])
    async with http_server() as demo_url:
        config = tmp_path / "mcproute.json"
        models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
        servers = {
            "remote": {"url": demo_url},
            "local": {"command": sys.executable, "args": [DEMO, "stdio"]},
        }
        config.write_text(json.dumps({"mcp": {"models": models, "mcpServers": servers}}))
        port = free_port()
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port),
            *extra,
            env={**os.environ, "MCPROUTE_DATA_DIR": str(data)},
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            yield f"http://127.0.0.1:{port}", key
        finally:
            proc.terminate()
            await proc.wait()


async def test_a_session_spans_the_workers(tmp_path: Path) -> None:
    async with proxy(tmp_path) as (url, key):
        # A new TCP connection per request, so the kernel spreads them over both workers.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            await wait_ready(http, url)
            async with MCPConnection(
                f"{url}/mcp", http=http, headers={"Authorization": f"Bearer {key}"}, prefer="legacy"
            ) as conn:
                assert conn.session_id is not None
                for i in range(30):
                    upstream = ("remote", "local")[i % 2]
                    result = await conn.call_tool(f"{upstream}__add", {"a": i, "b": 1})
                    assert result["content"][0]["text"] == str(i + 1)


async def test_a_session_ended_on_one_worker_ends_on_both(tmp_path: Path) -> None:
    """Both workers have served the session; after a DELETE on one, every request is a 404
    on either (the data directory's list of ended sessions, read at most once a second)."""
    async with proxy(tmp_path) as (url, key):
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            await wait_ready(http, url)
            auth = {"Authorization": f"Bearer {key}"}
            conn = MCPConnection(f"{url}/mcp", http=http, headers=auth, prefer="legacy")
            await conn.connect()
            for _ in range(6):  # spread over both workers, so each holds the session
                await conn.call_tool("remote__add", {"a": 1, "b": 1})
            headers = {**auth, "Mcp-Session-Id": conn.session_id or "",
                       "MCP-Protocol-Version": conn.version or ""}  # fmt: skip
            await conn.close()  # DELETE, on one of them
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            statuses: list[int] = []
            async with asyncio.timeout(20):
                while statuses[-8:] != [404] * 8:
                    async with http.post(f"{url}/mcp", json=body, headers=headers) as resp:
                        statuses.append(resp.status)
                    await asyncio.sleep(0.1)
            assert set(statuses) <= {200, 404}


async def test_the_get_stream_outlives_the_idle_timeout(tmp_path: Path) -> None:
    async with (
        proxy(tmp_path, "--idle-timeout", "0.5") as (url, key),
        aiohttp.ClientSession() as http,
    ):
        await wait_ready(http, url)
        auth = {"Authorization": f"Bearer {key}"}
        async with MCPConnection(f"{url}/mcp", http=http, headers=auth, prefer="legacy") as conn:
            headers = {
                **auth,
                "Accept": "text/event-stream",
                "Mcp-Session-Id": conn.session_id or "",
                "MCP-Protocol-Version": conn.version or "",
            }
            async with http.get(f"{url}/mcp", headers=headers) as stream:
                assert stream.status == 200
                while (await stream.content.readline()).strip():
                    pass  # the priming event (an id and a retry delay)
                # Six idle timeouts later the stream is still open: no data, and no EOF either.
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(stream.content.read(1), 3.0)
                assert not stream.content.at_eof()
