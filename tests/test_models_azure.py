"""Azure OpenAI: the simulator checked with the openai SDK's AzureOpenAI client, the adapter's
wire format compared with the SDK's, Azure's errors classified, Entra ID tokens re-read."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest

from mcproute.config import ConfigError, parse_config
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.azure import DEFAULT_API_VERSION, AzureOpenAIAdapter, azure_urls
from mcproute.models.provider_keys import ProviderKeyReader
from mcproute.models.target import ProviderTarget
from mcproute.secret import Secret
from mcproute.testing.upstream import Simulator
from models_support import running_simulator

AZURE_KEY = "azkey-0123456789abcdefSECRETazure"
TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJjb2duaXRpdmUifQ.entraSECRETsig"
VERSION = "2024-10-21"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with running_simulator(tokens=5) as s:
        yield s


def sdk(sim: Simulator, **auth: Any) -> openai.AsyncAzureOpenAI:
    return openai.AsyncAzureOpenAI(
        azure_endpoint=sim.url,
        api_version=VERSION,
        max_retries=0,
        _strict_response_validation=True,
        **(auth or {"api_key": AZURE_KEY}),
    )


def adapter(sim: Simulator, **options: Any) -> AzureOpenAIAdapter:
    options.setdefault("api_version", VERSION)
    return AzureOpenAIAdapter(
        sim.url,
        Secret(options.pop("key", AZURE_KEY)),
        model="prod-gpt4o",
        deployment="az",
        **options,
    )


def last(sim: Simulator) -> Any:
    return sim.requests[-1]


HELLO = [{"role": "user", "content": "hello azure"}]


# ----------------------------------------------------------------------------- the SDK as oracle


async def test_sdk_chat_json_stream_and_embeddings_against_the_simulator(sim: Simulator) -> None:
    client = sdk(sim)
    completion = await client.chat.completions.create(model="prod-gpt4o", messages=HELLO)
    assert completion.choices[0].message.content.startswith("echo: hello azure")  # type: ignore[union-attr]
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    seen = last(sim)
    assert seen.path == "/openai/deployments/prod-gpt4o/chat/completions"
    assert seen.headers["api-key"] == AZURE_KEY
    stream = await client.chat.completions.create(
        model="prod-gpt4o", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith(
        "echo:"
    )
    assert chunks[-1].usage is not None
    vectors = await client.embeddings.create(
        model="embed", input=["a", "b"], encoding_format="float"
    )
    assert len(vectors.data) == 2
    assert last(sim).path == "/openai/deployments/embed/embeddings"
    await client.close()


async def test_sdk_with_an_entra_token_and_the_v1_api(sim: Simulator) -> None:
    client = sdk(sim, azure_ad_token=TOKEN)
    await client.chat.completions.create(model="prod-gpt4o", messages=HELLO)
    assert last(sim).headers["Authorization"] == "Bearer " + TOKEN
    assert "api-key" not in last(sim).headers
    v1 = openai.AsyncOpenAI(base_url=sim.url + "/openai/v1", api_key=AZURE_KEY, max_retries=0)
    result = await v1.chat.completions.create(model="prod-gpt4o", messages=HELLO)
    assert result.choices[0].finish_reason == "stop"
    await v1.close()
    await client.close()


async def test_simulator_refuses_like_azure(sim: Simulator) -> None:
    client = sdk(sim)
    with pytest.raises(openai.BadRequestError) as refused:
        await client.chat.completions.create(
            model="m", messages=HELLO, extra_headers={"x-sim-fault": "content_filter"}
        )
    assert refused.value.code == "content_filter"
    inner = refused.value.body["innererror"]  # type: ignore[index]
    assert inner["code"] == "ResponsibleAIPolicyViolation"
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(
            model="m", messages=HELLO, extra_headers={"x-sim-fault": "deployment_not_found"}
        )
    async with aiohttp.ClientSession() as http:  # no credential at all
        url = f"{sim.url}/openai/deployments/m/chat/completions?api-version={VERSION}"
        async with http.post(url, json={"messages": HELLO}) as keyless:
            assert keyless.status == 401
    bad = openai.AsyncAzureOpenAI(
        azure_endpoint=sim.url, api_version="yesterday", api_key=AZURE_KEY, max_retries=0
    )
    with pytest.raises(openai.BadRequestError):
        await bad.chat.completions.create(model="m", messages=HELLO)
    for c in (client, bad):
        await c.close()


# ----------------------------------------------------------------------------- the adapter


def test_urls_for_each_api_shape() -> None:
    base, query, resource = azure_urls("https://r.openai.azure.com/", "gpt 4o", None)
    assert base == "https://r.openai.azure.com/openai/deployments/gpt%204o"
    assert query == "?api-version=" + DEFAULT_API_VERSION
    assert resource == "https://r.openai.azure.com/openai"
    assert azure_urls("https://r.openai.azure.com/openai", "d", "2025-01-01-preview")[1] == (
        "?api-version=2025-01-01-preview"
    )
    assert azure_urls("https://r.openai.azure.com", "d", "v1")[:2] == (
        "https://r.openai.azure.com/openai/v1",
        "",
    )
    assert azure_urls("https://r.openai.azure.com/openai/v1", "d", VERSION)[1] == ""


async def test_adapter_sends_what_the_sdk_sends(sim: Simulator) -> None:
    client = sdk(sim)
    await client.chat.completions.create(model="prod-gpt4o", messages=HELLO, max_tokens=9)
    from_sdk = last(sim)
    await adapter(sim).chat({"model": "ignored", "messages": HELLO, "max_tokens": 9})
    ours = last(sim)
    assert ours.path == from_sdk.path
    assert ours.headers["api-key"] == from_sdk.headers["api-key"]
    assert "Authorization" not in ours.headers
    assert {k: v for k, v in ours.body.items() if k != "stream"} == from_sdk.body
    await client.close()


async def test_adapter_query_carries_the_version(sim: Simulator) -> None:
    target = adapter(sim, api_version="2025-04-01-preview")
    chunks = [c async for c in target.chat_stream({"messages": HELLO})]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["id"] for c in chunks)
    result = await adapter(sim, api_version="v1").chat({"messages": HELLO})
    assert last(sim).path == "/openai/v1/chat/completions"
    assert last(sim).body["model"] == "prod-gpt4o"  # the deployment name travels in the body
    assert result["choices"][0]["content_filter_results"]["violence"]["filtered"] is False
    legacy = await adapter(sim).completions({"prompt": "say this"})
    assert last(sim).path == "/openai/deployments/prod-gpt4o/completions"
    assert legacy["choices"][0]["text"].startswith("echo: say this")
    models = await adapter(sim).models()
    assert [m["id"] for m in models][:1] == ["gpt-4"]  # /openai/models answers only with a version


@pytest.mark.parametrize(
    ("fault", "kind", "marker"),
    [
        ("content_filter", FailureKind.CONTENT_POLICY, "innererror ResponsibleAIPolicyViolation"),
        ("deployment_not_found", FailureKind.SERVER, "DeploymentNotFound"),
        ("auth", FailureKind.AUTH, "HTTP 401"),
        ("429", FailureKind.RATE_LIMITED, "HTTP 429"),
        ("context", FailureKind.CONTEXT_WINDOW, "context_length_exceeded"),
    ],
)
async def test_azure_errors_are_classified(
    sim: Simulator, fault: str, kind: FailureKind, marker: str
) -> None:
    sim.settings.fault = fault
    sim.settings.error_detail = f"api-key: {AZURE_KEY}"
    with pytest.raises(UpstreamError) as failed:
        await adapter(sim).chat({"messages": HELLO})
    assert failed.value.kind is kind
    assert marker in str(failed.value)
    assert AZURE_KEY not in str(failed.value)
    with pytest.raises(UpstreamError) as in_stream:
        async for _ in adapter(sim).chat_stream({"messages": HELLO}):
            pass
    assert in_stream.value.kind is kind


async def test_a_version_azure_refuses_is_a_broken_deployment(sim: Simulator) -> None:
    with pytest.raises(UpstreamError) as failed:
        await adapter(sim, api_version="someday").chat({"messages": HELLO})
    assert failed.value.kind is FailureKind.SERVER
    assert "api_version" in str(failed.value)


# ----------------------------------------------------------------------------- configuration


def azure_config(sim_url: str, **provider: Any) -> dict[str, Any]:
    return {
        "mcp": {
            "models": {
                "azure": {
                    "type": "azure",
                    "endpoint": sim_url,
                    "models": [{"name": "gpt-4o", "model": "prod-gpt4o"}],
                    **provider,
                }
            }
        }
    }


def test_config_options_are_checked() -> None:
    with pytest.raises(ConfigError) as bad:
        parse_config(azure_config("https://r.openai.azure.com", auth="sso", project="p"), env={})
    text = str(bad.value)
    assert "mcp.models.azure.auth: must be one of api_key, entra_id" in text
    assert "mcp.models.azure.project: unknown key" in text
    with pytest.raises(ConfigError, match="endpoint: missing: an azure provider needs one"):
        parse_config({"mcp": {"models": {"az": {"type": "azure", "models": ["m"]}}}}, env={})
    config = parse_config(
        azure_config("https://r.openai.azure.com"), env={"AZURE_OPENAI_API_KEY": AZURE_KEY}
    )
    (deployment,) = config.deployments
    assert deployment.api_key == Secret(AZURE_KEY)
    entra = parse_config(
        azure_config("https://r.openai.azure.com", auth="entra_id"),
        env={"AZURE_OPENAI_API_KEY": AZURE_KEY, "AZURE_OPENAI_AD_TOKEN": TOKEN},
    )
    assert entra.deployments[0].api_key == Secret(TOKEN)
    assert deployment.api_version is None


async def test_entra_token_file_is_read_again(sim: Simulator, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "-one\n")
    config = parse_config(
        azure_config(sim.url, auth="entra_id", api_key="file:token", api_version=VERSION),
        env={},
        base_dir=tmp_path,
    )
    (deployment,) = config.deployments
    target = ProviderTarget(deployment)
    await target.chat({"messages": HELLO})
    assert last(sim).headers["Authorization"] == f"Bearer {TOKEN}-one"
    token_file.write_text(TOKEN + "-two-longer\n")
    changed = ProviderKeyReader().changed([target.config])
    target.rekey(changed[deployment.name])
    await target.chat({"messages": HELLO})
    assert last(sim).headers["Authorization"] == f"Bearer {TOKEN}-two-longer"
    assert TOKEN not in repr(target)
    assert TOKEN not in repr(deployment)


async def test_nothing_secret_in_the_log(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sim.settings.fault = "auth"
    sim.settings.error_detail = f"key={AZURE_KEY}"
    with pytest.raises(UpstreamError):
        await adapter(sim).chat({"messages": HELLO})
    assert caplog.records
    assert AZURE_KEY not in caplog.text
