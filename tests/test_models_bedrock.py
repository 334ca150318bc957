"""Bedrock: the simulator checked by a real botocore ``bedrock-runtime`` client (its service
model, serializer, SigV4 signer and event-stream parser are the oracle of the wire format), and
the adapter against the simulator in both caller formats, with the simulator's faults."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import anthropic.types
import botocore.session
import openai.types.chat
import orjson
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, EventStreamError
from botocore.validate import ParamValidator
from pydantic import TypeAdapter

from mcproute.config import parse_config
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models import bedrock as bedrock_adapter
from mcproute.models.target import ProviderTarget
from mcproute.testing import upstream_bedrock as sim_bedrock
from mcproute.testing.upstream import Simulator
from models_support import running_simulator

MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku:0"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(24)).decode()
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city"],
}
TOOLS_OPENAI = [{"type": "function", "function": {"name": "weather", "parameters": WEATHER}}]
TOOLS_ANTHROPIC = [{"name": "weather", "description": "Weather", "input_schema": WEATHER}]
SERVICE = botocore.session.get_session().get_service_model("bedrock-runtime")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with running_simulator(tokens=5) as s:
        yield s


@contextmanager
def boto_client(
    sim: Simulator, secret: str = sim_bedrock.SIM_SECRET_ACCESS_KEY, **kw: Any
) -> Iterator[Any]:
    client = botocore.session.get_session().create_client(
        "bedrock-runtime",
        endpoint_url=sim.url,
        region_name="us-east-1",
        aws_access_key_id=kw.pop("key_id", sim_bedrock.SIM_ACCESS_KEY_ID),
        aws_secret_access_key=secret,
        config=BotoConfig(retries={"max_attempts": 0}),
        **kw,
    )
    with closing(client):  # its pooled connections, not left to the garbage collector
        yield client


def stream_events(client: Any, **request: Any) -> list[Any]:
    """A ConverseStream call's events. The stream is closed even when an event raises: its
    connection is never returned to the pool, and the raised error's traceback holds it in a
    reference cycle, so unclosed it would be closed by whichever later collection frees it."""
    with closing(client.converse_stream(**request)["stream"]) as stream:
        return list(stream)


def target(sim: Simulator, model: str = MODEL, **block: Any) -> ProviderTarget:
    provider = {
        "type": "bedrock",
        "endpoint": sim.url,
        "region": "us-east-1",
        "aws_access_key_id": sim_bedrock.SIM_ACCESS_KEY_ID,
        "aws_secret_access_key": sim_bedrock.SIM_SECRET_ACCESS_KEY,
        "models": [{"name": "claude", "model": model}],
        **block,
    }
    provider = {k: v for k, v in provider.items() if v is not None}
    config = parse_config({"mcp": {"models": {"bedrock": provider}}}, env={})
    return ProviderTarget(config.deployments[0])


def last_body(sim: Simulator) -> dict[str, Any]:
    return dict(sim.requests[-1].body)


def assert_valid_converse_request(sim: Simulator, stream: bool) -> None:
    """What the adapter sent is a valid ConverseRequest of the service model."""
    record = sim.requests[-1]
    operation = SERVICE.operation_model("ConverseStream" if stream else "Converse")
    model_id = record.path.split("/")[2]
    report = ParamValidator().validate({"modelId": model_id, **record.body}, operation.input_shape)
    assert not report.has_errors(), report.generate_report()


# ----------------------------------------------------------------------------- botocore oracle


async def test_botocore_converse(sim: Simulator) -> None:
    def call() -> dict[str, Any]:
        with boto_client(sim) as client:
            return dict(
                client.converse(
                    modelId=ARN,
                    system=[{"text": "be brief"}],
                    messages=[
                        {
                            "role": "user",
                            "content": [
                                {"text": "hello there"},
                                {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}},
                            ],
                        }
                    ],
                    inferenceConfig={"maxTokens": 100},
                )
            )

    result = await asyncio.to_thread(call)
    assert result["output"]["message"]["content"] == [{"text": "echo: hello there w3 w4"}]
    assert result["stopReason"] == "end_turn"
    assert result["usage"] == {"inputTokens": 4, "outputTokens": 5, "totalTokens": 9}
    assert sim.requests[-1].path == f"/model/{ARN}/converse"


async def test_botocore_converse_stream_with_a_tool(sim: Simulator) -> None:
    def call() -> list[dict[str, Any]]:
        with boto_client(sim, aws_session_token="FwoGZXIvYXdzEtoken") as client:
            return stream_events(
                client,
                modelId=MODEL,
                messages=[{"role": "user", "content": [{"text": "weather in Oslo"}]}],
                toolConfig={
                    "tools": [{"toolSpec": {"name": "weather", "inputSchema": {"json": WEATHER}}}],
                    "toolChoice": {"any": {}},
                },
            )

    events = await asyncio.to_thread(call)
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart"
    assert kinds[-2:] == ["messageStop", "metadata"]
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"
    start = next(e["contentBlockStart"] for e in events if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "weather"
    arguments = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    )
    assert orjson.loads(arguments) == {"city": "sim", "days": 1}
    assert sim.requests[-1].headers["X-Amz-Security-Token"] == "FwoGZXIvYXdzEtoken"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"secret": "wrong-secret"}, "InvalidSignatureException"),
        ({"key_id": "AKIAUNKNOWN000000000"}, "UnrecognizedClientException"),
    ],
)
async def test_botocore_signature_is_checked(
    sim: Simulator, kwargs: dict[str, str], code: str
) -> None:
    def call() -> None:
        with boto_client(sim, **kwargs) as client:
            client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}])

    with pytest.raises(ClientError) as info:
        await asyncio.to_thread(call)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        ("429", "ThrottlingException", 429),
        ("503", "ServiceUnavailableException", 503),
        ("context", "ValidationException", 400),
    ],
)
async def test_botocore_parses_the_simulated_errors(
    sim: Simulator, fault: str, code: str, status: int
) -> None:
    sim.settings.fault = fault

    def call() -> None:
        with boto_client(sim) as client:
            client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}])

    with pytest.raises(ClientError) as info:
        await asyncio.to_thread(call)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


async def test_botocore_parses_a_stream_exception(sim: Simulator) -> None:
    sim.settings.fault = "stream_error"

    def call() -> list[Any]:
        with boto_client(sim) as client:
            return stream_events(
                client, modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}]
            )

    with pytest.raises(EventStreamError) as info:
        await asyncio.to_thread(call)
    assert info.value.response["Error"]["Code"] == "internalServerException"


# ----------------------------------------------------------------------------- the adapter

CHAT_ADAPTER = TypeAdapter(openai.types.chat.ChatCompletion)
CHUNK_ADAPTER = TypeAdapter(openai.types.chat.ChatCompletionChunk)
MESSAGE_ADAPTER = TypeAdapter(anthropic.types.Message)
EVENT_ADAPTER = TypeAdapter(anthropic.types.RawMessageStreamEvent)


async def test_openai_chat_with_image_and_tools(sim: Simulator) -> None:
    t = target(sim, ARN)
    body = {
        "model": "claude",
        "messages": [
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "weather here"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                ],
            },
        ],
        "tools": TOOLS_OPENAI,
        "tool_choice": "required",
        "max_tokens": 50,
        "stop": "END",
    }
    result = await t.chat(body)
    CHAT_ADAPTER.validate_python(result)
    assert result["choices"][0]["finish_reason"] == "tool_calls"
    call = result["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "weather"
    assert orjson.loads(call["function"]["arguments"]) == {"city": "sim", "days": 1}
    sent = last_body(sim)
    assert sim.requests[-1].path == f"/model/{ARN}/converse"
    assert sent["system"] == [{"text": "be brief"}]
    assert sent["messages"][0]["content"][1] == {
        "image": {"format": "png", "source": {"bytes": PNG}}
    }
    assert sent["toolConfig"]["toolChoice"] == {"any": {}}
    assert sent["inferenceConfig"] == {"maxTokens": 50, "stopSequences": ["END"]}
    assert_valid_converse_request(sim, stream=False)
    usage = result["usage"]
    assert usage["prompt_tokens"] == 4  # "be brief" + "weather here"
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    # the tool's answer goes back as a toolResult; the model then answers in text
    followup = {
        "model": "claude",
        "messages": [
            *body["messages"],
            result["choices"][0]["message"],
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
        ],
        "tools": TOOLS_OPENAI,
    }
    answer = await t.chat(followup)
    assert answer["choices"][0]["finish_reason"] == "stop"
    sent = last_body(sim)
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][2]["content"][0]["toolResult"]["toolUseId"] == call["id"]
    assert_valid_converse_request(sim, stream=False)


async def test_openai_stream_with_tools_and_usage(sim: Simulator) -> None:
    t = target(sim)
    body = {
        "model": "claude",
        "messages": [{"role": "user", "content": "weather in Oslo"}],
        "tools": TOOLS_OPENAI,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = [chunk async for chunk in t.chat_stream(body)]
    for chunk in chunks:
        CHUNK_ADAPTER.validate_python(chunk)
    assert_valid_converse_request(sim, stream=True)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "echo: weather"
    calls = [
        tc for c in chunks if c["choices"] for tc in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert calls[0]["function"]["name"] == "weather"
    arguments = "".join(tc["function"]["arguments"] for tc in calls)
    assert orjson.loads(arguments) == {"city": "sim", "days": 1}
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "tool_calls"
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 10, "total_tokens": 13}
    # without include_usage no usage chunk is sent
    plain = [c async for c in t.chat_stream({**body, "stream_options": None})]
    assert all("usage" not in c for c in plain)


async def test_anthropic_messages_both_ways(sim: Simulator) -> None:
    t = target(sim)
    body = {
        "model": "claude",
        "max_tokens": 64,
        "system": [{"type": "text", "text": "be brief"}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "weather"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                    },
                ],
            }
        ],
        "tools": TOOLS_ANTHROPIC,
        "tool_choice": {"type": "tool", "name": "weather"},
    }
    message = await t.messages(body)
    MESSAGE_ADAPTER.validate_python(message)
    assert message["stop_reason"] == "tool_use"
    use = message["content"][1]
    assert (use["type"], use["name"], use["input"]) == (
        "tool_use",
        "weather",
        {"city": "sim", "days": 1},
    )
    assert message["usage"] == {"input_tokens": 3, "output_tokens": 10}
    assert last_body(sim)["toolConfig"]["toolChoice"] == {"tool": {"name": "weather"}}
    assert_valid_converse_request(sim, stream=False)

    followup = {
        **body,
        "messages": [
            *body["messages"],
            {"role": "assistant", "content": message["content"]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": use["id"],
                        "content": "sunny",
                        "is_error": True,
                    }
                ],
            },
        ],
    }
    events = [e async for e in t.messages_stream({**followup, "stream": True})]
    for event in events:
        EVENT_ADAPTER.validate_python(event)
    assert_valid_converse_request(sim, stream=True)
    result = last_body(sim)["messages"][2]["content"][0]["toolResult"]
    assert result == {"toolUseId": use["id"], "content": [{"text": "sunny"}], "status": "error"}
    assert [e["type"] for e in events][:2] == ["message_start", "content_block_start"]
    assert events[-1] == {"type": "message_stop"}
    delta = events[-2]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"]["input_tokens"] > 0
    assert delta["usage"]["output_tokens"] == 5
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text.startswith("echo:")


async def test_session_tokens_and_bearer_api_keys(sim: Simulator) -> None:
    t = target(sim, aws_session_token="session-token-value")
    await t.chat({"model": "claude", "messages": [{"role": "user", "content": "hi"}]})
    assert sim.requests[-1].headers["X-Amz-Security-Token"] == "session-token-value"
    assert "x-amz-security-token" in sim.requests[-1].headers["Authorization"]

    keyed = target(
        sim,
        aws_access_key_id=None,
        aws_secret_access_key=None,
        api_key=sim_bedrock.SIM_BEARER_TOKEN,
    )
    await keyed.chat({"model": "claude", "messages": [{"role": "user", "content": "hi"}]})
    assert sim.requests[-1].headers["Authorization"].startswith("Bearer ")


async def test_bad_credentials_are_an_auth_failure_without_the_secret(sim: Simulator) -> None:
    secret = "not-the-simulator-secret-0123456789"
    t = target(sim, aws_secret_access_key=secret)
    with pytest.raises(UpstreamError) as info:
        await t.chat({"model": "claude", "messages": [{"role": "user", "content": "hi"}]})
    assert info.value.kind is FailureKind.AUTH
    assert "InvalidSignatureException" in str(info.value)
    assert secret not in str(info.value)
    assert secret not in repr(t)


async def test_image_links_are_refused_naming_the_field(sim: Simulator) -> None:
    t = target(sim)
    body = {
        "model": "claude",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": "https://x/cat.png"}}],
            }
        ],
    }
    with pytest.raises(UpstreamError) as info:
        await t.chat(body)
    assert info.value.kind is FailureKind.BAD_REQUEST
    assert "messages[0].content[0].image_url.url" in str(info.value)
    assert not sim.requests


async def test_no_embeddings(sim: Simulator) -> None:
    with pytest.raises(UpstreamError) as info:
        await target(sim).embeddings({"model": "claude", "input": "x"})
    assert info.value.kind is FailureKind.BAD_REQUEST


# ----------------------------------------------------------------------------- faults

CHAT = {"model": "claude", "messages": [{"role": "user", "content": "hi there"}]}
Call = Callable[[ProviderTarget], Any]


async def _json(t: ProviderTarget) -> Any:
    return await t.chat(CHAT)


async def _stream(t: ProviderTarget) -> Any:
    return [c async for c in t.chat_stream({**CHAT, "stream": True})]


async def _anthropic_stream(t: ProviderTarget) -> Any:
    return [e async for e in t.messages_stream({**CHAT, "max_tokens": 10, "stream": True})]


@pytest.mark.parametrize(
    ("fault", "call", "kind"),
    [
        ("429", _json, FailureKind.RATE_LIMITED),
        ("500", _json, FailureKind.SERVER),
        ("503", _stream, FailureKind.SERVER),
        ("context", _json, FailureKind.CONTEXT_WINDOW),
        ("auth", _stream, FailureKind.AUTH),
        ("reset", _json, FailureKind.CONNECTION),
        ("cut", _json, FailureKind.CONNECTION),
        ("cut", _stream, FailureKind.CONNECTION),
        ("cut", _anthropic_stream, FailureKind.CONNECTION),
        ("malformed", _json, FailureKind.SERVER),
        ("malformed", _stream, FailureKind.SERVER),
        ("stream_error", _stream, FailureKind.SERVER),
        ("stream_error", _json, FailureKind.SERVER),
    ],
)
async def test_faults_are_classified(
    sim: Simulator, fault: str, call: Call, kind: FailureKind
) -> None:
    sim.settings.fault = fault
    sim.settings.error_detail = "key=sk-live-SECRETSECRETSECRET"
    with pytest.raises(UpstreamError) as info:
        await call(target(sim))
    assert info.value.kind is kind
    assert "SECRETSECRET" not in str(info.value)
    if fault == "429":
        assert info.value.retry_after == 1.0
    if fault == "stream_error" and call is _stream:
        assert str(info.value).startswith("mid-stream:")


async def test_a_stall_hits_the_timeout(sim: Simulator) -> None:
    sim.settings.fault = "stall"
    sim.settings.stall = 3.0
    t = target(sim, timeout=0.3)
    with pytest.raises(UpstreamError) as info:
        await t.chat(CHAT)
    assert info.value.kind is FailureKind.TIMEOUT


async def test_the_simulator_refuses_unsigned_requests(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{sim.url}/model/{MODEL}/converse", json=CHAT)
        assert response.status == 403
        assert response.headers["x-amzn-ErrorType"].startswith("MissingAuthenticationToken")


async def test_credentials_in_the_shared_files_are_read_again_when_they_change(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renewed_id, renewed_secret = "AKIARENEWED000000001", "renewed/secret/0000000000000000"
    sim.app[sim_bedrock.AWS_KEYS][renewed_id] = renewed_secret
    credentials = tmp_path / "credentials"

    def write(key_id: str, secret: str) -> None:
        credentials.write_text(
            f"[work]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
        )

    write(sim_bedrock.SIM_ACCESS_KEY_ID, sim_bedrock.SIM_SECRET_ACCESS_KEY)
    provider = {
        "type": "bedrock",
        "endpoint": sim.url,
        "region": "us-east-1",
        "aws_profile": "work",
        "models": [{"name": "claude", "model": MODEL}],
    }
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(credentials), "HOME": str(tmp_path)}
    config = parse_config({"mcp": {"models": {"bedrock": provider}}}, env=env)
    t = ProviderTarget(config.deployments[0])
    monkeypatch.setattr(bedrock_adapter, "CREDENTIAL_CHECK_SECONDS", 0.0)

    def used() -> str:
        return sim.requests[-1].headers["Authorization"].split("Credential=")[1].split("/")[0]

    await t.chat(CHAT)  # unchanged files: nothing is read again
    assert used() == sim_bedrock.SIM_ACCESS_KEY_ID
    adapter = t.adapter
    assert isinstance(adapter, bedrock_adapter.BedrockAdapter)
    if adapter._refreshing is not None:  # the check this call started, of the unchanged files
        await adapter._refreshing
    write(renewed_id, renewed_secret)
    await t.chat(CHAT)  # starts the re-read; this request still has the old signer
    if adapter._refreshing is not None:  # the re-read may already be done
        await adapter._refreshing
    await t.chat(CHAT)
    assert used() == renewed_id
    credentials.unlink()  # gone: the current credentials stay
    await t.chat(CHAT)
    if adapter._refreshing is not None:  # the re-read may already be done
        await adapter._refreshing
    await t.chat(CHAT)
    assert used() == renewed_id
