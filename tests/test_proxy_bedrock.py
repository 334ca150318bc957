"""The proxy with a Bedrock deployment on the simulator: the official OpenAI and Anthropic SDKs
call ``/v1/chat/completions`` and ``/v1/messages`` (JSON and streams), usage right both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from mcp_support import serve
from mcproute.config import parse_config
from mcproute.proxy import build_app
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.testing import upstream_bedrock as sim_bedrock
from models_support import running_simulator

MODEL_ID = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0"


@dataclass
class BedrockProxy:
    url: str
    key: str
    sim: Any


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[BedrockProxy]:
    data_dir = DataDir(tmp_path / "data")
    document = {
        "mcp": {
            "models": {
                "aws": {
                    "type": "bedrock",
                    "models": [{"name": "nova", "model": MODEL_ID}],
                }
            }
        }
    }
    env = {
        "AWS_ACCESS_KEY_ID": sim_bedrock.SIM_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": sim_bedrock.SIM_SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": "proxy-session-token",
        "AWS_REGION": "us-east-1",
        "HOME": str(tmp_path),
    }
    async with running_simulator(tokens=4) as sim:
        document["mcp"]["models"]["aws"]["endpoint"] = sim.url
        config = parse_config(document, env=env)
        with SqliteApiKeyStore(data_dir) as store:
            key, _ = ApiKeyManager(data_dir.pepper(), store).issue("test", ("models",))
        async with serve(build_app(config, data_dir)) as url:
            yield BedrockProxy(url.removesuffix("/mcp"), key, sim)


async def test_openai_sdk_through_the_proxy(proxy: BedrockProxy) -> None:
    client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    completion = await client.chat.completions.create(
        model="nova",
        messages=[{"role": "system", "content": "terse"}, {"role": "user", "content": "hello"}],
    )
    assert completion.choices[0].message.content == "echo: hello w2 w3"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (2, 4)
    record = proxy.sim.requests[-1]
    assert record.path == f"/model/{MODEL_ID}/converse"
    assert record.headers["X-Amz-Security-Token"] == "proxy-session-token"
    assert record.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIASIM")

    stream = await client.chat.completions.create(
        model="nova",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: hi w2 w3"
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (1, 4)
    assert proxy.sim.requests[-1].path.endswith("/converse-stream")
    await client.close()


async def test_anthropic_sdk_through_the_proxy(proxy: BedrockProxy) -> None:
    client = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
    message = await client.messages.create(
        model="nova",
        max_tokens=50,
        system="terse",
        messages=[{"role": "user", "content": "hey you"}],
    )
    assert message.content[0].text == "echo: hey you w3"  # type: ignore[union-attr]
    assert (message.usage.input_tokens, message.usage.output_tokens) == (3, 4)
    assert message.stop_reason == "end_turn"
    async with client.messages.stream(
        model="nova", max_tokens=50, messages=[{"role": "user", "content": "yo"}]
    ) as stream:
        text = await stream.get_final_text()
        final = await stream.get_final_message()
    assert text == "echo: yo w2 w3"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (1, 4)
    assert final.stop_reason == "end_turn"
    await client.close()


async def test_upstream_faults_reach_the_caller_in_its_format(proxy: BedrockProxy) -> None:
    proxy.sim.settings.fault = "context"
    client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(
            model="nova", messages=[{"role": "user", "content": "x"}]
        )
    assert sim_bedrock.SIM_SECRET_ACCESS_KEY not in str(info.value)
    await client.close()
    proxy.sim.settings.fault = "auth"
    claude = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as error:
        await claude.messages.create(
            model="nova", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert sim_bedrock.SIM_SECRET_ACCESS_KEY not in str(error.value)
    await claude.close()


async def test_responses_api_through_the_proxy(proxy: BedrockProxy) -> None:
    client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
    response = await client.responses.create(
        model="nova", input="hello there", instructions="terse"
    )
    assert response.output_text == "echo: hello there w3"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (3, 4)
    assert proxy.sim.requests[-1].body["system"] == [{"text": "terse"}]
    async with client.responses.stream(model="nova", input="hi") as stream:
        final = await stream.get_final_response()
    assert final.output_text == "echo: hi w2 w3"
    await client.close()
