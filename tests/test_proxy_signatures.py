"""Keys that require RFC 9421 request signatures: unsigned, replayed and tampered requests are
refused with a reason; signed ones pass. The signing secret is handed out once."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest

from mcproute.security import RequestSigner
from proxy_support import Proxy, running_proxy


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Proxy]:
    async with running_proxy(tmp_path) as p:
        yield p


async def test_signed_requests(proxy: Proxy) -> None:
    admin = proxy.key("admin")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{proxy.url}/admin/keys",
            json={"scopes": ["models"], "require_signature": True},
            headers={"Authorization": f"Bearer {admin}"},
        ) as r:
            assert r.status == 201
            made = await r.json()
        key, key_id = made["key"], made["key_id"]
        signer = RequestSigner(key_id, base64.b64decode(made["signing_secret"]))
        url = f"{proxy.url}/v1/chat/completions"
        body = orjson.dumps({"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]})
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

        async with http.post(url, data=body, headers=headers) as r:
            assert r.status == 401
            error = (await r.json())["error"]
        assert error["code"] == "invalid_signature"
        assert "requires an RFC 9421 request signature" in error["message"]

        signed = {**headers, **signer.sign("POST", url, headers, body)}
        async with http.post(url, data=body, headers=signed) as r:
            assert r.status == 200, await r.text()
        async with http.post(url, data=body, headers=signed) as r:  # the same nonce again
            assert r.status == 401
            assert "replay" in (await r.json())["error"]["message"]

        fresh = {**headers, **signer.sign("POST", url, headers, body)}
        async with http.post(url, data=body.replace(b"hi", b"ho"), headers=fresh) as r:
            assert r.status == 401
            assert "digest" in (await r.json())["error"]["message"].lower()

        other = RequestSigner(key_id, b"\0" * 32)  # the right keyid, the wrong secret
        forged = {**headers, **other.sign("POST", url, headers, body)}
        async with http.post(url, data=body, headers=forged) as r:
            assert r.status == 401


def test_cli_prints_the_signing_secret_once(tmp_path: Path) -> None:
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "keys", "create", "--require-signature"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = out.stdout.strip().splitlines()
    assert lines[-1].startswith("mcpr_live_")  # the key alone on the last line
    assert any(line.startswith("signing secret") for line in lines)
    listed = subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "keys", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    secret = next(line for line in lines if line.startswith("signing secret")).rsplit(" ", 1)[1]
    assert secret not in listed
