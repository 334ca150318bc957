"""The page a per-user upstream's link URL answers (against a real authorization server,
oidc-provider): it names the upstream and the mcproute identity the grant will belong to, changes
nothing when opened, cannot be framed or script-injected, and only its own form's POST, from the
browser it set its cookie in, takes the link and sends the browser to the authorization server.
That is what stands between a user and a link URL someone else made for themselves."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from mcp_support import serve
from mcproute.oauth_client import AuthorizationRequired
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.gateway.link_flows import LINK_TTL_S
from mcproute.protocol.gateway.user_links import LinkRequired, UpstreamLinks, authorization_error
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.proxy.mcp_mount import MCP_MOUNT, McpMount, add_link_routes
from mcproute.security import ApiKeyManager
from mcproute.store import SqliteApiKeyStore
from oidc_support import browser_session
from test_gateway_user_links import confirm_link, csrf_of, served_with_upstream
from test_mcp_oauth import setup

EVIL = "<script>alert('x')</script>"


def nonce_of(csp: str) -> str:
    found = re.search(r"'nonce-([^']+)'", csp)
    assert found, csp
    return found[1]


def assert_locked_down(resp: aiohttp.ClientResponse, issuer: str | None = None) -> None:
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "base-uri 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cache-Control"] == "no-store"
    if issuer is not None:  # the form's POST redirects there: the CSP must allow just that
        origin = issuer.split("/", 3)
        assert f"form-action 'self' {origin[0]}//{origin[2]};" in csp, csp


async def test_mcproute_serve_links_only_through_the_confirmation_form(tmp_path: Path) -> None:
    async with setup(tmp_path) as s, served_with_upstream(tmp_path, s.resource) as gw:
        callback_url = f"{gw.url}/oauth/callback"
        with SqliteApiKeyStore(gw.data_dir) as store:
            key, record = ApiKeyManager(gw.data_dir.pepper(), store).issue(
                "test", ["mcp", "tenant:acme"], name=EVIL
            )
        headers = {"Authorization": f"Bearer {key}"}

        async def listed() -> bool:
            async with MCPConnection(f"{gw.url}/mcp", headers=headers) as conn:
                return "up__sdk__add" in {t["name"] for t in await conn.list_tools()}

        async with MCPConnection(f"{gw.url}/mcp", headers=headers) as conn:
            with pytest.raises(MCPError) as refused:
                await conn.call_tool("up__sdk__add", {"a": 1, "b": 2})
        link = refused.value.data["authorizeUrl"]
        await s.auth.account("fay", "acme", default=True)
        async with browser_session() as browser, browser_session() as other:
            async with browser.get(link, allow_redirects=False) as resp:
                assert resp.status == 200
                assert resp.content_type == "text/html"
                assert_locked_down(resp, s.auth.issuer)
                page = await resp.text()
                nonce = nonce_of(resp.headers["Content-Security-Policy"])
            # The page names the upstream and whose the grant will be, escaped; never the key.
            assert '<code id="upstream">up</code>' in page
            assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
            assert EVIL not in page
            assert record.key_id in page
            assert "<dd>acme</dd>" in page
            assert key not in page
            assert "Continue only if you asked for this yourself" in page
            assert "<script" not in page  # no script at all; its one style has the nonce
            assert re.findall(r"<style[^>]*>", page) == [f'<style nonce="{nonce}">']
            assert not re.search(r"(src|href)=", page)  # nothing loaded from anywhere
            csrf = csrf_of(page)

            # Opening it changes nothing: not linked, and the link still works elsewhere.
            async with other.get(link) as resp:
                assert resp.status == 200
                others_csrf = csrf_of(await resp.text())
            assert others_csrf != csrf
            assert not await listed()

            # Posts that did not come from this browser's page are refused.
            for form, session, extra, status in (
                ({}, browser, {}, 400),  # no token
                ({"csrf": ""}, browser, {}, 400),
                ({"csrf": others_csrf}, browser, {}, 400),  # another browser's token
                ({"csrf": csrf}, other, {}, 400),  # the token with another cookie
                ({"csrf": csrf}, aiohttp.ClientSession(), {}, 400),  # no cookie
                ({"csrf": csrf}, browser, {"Sec-Fetch-Site": "cross-site"}, 403),
            ):
                async with contextlib.AsyncExitStack() as stack:
                    if session not in (browser, other):
                        await stack.enter_async_context(session)
                    async with session.post(
                        link, data=form, headers=extra, allow_redirects=False
                    ) as resp:
                        assert resp.status == status, (form, await resp.text())
                        assert "Location" not in resp.headers
                        assert_locked_down(resp)
            assert not await listed()

            # The page's own form: on to the authorization server, then linked.
            async with browser.post(link, data={"csrf": csrf}, allow_redirects=False) as resp:
                assert resp.status == 302
                at_issuer = resp.headers["Location"]
            assert at_issuer.startswith(s.auth.issuer)
            answer = await s.auth.follow_authorization(at_issuer, callback_url, browser)
            async with browser.get(f"{callback_url}?{urlencode(answer)}") as resp:
                assert resp.status == 200, await resp.text()
            # Used: the other browser's page can no longer continue.
            async with other.post(link, data={"csrf": others_csrf}, allow_redirects=False) as resp:
                assert resp.status == 404
                assert "unknown or already used" in await resp.text()
        assert await listed()
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{gw.url}/oauth/link/never-issued") as resp,
        ):
            assert resp.status == 404
            assert_locked_down(resp)
            assert "call the tool again" in await resp.text()


@contextlib.asynccontextmanager
async def pages(gw: Gateway) -> AsyncIterator[str]:
    """The proxy's link and callback routes over `gw`; yields their base URL."""
    app = web.Application()
    mount = McpMount(None, {}, lane=False)  # type: ignore[arg-type]  # built already: no parts
    mount.built = SimpleNamespace(gateway=gw)  # type: ignore[assignment]  # what the pages read
    app[MCP_MOUNT] = mount
    add_link_routes(app.router)
    async with serve(app) as url:
        yield url.removesuffix("/mcp")


async def test_an_upstream_name_is_shown_escaped(tmp_path: Path) -> None:
    now = [1_000_000.0]
    async with setup(tmp_path) as s:
        links = UpstreamLinks(
            describe=lambda principal: (("user", f"{principal}{EVIL}"),), clock=lambda: now[0]
        )
        gw = Gateway({EVIL: {"url": s.resource, "auth": {"type": "oauth"}}}, links=links)
        mcp = StreamableHTTP(gw, principal=lambda request: request.headers.get("X-User"))
        try:
            async with serve(mcp.app()) as url, pages(gw) as base:
                links.redirect_uri = f"{base}/oauth/callback"
                async with MCPConnection(url, headers={"X-User": "gus"}) as conn:
                    with pytest.raises(MCPError) as refused:
                        await conn.call_tool(f"{EVIL}__sdk__add", {"a": 1, "b": 2})
                link = refused.value.data["authorizeUrl"]
                assert link.startswith(f"{base}/oauth/link/")
                async with browser_session() as browser:
                    async with browser.get(link) as resp:
                        assert resp.status == 200
                        page = await resp.text()
                    assert EVIL not in page
                    assert "<title>mcproute · link &lt;script&gt;alert(&#x27;x" in page
                    assert "<dd>gus&lt;script&gt;alert(" in page
                    assert await confirm_link(browser, link)  # the page's form works
                    now[0] += LINK_TTL_S + 1
                    async with browser.get(link) as resp:  # used: unknown now
                        assert resp.status == 404
                async with MCPConnection(url, headers={"X-User": "gus"}) as conn:
                    with pytest.raises(MCPError) as again:
                        await conn.call_tool(f"{EVIL}__sdk__add", {"a": 1, "b": 2})
                now[0] += LINK_TTL_S + 1
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(again.value.data["authorizeUrl"]) as resp,
                ):
                    assert resp.status == 400  # expired: a clear page saying so
                    assert "expired" in await resp.text()
                    assert_locked_down(resp)
        finally:
            await gw.close()


def test_a_link_is_only_told_to_its_own_principal() -> None:
    url = "http://127.0.0.1:9/oauth/link/abc"
    own = authorization_error(LinkRequired(url, "needs", "alice"), "up", False, "alice")
    assert own.data == {"authorizeUrl": url, "server": "up"}
    elicited = authorization_error(LinkRequired(url, "needs", "alice"), "up", True, "alice")
    assert elicited.data["elicitations"][0]["url"] == url
    for exc, caller in (
        (LinkRequired(url, "needs", "alice"), "mallory"),
        (LinkRequired(url, "needs", "alice"), None),
        (AuthorizationRequired(url), "alice"),  # not a link the gateway made for anyone
    ):
        for supports_url in (False, True):
            error = authorization_error(exc, "up", supports_url, caller)
            assert url not in str(error)
            assert url not in str(error.data)
            assert "cannot give this caller a link" in str(error)
