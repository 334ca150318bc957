"""The Responses API through the proxy, with the official `openai` SDK as the client and the
oracle of the wire format (its models validate every response object and stream event), against
the upstream simulator as an OpenAI and as an Anthropic provider."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from aiohttp import web
from openai.types.responses import Response, ResponseItemList, ResponseStreamEvent
from pydantic import TypeAdapter

from mcp_support import free_port
from mcproute.proxy.contexts import CONTEXTS
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from models_support import OPENAI_KEY, running_simulator
from proxy_support import Proxy, http, proxy, running_proxy, serve_command, without_instance

__all__ = ["http", "proxy"]  # the fixtures

EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
WEATHER: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
TEXT_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    *["response.output_text.delta"] * 4,  # the simulator streams 4 words
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def client(proxy: Proxy, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=key, max_retries=0)


def upstream_body(proxy: Proxy) -> dict[str, Any]:
    body: dict[str, Any] = proxy.sim.requests[-1].body
    return body


async def post(http: aiohttp.ClientSession, proxy: Proxy, key: str, body: Any) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    data = io.BytesIO(json.dumps(body).encode())  # a large body is streamed, not one write
    async with http.post(f"{proxy.url}/v1/responses", data=data, headers=headers) as r:
        return r.status, await r.read()


def sse_events(raw: bytes) -> list[dict[str, Any]]:
    """Each event of a stream, checked against the SDK's event models and the `event:` line."""
    out = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        event = json.loads(lines["data"])
        assert lines["event"] == event["type"]
        EVENTS.validate_python(event)
        out.append(event)
    assert [e["sequence_number"] for e in out] == list(range(len(out)))
    return out


@pytest.mark.parametrize("model", ["gpt-4", "claude"])
async def test_create_with_instructions_and_previous_response(proxy: Proxy, model: str) -> None:
    sdk = client(proxy, proxy.key("models"))
    raw = await sdk.responses.with_raw_response.create(
        model=model, input="hello", instructions="Be brief.", max_output_tokens=50, temperature=0.5
    )
    first = Response.model_validate(raw.http_response.json())  # every field as the SDK types it
    assert first.output_text == "echo: hello w2 w3"
    assert first.status == "completed"
    assert first.model == model
    assert first.instructions == "Be brief."
    assert first.max_output_tokens == 50
    assert first.usage is not None
    assert first.usage.output_tokens == 4
    sent = upstream_body(proxy)
    if model == "claude":
        assert sent["system"] == "Be brief."
        assert sent["max_tokens"] == 50
    else:
        assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
        assert sent["max_completion_tokens"] == 50
    assert sent["temperature"] == 0.5

    second = await sdk.responses.create(model=model, input="again", previous_response_id=first.id)
    assert second.output_text == "echo: again w2 w3"
    assert second.previous_response_id == first.id
    turns = upstream_body(proxy)["messages"]
    texts = [(m["role"], m["content"]) for m in turns]
    expected_reply = "echo: hello w2 w3"
    if model == "claude":  # Anthropic content blocks; instructions do not carry over
        assert "system" not in upstream_body(proxy)
        texts = [(r, c if isinstance(c, str) else c[0]["text"]) for r, c in texts]
    assert texts == [("user", "hello"), ("assistant", expected_reply), ("user", "again")]
    assert (await sdk.responses.retrieve(second.id)).output_text == second.output_text
    await sdk.close()


@pytest.mark.parametrize("model", ["gpt-4", "claude"])
async def test_function_call_and_its_output(proxy: Proxy, model: str) -> None:
    sdk = client(proxy, proxy.key("models"))
    asked = await sdk.responses.create(model=model, input="weather in Paris?", tools=[WEATHER])
    call = asked.output[-1]  # the simulated Claude says a few words before its call
    assert call.type == "function_call"
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "sim"}
    answered = await sdk.responses.create(
        model=model,
        previous_response_id=asked.id,
        tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
    )
    assert answered.output_text.startswith("echo:")
    messages = upstream_body(proxy)["messages"]
    if model == "claude":
        assert messages[1]["content"][-1]["type"] == "tool_use"
        assert messages[1]["content"][-1]["id"] == call.call_id
        assert messages[2]["content"][0] == {
            "type": "tool_result",
            "tool_use_id": call.call_id,
            "content": "sunny",
        }
    else:
        assert messages[1]["tool_calls"][0]["id"] == call.call_id
        assert messages[2] == {"role": "tool", "tool_call_id": call.call_id, "content": "sunny"}
    # The whole conversation as input items, with no stored state.
    replayed = await sdk.responses.create(
        model=model,
        store=False,
        tools=[WEATHER],
        input=[
            {"role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city": "Oslo"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "snow"},
        ],
    )
    assert replayed.output_text.startswith("echo:")
    with pytest.raises(openai.NotFoundError):
        await sdk.responses.retrieve(replayed.id)  # store: false keeps nothing
    await sdk.close()


async def test_input_items_listed_and_paged(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    key = proxy.key("models")
    sdk = client(proxy, key)
    made = await sdk.responses.create(
        model="gpt-4",
        tools=[WEATHER],
        input=[
            {"role": "developer", "content": "rules"},
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "see"},
                    {"type": "input_image", "image_url": "data:image/png;base64,AA"},
                ],
            },
            {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "rain"},
        ],
    )
    listed = [item async for item in sdk.responses.input_items.list(made.id, order="asc")]
    assert [i.type for i in listed] == [
        "message",
        "message",
        "function_call",
        "function_call_output",
    ]
    assert listed[3].type == "function_call_output"
    assert listed[3].output == "rain"
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{proxy.url}/v1/responses/{made.id}/input_items"
    async with http.get(url, params={"limit": "3"}, headers=headers) as r:
        page = ResponseItemList.model_validate(await r.json())  # newest first by default
    assert [i.id for i in page.data] == [i.id for i in listed[::-1][:3]]
    assert page.has_more
    assert page.last_id == listed[1].id
    async with http.get(url, params={"after": page.last_id}, headers=headers) as r:
        rest = ResponseItemList.model_validate(await r.json())
    assert [i.id for i in rest.data] == [listed[0].id]
    assert not rest.has_more
    for bad in ({"limit": "0"}, {"limit": "x"}, {"order": "up"}, {"after": "msg_nope"}):
        async with http.get(url, params=bad, headers=headers) as r:
            assert r.status == 400, bad
            assert (await r.json())["error"]["message"].startswith(next(iter(bad)) + ":")
    other = client(proxy, proxy.key("models", "tenant:else"))
    with pytest.raises(openai.NotFoundError):
        await other.responses.input_items.list(made.id)
    await other.close()
    await sdk.close()


@pytest.mark.parametrize("model", ["gpt-4", "claude"])
async def test_stream_with_the_sdk_helper(
    proxy: Proxy, http: aiohttp.ClientSession, model: str
) -> None:
    key = proxy.key("models")
    sdk = client(proxy, key)
    async with sdk.responses.stream(model=model, input="streamed words") as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert kinds == TEXT_EVENTS
    assert final.output_text == "echo: streamed words w3"
    assert final.usage is not None
    assert final.usage.input_tokens > 0
    follow = await sdk.responses.create(model=model, input="next", previous_response_id=final.id)
    assert follow.output_text == "echo: next w2 w3"  # stored before response.completed was sent

    status, raw = await post(
        http, proxy, key, {"model": model, "input": "raw", "stream": True, "store": False}
    )
    assert status == 200
    events = sse_events(raw)
    assert [e["type"] for e in events] == TEXT_EVENTS
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert deltas == events[-1]["response"]["output"][0]["content"][0]["text"] == "echo: raw w2 w3"
    await sdk.close()


@pytest.mark.parametrize("model", ["gpt-4", "claude"])
async def test_streamed_function_call(proxy: Proxy, model: str) -> None:
    sdk = client(proxy, proxy.key("models"))
    stream = await sdk.responses.create(
        model=model, input="weather?", tools=[WEATHER], tool_choice="required", stream=True
    )
    events = [event async for event in stream]
    kinds = [e.type for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.function_call_arguments.delta" in kinds
    assert kinds[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    done = events[-3]
    assert done.type == "response.function_call_arguments.done"
    assert json.loads(done.arguments) == {"city": "sim"}
    deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert deltas == done.arguments
    final = events[-1]
    assert final.type == "response.completed"
    assert final.response.output[-1].type == "function_call"
    await sdk.close()


async def test_a_stream_broken_upstream_ends_failed(proxy: Proxy) -> None:
    sdk = client(proxy, proxy.key("models"))
    proxy.sim.settings.fault = "stream_error"  # an error event after the first chunk
    stream = await sdk.responses.create(model="gpt-4", input="x", stream=True)
    events = [event async for event in stream]
    proxy.sim.settings.fault = None
    assert [e.type for e in events[-2:]] == ["error", "response.failed"]
    failed = events[-1]
    assert failed.type == "response.failed"
    assert failed.response.status == "failed"
    assert failed.response.error is not None
    assert failed.response.error.code == "server_error"
    await sdk.close()


def small_store(app: web.Application) -> None:
    app[CONTEXTS].max_bytes = 4096


async def test_a_conversation_too_large_to_store(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """With the answer, the conversation outgrows the store's limit: a 413 naming `store`, or
    in a stream `error` and `response.failed` in place of `response.completed`; nothing is
    kept."""
    async with running_proxy(tmp_path, tune=small_store) as proxy:
        key = proxy.key("models")
        big = "x " * 2100
        status, raw = await post(http, proxy, key, {"model": "gpt-4", "input": big})
        assert status == 413
        message = json.loads(raw)["error"]["message"]
        assert message.startswith("store: the conversation is too large to store")
        stream = {"model": "gpt-4", "input": big, "stream": True}
        status, raw = await post(http, proxy, key, stream)
        assert status == 200
        events = sse_events(raw)
        ending = ["response.output_item.done", "error", "response.failed"]
        assert [e["type"] for e in events[-3:]] == ending
        failed = events[-1]["response"]
        assert failed["output"][0]["content"][0]["text"] == "echo: x x x"
        headers = {"Authorization": f"Bearer {key}"}
        async with http.get(f"{proxy.url}/v1/responses/{failed['id']}", headers=headers) as r:
            assert r.status == 404
        small = {"model": "gpt-4", "input": "x"}
        assert (await post(http, proxy, key, small))[0] == 200  # the limit is per conversation


async def test_upstream_refusals_before_the_stream_are_error_replies(proxy: Proxy) -> None:
    sdk = client(proxy, proxy.key("models"))
    proxy.sim.settings.fault = "429"
    proxy.sim.settings.retry_after = 0.01  # the Router's retries wait that long
    with pytest.raises(openai.RateLimitError) as info:
        await sdk.responses.create(model="claude", input="x", stream=True)
    assert info.value.response.headers["Retry-After"]
    with pytest.raises(openai.RateLimitError):
        await sdk.responses.create(model="gpt-4", input="x")
    proxy.sim.settings.fault = None
    await sdk.close()


async def test_tenants_and_scopes_bind_stored_responses(proxy: Proxy) -> None:
    acme = client(proxy, proxy.key("models", "tenant:acme"))
    made = await acme.responses.create(model="claude", input="secret plans")
    globex = client(proxy, proxy.key("models", "tenant:globex"))
    with pytest.raises(openai.NotFoundError) as info:
        await globex.responses.create(model="claude", input="go on", previous_response_id=made.id)
    assert info.value.body["param"] == "previous_response_id"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        await globex.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        await globex.responses.delete(made.id)
    admin_elsewhere = client(proxy, proxy.key("admin"))  # tenant "default": not acme's either
    with pytest.raises(openai.NotFoundError):
        await admin_elsewhere.responses.retrieve(made.id)
    # Within the tenant, a key sees only responses of models its scopes allow.
    narrow = client(proxy, proxy.key("model:gpt-4", "tenant:acme"))
    with pytest.raises(openai.NotFoundError):
        await narrow.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        await narrow.responses.create(model="gpt-4", input="x", previous_response_id=made.id)
    assert (await acme.responses.retrieve(made.id)).output_text == made.output_text
    await acme.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        await acme.responses.retrieve(made.id)
    for sdk in (acme, globex, admin_elsewhere, narrow):
        await sdk.close()


async def test_a_response_is_a_shared_context(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    key = proxy.key("models", "contexts", "tenant:acme")
    sdk = client(proxy, key)
    made = await sdk.responses.create(model="gpt-4", input="remember me")
    ident = "ctx_" + made.id.removeprefix("resp_")
    headers = {"Authorization": f"Bearer {key}"}
    async with http.get(f"{proxy.url}/v1/contexts/{ident}", headers=headers) as r:
        context = await r.json()
    assert context["messages"] == [
        {"role": "user", "content": "remember me"},
        {"role": "assistant", "content": made.output_text},
    ]
    chat = await sdk.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "and now"}],
        extra_body={"context_id": ident},
    )
    assert chat.choices[0].message.content == "echo: and now w3"
    assert upstream_body(proxy)["messages"][0]["content"] == "remember me"
    async with http.get(f"{proxy.url}/v1/responses/resp_{'0' * 32}", headers=headers) as r:
        assert r.status == 404
    await sdk.close()
    # Sealed at rest like every context: neither the conversation nor the response object
    # (model, metadata) is in the clear in any file of the data directory (WAL included).
    at_rest = b"".join(f.read_bytes() for f in proxy.data_dir.path.iterdir() if f.is_file())
    assert b"remember me" not in at_rest
    assert made.id.encode() not in at_rest


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "x"}, "model"),
        ({"model": "gpt-4"}, "input"),
        ({"model": "gpt-4", "input": 3}, "input"),
        ({"model": "gpt-4", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        (
            {"model": "gpt-4", "input": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "input[0].content[0].type",
        ),
        (
            {"model": "gpt-4", "input": [{"type": "function_call_output", "output": "x"}]},
            "input[0].call_id",
        ),
        ({"model": "gpt-4", "input": [{"type": "web_search_call"}]}, "input[0].type"),
        (
            {
                "model": "gpt-4",
                "input": [
                    {
                        "type": "function_call_output",
                        "call_id": "c",
                        "output": [{"type": "input_image", "image_url": "https://x/y.png"}],
                    }
                ],
            },
            "input[0].output[0].type",
        ),
        ({"model": "gpt-4", "input": "x", "tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"model": "gpt-4", "input": "x", "temperature": 3}, "temperature"),
        ({"model": "gpt-4", "input": "x", "max_output_tokens": 0}, "max_output_tokens"),
        ({"model": "gpt-4", "input": "x", "previous_response_id": "ctx_1"}, "previous_response_id"),
        ({"model": "gpt-4", "input": "x", "background": True}, "background"),
        (
            {"model": "gpt-4", "input": "x", "tool_choice": {"type": "function", "name": "f"}},
            "tool_choice.name",
        ),
    ],
)
async def test_bad_bodies_name_the_path(
    proxy: Proxy, http: aiohttp.ClientSession, body: Any, param: str
) -> None:
    status, raw = await post(http, proxy, proxy.key("models"), body)
    assert status == 400
    error = json.loads(raw)["error"]
    assert error["param"] == param
    assert error["message"].startswith(param + ": ")
    assert error["type"] == "invalid_request_error"


async def test_bad_requests_through_the_sdk(proxy: Proxy) -> None:
    sdk = client(proxy, proxy.key("model:gpt-4"))
    with pytest.raises(openai.BadRequestError, match="input: give at least one input item"):
        await sdk.responses.create(model="gpt-4", input=[])
    with pytest.raises(openai.PermissionDeniedError):
        await sdk.responses.create(model="claude", input="x")
    async with client(proxy, proxy.key("models")) as every_model:
        with pytest.raises(openai.NotFoundError):
            await every_model.responses.create(model="nope", input="x")
    with pytest.raises(openai.BadRequestError, match="id: expected a response id"):
        await sdk.responses.retrieve("resp_nothex")
    await sdk.close()


async def test_usage_metrics_as_chat(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    sdk = client(proxy, proxy.key("models"))
    await sdk.responses.create(model="gpt-4", input="count me")
    async with sdk.responses.stream(model="claude", input="and me") as stream:
        await stream.get_final_response()
    headers = {"Authorization": f"Bearer {proxy.key('metrics')}"}
    async with http.get(f"{proxy.url}/metrics", headers=headers) as r:
        text = without_instance(await r.text())
    for model, provider in (("gpt-4", "openai"), ("claude", "anthropic")):
        assert (
            f'gen_ai_client_token_usage_count{{gen_ai_operation_name="chat",'
            f'gen_ai_provider_name="{provider}",'
            f'gen_ai_request_model="{model}",gen_ai_token_type="output"}}'
        ) in text
    await sdk.close()


async def test_served_workers_continue_each_others_responses(tmp_path: Path) -> None:
    """`mcproute serve` with two workers: each call on a new connection, so whichever worker
    stored a response, the next call may land on the other and still continue it."""
    data = DataDir(tmp_path / "data")
    with SqliteApiKeyStore(data) as keys:
        key, _ = ApiKeyManager(data.pepper(), keys).issue("test", ["models"])
    async with running_simulator(tokens=4) as sim:
        config = tmp_path / "mcproute.json"
        models = {"anthropic": {"endpoint": sim.url, "api_key": "sk-ant-x", "models": ["claude"]}}
        config.write_text(json.dumps({"mcp": {"models": models}}))
        port = free_port()
        env = {**os.environ, "MCPROUTE_DATA_DIR": str(data.path), "OPENAI_API_KEY": OPENAI_KEY}
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port), env=env, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}/v1"
            previous = None
            for turn in range(6):
                async with openai.AsyncOpenAI(base_url=base, api_key=key) as sdk:
                    for _ in range(150):  # the first turn waits for the workers to listen
                        with contextlib.suppress(openai.APIConnectionError):
                            made = await sdk.responses.create(
                                model="claude", input=f"turn{turn}", previous_response_id=previous
                            )
                            break
                        await asyncio.sleep(0.1)
                assert made.output_text == f"echo: turn{turn} w2 w3"
                previous = made.id
            turns = [m for m in sim.requests[-1].body["messages"] if m["role"] == "user"]
            assert len(turns) == 6  # the whole conversation reached the last call
        finally:
            proc.terminate()
            assert await asyncio.wait_for(proc.wait(), 30) == 0
