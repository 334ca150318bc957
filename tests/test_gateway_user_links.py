"""Per-user upstream credentials: an upstream configured with `"auth": {"type": "oauth"}` (here
`mcproute serve` protecting /mcp with tokens of a real authorization server, oidc-provider) is
called with each user's own token. Until a user links it, its tools are not listed for them and
a call says where to authorize; after the browser step and the gateway's callback, their calls
carry their token; other users stay unlinked; the grant is sealed with the keyring."""

from __future__ import annotations

import base64
import contextlib
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import psycopg
import pytest

from mcp_support import free_port, serve
from mcproute._core import Keyring
from mcproute.oauth_client import MemoryBlobStore, OAuthError, SealedTokenStore
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.gateway.link_flows import LINK_TTL_S, LinkRefused, LinkUnknown
from mcproute.protocol.gateway.user_links import (
    DEFAULT_CALLBACK,
    URL_ELICITATION_REQUIRED,
    UpstreamLinks,
)
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.shared import open_database
from oidc_support import AuthorizationServer, browser_session
from served_support import Served, served
from stores_support import PostgresServer
from test_mcp_oauth import MODELS, initialize, setup

CALLBACK = "http://127.0.0.1:9/oauth/callback"  # the gateway's; the headless browser stops there
LINKS = "http://127.0.0.1:9/oauth/link/"


def keyring() -> Keyring:
    ring = Keyring()
    ring.add(11, bytes(range(1, 33)))
    return ring


@contextlib.asynccontextmanager
async def gateway(upstream_url: str, links: UpstreamLinks) -> AsyncIterator[tuple[str, Gateway]]:
    spec = {"url": upstream_url, "auth": {"type": "oauth", "scope": "mcp"}}
    gw = Gateway({"up": spec}, links=links)
    mcp = StreamableHTTP(gw, principal=lambda request: request.headers.get("X-User"))
    try:
        async with serve(mcp.app()) as url:
            yield url, gw
    finally:
        await gw.close()


def as_user(url: str, user: str, **options: object) -> MCPConnection:
    # The client's own credential for the gateway: it must never reach the upstream.
    headers = {"X-User": user, "Authorization": "Bearer the-clients-own-token"}
    return MCPConnection(url, headers=headers, prefer="legacy", **options)  # type: ignore[arg-type]


async def tool_names(url: str, user: str) -> set[str]:
    async with as_user(url, user) as conn:
        return {tool["name"] for tool in await conn.list_tools()}


def link_id(error: MCPError) -> str:
    """The id in the gateway link URL an "authorize at URL" error names."""
    url = error.data["authorizeUrl"]
    assert url.startswith(LINKS), url
    return str(url[len(LINKS) :])


async def authorize(
    auth: AuthorizationServer, gw: Gateway, error: MCPError, user: str
) -> tuple[str, str]:
    """What the user does with the URL in the error: open the gateway's link (its cookie
    value is what their browser keeps), confirm, log in and approve (headless here); returns
    the callback URL the browser lands on and the cookie's value."""
    view = await gw.links.view_link(link_id(error))
    authorize_url = await gw.links.confirm_link(
        link_id(error), {view.cookie: view.value}, view.csrf
    )
    assert authorize_url.startswith(auth.issuer)
    await auth.account(user, "acme", default=True)
    answer = await auth.follow_authorization(authorize_url, CALLBACK)
    assert "code" in answer, answer
    return f"{CALLBACK}?{urlencode(answer)}", view.value


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found[1]


async def confirm_link(browser: aiohttp.ClientSession, link: str) -> str:
    """What a user does on the link's page: read it, continue; returns where it redirects."""
    async with browser.get(link) as resp:
        assert resp.status == 200, await resp.text()
        csrf = csrf_of(await resp.text())
    async with browser.post(link, data={"csrf": csrf}, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        return resp.headers["Location"]


@contextlib.asynccontextmanager
async def served_with_upstream(tmp_path: Path, resource: str) -> AsyncIterator[Served]:
    """`mcproute serve` with the per-user upstream `up` at `resource`, its public URL its own."""
    port = free_port()
    gw_dir = tmp_path / "gateway"
    gw_dir.mkdir()
    upstream = {"url": resource, "auth": {"type": "oauth", "scope": "mcp"}}
    document = {"mcp": {"models": MODELS, "mcpServers": {"up": upstream}}}
    env = {"MCPROUTE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    async with served(gw_dir, document=document, port=port, env=env) as gw:
        yield gw


async def refused_call(url: str, user: str) -> MCPError:
    async with as_user(url, user) as conn:
        with pytest.raises(MCPError) as refused:
            await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
    return refused.value


async def test_each_user_links_the_upstream_with_their_own_token(tmp_path: Path) -> None:
    blobs = MemoryBlobStore()
    links = UpstreamLinks(SealedTokenStore(keyring(), blobs), redirect_uri=CALLBACK)
    async with setup(tmp_path) as s, gateway(s.resource, links) as (url, gw):
        assert "up__sdk__add" not in await tool_names(url, "alice")
        async with as_user(url, "alice") as conn:
            with pytest.raises(MCPError) as refused:
                await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
        assert "authorize at " in str(refused.value)
        assert "needs your authorization" in str(refused.value)

        # Another worker on the same store: it has looked, and must notice the link later.
        worker = UpstreamLinks(links.store, redirect_uri=CALLBACK)
        oauth = gw.upstreams["up"].oauth
        assert oauth is not None
        assert not await worker.linked(s.resource, oauth, "alice", "up")

        callback, cookie = await authorize(s.auth, gw, refused.value, "alice")
        assert await gw.complete_link(callback, cookie) == "up"
        assert await worker.linked(s.resource, oauth, "alice", "up")
        with pytest.raises(OAuthError, match="already used"):
            await gw.complete_link(callback, cookie)  # a state is good once

        assert "up__sdk__add" in await tool_names(url, "alice")
        async with as_user(url, "alice") as conn:
            result = await conn.call_tool("up__sdk__add", {"a": 40, "b": 2})
        assert result["content"][0]["text"] == "42"

        # Bob has linked nothing: still nothing of the upstream for him.
        assert "up__sdk__add" not in await tool_names(url, "bob")

        # Alice's grant is sealed: no token in the stored bytes.
        record = await links.store.load(links.key("alice", "up"))
        assert record is not None
        access = record["tokens"]["access_token"]
        assert all(access.encode() not in blob for blob in blobs.blobs.values())
        # The upstream saw Alice's token, never the client's own.
        assert "the-clients-own-token" not in s.proxy.stderr()


async def test_a_grant_that_ended_is_linked_again(tmp_path: Path) -> None:
    """The user's grant ends at the authorization server (refresh token revoked, the access
    token's signing key retired): their listing leaves the upstream out instead of failing,
    a call says where to authorize again, and linking again restores it."""
    links = UpstreamLinks(redirect_uri=CALLBACK)
    async with setup(tmp_path) as s, gateway(s.resource, links) as (url, gw):
        callback, cookie = await authorize(s.auth, gw, await refused_call(url, "alice"), "alice")
        assert await gw.complete_link(callback, cookie) == "up"
        assert "up__sdk__add" in await tool_names(url, "alice")

        record = await links.store.load(links.key("alice", "up"))
        assert record is not None
        revocation = {
            "token": record["tokens"]["refresh_token"],
            "client_id": record["client"]["client_id"],
        }
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{s.auth.issuer}/token/revocation", data=revocation) as resp,
        ):
            assert resp.status == 200
        await s.auth.rotate(retire=True)
        fresh = await s.auth.mint(s.resource, ["mcp"], tenant="acme")
        assert (await initialize(s.resource, fresh)).status == 200  # the upstream's new keys

        assert "up__sdk__add" not in await tool_names(url, "alice")  # not an internal error
        error = await refused_call(url, "alice")
        assert "authorize at " in str(error)  # not "unknown tool"
        callback, cookie = await authorize(s.auth, gw, error, "alice")
        assert await gw.complete_link(callback, cookie) == "up"
        async with as_user(url, "alice") as conn:
            result = await conn.call_tool("up__sdk__add", {"a": 40, "b": 2})
        assert result["content"][0]["text"] == "42"


async def test_a_callback_is_honoured_only_in_the_browser_that_opened_the_link(
    tmp_path: Path,
) -> None:
    """Someone holding the user's authorization URL (or its callback) cannot finish it: the
    callback needs the cookie the link set; a refusal links nothing and uses nothing up."""
    links = UpstreamLinks(redirect_uri=CALLBACK)
    async with setup(tmp_path) as s, gateway(s.resource, links) as (url, gw):
        error = await refused_call(url, "alice")
        callback, cookie = await authorize(s.auth, gw, error, "alice")
        for other in (None, "", "another-browsers-cookie"):
            with pytest.raises(LinkRefused, match="not started in this browser"):
                await gw.complete_link(callback, other)
        oauth = gw.upstreams["up"].oauth
        assert oauth is not None
        assert not await links.linked(s.resource, oauth, "alice", "up")
        # The link itself is single-use.
        with pytest.raises(LinkUnknown, match="unknown or already used"):
            await gw.links.view_link(link_id(error))
        # The right browser still finishes it, once.
        assert await gw.complete_link(callback, cookie) == "up"
        with pytest.raises(LinkRefused, match="already used"):
            await gw.complete_link(callback, cookie)


async def test_a_new_flow_replaces_the_users_previous_one(tmp_path: Path) -> None:
    """One pending flow per user and upstream: unused links do not pile up in the store."""
    blobs = MemoryBlobStore()
    links = UpstreamLinks(SealedTokenStore(keyring(), blobs), redirect_uri=CALLBACK)
    async with setup(tmp_path) as s, gateway(s.resource, links) as (url, gw):
        first = await refused_call(url, "alice")
        count = len(blobs.blobs)
        for _ in range(3):
            latest = await refused_call(url, "alice")
        assert len(blobs.blobs) == count
        with pytest.raises(LinkUnknown, match="unknown or already used"):
            await gw.links.view_link(link_id(first))
        callback, cookie = await authorize(s.auth, gw, latest, "alice")
        assert await gw.complete_link(callback, cookie) == "up"


async def test_expired_links_and_flows_are_refused(tmp_path: Path) -> None:
    now = [1_000_000.0]
    links = UpstreamLinks(redirect_uri=CALLBACK, clock=lambda: now[0])
    async with setup(tmp_path) as s, gateway(s.resource, links) as (url, gw):
        stale = await refused_call(url, "alice")
        now[0] += LINK_TTL_S + 1
        with pytest.raises(LinkRefused, match="expired"):
            await gw.links.view_link(link_id(stale))

        error = await refused_call(url, "alice")
        callback, cookie = await authorize(s.auth, gw, error, "alice")
        now[0] += LINK_TTL_S + 1
        with pytest.raises(LinkRefused, match="expired"):
            await gw.complete_link(callback, cookie)
        oauth = gw.upstreams["up"].oauth
        assert oauth is not None
        assert not await links.linked(s.resource, oauth, "alice", "up")


async def test_an_authorization_response_from_another_issuer_is_refused(
    tmp_path: Path,
) -> None:
    """RFC 9207: the response's `iss` must name the authorization server the flow went to."""
    links = UpstreamLinks(redirect_uri=CALLBACK)
    async with setup(tmp_path) as s, gateway(s.resource, links) as (url, gw):
        callback, cookie = await authorize(s.auth, gw, await refused_call(url, "alice"), "alice")
        forged = callback.replace("iss=", "iss=https%3A%2F%2Fevil.example")
        assert forged != callback
        with pytest.raises(OAuthError, match="another issuer"):
            await gw.complete_link(forged, cookie)
        oauth = gw.upstreams["up"].oauth
        assert oauth is not None
        assert not await links.linked(s.resource, oauth, "alice", "up")


async def test_a_client_that_opens_urls_gets_a_url_elicitation(tmp_path: Path) -> None:
    async with setup(tmp_path) as s, gateway(s.resource, UpstreamLinks()) as (url, _):
        capabilities = {"elicitation": {"form": {}, "url": {}}}
        async with as_user(url, "carol", capabilities=capabilities) as conn:
            with pytest.raises(MCPError) as refused:
                await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
        assert refused.value.code == URL_ELICITATION_REQUIRED
        (elicitation,) = refused.value.data["elicitations"]
        assert elicitation["mode"] == "url"
        assert elicitation["url"].startswith(DEFAULT_CALLBACK.removesuffix("callback") + "link/")


async def test_a_request_without_a_principal_is_refused(tmp_path: Path) -> None:
    async with setup(tmp_path) as s:
        gw = Gateway({"up": {"url": s.resource, "auth": {"type": "oauth"}}})
        try:
            async with serve(StreamableHTTP(gw).app()) as url, MCPConnection(url) as conn:
                assert "up__sdk__add" not in {t["name"] for t in await conn.list_tools()}
                with pytest.raises(MCPError, match="no authenticated caller"):
                    await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
        finally:
            await gw.close()


def test_the_auth_block_is_checked() -> None:
    for spec, message in (
        ({"url": "http://127.0.0.1:1/mcp", "auth": {"type": "basic"}}, "auth.type"),
        ({"url": "http://127.0.0.1:1/mcp", "auth": {"type": "oauth", "scop": "x"}}, "auth.scop"),
        ({"command": "x", "auth": {"type": "oauth"}}, "needs a url"),
    ):
        with pytest.raises(ValueError, match=message):
            Gateway({"up": spec})


async def test_callback_with_an_unknown_state(tmp_path: Path) -> None:
    gw = Gateway({})
    try:
        with pytest.raises(OAuthError, match="unknown"):
            await gw.complete_link(f"{CALLBACK}?code=x&state=never-issued", "any")
    finally:
        await gw.close()


async def test_mcproute_serve_links_an_upstream_through_its_callback(tmp_path: Path) -> None:
    """The proxy: API-key callers, grants sealed in the data directory, the browser's return
    at GET /oauth/callback with no key."""
    async with setup(tmp_path) as s:
        async with served_with_upstream(tmp_path, s.resource) as gw:
            callback_url = f"{gw.url}/oauth/callback"
            key = gw.key("mcp")
            headers = {"Authorization": f"Bearer {key}"}
            async with MCPConnection(f"{gw.url}/mcp", headers=headers) as conn:
                assert "up__sdk__add" not in {t["name"] for t in await conn.list_tools()}
                with pytest.raises(MCPError) as refused:
                    await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
            await s.auth.account("dana", "acme", default=True)
            link = refused.value.data["authorizeUrl"]
            assert link.startswith(f"{gw.url}/oauth/link/")
            async with browser_session() as browser, browser_session() as other:
                async with browser.get(link, allow_redirects=False) as resp:
                    assert resp.status == 200  # the confirmation page, not a redirect
                    set_cookie = resp.headers["Set-Cookie"]
                    csrf = csrf_of(await resp.text())
                assert "HttpOnly" in set_cookie
                assert "SameSite=Lax" in set_cookie
                assert "Secure" not in set_cookie  # http here; https public URLs get Secure
                async with browser.post(link, data={"csrf": csrf}, allow_redirects=False) as resp:
                    assert resp.status == 302
                    at_issuer = resp.headers["Location"]
                assert at_issuer.startswith(s.auth.issuer)
                async with other.get(link, allow_redirects=False) as resp:
                    assert resp.status == 404  # the link is single-use
                answer = await s.auth.follow_authorization(at_issuer, callback_url, browser)
                back = f"{callback_url}?{urlencode(answer)}"
                async with other.get(back) as resp:  # another browser: no binding cookie
                    assert resp.status == 400
                    assert "not started in this browser" in await resp.text()
                async with browser.get(back) as resp:
                    assert resp.status == 200, await resp.text()
                    assert "'up' is linked" in await resp.text()
                async with browser.get(back) as resp:  # a state is good once
                    assert resp.status == 400
            async with MCPConnection(f"{gw.url}/mcp", headers=headers) as conn:
                result = await conn.call_tool("up__sdk__add", {"a": 40, "b": 2})
            assert result["content"][0]["text"] == "42"
            # Another key (another user) has linked nothing.
            other = {"Authorization": f"Bearer {gw.key('mcp')}"}
            async with MCPConnection(f"{gw.url}/mcp", headers=other) as conn:
                assert "up__sdk__add" not in {t["name"] for t in await conn.list_tools()}
            assert answer["code"] not in gw.stderr()
        # Sealed in the data directory: no token in the clear.
        with sqlite3.connect(gw.data_dir.path / "mcproute.db") as db:
            rows = db.execute("SELECT sealed FROM oauth_grants").fetchall()
        assert rows
        assert all(b"eyJ" not in bytes(row[0]) for row in rows)  # no JWT in the clear


async def test_a_grant_linked_through_one_replica_is_used_by_another(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Replicas on other hosts (own data directories) share one PostgreSQL, keyring and pepper:
    the user links through replica 1's callback, and replica 2 calls the upstream as them."""
    database_url = postgres_server.new_database(f"g_{secrets.token_hex(6)}")
    pepper = base64.b64encode(secrets.token_bytes(32)).decode()
    keyring_env = f"{secrets.randbits(31) + 1}:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    admin_dir = DataDir(tmp_path / "admin")
    with SqliteApiKeyStore(admin_dir, database=open_database(database_url, admin_dir)) as store:
        key, _ = ApiKeyManager(base64.b64decode(pepper), store).issue("live", ["mcp"])
    headers = {"Authorization": f"Bearer {key}"}
    async with setup(tmp_path) as s:
        port = free_port()
        upstream = {"url": s.resource, "auth": {"type": "oauth", "scope": "mcp"}}
        document = {"mcp": {"models": MODELS, "mcpServers": {"up": upstream}}}
        env = {
            "MCPROUTE_DATABASE_URL": database_url,
            "MCPROUTE_KEYRING": keyring_env,
            "MCPROUTE_PEPPER": pepper,
            "MCPROUTE_PUBLIC_URL": f"http://127.0.0.1:{port}",  # replica 1 takes the callbacks
        }
        dirs = [tmp_path / "r1", tmp_path / "r2"]
        for d in dirs:
            d.mkdir()
        async with (
            served(dirs[0], document=document, port=port, env=env) as one,
            served(dirs[1], document=document, env=env) as two,
        ):
            async with MCPConnection(f"{one.url}/mcp", headers=headers) as conn:
                with pytest.raises(MCPError) as refused:
                    await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
            await s.auth.account("erin", "acme", default=True)
            async with browser_session() as browser:
                at_issuer = await confirm_link(browser, refused.value.data["authorizeUrl"])
                answer = await s.auth.follow_authorization(
                    at_issuer, f"{one.url}/oauth/callback", browser
                )
                async with browser.get(f"{one.url}/oauth/callback?{urlencode(answer)}") as resp:
                    assert resp.status == 200, await resp.text()
            async with MCPConnection(f"{two.url}/mcp", headers=headers) as conn:
                assert "up__sdk__add" in {t["name"] for t in await conn.list_tools()}
                result = await conn.call_tool("up__sdk__add", {"a": 40, "b": 2})
            assert result["content"][0]["text"] == "42"
        with psycopg.connect(database_url) as db:
            rows = db.execute("SELECT sealed FROM oauth_grants").fetchall()
        assert rows
        assert all(b"eyJ" not in bytes(row[0]) for row in rows)  # sealed: no JWT in the clear


def test_link_urls_sit_beside_the_callback_and_https_makes_cookies_secure() -> None:
    public = UpstreamLinks(redirect_uri="https://gw.example/base/oauth/callback")
    assert public.link_url("abc") == "https://gw.example/base/oauth/link/abc"
    assert public.secure_cookies
    assert not UpstreamLinks(redirect_uri=CALLBACK).secure_cookies
