"""Every provider adapter against the upstream simulator: JSON, streams, tools, usage, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.anthropic import AnthropicAdapter
from mcproute.models.http import close_session, parse_retry_after
from mcproute.models.openai import OpenAIAdapter
from mcproute.models.openai_compatible import OpenAICompatibleAdapter
from mcproute.secret import Secret
from mcproute.testing.upstream import Simulator
from models_support import ANTHROPIC_KEY, OPENAI_KEY, running_simulator

TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}
USER = [{"role": "user", "content": "ping pong"}]


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with running_simulator(tokens=5, stall=30.0) as s:
        yield s


def openai_adapter(sim: Simulator) -> OpenAIAdapter:
    return OpenAIAdapter(sim.url, Secret(OPENAI_KEY), model="gpt-4o", deployment="openai/gpt-4#0")


def anthropic_adapter(sim: Simulator) -> AnthropicAdapter:
    return AnthropicAdapter(
        sim.url, Secret(ANTHROPIC_KEY), model="claude-sonnet-5-5", deployment="anthropic/c#0"
    )


def faulted(fault: str) -> dict[str, Any]:
    return {"x-sim-fault": fault}


async def call(
    adapter: OpenAIAdapter | AnthropicAdapter,
    body: dict[str, Any],
    stream: bool,
    http_timeout: aiohttp.ClientTimeout | None = None,
) -> None:
    """One request to completion, streamed or not, in the adapter's own format."""
    if isinstance(adapter, OpenAIAdapter):
        if stream:
            async for _ in adapter.chat_stream(body, http_timeout):
                pass
        else:
            await adapter.chat(body, http_timeout)
    elif stream:
        async for _ in adapter.messages_stream(body, http_timeout):
            pass
    else:
        await adapter.messages(body, http_timeout)


# ----------------------------------------------------------------------------- OpenAI


async def test_openai_chat_sends_key_model_and_returns_completion(sim: Simulator) -> None:
    result = await openai_adapter(sim).chat({"model": "gpt-4", "messages": USER})
    assert result["choices"][0]["message"]["content"] == "echo: ping pong w3 w4"
    assert result["usage"]["completion_tokens"] == 5
    seen = sim.requests[-1]
    assert seen.path == "/v1/chat/completions"  # "/v1" added to a bare host
    assert seen.headers["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen.body["model"] == "gpt-4o"  # the deployment's upstream model id
    assert seen.body["stream"] is False


async def test_openai_tool_call_and_function_result(sim: Simulator) -> None:
    adapter = openai_adapter(sim)
    first = await adapter.chat({"model": "m", "messages": USER, "tools": [TOOL]})
    message = first["choices"][0]["message"]
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    call = message["tool_calls"][0]
    assert call["function"] == {"name": "lookup", "arguments": '{"q":"sim"}'}
    followup = [
        *USER,
        message,
        {"role": "tool", "tool_call_id": call["id"], "content": "42"},
    ]
    second = await adapter.chat({"model": "m", "messages": followup, "tools": [TOOL]})
    assert second["choices"][0]["finish_reason"] == "stop"


async def test_openai_stream_relays_chunks_and_usage(sim: Simulator) -> None:
    body = {"model": "m", "messages": USER, "stream_options": {"include_usage": True}}
    chunks = [c async for c in openai_adapter(sim).chat_stream(body)]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "echo: ping pong w3 w4"
    assert len(chunks) == 1 + 5 + 1 + 1  # role, one per token, finish, usage
    assert chunks[-1]["usage"]["completion_tokens"] == 5
    assert sim.requests[-1].body["stream"] is True


async def test_openai_stream_tool_call_deltas(sim: Simulator) -> None:
    body = {"model": "m", "messages": USER, "tools": [TOOL]}
    chunks = [c async for c in openai_adapter(sim).chat_stream(body)]
    deltas = [tc for c in chunks for tc in c["choices"][0]["delta"].get("tool_calls") or []]
    assert deltas[0]["function"]["name"] == "lookup"
    assert "".join(d["function"]["arguments"] for d in deltas) == '{"q":"sim"}'


async def test_openai_stream_is_relayed_without_buffering(sim: Simulator) -> None:
    # The simulator sends one chunk and then stalls for 30 s: the first chunk must reach us
    # long before the stall ends, which is only possible if nothing buffers the stream.
    adapter = OpenAIAdapter(sim.url, None, headers=faulted("stall"))
    stream = adapter.chat_stream({"model": "m", "messages": USER})
    first = await asyncio.wait_for(anext(stream), timeout=10)
    assert first["choices"][0]["delta"]["role"] == "assistant"
    await stream.aclose()  # type: ignore[attr-defined]


async def test_openai_embeddings_and_models(sim: Simulator) -> None:
    adapter = OpenAIAdapter(sim.url + "/v1", Secret(OPENAI_KEY))
    result = await adapter.embeddings(
        {"model": "text-embedding-3-small", "input": ["a", "b", "c"], "dimensions": 4}
    )
    assert [len(row["embedding"]) for row in result["data"]] == [4, 4, 4]
    assert result["data"][0]["embedding"] != result["data"][1]["embedding"]
    assert "gpt-4" in {m["id"] for m in await adapter.models()}


@pytest.mark.parametrize("server", ["vllm", "ollama", "llamacpp", "groq", "together"])
async def test_openai_compatible_by_base_url_without_key(sim: Simulator, server: str) -> None:
    adapter = OpenAICompatibleAdapter(sim.url + "/v1", model=f"{server}-model")
    result = await adapter.chat({"model": "x", "messages": USER})
    assert result["model"] == f"{server}-model"
    assert "Authorization" not in sim.requests[-1].headers
    chunks = [c async for c in adapter.chat_stream({"model": "x", "messages": USER})]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_openai_compatible_known_servers() -> None:
    adapter = OpenAICompatibleAdapter.for_server("groq", Secret("gsk-secret"))
    assert adapter.endpoint.base_url == "https://api.groq.com/openai/v1"
    assert "gsk-secret" not in repr(adapter)


# ----------------------------------------------------------------------------- Anthropic


async def test_anthropic_messages_with_system_and_tools(sim: Simulator) -> None:
    body = {
        "model": "c",
        "system": "be brief",
        "messages": USER,
        "tools": [{"name": "lookup", "input_schema": {"type": "object", "properties": {}}}],
    }
    result = await anthropic_adapter(sim).messages(body)
    assert result["stop_reason"] == "tool_use"
    assert result["content"][-1]["name"] == "lookup"
    seen = sim.requests[-1]
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == ANTHROPIC_KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert seen.body["system"] == "be brief"
    assert seen.body["max_tokens"] == 4096  # required by the API, filled in when absent


async def test_anthropic_stream_events(sim: Simulator) -> None:
    events = [e async for e in anthropic_adapter(sim).messages_stream({"messages": USER})]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert "ping" not in kinds
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == "echo: ping pong w3 w4"


async def test_anthropic_base_url_with_v1_suffix(sim: Simulator) -> None:
    adapter = AnthropicAdapter(sim.url + "/v1/", None)
    await adapter.messages({"model": "c", "messages": USER, "max_tokens": 5})
    assert sim.requests[-1].path == "/v1/messages"
    assert "x-api-key" not in sim.requests[-1].headers


# ----------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "kind", "status"),
    [
        ("429", FailureKind.RATE_LIMITED, 429),
        ("500", FailureKind.SERVER, 500),
        ("503", FailureKind.SERVER, 503),
        ("auth", FailureKind.AUTH, 401),
        ("context", FailureKind.CONTEXT_WINDOW, 400),
        ("reset", FailureKind.CONNECTION, None),
        ("cut", FailureKind.CONNECTION, None),
        ("malformed", FailureKind.SERVER, None),
    ],
)
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
async def test_faults_are_classified(
    sim: Simulator,
    fault: str,
    kind: FailureKind,
    status: int | None,
    provider: str,
    stream: bool,
) -> None:
    body = {"model": "m", "messages": USER}
    adapter: OpenAIAdapter | AnthropicAdapter
    if provider == "openai":
        adapter = OpenAIAdapter(sim.url, Secret(OPENAI_KEY), headers=faulted(fault))
    else:
        adapter = AnthropicAdapter(sim.url, Secret(ANTHROPIC_KEY), headers=faulted(fault))
    adapter.endpoint = type(adapter.endpoint)(
        adapter.endpoint.base_url, adapter.endpoint.headers, "dep#0"
    )
    with pytest.raises(UpstreamError) as info:
        await call(adapter, body, stream)
    error = info.value
    assert error.kind is kind
    assert error.status == status
    assert error.deployment == "dep#0"
    if fault == "429":
        assert error.retry_after == 1.0
    for secret in (OPENAI_KEY, ANTHROPIC_KEY):
        assert secret not in str(error)
        assert secret not in repr(error)


@pytest.mark.parametrize("stream", [False, True])
async def test_stall_times_out(sim: Simulator, stream: bool) -> None:
    adapter = OpenAIAdapter(sim.url, None, headers=faulted("stall"))
    timeout = aiohttp.ClientTimeout(sock_read=0.3)
    with pytest.raises(UpstreamError) as info:
        await call(adapter, {"model": "m", "messages": USER}, stream, timeout)
    assert info.value.kind is FailureKind.TIMEOUT


async def test_connection_refused_is_a_connection_failure() -> None:
    async with running_simulator() as s:
        url = s.url
    adapter = OpenAIAdapter(url, None)
    with pytest.raises(UpstreamError) as info:
        await adapter.chat({"model": "m", "messages": USER})
    assert info.value.kind is FailureKind.CONNECTION
    await close_session()


def test_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None


def test_adapter_reprs_hide_keys() -> None:
    for adapter in (
        OpenAIAdapter("https://api.openai.com", Secret(OPENAI_KEY)),
        AnthropicAdapter("https://api.anthropic.com", Secret(ANTHROPIC_KEY)),
    ):
        shown = repr(adapter) + repr(adapter.endpoint) + str(vars(adapter))
        assert OPENAI_KEY not in shown
        assert ANTHROPIC_KEY not in shown


async def test_simulator_fault_every_nth_request() -> None:
    async with running_simulator(fault="503", fault_every=2) as s:
        adapter = OpenAIAdapter(s.url)
        outcomes = []
        for _ in range(4):
            try:
                await adapter.chat({"model": "m", "messages": USER})
                outcomes.append("ok")
            except UpstreamError as exc:
                outcomes.append(exc.kind.value)
    assert outcomes == ["server", "ok", "server", "ok"]


def test_reprs_drop_url_credentials() -> None:
    adapter = OpenAICompatibleAdapter("https://user:hunter2@llm.internal/v1", None)
    assert "hunter2" not in repr(adapter)
    assert "llm.internal/v1" in repr(adapter)
