"""Token exchange (RFC 8693) toward an upstream whose authorization server trusts ours: a caller
who came to `mcproute serve` with an OAuth access token reaches an upstream configured with
`"auth": {"type": "token_exchange"}` with a token the authorization server (oidc-provider, its
token-exchange grant) issued for that upstream in exchange; the caller's own token never
reaches the upstream, and an API-key caller has nothing to exchange."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_support import free_port
from mcproute.config import ConfigError, parse_config
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.jsonrpc import MCPError
from oidc_support import EXCHANGE_CLIENT
from served_support import served
from test_mcp_oauth import MODELS, setup


def gateway_document(issuer: str, port: int, upstream: str, secret: str) -> dict[str, object]:
    exchange = {
        "type": "token_exchange",
        "token_endpoint": f"{issuer}/token",
        "client_id": EXCHANGE_CLIENT[0],
        "client_secret": secret,
        "scope": "mcp",
    }
    return {
        "mcp": {
            "models": MODELS,
            "mcpServers": {"up": {"url": upstream, "auth": exchange}},
            "auth": {"oauth": {"issuer": issuer, "audience": f"http://127.0.0.1:{port}/mcp"}},
        }
    }


async def test_the_callers_token_is_exchanged_for_one_for_the_upstream(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        port = free_port()
        gw_dir = tmp_path / "gateway"
        gw_dir.mkdir()
        document = gateway_document(s.auth.issuer, port, s.resource, EXCHANGE_CLIENT[1])
        async with served(gw_dir, document=document, port=port) as gw:
            resource = f"{gw.url}/mcp"
            caller = await s.auth.token(resource, ["mcp"], subject="frank", tenant="acme")
            own = caller["access_token"]
            headers = {"Authorization": f"Bearer {own}"}
            async with MCPConnection(resource, headers=headers) as conn:
                assert "up__sdk__add" in {t["name"] for t in await conn.list_tools()}
                result = await conn.call_tool("up__sdk__add", {"a": 40, "b": 2})
            assert result["content"][0]["text"] == "42"
            exchanges = await s.auth.exchanges()
            assert exchanges  # one per fresh subject token (the listing's and the call's share)
            assert all(
                e == {"client": EXCHANGE_CLIENT[0], "subject": "frank", "resource": s.resource,
                      "scope": "mcp"}
                for e in exchanges
            )  # fmt: skip
            assert len(exchanges) == 1  # the exchanged token is kept while the caller's is
            # An API-key caller has no token to exchange: nothing of the upstream for them.
            key = {"Authorization": f"Bearer {gw.key('mcp')}"}
            async with MCPConnection(resource, headers=key) as conn:
                assert "up__sdk__add" not in {t["name"] for t in await conn.list_tools()}
                with pytest.raises(MCPError, match="cannot be exchanged"):
                    await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
            assert own not in gw.stderr()
        # The upstream only ever saw the exchanged token: the caller's (audience: the gateway)
        # would have been refused there, and is nowhere in its log.
        assert own not in s.proxy.stderr()


async def test_a_refused_exchange_is_a_clear_error(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        port = free_port()
        gw_dir = tmp_path / "gateway"
        gw_dir.mkdir()
        document = gateway_document(s.auth.issuer, port, s.resource, "not-the-secret")
        async with served(gw_dir, document=document, port=port) as gw:
            resource = f"{gw.url}/mcp"
            caller = await s.auth.token(resource, ["mcp"], subject="gina", tenant="acme")
            headers = {"Authorization": f"Bearer {caller['access_token']}"}
            async with MCPConnection(resource, headers=headers) as conn:
                with pytest.raises(MCPError, match=r"authorization failed: .*invalid_client"):
                    await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
            assert "not-the-secret" not in gw.stderr()
        assert await s.auth.exchanges() == []


def test_the_token_exchange_block_is_checked() -> None:
    url = "http://127.0.0.1:1/mcp"
    good = {"type": "token_exchange", "token_endpoint": "http://127.0.0.1:2/token",
            "client_id": "c"}  # fmt: skip
    Gateway({"up": {"url": url, "auth": good}})
    for change, message in (
        ({"token_endpoint": None}, "auth.token_endpoint: required"),
        ({"client_id": None}, "auth.client_id: required"),
        ({"token_endpoint": "ftp://x"}, "auth.token_endpoint: must be an http"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "token_endpoint_auth_method"),
        ({"audiance": "x"}, "auth.audiance: unknown key"),
    ):
        spec = {k: v for k, v in {**good, **change}.items() if v is not None}
        with pytest.raises(ValueError, match=message):
            Gateway({"up": {"url": url, "auth": spec}})


def test_config_check_names_the_token_exchange_fields() -> None:
    def errors(auth: dict[str, object], oauth: bool = True) -> str:
        mcp: dict[str, object] = {
            "models": MODELS,
            "mcpServers": {"up": {"url": "http://127.0.0.1:1/mcp", "auth": auth}},
        }
        if oauth:
            mcp["auth"] = {"oauth": {"issuer": "http://127.0.0.1:2", "audience": "http://a/mcp"}}
        with pytest.raises(ConfigError) as refused:
            parse_config({"mcp": mcp})
        return str(refused.value)

    good = {"type": "token_exchange", "token_endpoint": "http://127.0.0.1:2/token",
            "client_id": "c"}  # fmt: skip
    assert "auth.token_endpoint: required by token_exchange" in errors(
        {"type": "token_exchange", "client_id": "c"}
    )
    assert "auth.redirect_uri" in errors({**good, "redirect_uri": "http://x/cb"})
    assert "token_exchange needs auth.oauth" in errors(good, oauth=False)
    assert "must be 'oauth' or 'token_exchange'" in errors({"type": "basic"})
