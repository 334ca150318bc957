"""Gemini: the simulator checked with the google-genai SDK (its client and its types, which
forbid unknown fields), the adapter's requests validated by the same types, translation both
ways, and Gemini's errors classified."""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import google.auth.jwt
import google.oauth2.credentials
import google.oauth2.service_account
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google import genai
from google.genai import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion

from contract_strategies import valid
from mcproute.config import ConfigError, parse_config
from mcproute.contract import anthropic as contract_anthropic
from mcproute.contract import openai as contract_openai
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.gcp_token import ServiceAccountError
from mcproute.models.gemini import GeminiAdapter, gemini_base
from mcproute.models.target import ProviderTarget
from mcproute.models.translate import anthropic_to_openai_request
from mcproute.models.translate_gemini import (
    GeminiToOpenAIStream,
    embedding_inputs,
    gemini_to_openai_response,
    openai_to_gemini_request,
)
from mcproute.secret import Secret
from mcproute.testing.upstream import Simulator
from models_support import running_simulator

# google-genai's async client subclasses aiohttp's session, which aiohttp warns about
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)

GEMINI_KEY = "AIzaSyD-gemini-SECRET-0123456789abcdefXYZ"
VERTEX_TOKEN = "ya29.a0AfB_vertexSECRETtoken0123456789"
WEATHER = {
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
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with running_simulator(tokens=5) as s:
        yield s


def sdk(sim: Simulator) -> genai.Client:
    return genai.Client(
        api_key=GEMINI_KEY, http_options={"base_url": sim.url, "api_version": "v1beta"}
    )


def adapter(sim: Simulator, **options: Any) -> GeminiAdapter:
    key = options.pop("key", GEMINI_KEY)
    return GeminiAdapter(sim.url, Secret(key), model="gemini-2.5-flash", deployment="gm", **options)


def last(sim: Simulator) -> Any:
    return sim.requests[-1]


def validate_request(body: dict[str, Any]) -> None:
    """Every part of a generateContent body, as google-genai's own types accept it."""
    for content in body["contents"]:
        types.Content.model_validate(content)
    if "systemInstruction" in body:
        types.Content.model_validate(body["systemInstruction"])
    for tool in body.get("tools", []):
        types.Tool.model_validate(tool)
    if "toolConfig" in body:
        types.ToolConfig.model_validate(body["toolConfig"])
    if "generationConfig" in body:
        types.GenerationConfig.model_validate(body["generationConfig"])
    assert set(body) <= {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}


# ----------------------------------------------------------------------------- the SDK as oracle


async def test_sdk_generate_stream_and_embed_against_the_simulator(sim: Simulator) -> None:
    owner = sdk(sim)  # held: the SDK closes its session when the client is collected
    client = owner.aio
    response = await client.models.generate_content(
        model="gemini-2.5-flash",
        contents="hello gemini",
        config=types.GenerateContentConfig(system_instruction="be brief", max_output_tokens=20),
    )
    assert response.text is not None
    assert response.text.startswith("echo: hello gemini")
    assert response.usage_metadata is not None
    assert response.usage_metadata.prompt_token_count == 4
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    seen = last(sim)
    assert seen.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert seen.headers["x-goog-api-key"] == GEMINI_KEY
    types.GenerateContentResponse.model_validate(response.model_dump(exclude_none=True))

    text = ""
    async for chunk in await client.models.generate_content_stream(
        model="gemini-2.5-flash", contents="stream please"
    ):
        text += chunk.text or ""
    assert text.startswith("echo: stream please")

    embedded = await client.models.embed_content(
        model="gemini-embedding-001",
        contents=["one", "two"],
        config=types.EmbedContentConfig(output_dimensionality=4),
    )
    assert embedded.embeddings is not None
    assert [len(e.values or []) for e in embedded.embeddings] == [4, 4]
    assert last(sim).path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"


async def test_sdk_function_calling_and_the_blocked_prompt(sim: Simulator) -> None:
    owner = sdk(sim)  # held: the SDK closes its session when the client is collected
    client = owner.aio
    tool = types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="get_weather",
                parameters_json_schema=WEATHER["function"]["parameters"],  # type: ignore[index]
            )
        ]
    )
    response = await client.models.generate_content(
        model="gemini-2.5-flash",
        contents="weather?",
        config=types.GenerateContentConfig(
            tools=[tool], automatic_function_calling={"disable": True}
        ),
    )
    assert response.function_calls is not None
    assert response.function_calls[0].name == "get_weather"
    assert response.function_calls[0].args == {"city": "sim", "days": 1}
    blocked = await client.models.generate_content(
        model="gemini-2.5-flash",
        contents="bad",
        config=types.GenerateContentConfig(http_options={"headers": {"x-sim-fault": "safety"}}),
    )
    assert blocked.prompt_feedback is not None
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.SAFETY
    assert not blocked.candidates


async def test_sdk_sees_gemini_errors(sim: Simulator) -> None:
    owner = sdk(sim)  # held: the SDK closes its session when the client is collected
    client = owner.aio
    for fault, error, code in [
        ("429", genai.errors.ClientError, 429),
        ("503", genai.errors.ServerError, 503),
    ]:
        with pytest.raises(error) as failed:
            await client.models.generate_content(
                model="m",
                contents="x",
                config=types.GenerateContentConfig(
                    http_options={"headers": {"x-sim-fault": fault}}
                ),
            )
        assert failed.value.code == code
    keyless = genai.Client(
        api_key="unused", http_options={"base_url": sim.url, "headers": {"x-goog-api-key": ""}}
    )
    with pytest.raises(genai.errors.ClientError) as refused:
        await keyless.aio.models.generate_content(model="m", contents="x")
    assert refused.value.code == 403


async def test_sdk_on_vertex_with_a_bearer_token(sim: Simulator) -> None:
    credentials = google.oauth2.credentials.Credentials(token=VERTEX_TOKEN)
    client = genai.Client(
        vertexai=True,
        project="proj-1",
        location="us-central1",
        credentials=credentials,
        http_options={"base_url": sim.url, "api_version": "v1"},
    )
    response = await client.aio.models.generate_content(model="gemini-2.5-flash", contents="hi v")
    assert (response.text or "").startswith("echo: hi v")
    from_sdk = last(sim)
    assert from_sdk.headers["Authorization"] == "Bearer " + VERTEX_TOKEN
    ours = adapter(sim, key=VERTEX_TOKEN, project="proj-1", location="us-central1")
    await ours.chat({"messages": [{"role": "user", "content": "hi v"}]})
    assert last(sim).path == from_sdk.path
    assert last(sim).headers["Authorization"] == from_sdk.headers["Authorization"]
    assert last(sim).body == from_sdk.body


# ----------------------------------------------------------------------------- the adapter


def test_base_urls() -> None:
    api = "https://generativelanguage.googleapis.com"
    assert gemini_base(api, None, None) == (api + "/v1beta/models", False)
    assert gemini_base(api + "/v1", None, None) == (api + "/v1/models", False)
    assert gemini_base(api, "p", "europe-west4") == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4"
        "/publishers/google/models",
        True,
    )
    assert gemini_base(api, "p", "global")[0].startswith("https://aiplatform.googleapis.com/v1/")


async def test_adapter_request_is_what_the_sdk_sends(sim: Simulator) -> None:
    client = sdk(sim)  # held: the SDK closes its session when the client is collected
    await client.aio.models.generate_content(
        model="gemini-2.5-flash",
        contents="hello",
        config=types.GenerateContentConfig(
            system_instruction="be brief", max_output_tokens=20, temperature=0.5
        ),
    )
    from_sdk = last(sim).body
    body = {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello"},
        ],
        "max_tokens": 20,
        "temperature": 0.5,
    }
    result = await adapter(sim).chat(body)
    assert last(sim).body["contents"] == from_sdk["contents"]
    assert last(sim).body["systemInstruction"]["parts"] == from_sdk["systemInstruction"]["parts"]
    assert last(sim).body["generationConfig"] == from_sdk["generationConfig"]
    assert last(sim).headers["x-goog-api-key"] == GEMINI_KEY
    assert result["choices"][0]["message"]["content"].startswith("echo: hello")
    assert result["usage"] == {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}


async def test_tool_round_trip_through_the_adapter(sim: Simulator) -> None:
    first = await adapter(sim).chat(
        {
            "messages": [{"role": "user", "content": "weather in Oslo?"}],
            "tools": [WEATHER],
            "tool_choice": "required",
        }
    )
    (call,) = first["choices"][0]["message"]["tool_calls"]
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"sim","days":1}'}
    validate_request(last(sim).body)
    assert last(sim).body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    second = await adapter(sim).chat(
        {
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "weather?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}}]},
                first["choices"][0]["message"],
                {"role": "tool", "tool_call_id": call["id"], "content": '{"temp": 21}'},
            ],
            "tools": [WEATHER],
        }
    )  # fmt: skip
    sent = last(sim).body
    validate_request(sent)
    assert sent["contents"][0]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": PIXEL}
    }
    assert sent["contents"][1]["parts"][0]["functionCall"]["name"] == "get_weather"
    response = sent["contents"][2]["parts"][0]["functionResponse"]
    assert response["name"] == "get_weather"
    assert response["response"] == {"temp": 21}
    assert second["choices"][0]["finish_reason"] == "stop"


async def test_stream_chunks_and_usage(sim: Simulator) -> None:
    chunks = [
        c
        async for c in adapter(sim).chat_stream(
            {
                "messages": [{"role": "user", "content": "go"}],
                "stream_options": {"include_usage": True},
            }
        )
    ]
    assert last(sim).path.endswith(":streamGenerateContent")
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "echo: go w2 w3 w4"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == {"prompt_tokens": 1, "completion_tokens": 5, "total_tokens": 6}
    without = [
        c async for c in adapter(sim).chat_stream({"messages": [{"role": "user", "content": "go"}]})
    ]
    assert "usage" not in without[-1]
    tools = [
        c
        async for c in adapter(sim).chat_stream(
            {"messages": [{"role": "user", "content": "w"}], "tools": [WEATHER]}
        )
    ]
    calls = [
        c["choices"][0]["delta"]["tool_calls"]
        for c in tools
        if "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls[0][0]["function"]["name"] == "get_weather"
    assert tools[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_embeddings_both_apis(sim: Simulator) -> None:
    one = await adapter(sim).embeddings({"input": "a b", "dimensions": 4})
    assert last(sim).path.endswith(":embedContent")
    assert len(one["data"][0]["embedding"]) == 4
    many = await adapter(sim).embeddings({"input": ["a", "b c"], "encoding_format": "base64"})
    assert last(sim).path.endswith(":batchEmbedContents")
    assert [d["index"] for d in many["data"]] == [0, 1]
    assert isinstance(many["data"][0]["embedding"], str)
    vertex = adapter(sim, key=VERTEX_TOKEN, project="p", location="us-central1")
    result = await vertex.embeddings({"input": ["x y z"]})
    assert last(sim).path.endswith(":predict")
    assert result["usage"]["prompt_tokens"] == 3
    with pytest.raises(UpstreamError) as tokens:
        await adapter(sim).embeddings({"input": [[1, 2, 3]]})
    assert tokens.value.kind is FailureKind.BAD_REQUEST


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("429", FailureKind.RATE_LIMITED),
        ("503", FailureKind.SERVER),
        ("auth", FailureKind.AUTH),
        ("not_found", FailureKind.SERVER),
        ("context", FailureKind.CONTEXT_WINDOW),
        ("safety", FailureKind.CONTENT_POLICY),
        ("cut", FailureKind.CONNECTION),
        ("stream_error", FailureKind.SERVER),
    ],
)
async def test_gemini_errors_are_classified(
    sim: Simulator, fault: str, kind: FailureKind, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sim.settings.fault = fault
    sim.settings.error_detail = f"key={GEMINI_KEY}"
    with pytest.raises(UpstreamError) as in_stream:
        async for _ in adapter(sim).chat_stream({"messages": [{"role": "user", "content": "x"}]}):
            pass
    assert in_stream.value.kind is kind
    assert GEMINI_KEY not in str(in_stream.value)
    assert GEMINI_KEY not in caplog.text
    if fault not in ("cut", "stream_error"):
        with pytest.raises(UpstreamError) as failed:
            await adapter(sim).chat({"messages": [{"role": "user", "content": "x"}]})
        assert failed.value.kind is kind
        if fault == "429":  # from google.rpc.RetryInfo: Gemini sends no Retry-After
            assert failed.value.retry_after == 1.0


# ----------------------------------------------------------------------------- translation


def test_request_translation_is_valid_for_the_sdk_types() -> None:
    body = openai_to_gemini_request(
        {
            "messages": [
                {"role": "developer", "content": "rules"},
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "https://x.test/cat.png"}}
                    ],
                },
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "a", "arguments": "{}"},
                        },
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "b", "arguments": '{"q": 1}'},
                        },
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "plain text"},
                {"role": "tool", "tool_call_id": "c2", "content": "[1, 2]"},
            ],
            "tools": [WEATHER],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "stop": "END",
            "n": 2,
            "seed": 7,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"schema": {"type": "object"}},
            },
        }
    )

    validate_request(body)
    assert body["systemInstruction"] == {"parts": [{"text": "rules"}]}
    assert body["contents"][0]["parts"] == [
        {"fileData": {"mimeType": "image/png", "fileUri": "https://x.test/cat.png"}}
    ]
    results = body["contents"][2]["parts"]  # parallel results share one user turn
    assert [p["functionResponse"]["name"] for p in results] == ["a", "b"]
    assert results[0]["functionResponse"]["response"] == {"output": "plain text"}
    assert results[1]["functionResponse"]["response"] == {"output": "[1, 2]"}
    assert body["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"] == ["get_weather"]
    config = body["generationConfig"]
    assert config["stopSequences"] == ["END"]
    assert config["candidateCount"] == 2
    assert config["responseMimeType"] == "application/json"


def test_response_translation() -> None:
    response = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [{"text": "thinking", "thought": True}, {"text": "hi"}],
                },
                "finishReason": "MAX_TOKENS",
            },
            {
                "content": {"role": "model", "parts": [{"text": "no"}]},
                "finishReason": "SAFETY",
                "index": 1,
            },
        ],
        "usageMetadata": {
            "promptTokenCount": 10,
            "candidatesTokenCount": 4,
            "thoughtsTokenCount": 6,
            "cachedContentTokenCount": 3,
            "totalTokenCount": 20,
        },
        "modelVersion": "gemini-2.5-pro",
        "responseId": "r1",
    }

    types.GenerateContentResponse.model_validate(response)
    completion = gemini_to_openai_response(response, "fallback")
    assert completion["model"] == "gemini-2.5-pro"
    assert [c["finish_reason"] for c in completion["choices"]] == ["length", "content_filter"]
    assert completion["choices"][0]["message"]["content"] == "hi"
    assert completion["usage"] == {
        "prompt_tokens": 10,
        "completion_tokens": 10,
        "total_tokens": 20,
        "prompt_tokens_details": {"cached_tokens": 3},
        "completion_tokens_details": {"reasoning_tokens": 6},
    }
    with pytest.raises(UpstreamError) as blocked:
        gemini_to_openai_response({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}, "m")
    assert blocked.value.kind is FailureKind.CONTENT_POLICY
    assert "PROHIBITED_CONTENT" in str(blocked.value)


def test_stream_translation_gives_ids_per_call() -> None:
    translator = GeminiToOpenAIStream("m")
    call = {"functionCall": {"name": "f", "args": {"a": 1}}}
    out = translator.feed({"candidates": [{"content": {"parts": [call, call]}}], "responseId": "r"})
    out += translator.feed({"candidates": [{"content": {"parts": []}, "finishReason": "STOP"}]})
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in out
        if "tool_calls" in c["choices"][0]["delta"]
    ]
    assert [c["index"] for c in calls] == [0, 1]
    assert calls[0]["id"] != calls[1]["id"]
    assert out[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert translator.finished


# ----------------------------------------------------------------------------- service accounts


def service_account(token_uri: str) -> tuple[str, str]:
    """(a service account key file's JSON, its public key PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    info = {
        "type": "service_account",
        "project_id": "proj-1",
        "private_key_id": "kid-1",
        "private_key": private,
        "client_email": "router@proj-1.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    }
    return orjson.dumps(info).decode(), public


async def test_service_account_key_is_exchanged_for_a_token(sim: Simulator, tmp_path: Path) -> None:
    key_json, public = service_account(sim.url + "/token")
    (tmp_path / "sa.json").write_text(key_json)
    document = {
        "mcp": {
            "models": {
                "vertex": {
                    "type": "gemini",
                    "endpoint": sim.url,
                    "project": "proj-1",
                    "location": "europe-west4",
                    "auth": "service_account",
                    "api_key": "file:sa.json",
                    "models": ["gemini-2.5-pro"],
                }
            }
        }
    }
    (deployment,) = parse_config(document, env={}, base_dir=tmp_path).deployments
    target = ProviderTarget(deployment)
    for _ in range(2):
        await target.chat({"messages": [{"role": "user", "content": "hi"}]})
    exchanges = [r for r in sim.requests if r.path == "/token"]
    assert len(exchanges) == 1  # the token is reused while fresh
    assertion = exchanges[0].body["assertion"]
    token = "ya29.sim-" + hashlib.sha256(assertion.encode()).hexdigest()[:32]
    assert last(sim).headers["Authorization"] == "Bearer " + token
    assert last(sim).path.startswith("/v1/projects/proj-1/locations/europe-west4/")
    # google-auth verifies our assertion and makes its own with the same claims
    ours = google.auth.jwt.decode(
        assertion, certs={"kid-1": public}, audience="https://oauth2.googleapis.com/token"
    )
    theirs_credentials = google.oauth2.service_account.Credentials.from_service_account_info(
        orjson.loads(key_json), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    theirs = google.auth.jwt.decode(
        theirs_credentials._make_authorization_grant_assertion(), verify=False
    )
    assert set(ours) == set(theirs)
    assert {k: ours[k] for k in ("iss", "aud", "scope")} == {
        k: theirs[k] for k in ("iss", "aud", "scope")
    }
    assert ours["exp"] - ours["iat"] == 3600
    assert "BEGIN PRIVATE KEY" not in repr(target)


async def test_service_account_failures_are_named_without_the_key(sim: Simulator) -> None:
    key_json, _ = service_account(sim.url + "/v1beta/models/m:generateContent")  # refuses: 403
    vertex = adapter(sim, key=key_json, auth="service_account", project="p", location="l")
    with pytest.raises(UpstreamError) as refused:
        await vertex.chat({"messages": [{"role": "user", "content": "x"}]})
    assert refused.value.kind is FailureKind.AUTH
    assert "token exchange failed" in str(refused.value)
    broken = orjson.loads(key_json)
    broken["private_key"] = broken["private_key"][:200]
    for bad, field in [(broken, "private_key"), ({"client_email": "x"}, "private_key")]:
        with pytest.raises(ServiceAccountError, match=field) as invalid:
            adapter(sim, key=orjson.dumps(bad).decode(), auth="service_account")
        assert "MII" not in str(invalid.value)
        assert "deployment gm" in str(invalid.value)


# ----------------------------------------------------------------------------- properties

_text_st = st.text(max_size=12)
_part = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, _text_st),
    st.builds(
        lambda d: {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{d}"}},
        st.sampled_from(["AAAA", PIXEL]),
    ),
    st.builds(lambda u: {"type": "image_url", "image_url": {"url": u}}, st.sampled_from(
        ["https://x.test/a.jpg", "https://x.test/b.webp?sig=1", "https://x.test/c"]
    )),
)  # fmt: skip
_content = st.one_of(_text_st, st.lists(_part, max_size=3), st.none())
_call = st.builds(
    lambda i, n, a: {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": a}},
    st.integers(0, 3),
    st.sampled_from(["f", "get_weather"]),
    st.sampled_from(["{}", '{"a": 1}', "not json", ""]),
)
_message = st.one_of(
    st.builds(lambda c: {"role": "user", "content": c}, _content),
    st.builds(lambda c: {"role": "system", "content": c}, _text_st),
    st.builds(
        lambda c, calls: {"role": "assistant", "content": c, "tool_calls": calls},
        _content,
        st.lists(_call, max_size=2),
    ),
    st.builds(
        lambda i, c: {"role": "tool", "tool_call_id": f"c{i}", "content": c},
        st.integers(0, 3),
        st.sampled_from(["ok", '{"t": 1}', "[1]"]),
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(_message, min_size=1, max_size=6),
    choice=st.sampled_from([None, "auto", "none", "required", {"function": {"name": "f"}}]),
    extra=st.fixed_dictionaries(
        {},
        optional={
            "temperature": st.floats(0, 2),
            "max_tokens": st.integers(1, 100),
            "stop": st.one_of(_text_st.filter(bool), st.lists(_text_st, max_size=2)),
        },
    ),
)
def test_every_translated_request_is_valid_for_the_sdk(
    messages: list[dict[str, Any]], choice: Any, extra: dict[str, Any]
) -> None:
    body = {"messages": messages, "tools": [WEATHER], **extra}
    if choice is not None:
        body["tool_choice"] = choice
    translated = openai_to_gemini_request(body)
    validate_request(translated)
    roles = [c["role"] for c in translated["contents"]]
    assert all(a != b for a, b in itertools.pairwise(roles))  # turns alternate


_gemini_part = st.one_of(
    st.builds(lambda t: {"text": t}, _text_st),
    st.builds(lambda t: {"text": t, "thought": True}, _text_st),
    st.builds(lambda n: {"functionCall": {"name": n, "args": {"x": 1}}}, st.sampled_from("fg")),
)


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(_gemini_part, max_size=4),
    finish=st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER"]),
    usage=st.fixed_dictionaries(
        {"promptTokenCount": st.integers(0, 99), "candidatesTokenCount": st.integers(0, 99)},
        optional={"thoughtsTokenCount": st.integers(0, 9)},
    ),
)
def test_every_translated_response_is_a_valid_completion(
    parts: list[dict[str, Any]], finish: str, usage: dict[str, int]
) -> None:
    response = {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish}],
        "usageMetadata": usage,
        "responseId": "r",
        "modelVersion": "gemini-2.5-flash",
    }
    types.GenerateContentResponse.model_validate(response)
    completion = ChatCompletion.model_validate(gemini_to_openai_response(response, "m"))
    assert completion.usage is not None
    assert completion.usage.completion_tokens == usage["candidatesTokenCount"] + usage.get(
        "thoughtsTokenCount", 0
    )
    calls = completion.choices[0].message.tool_calls or []
    assert len(calls) == sum("functionCall" in p for p in parts)
    assert len({c.id for c in calls}) == len(calls)


def test_config_checks_gemini_options_and_service_account_keys() -> None:
    def provider(**block: Any) -> dict[str, Any]:
        return {"mcp": {"models": {"vertex": {"type": "gemini", "models": ["g"], **block}}}}

    with pytest.raises(ConfigError) as bad:
        parse_config(provider(project="p", auth="service_account", api_key='{"x": 1}'), env={})
    text = str(bad.value)
    assert "mcp.models.vertex: Vertex AI needs both project and location" in text
    assert "mcp.models.vertex.api_key: the service account key has no client_email" in text
    with pytest.raises(ConfigError, match=r"vertex\.auth: must be one of api_key, bearer"):
        parse_config(provider(auth="oauth"), env={})
    (gemini,) = parse_config(provider(), env={"GEMINI_API_KEY": GEMINI_KEY}).deployments
    assert gemini.endpoint == "https://generativelanguage.googleapis.com"
    assert gemini.api_key == Secret(GEMINI_KEY)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    chat=valid(contract_openai.CHAT.shape),
    messages=valid(contract_anthropic.MESSAGES.shape),
    embeddings=valid(contract_openai.EMBEDDINGS.shape),
)
def test_any_body_the_contracts_accept_translates(
    chat: dict[str, Any], messages: dict[str, Any], embeddings: dict[str, Any]
) -> None:
    """What passes the request contracts never crashes the Gemini translation (a 500)."""
    validate_request(openai_to_gemini_request(chat))
    validate_request(openai_to_gemini_request(anthropic_to_openai_request(messages)))
    given_input = embeddings["input"]
    texts = given_input if isinstance(given_input, list) else [given_input]
    if texts and all(isinstance(t, str) for t in texts):
        assert embedding_inputs(embeddings, "gm") == texts
    else:  # token arrays: refused naming the field (a 400), not a crash
        with pytest.raises(UpstreamError, match=r"^input: "):
            embedding_inputs(embeddings, "gm")


async def test_a_refused_gemini_key_hands_the_call_to_the_next(sim: Simulator) -> None:
    good = "AIzaSyD-second-key-0123456789abcdefXYZ"
    sim.settings.valid_keys = frozenset({good})
    provider = {"type": "gemini", "endpoint": sim.url, "models": ["gemini-2.5-flash"]}
    document = {"mcp": {"models": {"gemini": {**provider, "api_keys": [GEMINI_KEY, good]}}}}
    (deployment,) = parse_config(document, env={}).deployments
    target = ProviderTarget(deployment)
    result = await target.chat({"messages": [{"role": "user", "content": "hi"}]})
    assert result["choices"][0]["message"]["content"].startswith("echo: hi")
    seen = [r.headers["x-goog-api-key"] for r in sim.requests]
    assert seen == [GEMINI_KEY, good]  # the first said "API key not valid" (a 400)
    assert [s["state"] for s in target.keys.states()] == ["refused", "ok"]
    sim.settings.valid_keys = None
    sim.settings.fault = "not_found"  # the model, not a key: no key is taken out
    with pytest.raises(UpstreamError) as broken:
        await target.chat({"messages": [{"role": "user", "content": "hi"}]})
    assert broken.value.kind is FailureKind.SERVER
    assert [s["state"] for s in target.keys.states()] == ["refused", "ok"]
