"""The official openai and anthropic SDKs, pointed at the upstream simulator, parse every mode."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import aiohttp
import anthropic
import openai
import pytest
from anthropic.types import Message, RawMessageStreamEvent
from openai.types import CreateEmbeddingResponse, Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import TypeAdapter

from mcproute.testing.upstream import Simulator
from models_support import running_simulator

TOOLS_OPENAI = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        },
    }
]
TOOLS_ANTHROPIC = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with running_simulator(tokens=6) as s:
        yield s


@pytest.fixture
async def oai(sim: Simulator) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(
        api_key="sk-test", base_url=sim.url + "/v1", max_retries=0, _strict_response_validation=True
    )
    yield client
    await client.close()


@pytest.fixture
async def claude(sim: Simulator) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(
        api_key="sk-ant-test", base_url=sim.url, max_retries=0, _strict_response_validation=True
    )
    yield client
    await client.close()


async def test_openai_chat_completion(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "hello there"}]
    )
    assert isinstance(result, ChatCompletion)
    assert result.choices[0].message.content == "echo: hello there w3 w4 w5"
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.completion_tokens == 6
    assert result.usage.total_tokens == result.usage.prompt_tokens + 6


async def test_openai_tool_call(oai: openai.AsyncOpenAI) -> None:
    result = await oai.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "weather?"}],
        tools=TOOLS_OPENAI,  # type: ignore[arg-type]
    )
    call = result.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert result.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert call.function.arguments == '{"city":"sim","days":1}'  # type: ignore[union-attr]


async def test_openai_stream_with_usage_and_tools(oai: openai.AsyncOpenAI) -> None:
    stream = await oai.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "weather?"}],
        tools=TOOLS_OPENAI,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    arguments = "".join(
        tc.function.arguments or ""
        for c in chunks
        if c.choices
        for tc in c.choices[0].delta.tool_calls or []
        if tc.function is not None
    )
    assert arguments == '{"city":"sim","days":1}'
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None


async def test_openai_stream_text(oai: openai.AsyncOpenAI) -> None:
    stream = await oai.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "a b"}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "echo: a b w3 w4 w5"
    assert all(c.usage is None for c in chunks)


async def test_openai_embeddings_float_and_base64(sim: Simulator, oai: openai.AsyncOpenAI) -> None:
    strict = await oai.embeddings.create(
        model="text-embedding-3-small", input=["a", "b"], encoding_format="float"
    )
    assert isinstance(strict, CreateEmbeddingResponse)
    assert [len(d.embedding) for d in strict.data] == [8, 8]
    # The SDK asks for base64 by default and decodes it after validation, as with the real API.
    lenient = openai.AsyncOpenAI(api_key="sk-test", base_url=sim.url + "/v1", max_retries=0)
    try:
        packed = await lenient.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    finally:
        await lenient.close()
    assert [d.embedding for d in packed.data] == [d.embedding for d in strict.data]


async def test_openai_models(oai: openai.AsyncOpenAI) -> None:
    listed = [m async for m in oai.models.list()]
    assert all(isinstance(m, Model) for m in listed)
    assert "gpt-4" in {m.id for m in listed}
    assert (await oai.models.retrieve("gpt-4o")).id == "gpt-4o"


async def test_anthropic_message_with_system_and_tools(
    sim: Simulator, claude: anthropic.AsyncAnthropic
) -> None:
    result = await claude.messages.create(
        model="claude-sonnet-5-5",
        max_tokens=64,
        system="be brief",
        messages=[{"role": "user", "content": "weather?"}],
        tools=TOOLS_ANTHROPIC,  # type: ignore[arg-type]
    )
    assert isinstance(result, Message)
    assert result.stop_reason == "tool_use"
    tool_use = next(b for b in result.content if b.type == "tool_use")
    assert tool_use.input == {"city": "sim"}  # type: ignore[union-attr]
    assert sim.requests[-1].body["system"] == "be brief"


async def test_anthropic_raw_stream_events(claude: anthropic.AsyncAnthropic) -> None:
    stream = await claude.messages.create(
        model="claude-sonnet-5-5",
        max_tokens=64,
        messages=[{"role": "user", "content": "weather?"}],
        tools=TOOLS_ANTHROPIC,  # type: ignore[arg-type]
        stream=True,
    )
    events = [event async for event in stream]
    adapter: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
    for event in events:
        adapter.validate_python(event.model_dump())
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("content_block_start") == 2


async def test_anthropic_stream_helper_final_message(claude: anthropic.AsyncAnthropic) -> None:
    async with claude.messages.stream(
        model="claude-sonnet-5-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "echo: hi w2 w3 w4 w5"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 6


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("429", openai.RateLimitError),
        ("500", openai.InternalServerError),
        ("503", openai.InternalServerError),
        ("auth", openai.AuthenticationError),
        ("context", openai.BadRequestError),
    ],
)
async def test_openai_sdk_sees_error_faults(
    oai: openai.AsyncOpenAI, fault: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await oai.chat.completions.create(
            model="gpt-4",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-sim-fault": fault},
        )


async def test_anthropic_sdk_sees_rate_limit(claude: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.RateLimitError) as info:
        await claude.messages.create(
            model="claude-sonnet-5-5",
            max_tokens=8,
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-sim-fault": "429"},
        )
    assert info.value.response.headers["retry-after"] == "1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_simulator_runs_as_a_module() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "mcproute.testing.upstream", "--host", "127.0.0.1"),
        *("--port", str(port), "--tokens", "3"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = None
        async with aiohttp.ClientSession() as session:
            for _ in range(100):  # up to ~10 s for the interpreter to start
                try:
                    async with session.get(f"http://127.0.0.1:{port}/v1/models") as response:
                        body = await response.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            assert body is not None, "simulator did not start"
            client = openai.AsyncOpenAI(
                api_key="k", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
            )
            try:
                result = await client.chat.completions.create(
                    model="gpt-4", messages=[{"role": "user", "content": "q"}]
                )
            finally:
                await client.close()
        assert result.choices[0].message.content == "echo: q w2"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)
