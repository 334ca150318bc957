"""OAuth on both sides of `mcproute serve --workers 2` at once, against one real authorization
server (oidc-provider): the gateway's `/mcp` takes only access tokens issued for it, and its
upstream (an OAuth-protected MCP server) is per-user, so each OAuth caller links it with their
own grant for the upstream. The link page names the caller's OAuth subject and tenant; the
upstream only ever sees the user's token for it, never the one the caller presented."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from mcp_support import free_port
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.jsonrpc import MCPError
from oidc_support import browser_session
from served_support import Served, served
from test_gateway_user_links import csrf_of
from test_mcp_oauth import MODELS, setup


@contextlib.asynccontextmanager
async def oauth_gateway(
    tmp_path: Path, issuer: str, servers: dict[str, Any], *, workers: int = 1, **oauth: Any
) -> AsyncIterator[tuple[Served, str]]:
    """`mcproute serve` (in `tmp_path / "gateway"`) with `servers` behind it and `/mcp` taking
    access tokens of `issuer`; yields it and its resource URI."""
    port = free_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    settings = {"issuer": issuer, "audience": resource, **oauth}
    document = {"mcp": {"models": MODELS, "mcpServers": servers, "auth": {"oauth": settings}}}
    gw_dir = tmp_path / "gateway"
    gw_dir.mkdir()
    async with served(gw_dir, document=document, port=port, workers=workers) as gw:
        yield gw, resource


async def test_an_oauth_caller_links_a_per_user_upstream(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:  # the upstream: /mcp protected by the same server
        upstream = {"url": s.resource, "auth": {"type": "oauth", "scope": "mcp"}}
        async with oauth_gateway(
            tmp_path, s.auth.issuer, {"up": upstream}, workers=2, tenant_claim="tenant"
        ) as (gw, resource):
            port = gw.port
            await s.auth.account("gina", "acme")
            await s.auth.account("hank", "globex")
            gina = (await s.auth.token(resource, ["mcp"], subject="gina"))["access_token"]
            hank = (await s.auth.token(resource, ["mcp"], subject="hank"))["access_token"]

            def connect(token: str) -> MCPConnection:
                return MCPConnection(resource, headers={"Authorization": f"Bearer {token}"})

            async def tools(token: str) -> set[str]:
                async with connect(token) as conn:
                    return {tool["name"] for tool in await conn.list_tools()}

            assert "up__sdk__add" not in await tools(gina)
            async with connect(gina) as conn:
                with pytest.raises(MCPError) as refused:
                    await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
            link = refused.value.data["authorizeUrl"]
            assert link.startswith(f"http://127.0.0.1:{port}/oauth/link/")  # the audience's origin

            async with browser_session() as browser:
                async with browser.get(link) as resp:
                    assert resp.status == 200
                    page = await resp.text()
                assert "<dt>OAuth subject</dt><dd>gina</dd>" in page
                assert "<dd>acme</dd>" in page
                assert gina not in page
                async with browser.post(
                    link, data={"csrf": csrf_of(page)}, allow_redirects=False
                ) as resp:
                    assert resp.status == 302
                    at_issuer = resp.headers["Location"]
                await s.auth.account("gina", "acme", default=True)  # who logs in at the server
                callback = f"http://127.0.0.1:{port}/oauth/callback"
                answer = await s.auth.follow_authorization(at_issuer, callback, browser)
                async with browser.get(f"{callback}?{urlencode(answer)}") as resp:
                    assert resp.status == 200, await resp.text()

            assert "up__sdk__add" in await tools(gina)
            async with connect(gina) as conn:
                result = await conn.call_tool("up__sdk__add", {"a": 40, "b": 2})
            assert result["content"][0]["text"] == "42"
            assert "up__sdk__add" not in await tools(hank)  # his own link, not gina's

            # The upstream's callers: only gina's grant for it; her token for the gateway
            # (audience: the gateway) would have been refused there.
            upstream_log = s.proxy.stderr()
            assert gina not in upstream_log
            assert gina not in gw.stderr()
            assert answer["code"] not in gw.stderr()
