"""The proxy (`mcproute serve`) with the official OpenAI and Anthropic SDKs as clients, the
upstream simulator as provider, and the demo MCP server behind the gateway."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from mcp_support import free_port
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.jsonrpc import MCPError
from models_support import OPENAI_KEY, running_simulator
from proxy_support import running_proxy, serve_command, without_instance


@dataclass
class Keys:
    url: str
    admin: str
    models_only: str
    gpt4_only: str
    sim: Any


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Keys]:
    async with running_proxy(tmp_path) as p:
        yield Keys(p.url, p.key("admin"), p.key("models"), p.key("model:gpt-4"), p.sim)


async def test_openai_sdk_chat_stream_embeddings_models(proxy: Keys) -> None:
    client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.models_only)
    completion = await client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "hello"}]
    )
    assert completion.choices[0].message.content == "echo: hello w2 w3"
    assert proxy.sim.requests[-1].headers["Authorization"] == f"Bearer {OPENAI_KEY}"
    chunks = [
        c
        async for c in await client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    ]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: hi w2 w3"
    vectors = await client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert len(vectors.data) == 2
    models = [m.id async for m in client.models.list()]
    assert {"gpt-4", "claude"} <= set(models)
    await client.close()


async def test_anthropic_sdk_messages_and_stream(proxy: Keys) -> None:
    client = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=proxy.models_only)
    message = await client.messages.create(
        model="claude", max_tokens=50, messages=[{"role": "user", "content": "hey"}]
    )
    assert message.content[0].text == "echo: hey w2 w3"  # type: ignore[union-attr]
    async with client.messages.stream(
        model="claude", max_tokens=50, messages=[{"role": "user", "content": "yo"}]
    ) as stream:
        text = await stream.get_final_text()
    assert text == "echo: yo w2 w3"
    await client.close()


async def test_auth_errors_in_each_callers_format(proxy: Keys) -> None:
    bad = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key="mcpr_test_nope")
    with pytest.raises(openai.AuthenticationError) as info:
        await bad.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "x"}]
        )
    assert "invalid API key" in str(info.value)
    await bad.close()
    narrow = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.gpt4_only)
    with pytest.raises(openai.PermissionDeniedError):
        await narrow.embeddings.create(model="text-embedding-3-small", input="x")
    assert [m.id async for m in narrow.models.list()] == ["gpt-4"]
    await narrow.close()
    bad_anthropic = anthropic.AsyncAnthropic(base_url=proxy.url, api_key="mcpr_test_nope")
    with pytest.raises(anthropic.AuthenticationError):
        await bad_anthropic.messages.create(
            model="claude", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    await bad_anthropic.close()
    with pytest.raises(MCPError, match="lacks the 'mcp' scope"):
        async with MCPConnection(
            f"{proxy.url}/mcp", headers={"Authorization": f"Bearer {proxy.models_only}"}
        ):
            pass


async def test_bad_requests_and_unknown_models(proxy: Keys) -> None:
    client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.admin, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(
            model="gpt-9", messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(openai.BadRequestError, match="model: required"):
        await client.post("/chat/completions", body={"messages": []}, cast_to=dict)
    await client.close()


async def test_mcp_gateway_and_metrics(proxy: Keys) -> None:
    async with MCPConnection(
        f"{proxy.url}/mcp", headers={"Authorization": f"Bearer {proxy.admin}"}
    ) as conn:
        names = {t["name"] for t in await conn.list_tools()}
        assert "demo__add" in names
        result = await conn.call_tool("demo__add", {"a": 20, "b": 22})
        assert result["content"][0]["text"] == "42"
    import aiohttp

    async with aiohttp.ClientSession() as s:
        async with s.get(f"{proxy.url}/healthz") as r:
            assert r.status == 200  # no key needed
        async with s.get(f"{proxy.url}/metrics") as r:
            assert r.status == 401
        async with s.get(f"{proxy.url}/metrics", headers={"x-api-key": proxy.admin}) as r:
            text = without_instance(await r.text())
    assert 'mcproute_requests_total{route="/mcp",status="200"}' in text
    assert "mcproute_deployment_successes" in text


async def test_mcp_route_runs_its_own_chain_with_request_ids_auth_and_errors(proxy: Keys) -> None:
    """/mcp's own middleware chain (`mcp_chain`): the request id kept or made and answered,
    the key checked (none: 401; without the mcp scope: 403), and a method the route does not
    serve answered as the other routes answer it, in the caller's format."""
    import aiohttp

    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}}
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/list",
        "Authorization": f"Bearer {proxy.admin}",
    }
    url = f"{proxy.url}/mcp"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body, headers={**headers, "x-request-id": "mine-1"}) as r:
            assert r.status == 200
            assert r.headers["x-request-id"] == "mine-1"
            assert "demo__add" in {t["name"] for t in (await r.json())["result"]["tools"]}
        async with http.post(url, json=body, headers=headers) as r:
            assert r.status == 200
            made = r.headers["x-request-id"]
            assert len(made) == 16
            int(made, 16)
        no_key = {k: v for k, v in headers.items() if k != "Authorization"}
        async with http.post(url, json=body, headers=no_key) as r:
            assert r.status == 401
        other = {**headers, "Authorization": f"Bearer {proxy.models_only}"}
        async with http.post(url, json=body, headers=other) as r:
            assert r.status == 403
        async with http.put(url, json=body, headers=headers) as r:
            assert r.status == 405
            assert "POST" in r.headers["Allow"]
            assert (await r.json())["error"]["code"] == -32600


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcproute.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_keys_cli_and_serve_share_the_data_dir(tmp_path: Path) -> None:
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(tmp_path / "data"), "OPENAI_API_KEY": OPENAI_KEY}
    out = await asyncio.to_thread(cli, env, "keys", "create", "--scope", "models")
    assert out.returncode == 0, out.stderr
    key = out.stdout.strip().splitlines()[-1]
    assert key.startswith("mcpr_live_")
    listed = await asyncio.to_thread(cli, env, "keys", "list")
    assert "active" in listed.stdout
    assert key not in listed.stdout  # the secret is shown once, never listed
    async with running_simulator(tokens=4) as sim:
        config = tmp_path / "mcproute.json"
        models = {"openai": {"endpoint": sim.url, "models": ["gpt-4"]}}
        config.write_text(json.dumps({"mcp": {"models": models}}))
        port = free_port()
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port),
            env=env,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            client = openai.AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key)
            answers: list[Any] = []
            for _ in range(150):
                try:
                    answers = await asyncio.gather(
                        *(
                            client.chat.completions.create(
                                model="gpt-4", messages=[{"role": "user", "content": "x"}]
                            )
                            for _ in range(4)
                        )
                    )
                    break
                except openai.APIConnectionError:
                    await asyncio.sleep(0.1)
            assert len(answers) == 4
            assert all(a.choices[0].message.content == "echo: x w2 w3" for a in answers)
            await client.close()
            revoked = await asyncio.to_thread(cli, env, "keys", "revoke", key.split("_")[2])
            assert revoked.returncode == 0, revoked.stderr
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 30)
        assert code == 0


def sync_client_round_trip(base_url: str, key: str) -> tuple[Any, str, int]:
    """The synchronous OpenAI client: a tool call, a streamed answer, and embeddings."""
    with openai.OpenAI(base_url=base_url, api_key=key) as client:
        tools: Any = [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                },
            }
        ]
        asked = client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "weather?"}], tools=tools
        )
        stream = client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "sync"}], stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        vectors = client.embeddings.create(model="text-embedding-3-small", input="a")
    return asked, text, len(vectors.data)


async def test_openai_sync_client_tools_stream_embeddings(proxy: Keys) -> None:
    asked, text, n_vectors = await asyncio.to_thread(
        sync_client_round_trip, f"{proxy.url}/v1", proxy.models_only
    )
    call = asked.choices[0].message.tool_calls[0]
    assert asked.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments).keys() == {"city"}
    assert text == "echo: sync w2 w3"
    assert n_vectors == 1
