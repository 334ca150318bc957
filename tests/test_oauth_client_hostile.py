"""The OAuth client against a hostile authorization server (a small aiohttp app that answers
what a compromised or broken server might): every bad answer is an OAuthError naming what was
wrong, never a header injection, a browser sent to a non-web URL, a followed redirect, or a
secret in the message."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from mcp_support import serve
from mcproute.oauth_client import OAuthClient, OAuthError, OAuthSettings
from mcproute.protocol.client import MCPConnection

SECRET = "client-secret-for-tests-only"
Answer = dict[str, Any]


@contextlib.asynccontextmanager
async def hostile_server(
    token: Answer | None = None, metadata: Answer | None = None, token_status: int = 200
) -> AsyncIterator[str]:
    """An MCP server that wants a token nobody gets, its resource metadata, and an
    authorization server that answers `metadata` (merged into sane metadata) and `token`."""
    base: list[str] = []

    async def mcp(_: web.Request) -> web.Response:
        challenge = f'Bearer resource_metadata="{base[0]}/.well-known/oauth-protected-resource/mcp"'
        return web.Response(status=401, headers={"WWW-Authenticate": challenge})

    async def resource(_: web.Request) -> web.Response:
        return web.json_response({"resource": f"{base[0]}/mcp", "authorization_servers": base})

    async def server_metadata(_: web.Request) -> web.Response:
        document = {
            "issuer": base[0],
            "authorization_endpoint": f"{base[0]}/authorize",
            "token_endpoint": f"{base[0]}/token",
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            **(metadata or {}),
        }
        return web.json_response(document)

    async def token_endpoint(_: web.Request) -> web.Response:
        if token_status in (301, 302, 307, 308):
            raise web.HTTPTemporaryRedirect("http://127.0.0.1:9/token")
        return web.json_response(token or {}, status=token_status)

    app = web.Application()
    app.router.add_route("*", "/mcp", mcp)
    app.router.add_get("/.well-known/oauth-protected-resource/mcp", resource)
    app.router.add_get("/.well-known/oauth-authorization-server", server_metadata)
    app.router.add_post("/token", token_endpoint)
    async with serve(app) as url:
        base.append(url.removesuffix("/mcp"))
        yield url


async def refusal(url: str, settings: OAuthSettings, **options: Any) -> str:
    auth = OAuthClient(url, settings, **options)
    with pytest.raises(OAuthError) as refused:
        async with MCPConnection(url, auth=auth) as conn:
            await conn.list_tools()
    message = str(refused.value)
    assert SECRET not in message
    return message


MACHINE = OAuthSettings(
    grant="client_credentials", client_id="machine", client_secret=SECRET, scope="mcp", dpop=False
)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"access_token": "abc\r\nX-Injected: 1", "token_type": "Bearer"}, "not a token"),
        ({"access_token": "abc\x00def", "token_type": "Bearer"}, "not a token"),
        ({"access_token": "t\u00e9st", "token_type": "Bearer"}, "not a token"),
        ({"access_token": "two words", "token_type": "Bearer"}, "not a token"),
        ({"access_token": 5, "token_type": "Bearer"}, "no access_token"),
        ({"access_token": "abc", "refresh_token": "r\r\nx"}, "refresh_token is not visible"),
    ],
)
async def test_a_token_that_cannot_be_sent_is_refused(answer: Answer, reason: str) -> None:
    async with hostile_server(token=answer) as url:
        assert reason in await refusal(url, MACHINE)


async def test_a_redirecting_token_endpoint_is_not_followed() -> None:
    async with hostile_server(token_status=307) as url:
        assert "HTTP 307, not a JSON object" in await refusal(url, MACHINE)


async def test_a_token_error_is_relayed_without_secrets() -> None:
    answer = {"error": "invalid_client", "error_description": f"bad secret {SECRET}"}
    async with hostile_server(token=answer, token_status=401) as url:
        assert "refused: HTTP 401 invalid_client" in await refusal(url, MACHINE)


@pytest.mark.parametrize(
    "endpoint", ["javascript:alert(1)", "data:text/html,<script>1</script>", "myapp://authorize"]
)
async def test_the_browser_is_only_sent_to_a_web_url(endpoint: str) -> None:
    opened: list[str] = []

    async def on_authorize(url: str) -> str:
        opened.append(url)
        raise AssertionError("the browser step must not be reached")

    settings = OAuthSettings(client_id="public", token_endpoint_auth_method="none", dpop=False)
    async with hostile_server(metadata={"authorization_endpoint": endpoint}) as url:
        message = await refusal(url, settings, on_authorize=on_authorize)
    assert "authorization_endpoint is not http(s)" in message
    assert opened == []


async def test_metadata_naming_another_issuer_is_refused() -> None:
    async with hostile_server(metadata={"issuer": "https://login.example.com"}) as url:
        assert "names issuer https://login.example.com" in await refusal(url, MACHINE)
