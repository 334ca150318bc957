"""The routes SDKs call beyond chat: models retrieve, Anthropic count_tokens, legacy completions,
errors for unknown routes and methods, and usage in streams translated either way; the
official openai and anthropic SDKs are the clients and parse every answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
from openai.types import Completion
from openai.types.chat import ChatCompletionChunk

from proxy_support import Proxy, running_proxy


def _document(sim_url: str, _mcp_url: str) -> dict[str, Any]:
    return {
        "mcp": {
            "models": {
                "openai": {
                    "endpoint": sim_url,
                    "models": [{"name": "gpt-4", "aliases": ["smart"]}, "gpt-3.5-turbo"],
                },
                "anthropic": {
                    "endpoint": sim_url,
                    "api_key": "sk-ant-test",
                    "models": [{"name": "claude", "model": "claude-sonnet-5-5"}],
                },
            },
            "groups": {"fast": ["gpt-3.5-turbo", "claude"]},
        }
    }


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Proxy]:
    async with running_proxy(tmp_path, config_document=_document) as p:
        yield p


def _openai(proxy: Proxy, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"{proxy.url}/v1", api_key=key, max_retries=0, _strict_response_validation=True
    )


def _anthropic(proxy: Proxy, key: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        base_url=proxy.url, api_key=key, max_retries=0, _strict_response_validation=True
    )


async def _streamed(
    client: openai.AsyncOpenAI, model: str, text: str, *, include_usage: bool
) -> list[ChatCompletionChunk]:
    stream = await client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": text}],
        stream=True,
        stream_options={"include_usage": include_usage},
    )
    return [chunk async for chunk in stream]


async def test_models_list_and_retrieve_with_aliases_and_groups(proxy: Proxy) -> None:
    client = _openai(proxy, proxy.key("models"))
    listed = [m.id async for m in client.models.list()]
    assert listed == ["gpt-4", "gpt-3.5-turbo", "claude", "fast", "smart"]
    for name in listed:
        model = await client.models.retrieve(name)
        assert (model.id, model.object, model.owned_by) == (name, "model", "mcproute")
    with pytest.raises(openai.NotFoundError) as info:
        await client.models.retrieve("gpt-9")
    assert info.value.status_code == 404
    body = info.value.body
    assert isinstance(body, dict)
    assert body["code"] == "model_not_found"
    assert body["param"] == "model"
    await client.close()
    # A key limited to one model sees only it: others are as unknown as unconfigured ones.
    narrow = _openai(proxy, proxy.key("model:gpt-4"))
    assert (await narrow.models.retrieve("gpt-4")).id == "gpt-4"
    with pytest.raises(openai.NotFoundError):
        await narrow.models.retrieve("claude")
    await narrow.close()


async def test_count_tokens_exact_from_anthropic_estimated_elsewhere(proxy: Proxy) -> None:
    client = _anthropic(proxy, proxy.key("models"))
    messages: Any = [{"role": "user", "content": "one two three four five"}]
    counted = await client.messages.with_raw_response.count_tokens(
        model="claude", system="be brief", messages=messages
    )
    assert counted.headers["x-mcproute-token-count"] == "exact"
    exact = (await counted.parse()).input_tokens
    assert exact == 7  # the upstream's own count
    upstream = proxy.sim.requests[-1]
    assert upstream.path == "/v1/messages/count_tokens"
    assert upstream.body["model"] == "claude-sonnet-5-5"
    assert "max_tokens" not in upstream.body
    message = await client.messages.create(
        model="claude", system="be brief", max_tokens=10, messages=messages
    )
    assert message.usage.input_tokens == exact
    # An OpenAI deployment cannot count Anthropic tokens: an estimate, and no upstream call.
    seen = len(proxy.sim.requests)
    estimated = await client.messages.with_raw_response.count_tokens(
        model="gpt-4", messages=messages
    )
    assert estimated.headers["x-mcproute-token-count"] == "estimate"
    assert (
        await estimated.parse()
    ).input_tokens == 6 + 4  # 23 characters / 4, rounded up; 1 message
    assert len(proxy.sim.requests) == seen
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{proxy.url}/admin/models", headers={"Authorization": f"Bearer {proxy.key('admin')}"}
        ) as r,
    ):
        (gpt4,) = (await r.json())["groups"]["gpt-4"]["deployments"]
    assert gpt4["successes"] == 0  # an estimate is not a call: the deployment's health is as was
    with pytest.raises(anthropic.BadRequestError) as info:
        await client.messages.count_tokens(
            model="claude",
            messages=[{"role": "assistant", "content": 3}],  # type: ignore[list-item,typeddict-item]
        )
    assert "messages[0].content" in str(info.value)
    await client.close()


async def test_legacy_completions_openai_only(proxy: Proxy) -> None:
    client = _openai(proxy, proxy.key("models"))
    result = await client.completions.create(model="gpt-4", prompt="say this", max_tokens=5)
    assert isinstance(result, Completion)
    assert result.choices[0].text == "echo: say this w3"
    assert result.usage is not None
    assert result.usage.prompt_tokens == 2
    assert proxy.sim.requests[-1].path == "/v1/completions"
    # Not strict: OpenAI's own legacy stream chunks carry finish_reason null, which the SDK's
    # Completion type (shared with the JSON reply) does not admit.
    lenient = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=client.api_key)
    stream = await lenient.completions.create(
        model="smart", prompt="a b", stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "echo: a b w3"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4
    await lenient.close()
    with pytest.raises(openai.BadRequestError) as info:
        await client.completions.create(model="claude", prompt="x")
    assert "no legacy completions (/v1/completions) endpoint" in str(info.value)
    with pytest.raises(openai.BadRequestError, match="prompt: required"):
        await client.post("/completions", body={"model": "gpt-4"}, cast_to=dict)
    await client.close()


async def test_unknown_routes_and_methods_answer_in_the_callers_format(proxy: Proxy) -> None:
    key = proxy.key("models")
    auth = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{proxy.url}/v1/nothing", headers=auth) as response:
            assert response.status == 404
            body = await response.json()
            assert body["error"]["type"] == "not_found_error"
            assert body["error"]["code"] == "route_not_found"
        async with http.get(f"{proxy.url}/v1/messages/batches", headers=auth) as response:
            assert response.status == 404
            assert (await response.json())["type"] == "error"
        headers = {**auth, "anthropic-version": "2023-06-01"}
        async with http.post(f"{proxy.url}/v1/complete", headers=headers) as response:
            body = await response.json()
            assert body["type"] == "error"
            assert body["error"]["type"] == "not_found_error"
        async with http.get(f"{proxy.url}/v1/chat/completions", headers=auth) as response:
            assert response.status == 405
            assert response.headers["Allow"] == "POST"
            assert "method GET is not allowed" in (await response.json())["error"]["message"]
        async with http.delete(f"{proxy.url}/v1/messages", headers=auth) as response:
            assert response.status == 405
            body = await response.json()
            assert body["type"] == "error"
            assert body["error"]["type"] == "invalid_request_error"
    # The SDKs raise their own typed errors for these answers.
    client = _anthropic(proxy, key)
    with pytest.raises(anthropic.NotFoundError):
        await client.get("/v1/files", cast_to=dict)
    await client.close()
    oai = _openai(proxy, key)
    with pytest.raises(openai.NotFoundError):
        await oai.get("/assistants", cast_to=dict)
    await oai.close()


async def test_stream_usage_in_both_translation_directions(proxy: Proxy) -> None:
    key = proxy.key("models")
    # Anthropic format from an OpenAI upstream: input tokens are known at the end only.
    client = _anthropic(proxy, key)
    async with client.messages.stream(
        model="gpt-4", max_tokens=10, messages=[{"role": "user", "content": "one two three"}]
    ) as stream:
        message = await stream.get_final_message()
    assert message.usage.input_tokens == 3
    assert message.usage.output_tokens == 4
    upstream = proxy.sim.requests[-1].body
    assert upstream["stream_options"] == {"include_usage": True}
    await client.close()
    # OpenAI format from an Anthropic upstream: the usage chunk when the caller asks for it.
    oai = _openai(proxy, key)
    chunks = await _streamed(oai, "claude", "one two", include_usage=True)
    usage = chunks[-1].usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (2, 4, 6)
    await oai.close()


async def test_contract_rules_refuse_before_anything_goes_upstream(proxy: Proxy) -> None:
    key = proxy.key("models")
    seen = len(proxy.sim.requests)
    oai = _openai(proxy, key)
    with pytest.raises(openai.BadRequestError) as info:
        await oai.chat.completions.create(
            model="gpt-4",
            messages=[
                {"role": "user", "content": "x"},
                {"role": "tool", "tool_call_id": "call_1", "content": "y"},
            ],
        )
    body = info.value.body
    assert isinstance(body, dict)
    assert body["param"] == "messages[1].tool_call_id"
    await oai.close()
    client = _anthropic(proxy, key)
    with pytest.raises(anthropic.BadRequestError) as refused:
        await client.messages.create(
            model="claude",
            max_tokens=5,
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "y"}],
                }
            ],
        )
    error = refused.value.body
    assert isinstance(error, dict)
    assert error["type"] == "error"
    assert error["error"]["message"].startswith("messages[0].content[0].tool_use_id: ")
    await client.close()
    assert len(proxy.sim.requests) == seen


async def test_usage_is_asked_upstream_even_when_the_caller_does_not_want_it(
    proxy: Proxy,
) -> None:
    oai = _openai(proxy, proxy.key("models"))
    chunks = await _streamed(oai, "gpt-4", "hi", include_usage=False)
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)
    assert proxy.sim.requests[-1].body["stream_options"] == {"include_usage": True}
    await oai.close()
