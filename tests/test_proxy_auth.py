"""Key refusals through the proxy: one 401 (`invalid_key`) for every reason, the reason in the
log and never the key; keys that require signatures are refused unsigned on every route family,
the dashboard's sign-in, page and data included."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest

from mcproute.proxy.dashboard import COOKIE
from mcproute.security import ApiKeyManager, RequestSigner
from mcproute.store import SqliteApiKeyStore
from proxy_support import Proxy, running_proxy

CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
# One route of each family: (method, path, JSON body).
ROUTES = [
    ("GET", "/v1/models", None),
    ("POST", "/v1/chat/completions", CHAT),
    ("POST", "/v1/messages", {**CHAT, "model": "claude", "max_tokens": 8}),
    ("POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": "x"}),
    ("GET", "/v1/contexts", None),
    ("POST", "/mcp", INIT),
    ("GET", "/admin/keys", None),
    ("GET", "/metrics", None),
    ("GET", "/dashboard/data", None),
]
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def with_checksum(body: str) -> str:
    n, digits = zlib.crc32(body.encode()), ""
    for _ in range(6):
        n, r = divmod(n, 62)
        digits = BASE62[r] + digits
    return f"{body}_{digits}"


def relabelled(key: str, env: str) -> str:
    _, _, key_id, secret = key.rsplit("_", 1)[0].split("_")
    return with_checksum(f"mcpr_{env}_{key_id}_{secret}")


def wrong_secret(key: str) -> str:
    body = key.rsplit("_", 1)[0]
    return with_checksum(body[:-1] + ("a" if body[-1] != "a" else "b"))


def headers_for(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Proxy]:
    async with running_proxy(tmp_path) as p:
        yield p


def refused_keys(proxy: Proxy) -> dict[str, str]:
    """A key for every reason a key is refused, each with every scope it could need."""
    pepper = proxy.data_dir.pepper()
    with SqliteApiKeyStore(proxy.data_dir) as store:
        keys = ApiKeyManager(pepper, store)
        good, _ = keys.issue("test", {"admin"})
        revoked, record = keys.issue("test", {"admin"})
        keys.revoke(record.key_id)
        past = ApiKeyManager(pepper, store, clock=lambda: time.time() - 3600)
        expired, _ = past.issue("test", {"admin"}, ttl=60)
    stranger, _ = ApiKeyManager(pepper).issue("test", {"admin"})  # never stored
    return {
        "unknown id": stranger,
        "wrong secret": wrong_secret(good),
        "bad checksum": good[:-1] + ("A" if good[-1] != "A" else "B"),
        "relabelled": relabelled(good, "live"),
        "relabelled, old checksum": good.replace("mcpr_test_", "mcpr_live_"),
        "revoked": revoked,
        "expired": expired,
        "malformed": "mcpr_test_" + "x" * 20,
        "not ours": "sk-" + "z" * 40,
    }


async def test_every_key_refusal_is_the_same_401(
    proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    refused = refused_keys(proxy)
    caplog.set_level(logging.INFO, logger="mcproute.auth")
    async with aiohttp.ClientSession() as http:
        for method, path, body in ROUTES:
            answers: dict[str, tuple[int, bytes]] = {}
            for why, key in refused.items():
                data = None if body is None else orjson.dumps(body)
                async with http.request(
                    method, proxy.url + path, data=data, headers=headers_for(key)
                ) as r:
                    answers[why] = (r.status, await r.read())
                    assert r.headers["WWW-Authenticate"] == "Bearer"
            first = answers["unknown id"]
            assert first[0] == 401, (path, first)
            assert b"invalid API key" in first[1]
            if not path.startswith(("/mcp", "/v1/messages")):
                assert orjson.loads(first[1])["error"]["code"] == "invalid_key"
            for why, answer in answers.items():
                assert answer == first, (path, why)  # nothing tells one reason from another
            for key in refused.values():
                assert key.encode() not in first[1]
        async with http.get(f"{proxy.url}/healthz") as r:
            assert r.status == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "mcproute.auth"]
    reasons = {"unknown_key", "mismatch", "bad_checksum", "env_mismatch", "revoked", "expired"}
    assert reasons <= {line.split(": ", 1)[1].split(" ")[0] for line in logged}
    secrets = [k.split("_")[3] for k in refused.values() if k.count("_") == 4]
    for line in caplog.text.splitlines():
        for secret in [*refused.values(), *secrets]:  # neither a key nor its secret part
            assert secret not in line


async def test_signature_required_on_every_route(proxy: Proxy) -> None:
    pepper = proxy.data_dir.pepper()
    with SqliteApiKeyStore(proxy.data_dir) as store:
        keys = ApiKeyManager(pepper, store)
        key, record = keys.issue("test", {"admin"}, require_signature=True)
    signer = RequestSigner(record.key_id, keys.signing_secret(record.key_id))
    async with aiohttp.ClientSession() as http:
        for method, path, body in ROUTES:
            data = b"" if body is None else orjson.dumps(body)
            async with http.request(
                method, proxy.url + path, data=data, headers=headers_for(key)
            ) as r:
                assert r.status == 401, path
                text = await r.text()
            assert "requires an RFC 9421 request signature" in text, path
            assert key not in text
            url = proxy.url + path
            signed = {**headers_for(key), **signer.sign(method, url, headers_for(key), data)}
            async with http.request(method, url, data=data, headers=signed) as r:
                assert r.status < 400, (path, r.status, await r.text())

        # The dashboard's own sign-in: refused, and no session cookie.
        async with http.post(f"{proxy.url}/dashboard/login", data={"key": key}) as r:
            assert r.status == 401
            assert "signed requests" in await r.text()
            assert COOKIE not in r.cookies
            assert "Set-Cookie" not in r.headers
        # Nor does a session made for the key some other way open the page or the data.
        token = keys.session_token(record.key_id, 3600)
        cookie = {"Cookie": f"{COOKIE}={token}"}
        async with http.get(f"{proxy.url}/dashboard/data", headers=cookie) as r:
            assert r.status == 401
        async with http.get(f"{proxy.url}/dashboard", headers=cookie) as r:
            assert 'name="key"' in await r.text()  # the sign-in form, not the dashboard


async def test_dashboard_sign_in_refusals_look_alike(proxy: Proxy) -> None:
    refused = refused_keys(proxy)
    async with aiohttp.ClientSession() as http:
        pages = set()
        for key in refused.values():
            async with http.post(f"{proxy.url}/dashboard/login", data={"key": key}) as r:
                assert r.status == 401
                page = await r.text()
            assert key not in page
            # The page carries a fresh CSP nonce; everything else is the same.
            pages.add(page.split("nonce=", 2)[0] + page.split("</style>", 1)[1])
        assert len(pages) == 1
        good = proxy.key("metrics")
        async with http.post(
            f"{proxy.url}/dashboard/login", data={"key": good}, allow_redirects=False
        ) as r:
            assert r.status == 303
            assert COOKIE in r.cookies
