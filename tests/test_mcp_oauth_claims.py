"""What an access token's claims do on `/mcp`, with tokens signed by a real authorization server
(oidc-provider) whose payloads the test chooses: the times (`exp`, `nbf`, `iat`) within and
beyond the configured leeway, the claims a token must carry, the tenant claim, `scope_map`
turning the authorization server's scopes into ours (listings, contexts, step-up); two trusted
issuers, one out of reach; keys a forged token names for itself."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from joserfc import jws, jwt
from joserfc.jwk import RSAKey

from mcp_support import INIT, free_port, serve
from mcproute.protocol.b64url import encode as b64url
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.jsonrpc import MCPError
from oidc_support import authorization_server
from served_support import served
from test_mcp_oauth import (
    ACCEPT,
    challenge,
    initialize,
    oauth_document,
    setup,
    step_up_challenge,
)

HISTORY = [{"role": "user", "content": "My name is Ada."}]


async def test_times_and_required_claims(tmp_path: Path) -> None:
    """leeway_s is 30 (the default): a clock a few seconds off passes, a token not yet valid or
    issued in the future beyond it does not, and every required claim must be there."""
    async with setup(tmp_path) as s:
        now = int(time.time())

        async def token(claims: dict[str, Any] | None = None, **options: Any) -> str:
            return await s.auth.mint(s.resource, ["mcp"], tenant="acme", claims=claims, **options)

        accepted = {
            "nbf 10 s ahead": await token({"nbf": now + 10}),
            "iat 10 s ahead": await token({"iat": now + 10}),
            "expired 10 s ago": await token(iat_offset=-70, expires_in=60),
            "aud a list naming this resource": await token(
                {"aud": ["http://127.0.0.1:9/mcp", s.resource]}
            ),
        }
        for case, value in accepted.items():
            assert (await initialize(s.resource, value)).status == 200, case

        refused = {
            "nbf 10 min ahead": (await token({"nbf": now + 600}), "'nbf' claim is invalid"),
            "iat 10 min ahead": (await token({"iat": now + 600}), "'iat' claim is invalid"),
            "nbf not a number": (await token({"nbf": "soon"}), "'nbf' claim is invalid"),
            "no exp": (await token({"exp": None}), "lacks the 'exp' claim"),
            "no sub": (await token({"sub": None}), "lacks the 'sub' claim"),
            "aud not a string": (await token({"aud": 7}), "'aud' claim is invalid"),
            "aud another resource only": (
                await token({"aud": ["http://127.0.0.1:9/mcp"]}),
                "not for this resource",
            ),
            "tenant not a tenant name": (await token({"tenant": "acme corp/x"}), "'tenant' claim"),
            "tenant not a string": (await token({"tenant": ["acme"]}), "'tenant' claim"),
            "scope not a string": (await token({"scope": 7}), "scope claim"),
        }
        for case, (value, reason) in refused.items():
            resp = await initialize(s.resource, value)
            assert resp.status == 401, case
            params = challenge(resp)
            assert params["error"] == "invalid_token", case
            assert reason in params["error_description"], (case, params)
            assert value not in s.proxy.stderr(), case


async def test_scope_map_and_the_tenant_claim(tmp_path: Path) -> None:
    """`tools.read` of the authorization server grants `mcp:sdk` and `contexts:read` here; the
    tenant claim decides whose contexts the caller sees; a call outside the mapped scopes steps
    up to the authorization server's scope, not ours."""
    scope_map = {"tools.read": ["mcp:sdk", "contexts:read"], "other.read": "mcp:other"}
    async with setup(tmp_path, scope_map=scope_map) as s, aiohttp.ClientSession() as http:
        async with http.get(f"{s.proxy.url}/.well-known/oauth-protected-resource/mcp") as resp:
            assert (await resp.json())["scopes_supported"] == ["mcp", "tools.read", "other.read"]

        key = s.proxy.key("contexts", "tenant:acme")
        async with http.post(
            f"{s.proxy.url}/v1/contexts",
            json={"messages": HISTORY},
            headers={"Authorization": f"Bearer {key}"},
        ) as resp:
            assert resp.status == 201, await resp.text()
            uri = f"context://{(await resp.json())['id']}"

        for subject, tenant, sees in (("alice", "acme", True), ("bob", "globex", False)):
            token = await s.auth.mint(s.resource, ["tools.read"], subject=subject, tenant=tenant)
            headers = {"Authorization": f"Bearer {token}"}
            async with MCPConnection(s.resource, headers=headers) as conn:
                assert "sdk__add" in {tool["name"] for tool in await conn.list_tools()}
                result = await conn.call_tool("sdk__add", {"a": 40, "b": 2})
                assert result["content"][0]["text"] == "42"
                listed = {resource["uri"] for resource in await conn.list_resources()}
                assert (uri in listed) is sees, tenant
                if not sees:
                    with pytest.raises(MCPError, match="not found"):
                        await conn.read_resource(uri)

        # A scope scope_map does not know grants nothing: no mcp scope at all.
        unmapped = await s.auth.mint(s.resource, ["tools.write"], tenant="acme")
        resp = await initialize(s.resource, unmapped)
        assert resp.status == 403
        assert challenge(resp)["error"] == "insufficient_scope"

        narrow = await s.auth.mint(s.resource, ["other.read"], tenant="acme")
        headers = {**ACCEPT, "Authorization": f"Bearer {narrow}"}
        async with http.post(s.resource, json=INIT, headers=headers) as resp:
            assert resp.status == 200
            headers["Mcp-Session-Id"] = resp.headers["Mcp-Session-Id"]
        params = await step_up_challenge(http, s.resource, headers)
        assert params["scope"] == "tools.read"  # the authorization server's name for mcp:sdk


async def test_two_issuers_and_one_out_of_reach(tmp_path: Path) -> None:
    """Both trusted issuers are published and their tokens pass; once one is gone, a token that
    needs its keys fetched again gets a 503 (not a 401 that would send the client to log in
    again, nor a 500), and the other issuer's tokens still pass."""
    (tmp_path / "second").mkdir()
    second_server = authorization_server(tmp_path / "second")
    second = await second_server.__aenter__()
    try:
        async with authorization_server(tmp_path) as first:
            port = free_port()
            document = oauth_document(first, port, issuer=[first.issuer, second.issuer])
            async with served(tmp_path, document=document, port=port) as proxy:
                resource = f"{proxy.url}/mcp"
                metadata = f"{proxy.url}/.well-known/oauth-protected-resource/mcp"
                async with aiohttp.ClientSession() as http, http.get(metadata) as resp:
                    issuers = (await resp.json())["authorization_servers"]
                assert issuers == [first.issuer, second.issuer]
                for server in (first, second):
                    token = await server.mint(resource, ["mcp"], tenant="acme")
                    assert (await initialize(resource, token)).status == 200, server.issuer

                await second.rotate()
                unknown_kid = await second.mint(resource, ["mcp"], tenant="acme")
                await second_server.__aexit__(None, None, None)  # the second issuer goes away
                resp = await initialize(resource, unknown_kid)
                assert resp.status == 503
                assert "keys are unavailable" in await resp.text()
                assert "WWW-Authenticate" not in resp.headers
                token = await first.mint(resource, ["mcp"], tenant="acme")
                assert (await initialize(resource, token)).status == 200
                assert unknown_kid not in proxy.stderr()
    finally:
        await second_server.__aexit__(None, None, None)  # a no-op once it has stopped


async def test_keys_the_token_names_are_never_used(tmp_path: Path) -> None:
    """A token signed with the attacker's own key, naming the issuer's kid and carrying that key
    (`jwk`) or where to fetch it (`jku`, `x5u`): refused, and nothing is fetched from there."""
    fetched: list[str] = []

    async def keys(request: web.Request) -> web.Response:
        fetched.append(request.path)
        return web.json_response({"keys": [attacker.as_dict(private=False)]})

    attacker = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    app = web.Application()
    app.router.add_get("/{name}", keys)
    async with setup(tmp_path) as s, serve(app) as url:
        jwks_url = url.removesuffix("/mcp") + "/jwks"
        genuine = await s.auth.mint(s.resource, ["mcp"], tenant="acme")
        header = jws.extract_compact(genuine.encode()).protected
        payload = orjson.loads(jws.extract_compact(genuine.encode()).payload)
        for extra in (
            {"jwk": attacker.as_dict(private=False)},
            {"jku": jwks_url},
            {"x5u": jwks_url},
        ):
            forged = jwt.encode({**header, **extra}, payload, attacker)
            resp = await initialize(s.resource, forged)
            assert resp.status == 401, extra
            assert challenge(resp)["error"] == "invalid_token"
        assert fetched == []
        assert (await initialize(s.resource, genuine)).status == 200


async def test_header_fields_of_every_shape(tmp_path: Path) -> None:
    """The genuine token's header with one field changed to each JSON type: a 401 every time
    (the signature covers the header), never a 500; `crit` is refused whatever it names."""
    async with setup(tmp_path) as s:
        genuine = await s.auth.mint(s.resource, ["mcp"], tenant="acme")
        _, payload, signature = genuine.split(".")
        header = jws.extract_compact(genuine.encode()).protected
        for name in ("alg", "kid", "typ", "crit", "b64", "zip", "enc", "jku"):
            for value in (None, 1, True, [], ["exp"], {}, "x", "A" * 500):
                changed = b64url(orjson.dumps({**header, name: value}))
                resp = await initialize(s.resource, f"{changed}.{payload}.{signature}")
                assert resp.status == 401, (name, value)
                assert challenge(resp)["error"] == "invalid_token", (name, value)
        assert "Traceback" not in s.proxy.stderr()
