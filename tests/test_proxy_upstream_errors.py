"""Upstream errors through the proxy: the status and error type reach the caller, nothing secret
does (provider error text echoing keys, tokens, Basic credentials or URL userinfo is redacted in
JSON replies, SSE error events, `/admin/models`, the log and `mcproute serve`'s stderr)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from mcp_support import free_port, http_server, serve
from mcproute.config import parse_config
from mcproute.errors import FailureKind
from mcproute.models.http import classify_status
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.client.http_sse import HttpSseTransport
from mcproute.protocol.jsonrpc import MCPError
from mcproute.proxy import build_app
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from models_support import OPENAI_KEY, running_simulator, write
from proxy_support import serve_command

BASIC = base64.b64encode(b"svc:topsecret-basic").decode()
SECRETS = (
    "sk-proj-LEAKEDabcdef0123456789",
    "mcpr_live_leakleak_AbCdEf0123456789_zz",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlMTIz",
    "hunter2upstream",
    BASIC,
    "8f14e45fceea167a5a36dedd4bea2543a1b2c3d4",
)
ECHO = (
    f"key {SECRETS[0]} and {SECRETS[1]} rejected; Authorization: Bearer {SECRETS[2]};"
    f" Authorization: Basic {BASIC}; see http://admin:{SECRETS[3]}@internal.example/debug"
    f" request-signature {SECRETS[5]}"
)
CONFIG_SECRETS = ("cfgpass99", "mcppass77", "mcpdown55", OPENAI_KEY, "sk-ant-test")
ALL_SECRETS = (*SECRETS, *CONFIG_SECRETS)


def assert_clean(text: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text, f"{secret!r} leaked in {text[:400]!r}"


def document(sim_url: str, mcp_url: str) -> dict[str, Any]:
    with_userinfo = sim_url.replace("http://", "http://user:cfgpass99@")
    return {
        "mcp": {
            "protocol_version": "1.0",
            "models": {
                "openai": {"endpoint": sim_url, "models": ["gpt-4"]},
                # credentials in the URL: sent as Basic auth, never shown
                "proxied": {
                    "type": "openai_compatible",
                    "endpoint": with_userinfo,
                    "models": ["gpt-4o"],
                },
                "anthropic": {
                    "endpoint": sim_url,
                    "api_key": "sk-ant-test",
                    "models": [{"name": "claude", "model": "claude-sonnet-5-5"}],
                },
            },
            # no retries and no ejection: each request sees exactly the fault it is sent
            "routing": {"num_retries": 0, "consecutive_failures": 1000, "default_cooldown_s": 0},
            "mcpServers": {
                "demo": {"url": mcp_url.replace("http://", "http://u:mcppass77@")},
                "down": {"url": f"http://u:mcpdown55@127.0.0.1:{free_port()}/mcp"},
            },
        }
    }


@dataclass
class Running:
    url: str
    key: str
    sim: Any
    http: aiohttp.ClientSession

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    data_dir = DataDir(tmp_path / "data")
    simulator = running_simulator(tokens=4, error_detail=ECHO, retry_after=0)
    async with simulator as sim, http_server() as mcp_url:
        config = parse_config(document(sim.url, mcp_url), env={"OPENAI_API_KEY": OPENAI_KEY})
        async with serve(build_app(config, data_dir)) as url, aiohttp.ClientSession() as http:
            with SqliteApiKeyStore(data_dir) as store:
                key, _ = ApiKeyManager(data_dir.pepper(), store).issue("test", ["admin"])
            yield Running(url.removesuffix("/mcp"), key, sim, http)


@pytest.fixture
async def proxy(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Running]:
    caplog.set_level(logging.DEBUG, logger="mcproute")  # the full error bodies are logged too
    async with running(tmp_path) as running_proxy:
        yield running_proxy


# (fault, model, the caller's status, the caller's error type, what the message keeps)
JSON_CASES = [
    ("500", "gpt-4", 502, "api_error", "HTTP 500 (type api_error, code server_error)"),
    ("context", "gpt-4", 400, "invalid_request_error", "code context_length_exceeded"),
    ("auth", "claude", 502, "api_error", "HTTP 401 (type authentication_error)"),
    ("503", "claude", 502, "api_error", "HTTP 503 (type overloaded_error)"),
    ("500", "gpt-4o", 502, "api_error", "HTTP 500 (type api_error, code server_error)"),
    ("429", "gpt-4", 429, "rate_limit_error", "HTTP 429 (type rate_limit_error"),
]


def chat_request(model: str, stream: bool) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}


def messages_request(model: str, stream: bool) -> dict[str, Any]:
    return {**chat_request(model, stream), "max_tokens": 16}


async def test_json_errors_keep_status_and_type_but_no_secret(
    proxy: Running, caplog: pytest.LogCaptureFixture
) -> None:
    for fault, model, status, kind, kept in JSON_CASES:
        proxy.sim.settings.fault = fault
        for path, body in (
            ("/v1/chat/completions", chat_request(model, False)),
            ("/v1/messages", messages_request(model, False)),
        ):
            async with proxy.http.post(proxy.url + path, json=body, headers=proxy.headers) as r:
                text = await r.text()
            assert r.status == status, (fault, path, text)
            error = orjson.loads(text)["error"]
            assert error["type"] == kind, (fault, path, error)
            assert kept in error["message"], (fault, path, error)
            assert "[redacted]" in error["message"]
            assert_clean(text)
    proxy.sim.settings.fault = None
    async with proxy.http.get(proxy.url + "/admin/models", headers=proxy.headers) as r:
        shown = await r.text()
    assert "http://***@127.0.0.1" in shown
    assert_clean(shown)
    for path in ("/dashboard/data", "/metrics"):
        async with proxy.http.get(proxy.url + path, headers=proxy.headers) as r:
            assert r.status == 200
            assert_clean(await r.text())
    debug = [r.getMessage() for r in caplog.records if "error body" in r.getMessage()]
    assert debug
    assert all("[redacted]" in line for line in debug)
    assert_clean(caplog.text)


async def sse_events(response: aiohttp.ClientResponse) -> list[Any]:
    raw = (await response.read()).decode()
    return [
        orjson.loads(line[6:])
        for line in raw.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]


async def test_mid_stream_error_events_are_sanitized(
    proxy: Running, caplog: pytest.LogCaptureFixture
) -> None:
    proxy.sim.settings.fault = "stream_error"
    for path, model in (
        ("/v1/chat/completions", "gpt-4"),  # OpenAI upstream, OpenAI caller
        ("/v1/chat/completions", "claude"),  # Anthropic upstream, translated
        ("/v1/messages", "claude"),
        ("/v1/messages", "gpt-4"),
    ):
        body = messages_request(model, True)
        async with proxy.http.post(proxy.url + path, json=body, headers=proxy.headers) as r:
            assert r.status == 200
            events = await sse_events(r)
        assert len(events) >= 2, (path, model, events)  # the stream had started
        last = events[-1]
        assert last["type"] == "error", (path, model, events)
        assert last["error"]["type"] == "api_error"
        assert "overloaded_error" in last["error"]["message"], last
        assert "[redacted]" in last["error"]["message"], last
        assert_clean(orjson.dumps(events).decode())
    assert_clean(caplog.text)


async def test_serve_stderr_and_config_check_show_no_secret(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    async with running_simulator(tokens=4, error_detail=ECHO) as sim, http_server() as mcp_url:
        doc = document(sim.url, mcp_url)
        config = write(tmp_path / "mcproute.json", doc)
        env = {**os.environ, "MCPROUTE_DATA_DIR": str(data_dir), "OPENAI_API_KEY": OPENAI_KEY}
        check = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mcproute.cli", "config", "check", str(config),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        checked = (await check.communicate())[0].decode()
        assert check.returncode == 0, checked
        assert_clean(checked)
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port, workers=1), env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            data = DataDir(data_dir)
            url = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as http:
                for _ in range(300):
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(url + "/healthz") as r:
                            if r.status == 200:
                                break
                    await asyncio.sleep(0.1)
                with SqliteApiKeyStore(data) as store:
                    key, _ = ApiKeyManager(data.pepper(), store).issue("test", ["admin"])
                headers = {"Authorization": f"Bearer {key}"}
                for fault in ("500", "stream_error"):
                    sim.settings.fault = fault
                    body = chat_request("gpt-4", fault == "stream_error")
                    async with http.post(
                        url + "/v1/chat/completions", json=body, headers=headers
                    ) as r:
                        assert_clean(await r.text())
        finally:
            proc.terminate()
            _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    log = stderr.decode()
    assert "mcproute serving" in log
    assert "/v1/chat/completions" in log  # the access log was there to leak into
    assert_clean(log)


async def test_mcp_servers_with_credentials_in_their_url(
    proxy: Running, caplog: pytest.LogCaptureFixture
) -> None:
    async with MCPConnection(f"{proxy.url}/mcp", headers=proxy.headers) as conn:
        names = {t["name"] for t in await conn.list_tools()}
        assert "demo__add" in names  # the demo server got its credentials and answered
        assert not any(name.startswith("down__") for name in names)
        with pytest.raises(MCPError) as info:
            await conn.call_tool("down__anything", {})
        assert_clean(str(info.value))
    assert_clean(caplog.text)


async def test_mcp_client_names_servers_without_credentials() -> None:
    conn = MCPConnection("http://u:mcppass77@127.0.0.1:9/mcp")
    assert conn.origin == "http://***@127.0.0.1:9"  # the name its log lines use
    async with http_server() as mcp_url, aiohttp.ClientSession() as http:
        # The legacy HTTP+SSE transport's GET on a server that does not speak it
        wrong = mcp_url.replace("http://", "http://u:mcppass77@") + "/nowhere"
        channel = HttpSseTransport(http, wrong, {})
        with pytest.raises(MCPError) as info:
            await channel.open(lambda _: None, lambda _: None)
    assert "HTTP 404" in str(info.value)
    assert_clean(str(info.value))


def test_classified_upstream_messages() -> None:
    html = f"<html><body>502 Bad Gateway {SECRETS[0]}</body></html>".encode()
    error = classify_status(502, {}, html, "d")
    assert str(error) == "upstream returned HTTP 502"  # a non-JSON body is not relayed
    assert error.kind is FailureKind.SERVER
    odd = {"error": {"type": "bad type <script>", "code": 429, "message": "x" * 5000}}
    message = str(classify_status(429, {}, orjson.dumps(odd), "d"))
    assert message.startswith("upstream returned HTTP 429 (code 429): xxx")
    assert len(message) < 400
    assert "<script>" not in message
    plain = orjson.dumps({"error": f"denied for {SECRETS[0]}"})
    assert (
        str(classify_status(403, {}, plain, "d"))
        == "upstream returned HTTP 403: denied for [redacted]"
    )
    event = orjson.dumps({"error": {"type": "server_error", "message": f"boom {SECRETS[2]}"}})
    streamed = classify_status(500, {}, event, "d", mid_stream=True)
    assert (
        str(streamed)
        == "mid-stream: upstream returned an error (type server_error): boom [redacted]"
    )
