"""Azure OpenAI and Gemini (API key and Vertex AI) deployments through the proxy: the OpenAI and
Anthropic SDKs as clients, JSON and streams, usage, tools, embeddings, errors mapped to the
caller's format, and no provider credential in a response or the log."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from mcp_support import serve
from mcproute.config import parse_config
from mcproute.proxy import build_app
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.testing.upstream import Simulator
from models_support import running_simulator

AZURE_KEY = "azkey-0123456789abcdefSECRETazure"
ENTRA_TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJjb2duaXRpdmUifQ.entraSECRETsig"
GEMINI_KEY = "AIzaSyD-gemini-SECRET-0123456789abcdefXYZ"
VERTEX_TOKEN = "ya29.a0AfB_vertexSECRETtoken0123456789"
SECRETS = (AZURE_KEY, ENTRA_TOKEN, GEMINI_KEY, VERTEX_TOKEN)

# group -> (upstream path it must reach, the credential header and value there)
ROUTES = {
    "azure-gpt": (
        "/openai/deployments/prod-gpt4o/chat/completions",
        ("api-key", AZURE_KEY),
    ),
    "azure-v1": ("/openai/v1/chat/completions", ("Authorization", "Bearer " + ENTRA_TOKEN)),
    "gemini": (
        "/v1beta/models/gemini-2.5-flash:generateContent",
        ("x-goog-api-key", GEMINI_KEY),
    ),
    "vertex": (
        "/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.5-pro"
        ":generateContent",
        ("Authorization", "Bearer " + VERTEX_TOKEN),
    ),
}
GROUPS = tuple(ROUTES)
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def document(sim_url: str, token_file: Path) -> dict[str, Any]:
    return {
        "mcp": {
            "models": {
                "azure": {
                    "type": "azure",
                    "endpoint": sim_url,
                    "api_key": AZURE_KEY,
                    "models": [{"name": "azure-gpt", "model": "prod-gpt4o"}],
                },
                "azure-entra": {
                    "type": "azure",
                    "endpoint": sim_url + "/openai/v1",
                    "auth": "entra_id",
                    "api_key": f"file:{token_file}",
                    "models": [{"name": "azure-v1", "model": "prod-gpt4o"}],
                },
                "gemini": {
                    "type": "gemini",
                    "endpoint": sim_url,
                    "api_key": GEMINI_KEY,
                    "models": [
                        {"name": "gemini", "model": "gemini-2.5-flash"},
                        {"name": "gemini-embed", "model": "gemini-embedding-001"},
                    ],
                },
                "vertex": {
                    "type": "gemini",
                    "endpoint": sim_url,
                    "project": "proj-1",
                    "location": "us-central1",
                    "api_key": VERTEX_TOKEN,
                    "models": [{"name": "vertex", "model": "gemini-2.5-pro"}],
                },
            },
            "routing": {"num_retries": 0, "consecutive_failures": 1000, "default_cooldown_s": 0},
        }
    }


@dataclass
class Proxy:
    url: str
    key: str
    sim: Simulator


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Proxy]:
    token_file = tmp_path / "entra-token"
    token_file.write_text(ENTRA_TOKEN + "\n")
    data_dir = DataDir(tmp_path / "data")
    async with running_simulator(tokens=4) as sim:
        config = parse_config(document(sim.url, token_file), env={})
        async with serve(build_app(config, data_dir)) as url:
            with SqliteApiKeyStore(data_dir) as store:
                key, _ = ApiKeyManager(data_dir.pepper(), store).issue("test", ("models",))
            yield Proxy(url.removesuffix("/mcp"), key, sim)


@contextlib.asynccontextmanager
async def clients(
    proxy: Proxy,
) -> AsyncIterator[tuple[openai.AsyncOpenAI, anthropic.AsyncAnthropic]]:
    oai = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    ant = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
    try:
        yield oai, ant
    finally:
        await oai.close()
        await ant.close()


def assert_reached(sim: Simulator, group: str, stream: bool = False) -> None:
    path, (header, value) = ROUTES[group]
    seen = sim.requests[-1]
    if stream:  # Azure streams at the same path
        path = path.replace(":generateContent", ":streamGenerateContent")
    assert seen.path == path
    assert seen.headers[header] == value


@pytest.mark.parametrize("group", GROUPS)
async def test_openai_format_json_and_stream(proxy: Proxy, group: str) -> None:
    async with clients(proxy) as (oai, _):
        completion = await oai.chat.completions.create(
            model=group, messages=[{"role": "user", "content": "hello there"}]
        )
        assert_reached(proxy.sim, group)
        assert completion.choices[0].message.content == "echo: hello there w3"
        assert completion.choices[0].finish_reason == "stop"
        assert completion.usage is not None
        assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (2, 4)
        stream = await oai.chat.completions.create(
            model=group,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
        assert_reached(proxy.sim, group, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "echo: hi w2 w3"
        assert chunks[-1].usage is not None
        assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (1, 4)


@pytest.mark.parametrize("group", GROUPS)
async def test_anthropic_format_json_and_stream(proxy: Proxy, group: str) -> None:
    async with clients(proxy) as (_, ant):
        message = await ant.messages.create(
            model=group,
            max_tokens=50,
            system="be brief",
            messages=[{"role": "user", "content": "hey you"}],
        )
        assert_reached(proxy.sim, group)
        assert message.content[0].text == "echo: hey you w3"  # type: ignore[union-attr]
        assert message.stop_reason == "end_turn"
        assert (message.usage.input_tokens, message.usage.output_tokens) == (4, 4)
        async with ant.messages.stream(
            model=group, max_tokens=50, messages=[{"role": "user", "content": "yo"}]
        ) as stream:
            text = await stream.get_final_text()
            final = await stream.get_final_message()
        assert text == "echo: yo w2 w3"
        assert (final.usage.input_tokens, final.usage.output_tokens) == (1, 4)


@pytest.mark.parametrize("group", ["gemini", "vertex", "azure-gpt"])
async def test_anthropic_tools_reach_the_provider(proxy: Proxy, group: str) -> None:
    async with clients(proxy) as (_, ant):
        message = await ant.messages.create(
            model=group,
            max_tokens=50,
            tools=[WEATHER],  # type: ignore[list-item]
            messages=[{"role": "user", "content": "weather in Oslo"}],
        )
        assert message.stop_reason == "tool_use"
        (use,) = [b for b in message.content if b.type == "tool_use"]
        assert use.name == "get_weather"
        assert use.input == {"city": "sim"}
        answered = await ant.messages.create(
            model=group,
            max_tokens=50,
            tools=[WEATHER],  # type: ignore[list-item]
            messages=[
                {"role": "user", "content": "weather in Oslo"},
                {"role": "assistant", "content": [use.model_dump()]},  # type: ignore[list-item]
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}],
                },
            ],
        )
        assert answered.stop_reason == "end_turn"
        async with ant.messages.stream(
            model=group,
            max_tokens=50,
            tools=[WEATHER],  # type: ignore[list-item]
            messages=[{"role": "user", "content": "weather in Oslo"}],
        ) as stream:
            final = await stream.get_final_message()
        assert final.stop_reason == "tool_use"
        assert [(b.name, b.input) for b in final.content if b.type == "tool_use"] == [
            ("get_weather", {"city": "sim"})
        ]


async def test_embeddings_from_gemini(proxy: Proxy) -> None:
    async with clients(proxy) as (oai, _):
        vectors = await oai.embeddings.create(model="gemini-embed", input=["a b", "c"])
        assert [len(d.embedding) for d in vectors.data] == [8, 8]
        assert proxy.sim.requests[-1].path.endswith("gemini-embedding-001:batchEmbedContents")


@pytest.mark.parametrize(
    ("group", "fault", "status"),
    [
        ("azure-gpt", "content_filter", 400),
        ("azure-gpt", "deployment_not_found", 502),
        ("azure-gpt", "429", 429),
        ("azure-v1", "auth", 502),
        ("gemini", "safety", 400),
        ("gemini", "auth", 502),
        ("gemini", "context", 400),
        ("vertex", "503", 502),
    ],
)
async def test_errors_mapped_without_secrets(
    proxy: Proxy, group: str, fault: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    proxy.sim.settings.fault = fault
    proxy.sim.settings.error_detail = " ".join(f"key={s}" for s in SECRETS)
    headers = {"Authorization": f"Bearer {proxy.key}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        messages = [{"role": "user", "content": "x"}]
        for path, body in [
            ("/v1/chat/completions", {"model": group, "messages": messages}),
            ("/v1/messages", {"model": group, "max_tokens": 9, "messages": messages}),
        ]:
            for stream in (False, True):
                async with http.post(proxy.url + path, json={**body, "stream": stream}) as reply:
                    text = await reply.text()
                    assert reply.status == status, text
                    for secret in SECRETS:
                        assert secret not in text
                    kind = "type" if path == "/v1/messages" else "message"
                    assert kind in (await reply.json())["error"]
    for secret in SECRETS:
        assert secret not in caplog.text


@pytest.mark.parametrize("group", ["azure-gpt", "gemini"])
async def test_responses_api_reaches_the_provider(proxy: Proxy, group: str) -> None:
    async with clients(proxy) as (oai, _):
        response = await oai.responses.create(model=group, input="hello there")
        assert_reached(proxy.sim, group)
        assert response.output_text == "echo: hello there w3"
        assert response.usage is not None
        assert (response.usage.input_tokens, response.usage.output_tokens) == (2, 4)
        async with oai.responses.stream(model=group, input="hi") as stream:
            final = await stream.get_final_response()
        assert final.output_text == "echo: hi w2 w3"


async def test_legacy_completions_on_azure_and_a_clear_refusal_on_gemini(proxy: Proxy) -> None:
    async with clients(proxy) as (oai, _):
        legacy = await oai.completions.create(model="azure-gpt", prompt="say this")
        assert proxy.sim.requests[-1].path == "/openai/deployments/prod-gpt4o/completions"
        assert legacy.choices[0].text.startswith("echo: say this")
        with pytest.raises(openai.BadRequestError) as refused:
            await oai.completions.create(model="gemini", prompt="say this")
        assert "(gemini) has no legacy completions" in str(refused.value)
