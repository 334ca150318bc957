"""`MCPConnection` with an `OAuthClient`, against a real authorization server (oidc-provider)
and `mcproute serve` as the protected resource: discovery from the 401, dynamic registration,
the authorization code with PKCE and resource indicators, a refresh token, grants kept sealed
with the keyring; and no secret in logs or errors."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from aiohttp import web

from mcp_support import serve
from mcproute._core import Keyring
from mcproute.oauth_client import (
    MemoryBlobStore,
    MemoryTokenStore,
    OAuthClient,
    OAuthError,
    OAuthSettings,
    SealedTokenStore,
    headless_authorize,
)
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.client.streamable_http import HTTPStatusError
from mcproute.protocol.jsonrpc import MCPError
from oidc_support import MACHINE_CLIENT
from test_mcp_oauth import setup

REDIRECT = "http://127.0.0.1:9/callback"  # never requested: the headless browser stops there


def keyring() -> Keyring:
    ring = Keyring()
    ring.add(7, bytes(range(32)))
    return ring


async def call_add(conn: MCPConnection) -> str:
    tools = {tool["name"] for tool in await conn.list_tools()}
    assert "sdk__add" in tools
    result = await conn.call_tool("sdk__add", {"a": 40, "b": 2})
    return str(result["content"][0]["text"])


async def test_the_authorization_code_flow_with_registration_and_refresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with setup(tmp_path) as s:
        await s.auth.account("alice", "acme", default=True)
        store = MemoryTokenStore()
        settings = OAuthSettings(client_name="mcproute test", redirect_uri=REDIRECT)
        auth = OAuthClient(s.resource, settings, store=store, on_authorize=headless_authorize)
        async with MCPConnection(s.resource, auth=auth) as conn:
            assert await call_add(conn) == "42"
        record = await store.load(s.resource)
        assert record is not None
        tokens = record["tokens"]
        assert tokens["token_type"].lower() == "bearer"
        assert "offline_access" in record["scopes"]
        assert tokens.get("refresh_token")
        assert record["client"]["auth_method"] == "none"  # registered as a public client

        # The access token has expired: a new client on the same store refreshes it, with no
        # browser step (on_authorize would fail the test).
        record["tokens"]["expires_at"] = time.time() - 60
        await store.save(s.resource, record)

        async def no_browser(url: str) -> str:
            raise AssertionError("a refresh needs no authorization")

        again = OAuthClient(s.resource, settings, store=store, on_authorize=no_browser)
        async with MCPConnection(s.resource, auth=again) as conn:
            assert await call_add(conn) == "42"
        refreshed = (await store.load(s.resource) or {})["tokens"]
        assert refreshed["access_token"] != tokens["access_token"]

        secrets = (tokens["access_token"], tokens["refresh_token"], refreshed["access_token"])
        for secret in secrets:
            assert secret not in caplog.text
            assert secret not in s.proxy.stderr()


async def test_client_credentials_and_a_sealed_store(tmp_path: Path) -> None:
    async with setup(tmp_path, tenant_claim=None) as s:  # a machine has no tenant claim
        blobs = MemoryBlobStore()
        store = SealedTokenStore(keyring(), blobs)
        client_id, secret = MACHINE_CLIENT
        settings = OAuthSettings(
            grant="client_credentials", client_id=client_id, client_secret=secret, scope="mcp"
        )
        auth = OAuthClient(s.resource, settings, store=store, key="machine@sdk")
        async with MCPConnection(s.resource, auth=auth) as conn:
            assert await call_add(conn) == "42"
        record = await store.load("machine@sdk")
        assert record is not None
        sealed = blobs.blobs["machine@sdk"]
        for value in (record["tokens"]["access_token"], secret):
            assert value.encode() not in sealed
        # Bound to its key: the same ciphertext under another key does not open.
        blobs.blobs["someone@sdk"] = sealed
        assert await store.load("someone@sdk") is None
        assert await SealedTokenStore(Keyring(), blobs).load("machine@sdk") is None


async def test_a_refused_grant_is_an_error_without_secrets(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        wrong = "not-the-machine-secret"
        settings = OAuthSettings(
            grant="client_credentials", client_id=MACHINE_CLIENT[0], client_secret=wrong
        )
        auth = OAuthClient(s.resource, settings)
        with pytest.raises(OAuthError) as refused:
            async with MCPConnection(s.resource, auth=auth) as conn:
                await conn.list_tools()
        assert refused.value.error == "invalid_client"
        assert wrong not in str(refused.value)


async def test_without_an_auth_hook_a_401_says_so(tmp_path: Path) -> None:
    """The server's own error when it sent one, else the status: not a fall back to the
    2024-11-05 SSE transport, which a 4xx otherwise means."""
    async with setup(tmp_path) as s:
        with pytest.raises(MCPError, match="missing credentials"):
            async with MCPConnection(s.resource, prefer="legacy"):
                pass

    async def bare_401(request: web.Request) -> web.Response:
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})

    app = web.Application()
    app.router.add_route("*", "/mcp", bare_401)
    async with serve(app) as url:
        with pytest.raises(HTTPStatusError) as refused:
            async with MCPConnection(url, prefer="legacy"):
                pass
    assert refused.value.status == 401
    assert "requires authorization" in str(refused.value)


async def test_a_mismatched_resource_is_never_asked_for(tmp_path: Path) -> None:
    """A server whose protected resource metadata names another resource gets no token
    request: discovery stops there."""
    requests: list[str] = []

    async def metadata(request: web.Request) -> web.Response:
        requests.append(request.path)
        return web.json_response(
            {"resource": "https://elsewhere.example/mcp", "authorization_servers": ["x"]}
        )

    async def mcp(request: web.Request) -> web.Response:
        requests.append(request.path)
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})

    app = web.Application()
    app.router.add_get("/.well-known/oauth-protected-resource/mcp", metadata)
    app.router.add_post("/mcp", mcp)
    async with serve(app) as url:
        auth = OAuthClient(url, on_authorize=headless_authorize)
        with pytest.raises(OAuthError, match="names another resource"):
            async with MCPConnection(url, auth=auth, prefer="legacy"):
                pass
    # Nothing else was requested: no authorization server, no token.
    assert requests == ["/mcp", "/.well-known/oauth-protected-resource/mcp"]
