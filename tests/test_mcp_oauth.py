"""`/mcp` as an OAuth 2.1 protected resource, against a real authorization server (oidc-provider):
the official SDK clients complete the MCP authorization flow and call a tool; tokens that must
not pass are refused with the right status and challenge."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from mcp_types import TextContent

from mcp_support import INIT, NODE, NODE_MODULES, free_port
from mcproute.config import Config, parse_config
from mcproute.proxy.reload import config_diff
from oidc_support import AuthorizationServer, authorization_server
from proxy_support import serve_command
from served_support import Served, served

SDK_SERVER = str(Path(__file__).with_name("sdk_server.py"))
TS_CLIENT = Path(__file__).parent / "oidc" / "ts_client.mjs"
MODELS = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def oauth_document(auth: AuthorizationServer, port: int, **oauth: Any) -> dict[str, Any]:
    return {
        "mcp": {
            "models": MODELS,
            "mcpServers": {"sdk": {"command": sys.executable, "args": [SDK_SERVER, "stdio"]}},
            "auth": {
                "oauth": {
                    "issuer": auth.issuer,
                    "audience": f"http://127.0.0.1:{port}/mcp",
                    "tenant_claim": "tenant",
                    "jwks_refresh_min_s": 0,  # every unknown kid refetches (the rotation test)
                    **oauth,
                }
            },
        }
    }


@dataclass
class Setup:
    auth: AuthorizationServer
    proxy: Served

    @property
    def resource(self) -> str:
        return f"{self.proxy.url}/mcp"


@contextlib.asynccontextmanager
async def setup(tmp_path: Path, **oauth: Any) -> AsyncIterator[Setup]:
    async with authorization_server(tmp_path) as auth:
        port = free_port()
        document = oauth_document(auth, port, **oauth)
        async with served(tmp_path, document=document, port=port) as proxy:
            yield Setup(auth, proxy)


async def initialize(url: str, token: str | None) -> aiohttp.ClientResponse:
    headers = {**ACCEPT, **({"Authorization": f"Bearer {token}"} if token else {})}
    async with aiohttp.ClientSession() as http, http.post(url, json=INIT, headers=headers) as resp:
        await resp.read()
        return resp


def challenge(resp: aiohttp.ClientResponse) -> dict[str, str]:
    """The parameters of a `WWW-Authenticate: Bearer k="v", ...` header."""
    header = resp.headers["WWW-Authenticate"]
    assert header.startswith("Bearer ")
    params = {}
    for part in header[len("Bearer ") :].split('", '):
        name, _, value = part.partition("=")
        params[name.strip()] = value.strip().strip('"')
    return params


ADD_CALL = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "sdk__add", "arguments": {"a": 1, "b": 2}},
}


async def step_up_challenge(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> dict[str, str]:
    """The challenge of a 403 `insufficient_scope` answered to calling `sdk__add`."""
    async with http.post(url, json=ADD_CALL, headers=headers) as resp:
        assert resp.status == 403
        params = challenge(resp)
    assert params["error"] == "insufficient_scope"
    return params


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_protected_resource_metadata_and_the_first_challenge(tmp_path: Path) -> None:
    async with setup(tmp_path) as s, aiohttp.ClientSession() as http:
        for path in (
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-protected-resource",
        ):
            async with http.get(s.proxy.url + path) as resp:
                assert resp.status == 200, path
                document = await resp.json()
            assert document["resource"] == s.resource
            assert document["authorization_servers"] == [s.auth.issuer]
            assert document["scopes_supported"] == ["mcp"]
            preflight = {
                "Origin": "https://client.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "mcp-protocol-version",
            }
            async with http.options(s.proxy.url + path, headers=preflight) as resp:
                assert resp.status == 204, path  # a browser client may then fetch it
                assert resp.headers["Access-Control-Allow-Origin"] == "*"
                assert "MCP-Protocol-Version" in resp.headers["Access-Control-Allow-Headers"]
        resp = await initialize(s.resource, None)
        assert resp.status == 401
        params = challenge(resp)
        assert (
            params["resource_metadata"] == f"{s.proxy.url}/.well-known/oauth-protected-resource/mcp"
        )
        assert params["scope"] == "mcp"
        assert "error" not in params


async def test_refused_tokens(tmp_path: Path) -> None:
    async with setup(tmp_path) as s, authorization_server(tmp_path) as stranger:
        await s.auth.account("alice", "acme")
        good = (await s.auth.token(s.resource, ["mcp"], subject="alice"))["access_token"]
        assert (await initialize(s.resource, good)).status == 200

        header, payload, signature = good.split(".")
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=="))
        forged = b64(orjson.dumps({**claims, "sub": "mallory"}))
        unsigned = b64(orjson.dumps({"alg": "none", "typ": "at+jwt"}))
        hmac_header = b64(
            orjson.dumps(
                {"alg": "HS256", "kid": json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]}
            )
        )
        refused = {
            "another audience": (
                await s.auth.token("http://127.0.0.1:9/mcp", ["mcp"], subject="alice")
            )["access_token"],
            "expired": await s.auth.mint(
                s.resource, ["mcp"], tenant="acme", iat_offset=-3600, expires_in=60
            ),
            "bad signature": f"{header}.{payload}.{signature[:-6]}AAAAAA",
            "changed claims": f"{header}.{forged}.{signature}",
            "untrusted issuer": await stranger.mint(s.resource, ["mcp"], tenant="acme"),
            "alg none": f"{unsigned}.{payload}.",
            "alg HS256 with the public key": f"{hmac_header}.{payload}.{signature}",
            "no tenant claim": await s.auth.mint(s.resource, ["mcp"], subject="nobody"),
            "not a JWT": "opaque-token-without-introspection",
        }
        for case, token in refused.items():
            resp = await initialize(s.resource, token)
            assert resp.status == 401, case
            params = challenge(resp)
            assert params["error"] == "invalid_token", case
            assert params["resource_metadata"].endswith("/.well-known/oauth-protected-resource/mcp")
            assert token not in s.proxy.stderr(), case

        no_scope = await s.auth.mint(s.resource, ["openid"], tenant="acme")
        resp = await initialize(s.resource, no_scope)
        assert resp.status == 403
        assert challenge(resp)["error"] == "insufficient_scope"
        assert challenge(resp)["scope"] == "mcp"
        assert good not in s.proxy.stderr()


async def test_api_keys_work_as_before(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        assert (await initialize(s.resource, s.proxy.key("mcp"))).status == 200
        resp = await initialize(s.resource, "mcpr_test_notakey")
        assert resp.status == 401
        assert "resource_metadata" in challenge(resp)


async def test_key_rotation_at_the_authorization_server(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        await s.auth.account("alice", "acme")
        before = (await s.auth.token(s.resource, ["mcp"], subject="alice"))["access_token"]
        assert (await initialize(s.resource, before)).status == 200
        await s.auth.rotate()
        after = (await s.auth.token(s.resource, ["mcp"], subject="alice"))["access_token"]
        assert (await initialize(s.resource, after)).status == 200  # unknown kid: JWKS refetched
        assert (await initialize(s.resource, before)).status == 200  # the old key is still listed
        await s.auth.rotate(retire=True)
        latest = (await s.auth.token(s.resource, ["mcp"], subject="alice"))["access_token"]
        assert (await initialize(s.resource, latest)).status == 200
        assert (await initialize(s.resource, before)).status == 401  # its key is gone


async def test_sessions_belong_to_the_token_subject(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        await s.auth.account("alice", "acme")
        await s.auth.account("bob", "acme")
        alice = (await s.auth.token(s.resource, ["mcp"], subject="alice"))["access_token"]
        bob = (await s.auth.token(s.resource, ["mcp"], subject="bob"))["access_token"]
        again = (await s.auth.token(s.resource, ["mcp"], subject="alice"))["access_token"]
        async with aiohttp.ClientSession() as http:
            headers = {**ACCEPT, "Authorization": f"Bearer {alice}"}
            async with http.post(s.resource, json=INIT, headers=headers) as resp:
                session = resp.headers["Mcp-Session-Id"]
            ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
            for token, status in ((bob, 404), (again, 200)):
                headers = {**ACCEPT, "Authorization": f"Bearer {token}", "Mcp-Session-Id": session}
                async with http.post(s.resource, json=ping, headers=headers) as resp:
                    assert resp.status == status


async def test_opaque_tokens_by_introspection(tmp_path: Path) -> None:
    async with authorization_server(tmp_path) as auth:
        port = free_port()
        resource = f"http://127.0.0.1:{port}/mcp"
        await auth.opaque(resource)
        document = oauth_document(
            auth,
            port,
            introspection_endpoint=f"{auth.issuer}/token/introspection",
            client_id="mcproute-introspector",
            client_secret="introspector-secret-for-tests-only",
        )
        async with served(tmp_path, document=document, port=port) as proxy:
            await auth.account("carol", "acme")
            token = (await auth.token(resource, ["mcp"], subject="carol"))["access_token"]
            assert "." not in token
            assert (await initialize(resource, token)).status == 200
            other = (await auth.token("http://127.0.0.1:9/mcp", ["mcp"], subject="carol"))[
                "access_token"
            ]
            resp = await initialize(resource, other)
            assert resp.status == 401
            assert challenge(resp)["error"] == "invalid_token"
            assert token not in proxy.stderr()


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def test_python_sdk_client_completes_the_flow(tmp_path: Path) -> None:
    redirect = "http://127.0.0.1:9/callback"  # never reached: the headless browser stops there
    async with setup(tmp_path) as s:
        await s.auth.account("alice", "acme", default=True)
        answers: list[dict[str, str]] = []

        async def open_browser(url: str) -> None:
            answers.append(await s.auth.follow_authorization(url, redirect))

        async def callback() -> AuthorizationCodeResult:
            answer = answers.pop()
            return AuthorizationCodeResult(
                code=answer["code"], state=answer.get("state"), iss=answer.get("iss")
            )

        storage = MemoryStorage()
        provider = OAuthClientProvider(
            server_url=s.resource,
            client_metadata=OAuthClientMetadata(
                client_name="sdk test client",
                redirect_uris=[redirect],  # type: ignore[list-item]
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=storage,
            redirect_handler=open_browser,
            callback_handler=callback,
        )
        async with (
            create_mcp_http_client(auth=provider) as http_client,
            Client(streamable_http_client(s.resource, http_client=http_client)) as client,
        ):
            tools = await client.list_tools()
            assert "sdk__add" in {tool.name for tool in tools.tools}
            result = await client.call_tool("sdk__add", {"a": 40, "b": 2})
            assert isinstance(result.content[0], TextContent)
            assert result.content[0].text == "42"
        assert storage.tokens is not None
        assert storage.tokens.access_token not in s.proxy.stderr()


async def test_typescript_sdk_client_completes_the_flow(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        await s.auth.account("alice", "acme", default=True)
        proc = await asyncio.create_subprocess_exec(
            str(NODE),
            str(TS_CLIENT),
            s.resource,
            "sdk__add",
            json.dumps({"a": 40, "b": 2}),
            env={**os.environ, "NODE_MODULES": str(NODE_MODULES)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode(errors="replace")
        answer = json.loads(out)
        assert "sdk__add" in answer["tools"]
        assert answer["result"]["content"][0]["text"] == "42"


def config_check(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mcproute.cli", "config", "check", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_config_check_names_each_oauth_problem(tmp_path: Path) -> None:
    oauth = {
        "issuer": "ftp://login.example.com",
        "scope_map": {"tools": "admin"},
        "algorithms": ["none", "HS256"],
        "leeway_s": 9999,
        "introspection_endpoint": "https://login.example.com/introspect",
        "colour": "blue",
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"mcp": {"models": MODELS, "auth": {"oauth": oauth}}}))
    done = config_check(path)
    assert done.returncode == 1
    for field in (
        "mcp.auth.oauth.issuer: must be an http(s) URL",
        "mcp.auth.oauth.audience: is required",
        "mcp.auth.oauth.scope_map.tools: 'admin' is not a scope a token may grant",
        "mcp.auth.oauth.algorithms: 'none' is not allowed",
        "mcp.auth.oauth.algorithms: 'HS256' is not allowed",
        "mcp.auth.oauth.leeway_s: must be a number of seconds",
        "mcp.auth.oauth: introspection_endpoint needs client_id and client_secret",
        "mcp.auth.oauth.colour: unknown key",
    ):
        assert field in done.stdout + done.stderr, field
    good = {"issuer": "https://login.example.com", "audience": "https://gw.example.com/mcp"}
    path.write_text(json.dumps({"mcp": {"models": MODELS, "auth": {"oauth": good}}}))
    done = config_check(path)
    assert done.returncode == 0, done.stdout + done.stderr


async def test_serve_stops_when_the_authorization_server_is_unreachable(tmp_path: Path) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    oauth = {"issuer": issuer, "audience": "http://127.0.0.1:4000/mcp"}
    path = tmp_path / "mcproute.json"
    path.write_text(json.dumps({"mcp": {"models": MODELS, "auth": {"oauth": oauth}}}))
    proc = await asyncio.create_subprocess_exec(
        *serve_command(path, free_port(), workers=1),
        env={**os.environ, "MCPROUTE_DATA_DIR": str(tmp_path / "data")},
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert (
        f"auth.oauth: cannot reach the authorization server: no metadata for issuer {issuer}"
        in (err.decode())
    )


async def test_step_up_for_a_tool_outside_the_token_scopes(tmp_path: Path) -> None:
    async with setup(tmp_path) as s, aiohttp.ClientSession() as http:
        await s.auth.account("alice", "acme")
        narrow = (await s.auth.token(s.resource, ["mcp:other"], subject="alice"))["access_token"]
        headers = {**ACCEPT, "Authorization": f"Bearer {narrow}"}
        async with http.post(s.resource, json=INIT, headers=headers) as resp:
            assert resp.status == 200
            headers["Mcp-Session-Id"] = resp.headers["Mcp-Session-Id"]
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        async with http.post(s.resource, json=initialized, headers=headers) as resp:
            assert resp.status == 202
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        async with http.post(s.resource, json=listing, headers=headers) as resp:
            assert resp.status == 200
            text = await resp.text()
            assert '"tools"' in text
            assert "sdk__add" not in text  # the access policy, as for API keys
        params = await step_up_challenge(http, s.resource, headers)
        assert params["scope"] == "mcp:sdk:add"
        wider = await s.auth.token(s.resource, ["mcp:other", params["scope"]], subject="alice")
        headers["Authorization"] = f"Bearer {wider['access_token']}"
        async with http.post(s.resource, json=ADD_CALL, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            assert '"text":"3"' in (await resp.text()).replace(" ", "")


async def test_unknown_kids_refetch_the_keys_at_most_so_often(tmp_path: Path) -> None:
    async with setup(tmp_path, jwks_refresh_min_s=3600) as s:
        await s.auth.account("alice", "acme")
        before = (await s.auth.token(s.resource, ["mcp"], subject="alice"))["access_token"]
        assert (await initialize(s.resource, before)).status == 200  # the JWKS is fetched
        await s.auth.rotate()
        after = (await s.auth.token(s.resource, ["mcp"], subject="alice"))["access_token"]
        resp = await initialize(s.resource, after)  # unknown kid, but fetched moments ago
        assert resp.status == 401
        assert challenge(resp)["error"] == "invalid_token"


async def test_discovery_paths_are_public(tmp_path: Path) -> None:
    async with (
        setup(tmp_path) as s,
        aiohttp.ClientSession() as http,
        http.get(f"{s.proxy.url}/.well-known/oauth-authorization-server") as resp,
    ):
        assert resp.status == 404  # not an authorization server: its metadata is elsewhere


async def test_a_dpop_bound_token_is_not_a_bearer_token(tmp_path: Path) -> None:
    """A token bound to a key (RFC 9449 `cnf.jkt`) presented without its proof is refused."""
    async with setup(tmp_path) as s:
        await s.auth.account("alice", "acme")
        bound = await s.auth.dpop_token(s.resource, ["mcp"])
        resp = await initialize(s.resource, bound)
        assert resp.status == 401
        assert "sender-constrained" in challenge(resp)["error_description"]


async def test_malformed_tokens_are_refused_cleanly(tmp_path: Path) -> None:
    def segment(value: object) -> str:
        return b64(orjson.dumps(value))

    payload = segment({"iss": "x", "sub": "y", "aud": "z", "exp": 1})
    async with setup(tmp_path) as s:
        issuer = s.auth.issuer
        for token in (
            "a.b.c",
            "!!!.???.###",
            f"{segment([1, 2])}.{payload}.AAAA",
            f"{segment({'alg': 'RS256', 'kid': {'k': 1}})}.{payload}.AAAA",
            f"{segment({'alg': 'RS256'})}.{segment([1])}.AAAA",
            f"{segment({'alg': 'RS256'})}.{segment({'iss': [issuer]})}.AAAA",
            f"{segment({'alg': 'RS256', 'kid': 'nope'})}.{segment({'iss': issuer})}.AAAA",
            "x" * 8000,  # longer ones stop at the HTTP parser's header limit (400)
            "\u00e9\u00e9.\u00e9.\u00e9",
        ):
            resp = await initialize(s.resource, token)
            assert resp.status == 401, token[:80]
            assert challenge(resp)["error"] == "invalid_token"


def test_auth_changes_wait_for_a_restart() -> None:
    def config(audience: str) -> Config:
        oauth = {
            "issuer": "https://login.example.com",
            "audience": audience,
            "introspection_endpoint": "https://login.example.com/introspect",
            "client_id": "gw",
            "client_secret": "s3cret",
        }
        return parse_config({"mcp": {"models": MODELS, "auth": {"oauth": oauth}}})

    before = config("https://gw.example.com/mcp")
    assert config_diff(before, config("https://gw.example.com/mcp"))["restart_needed"] == []
    after = config("https://other.example.com/mcp")
    assert config_diff(before, after)["restart_needed"] == ["auth"]
