"""Hostile input to the auth surface of the proxy: keys malformed, relabelled, truncated and
retyped, in every header a key can come in; forged signature headers for keys that require
them; header lines the HTTP parser refuses, over raw sockets to `mcproute serve`. Each gets a
fixed 401 (or 400), the server keeps serving, and no secret (the key, its secret part, a signing
secret) appears in a response body or a log line."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_support import free_port
from mcproute.security import ApiKeyManager, RequestSigner
from mcproute.store import SqliteApiKeyStore
from proxy_support import Proxy, running_proxy, serve_command
from test_proxy_auth import ROUTES, with_checksum, wrong_secret

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# What a client may put in a header value at all (aiohttp refuses CR, LF and NUL).
HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=120,
)
KEY_TEXT = st.text(alphabet=st.sampled_from(BASE62 + "_-. mcprliveest"), max_size=120)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@dataclass
class Keys:
    proxy: Proxy
    key: str  # valid, every scope
    signed_key: str  # valid, every scope, requires signatures
    signed_key_id: str
    signing_secret: bytes

    @property
    def secrets(self) -> list[str]:
        """Strings that must never come back: the keys, their secret parts, a signing secret."""
        parts = [k.split("_")[3] for k in (self.key, self.signed_key)]
        b64 = base64.b64encode(self.signing_secret).decode()
        return [self.key, self.signed_key, *parts, *(p[:16] for p in parts), b64]


@pytest.fixture
async def keys(tmp_path: Path) -> AsyncIterator[Keys]:
    async with running_proxy(tmp_path) as proxy:
        with SqliteApiKeyStore(proxy.data_dir) as store:
            manager = ApiKeyManager(proxy.data_dir.pepper(), store)
            key, _ = manager.issue("test", {"admin"})
            signed, record = manager.issue("test", {"admin"}, require_signature=True)
        secret = manager.signing_secret(record.key_id)
        yield Keys(proxy, key, signed, record.key_id, secret)


@st.composite
def hostile_key(draw: st.DrawFn, real: str) -> str:
    """A key that is not `real`: mangled from it, or made up."""
    body = real.rsplit("_", 1)[0]
    _, env, key_id, secret = body.split("_")
    other_env = draw(st.from_regex(r"[a-z0-9]{1,16}", fullmatch=True).filter(lambda e: e != env))
    pos = draw(st.integers(0, len(real) - 1))
    made_up_secret = "FAKESECRET" + draw(st.text(alphabet=BASE62, min_size=33, max_size=33))
    return draw(
        st.sampled_from(
            [
                with_checksum(f"mcpr_{other_env}_{key_id}_{secret}"),  # relabelled, recomputed
                f"mcpr_{other_env}_{key_id}_{secret}_{real.rsplit('_', 1)[1]}",  # relabelled
                real[:pos],  # truncated
                real[:pos] + real[pos + 1 :],  # a character dropped
                real[:pos] + draw(st.sampled_from(BASE62)) + real[pos:],  # one inserted
                with_checksum(f"mcpr_{env}_{key_id}_{made_up_secret}"),  # a guessed secret
                with_checksum(f"mcpr_{env}_{made_up_secret[:12]}_{secret}"),  # an unknown id
                draw(KEY_TEXT),
                draw(HEADER_TEXT),
            ]
        ).filter(lambda k: k.strip() != real)
    )


def headers_for(where: str, value: str) -> dict[str, str]:
    return {
        "bearer": {"Authorization": f"Bearer {value}"},
        "lowercase bearer": {"Authorization": f"bearer {value}"},
        "x-api-key": {"x-api-key": value},
        "raw authorization": {"Authorization": value},
    }[where]


def assert_no_secret(text: str, keys: Keys, *also: str) -> None:
    for secret in [*keys.secrets, *also]:
        if len(secret) >= 8:
            assert secret not in text
    assert "FAKESECRET" not in text


async def send(keys: Keys, route: int, headers: dict[str, str]) -> tuple[int, str]:
    method, path, body = ROUTES[route]
    data = b"" if body is None else orjson.dumps(body)
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, keys.proxy.url + path, data=data, headers=headers) as r,
    ):
        return r.status, await r.text()


async def assert_serving(keys: Keys) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{keys.proxy.url}/healthz") as r:
        assert r.status == 200


@SETTINGS
@given(
    data=st.data(),
    route=st.integers(0, len(ROUTES) - 1),
    where=st.sampled_from(["bearer", "lowercase bearer", "x-api-key", "raw authorization"]),
)
async def test_hostile_keys_get_a_fixed_401(
    keys: Keys, caplog: pytest.LogCaptureFixture, data: st.DataObject, route: int, where: str
) -> None:
    caplog.set_level(logging.DEBUG)
    presented = data.draw(hostile_key(keys.key))
    status, text = await send(keys, route, headers_for(where, presented))
    assert status == 401, text
    assert "invalid API key" in text or "missing API key" in text or "sign in" in text
    assert_no_secret(text, keys, presented)
    assert_no_secret(caplog.text, keys, presented)
    await assert_serving(keys)


@SETTINGS
@given(
    route=st.integers(0, len(ROUTES) - 1),
    signature=HEADER_TEXT,
    signature_input=st.one_of(
        HEADER_TEXT,
        st.builds(
            lambda keyid, rest: f'sig1=("@method");keyid="{keyid}";{rest}',
            st.sampled_from(["", "FAKESECRET", "mcpr"]),
            HEADER_TEXT,
        ),
    ),
    digest=HEADER_TEXT,
)
async def test_forged_signature_headers_get_a_fixed_401(
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
    route: int,
    signature: str,
    signature_input: str,
    digest: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {
        "Authorization": f"Bearer {keys.signed_key}",
        "Signature": signature,
        "Signature-Input": signature_input,
        "Content-Digest": digest,
    }
    status, text = await send(keys, route, headers)
    assert status == 401, text
    assert "requires an RFC 9421 request signature" in text
    assert_no_secret(text, keys)
    assert_no_secret(caplog.text, keys)
    await assert_serving(keys)


@SETTINGS
@given(route=st.integers(0, len(ROUTES) - 1), tamper=st.integers(0, 2))
async def test_tampered_real_signatures_get_a_fixed_401(
    keys: Keys, caplog: pytest.LogCaptureFixture, route: int, tamper: int
) -> None:
    """A genuine signature, then one thing changed: the key id, the tag, or the secret."""
    caplog.set_level(logging.DEBUG)
    method, path, body = ROUTES[route]
    data = b"" if body is None else orjson.dumps(body)
    url = keys.proxy.url + path
    base = {"Authorization": f"Bearer {keys.signed_key}"}
    secret = keys.signing_secret if tamper != 2 else bytes(32)
    signed = {**base, **RequestSigner(keys.signed_key_id, secret).sign(method, url, base, data)}
    if tamper == 0:
        signed["Signature-Input"] = signed["Signature-Input"].replace(
            keys.signed_key_id, keys.key.split("_")[2]
        )
    elif tamper == 1:
        tag = signed["Signature"]
        signed["Signature"] = tag[:8] + ("A" if tag[8] != "A" else "B") + tag[9:]
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, data=data, headers=signed) as r,
    ):
        status, text = r.status, await r.text()
    assert status == 401, text
    assert_no_secret(text, keys)
    assert_no_secret(caplog.text, keys)
    await assert_serving(keys)


@pytest.fixture(scope="module")
def served_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """`mcproute serve` (the real server and its HTTP parser), for raw-socket requests."""
    tmp = tmp_path_factory.mktemp("served")
    config = tmp / "mcproute.json"
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
    config.write_text(json.dumps({"mcp": {"models": models}}))
    port, stderr_path = free_port(), tmp / "stderr"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            serve_command(config, port, workers=1),
            env={**os.environ, "MCPROUTE_DATA_DIR": str(tmp / "data")},
            stderr=stderr,
        )
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                if raw_exchange(port, HEALTHZ).startswith(b"HTTP/1.1 200"):
                    break
            time.sleep(0.1)
        yield port, stderr_path
    finally:
        proc.terminate()
        proc.wait(10)


def raw_exchange(port: int, raw: bytes) -> bytes:
    """Send `raw` (which asks for `Connection: close`) and read the answer to the end."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
# Header-line bytes: anything but CR and LF, so each draw stays one line of the request.
LINE_BYTES = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
RAW_SECRET = b"FAKESECRET-raw-0123456789"


@settings(max_examples=60, deadline=None)
@given(
    before=LINE_BYTES,
    after=LINE_BYTES,
    long=st.integers(0, 10_000),
    where=st.sampled_from(["name", "value", "line"]),
)
def test_hostile_header_lines_get_a_fixed_400(
    served_proxy: tuple[int, Path], before: bytes, after: bytes, long: int, where: str
) -> None:
    port, _ = served_proxy
    filler = b"a" * long
    secret = before + RAW_SECRET + filler + after
    lines = {
        "name": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + secret + b": v\r\n",
        "value": b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + secret + b"\r\n",
        "line": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + secret + b"\r\n",
    }
    answer = raw_exchange(port, lines[where] + b"Connection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    assert RAW_SECRET not in answer
    if status == b"400":
        assert orjson.loads(body)["error"]["code"] == "malformed_request"
    else:  # the bytes happened to make a valid header
        assert status == b"200", answer[:200]


def test_hostile_header_lines_leave_no_trace(served_proxy: tuple[int, Path]) -> None:
    port, stderr_path = served_proxy
    raw_exchange(port, b"GET / HTTP/1.1\r\nX-Leak " + RAW_SECRET + b"\r\n\r\n")
    assert raw_exchange(port, HEALTHZ).startswith(b"HTTP/1.1 200")
    log = stderr_path.read_text(errors="replace")
    assert RAW_SECRET.decode() not in log
    assert "Traceback" not in log
    assert "malformed HTTP request" in log


FORM_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-99",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/json",
        "text/plain",
    ]
)


@SETTINGS
@given(content_type=st.one_of(FORM_TYPES, HEADER_TEXT), prefix=st.binary(max_size=80))
async def test_hostile_dashboard_sign_in_forms(
    keys: Keys, caplog: pytest.LogCaptureFixture, content_type: str, prefix: bytes
) -> None:
    """Whatever the form's type and bytes: a 4xx sign-in page, never a 500 or the key."""
    caplog.set_level(logging.DEBUG)
    body = prefix + b"key=" + wrong_secret(keys.key).encode() + b"&x=FAKESECRET"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{keys.proxy.url}/dashboard/login", data=body, headers={"Content-Type": content_type}
        ) as r,
    ):
        status, text = r.status, await r.text()
    assert status in {400, 401}, text
    assert 'name="key"' in text  # the sign-in form again
    assert_no_secret(text, keys, wrong_secret(keys.key))
    assert_no_secret(caplog.text, keys, wrong_secret(keys.key))
    await assert_serving(keys)
