"""The test authorization server itself: what the OAuth tests rely on it for (JWT access tokens
bound to the resource, the grants, registration, rotation, introspection)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from joserfc import jws, jwt
from joserfc.jwk import KeySet

from conftest import require
from mcp_support import NODE, NODE_MODULES, free_port
from oidc_support import (
    INTROSPECTION_CLIENT,
    AuthorizationError,
    AuthorizationServer,
    auth_server,
)

RESOURCE = "http://127.0.0.1:4000/mcp"

__all__ = ["auth_server"]


async def claims(auth: AuthorizationServer, token: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.get(f"{auth.issuer}/jwks") as resp:
        keys = KeySet.import_key_set(await resp.json())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    assert decoded.header["typ"] == "at+jwt"
    return dict(decoded.claims)


async def test_authorization_code_with_pkce_issues_a_jwt_for_the_resource(
    auth_server: AuthorizationServer,
) -> None:
    tokens = await auth_server.token(
        RESOURCE, ["mcp", "mcp:everything"], subject="bob", tenant="acme"
    )
    got = await claims(auth_server, tokens["access_token"])
    assert got["aud"] == RESOURCE
    assert got["iss"] == auth_server.issuer
    assert got["sub"] == "bob"
    assert got["tenant"] == "acme"
    assert set(str(got["scope"]).split()) == {"mcp", "mcp:everything"}
    refreshed = await auth_server.refresh(tokens["refresh_token"], RESOURCE)
    assert (await claims(auth_server, refreshed["access_token"]))["sub"] == "bob"


async def test_client_credentials_and_minted_tokens(auth_server: AuthorizationServer) -> None:
    machine = await auth_server.client_credentials(RESOURCE, ["mcp"])
    assert (await claims(auth_server, machine["access_token"]))["aud"] == RESOURCE
    expired = await auth_server.mint(RESOURCE, ["mcp"], iat_offset=-3600, expires_in=60)
    with pytest.raises(Exception, match="exp"):
        jwt.JWTClaimsRegistry(exp={"essential": True}).validate(await claims(auth_server, expired))


async def test_dynamic_registration_then_flow(auth_server: AuthorizationServer) -> None:
    redirect = "http://127.0.0.1:9/callback"
    body = {
        "redirect_uris": [redirect],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "application_type": "native",
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{auth_server.issuer}/reg", json=body) as resp,
    ):
        assert resp.status == 201, await resp.text()
        client_id = (await resp.json())["client_id"]
    tokens = await auth_server.token(RESOURCE, ["mcp"], client_id=client_id, redirect_uri=redirect)
    assert (await claims(auth_server, tokens["access_token"]))["client_id"] == client_id


async def test_rotation_signs_with_a_new_kid(auth_server: AuthorizationServer) -> None:
    before = await auth_server.kids()
    kid = await auth_server.rotate()
    assert kid not in before
    assert await auth_server.kids() == [kid, *before]
    tokens = await auth_server.token(RESOURCE, ["mcp"])
    assert jws.extract_compact(tokens["access_token"].encode()).protected["kid"] == kid
    assert (await claims(auth_server, tokens["access_token"]))["aud"] == RESOURCE
    assert await auth_server.rotate(retire=True) not in [kid, *before]
    assert len(await auth_server.kids()) == 1


async def test_opaque_tokens_are_introspected(auth_server: AuthorizationServer) -> None:
    await auth_server.opaque(RESOURCE)
    tokens = await auth_server.token(RESOURCE, ["mcp"], subject="carol")
    assert tokens["access_token"].count(".") == 0
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{auth_server.issuer}/token/introspection",
            data={"token": tokens["access_token"]},
            headers={"Authorization": aiohttp.encode_basic_auth(*INTROSPECTION_CLIENT)},
        ) as resp,
    ):
        answer = await resp.json()
    assert answer["active"] is True
    assert answer["sub"] == "carol"
    assert answer["aud"] == RESOURCE


async def test_refusals_are_errors(auth_server: AuthorizationServer) -> None:
    with pytest.raises(AuthorizationError):
        await auth_server.token(RESOURCE, ["mcp"], client_id="nobody")


@pytest.mark.parametrize(
    ("harness", "options"),
    [("conformance-alpha11", []), ("conformance-alpha12", ["--resource", RESOURCE])],
)
async def test_conformance_authorization_mode(
    auth_server: AuthorizationServer, tmp_path: Path, harness: str, options: list[str]
) -> None:
    """The harness's `authorization` scenarios (metadata endpoint, authorization code grant)
    against the test server; its "browser" step is the headless login."""
    script = NODE_MODULES / harness / "dist" / "index.js"
    require(script.is_file(), f"{harness} not installed (make test)")
    port = free_port()
    redirect = f"http://127.0.0.1:{port}/callback"
    client_id = await register(auth_server, redirect)
    proc = await asyncio.create_subprocess_exec(
        str(NODE),
        str(script),
        "authorization",
        "--url",
        auth_server.issuer,
        "--client-id",
        client_id,
        *options,
        "--port",
        str(port),
        "-o",
        str(tmp_path / "results"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    output = []
    async with asyncio.timeout(120):
        while line := (await proc.stdout.readline()).decode():
            output.append(line)
            if line.startswith(f"{auth_server.issuer}/auth?"):
                answer = await auth_server.follow_authorization(line.strip(), redirect)
                await deliver(redirect, answer)
        await proc.wait()
    assert proc.returncode == 0, "".join(output)
    checks = [
        check
        for path in (tmp_path / "results").glob("*/checks.json")
        for check in json.loads(path.read_text())
    ]
    assert {check["id"] for check in checks} >= {"authorization-code-grant"}
    assert all(check["status"] in ("SUCCESS", "INFO") for check in checks), checks


async def register(auth: AuthorizationServer, redirect: str) -> str:
    body = {
        "redirect_uris": [redirect],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    async with aiohttp.ClientSession() as http, http.post(f"{auth.issuer}/reg", json=body) as resp:
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["client_id"])


async def deliver(redirect: str, answer: dict[str, str]) -> None:
    """The redirect the browser would follow last: to the harness's callback server, which may
    start listening only after it printed the URL (retried until it does)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(f"{redirect}?{urlencode(answer)}") as resp:
                    assert resp.status == 200
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError("the harness's callback server never answered")
