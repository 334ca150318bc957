"""No token passthrough (the MCP authorization spec): whatever credential a client presents to
`mcproute serve` (an OAuth access token of `auth.oauth`, or an API key), the upstream MCP
servers behind it never receive it. An upstream sees the credentials its own entry configures,
or none. Checked at the upstream, which records every credential header it is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from mcp_demo_server import server
from mcp_support import serve
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.server.http import StreamableHTTP
from test_gateway_oauth_both_sides import oauth_gateway
from test_mcp_oauth import setup

CONFIGURED = "Bearer the-upstreams-own-credential"
CREDENTIAL_HEADERS = ("Authorization", "X-Api-Key", "Proxy-Authorization", "Cookie", "DPoP")


async def test_a_callers_credential_never_reaches_an_upstream(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        seen.extend(
            (name, request.headers[name]) for name in CREDENTIAL_HEADERS if name in request.headers
        )
        return await handler(request)

    app = StreamableHTTP(server).app()
    app.middlewares.append(record)
    async with setup(tmp_path) as s, serve(app) as upstream:
        servers = {
            "plain": {"url": upstream},
            "keyed": {"url": upstream, "headers": {"Authorization": CONFIGURED}},
        }
        async with oauth_gateway(tmp_path, s.auth.issuer, servers) as (gw, resource):
            await s.auth.account("ivy", "acme")
            token = (await s.auth.token(resource, ["mcp"], subject="ivy"))["access_token"]
            key = gw.key("mcp")
            callers = {
                "access token": {"Authorization": f"Bearer {token}"},
                "api key": {"Authorization": f"Bearer {key}"},
                "api key header": {"X-Api-Key": key},
            }
            for caller, headers in callers.items():
                async with MCPConnection(resource, headers=headers) as conn:
                    names = {tool["name"] for tool in await conn.list_tools()}
                    assert {"plain__add", "keyed__add"} <= names, caller
                    for name in ("plain__add", "keyed__add"):
                        result = await conn.call_tool(name, {"a": 40, "b": 2})
                        assert result["content"][0]["text"] == "42", (caller, name)
    assert seen  # the configured credential did arrive, so the recording works
    assert {value for _, value in seen} == {CONFIGURED}
    assert all(name == "Authorization" for name, _ in seen)
