"""ModelRegistry and MCPClient through the Router, against the upstream simulator."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mcproute.client import MCPClient
from mcproute.config import ConfigError, parse_config
from mcproute.context import ContextNotFoundError
from mcproute.context.sqlite import SqliteContextStore
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models import ModelNotFoundError, ModelRegistry
from mcproute.store import DataDir
from mcproute.testing.upstream import Simulator
from models_support import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    developers_config_at,
    running_simulator,
    write,
)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with running_simulator(tokens=4) as s:
        yield s


def registry_for(document: dict[str, Any]) -> ModelRegistry:
    env = {"OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY}
    return ModelRegistry(parse_config(document, env=env))


def multi_provider(url: str) -> dict[str, Any]:
    return {
        "mcp": {
            "models": {
                "openai": {
                    "endpoint": url,
                    "models": ["gpt-4", "gpt-4o", "text-embedding-3-small"],
                },
                "anthropic": {
                    "endpoint": url,
                    "models": [{"name": "claude", "model": "claude-sonnet-5-5"}],
                },
            },
            "aliases": {"smart": "claude"},
            "groups": {"mixed": ["gpt-4", "claude"]},
        }
    }


async def test_developers_calls_work_as_written(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "platform.json"
    path.write_text(json.dumps(developers_config_at(sim.url)))
    monkeypatch.setenv("MCPROUTE_CONFIG", str(path))
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    context = [{"role": "user", "content": "hello world"}]

    client = MCPClient()
    response = await client.send_request(model="gpt-4", context=context)
    assert response.text == "echo: hello world w3"
    assert response.finish_reason == "stop"
    assert sim.requests[-1].headers["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert sim.requests[-1].body["model"] == "gpt-4"

    registry = ModelRegistry()
    model = await registry.get_model("text-generation")
    prompt = "and you?"
    result = await model.generate(prompt, context)
    assert result.text == "echo: and you? w3"
    assert sim.requests[-1].body["messages"] == [*context, {"role": "user", "content": prompt}]
    assert result.usage["completion_tokens"] == 4


async def test_default_file_in_working_directory(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MCPROUTE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mcproute.json").write_text(json.dumps(developers_config_at(sim.url)))
    response = await MCPClient().send_request(model="gpt-3.5-turbo", context="be nice", prompt="q")
    assert response.text == "echo: q w2 w3"
    assert sim.requests[-1].body["messages"][0] == {"role": "system", "content": "be nice"}


async def test_builtin_default_without_any_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MCPROUTE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    registry = ModelRegistry()
    assert registry.config.source == "<built-in default>"
    assert (await registry.get_model("text-generation")).name == "gpt-4"
    assert (await registry.get_model("embeddings")).name == "text-embedding-3-small"


async def test_context_forms(sim: Simulator) -> None:
    registry = registry_for(multi_provider(sim.url))
    model = await registry.get_model("gpt-4")
    shared = await registry.context_store.put([{"role": "user", "content": "remember me"}])
    result = await model.generate(None, shared)
    assert result.text == "echo: remember me w3"
    with pytest.raises(ContextNotFoundError, match=r"ctx_0{32}"):
        await model.generate("x", "ctx_" + "0" * 32)
    with pytest.raises(TypeError, match="context"):
        await model.generate("x", {"role": "user"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"context\[0\]"):
        await model.generate("x", [{"content": "no role"}])
    with pytest.raises(ValueError, match="prompt"):
        await model.generate()


async def test_stream_yields_chunks_with_usage(sim: Simulator) -> None:
    registry = registry_for(multi_provider(sim.url))
    for name in ("gpt-4", "smart"):
        model = await registry.get_model(name)
        chunks = [c async for c in model.stream("tell me", [{"role": "system", "content": "S"}])]
        assert "".join(c.text for c in chunks) == "echo: tell me w3"
        assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
        assert chunks[-1].usage is not None


async def test_names_aliases_groups_and_capabilities(sim: Simulator) -> None:
    registry = registry_for(multi_provider(sim.url))
    assert (await registry.get_model("smart")).name == "claude"
    assert (await registry.get_model("vision")).name == "gpt-4o"
    assert (await registry.get_model("embeddings")).name == "text-embedding-3-small"
    assert (await registry.get_model("tools")).name == "gpt-4"
    mixed = await registry.get_model("mixed")
    texts = {(await mixed.generate("hey")).text for _ in range(6)}
    assert texts == {"echo: hey w2 w3"}
    with pytest.raises(ModelNotFoundError, match="'gpt-5' is not a configured model"):
        await registry.get_model("gpt-5")


async def test_embeddings_and_anthropic_format(sim: Simulator) -> None:
    registry = registry_for(multi_provider(sim.url))
    vectors = await (await registry.get_model("embeddings")).embed(["a", "b"])
    assert [len(v) for v in vectors] == [8, 8]
    claude = await registry.get_model("claude")
    message = await claude.messages(
        {"max_tokens": 20, "system": "S", "messages": [{"role": "user", "content": "yo"}]}
    )
    assert message["content"][0]["text"] == "echo: yo w2 w3"
    assert sim.requests[-1].headers["x-api-key"] == ANTHROPIC_KEY
    gpt = await registry.get_model("gpt-4")
    events = [
        e async for e in gpt.messages_stream({"messages": [{"role": "user", "content": "yo"}]})
    ]
    assert events[0]["type"] == "message_start"
    assert events[-1]["type"] == "message_stop"


async def test_failed_deployment_falls_back_to_a_healthy_one(sim: Simulator) -> None:
    async with running_simulator(fault="500") as broken:
        document = {
            "mcp": {
                "models": {
                    "bad": {"type": "openai", "endpoint": broken.url, "models": ["gpt-4"]},
                    "good": {"type": "openai", "endpoint": sim.url, "models": ["gpt-4"]},
                }
            }
        }
        model = await registry_for(document).get_model("gpt-4")
        for _ in range(4):
            assert (await model.generate("x")).text == "echo: x w2 w3"


async def test_errors_are_classified_and_hide_keys(sim: Simulator) -> None:
    async with running_simulator(fault="auth") as refusing:
        document = {"mcp": {"models": {"openai": {"endpoint": refusing.url, "models": ["m"]}}}}
        model = await registry_for(document).get_model("m")
        with pytest.raises(UpstreamError) as info:
            await model.generate("x")
        assert info.value.kind is FailureKind.AUTH
        assert OPENAI_KEY not in str(info.value)
        assert OPENAI_KEY not in repr(info.value)


async def test_rpm_budget_is_enforced_locally(sim: Simulator) -> None:
    document = {
        "mcp": {"models": {"openai": {"endpoint": sim.url, "models": [{"name": "m", "rpm": 2}]}}}
    }
    model = await registry_for(document).get_model("m")
    await model.generate("1")
    await model.generate("2")
    before = len(sim.requests)
    with pytest.raises(UpstreamError) as info:
        await model.generate("3")
    assert info.value.kind is FailureKind.RATE_LIMITED
    assert len(sim.requests) == before  # refused before anything was sent


async def test_reload_keeps_requests_in_flight(sim: Simulator) -> None:
    async with running_simulator(latency=0.3, tokens=2) as slow:
        first = {"mcp": {"models": {"openai": {"endpoint": slow.url, "models": ["gpt-4"]}}}}
        registry = registry_for(first)
        model = await registry.get_model("gpt-4")
        in_flight = asyncio.create_task(model.generate("slow"))
        await asyncio.sleep(0.1)
        second = {"mcp": {"models": {"openai": {"endpoint": sim.url, "models": ["gpt-4", "m2"]}}}}
        registry.apply(parse_config(second, env={"OPENAI_API_KEY": OPENAI_KEY}))
        assert (await in_flight).text == "echo: slow"
        assert (await (await registry.get_model("m2")).generate("new")).text == "echo: new w2 w3"
        assert (await model.generate("after")).text == "echo: after w2 w3"
        assert sim.requests[-1].body["messages"][-1]["content"] == "after"


async def test_reload_from_file_rejects_bad_config(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "mcproute.json"
    path.write_text(json.dumps(developers_config_at(sim.url)))
    registry = ModelRegistry(path)
    path.write_text('{"mcp": {"models": {"openai": {"models": [{"weight": 0}]}}}}')
    with pytest.raises(ConfigError):
        registry.reload()
    assert (await registry.get_model("gpt-4")).name == "gpt-4"


async def test_reprs_hide_keys(sim: Simulator) -> None:
    registry = registry_for(multi_provider(sim.url))
    shown = repr(registry) + repr(registry.config) + repr(registry.router)
    assert OPENAI_KEY not in shown
    assert ANTHROPIC_KEY not in shown


async def test_watch_applies_file_changes(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "mcproute.json"
    path.write_text(json.dumps(developers_config_at(sim.url)))
    registry = ModelRegistry(path)
    registry.watch(interval=0.05)
    try:
        changed = developers_config_at(sim.url)
        changed["mcp"]["models"]["openai"]["models"].append("gpt-4o")
        path.write_text(json.dumps(changed))
        for _ in range(200):  # bounded wait for the poll to notice
            if "gpt-4o" in registry.models():
                break
            await asyncio.sleep(0.02)
        model = await registry.get_model("gpt-4o")
        assert (await model.generate("new")).text == "echo: new w2 w3"
    finally:
        await registry.aclose()


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return subprocess.run(
        [sys.executable, "-m", "mcproute.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_config_check_command(tmp_path: Path) -> None:
    good = _run_cli(
        "config",
        "check",
        str(write(tmp_path / "good.json", developers_config_at("https://api.openai.com"))),
    )
    assert good.returncode == 0, good.stderr
    assert "ok (2 model group(s), 2 deployment(s), 0 MCP server(s))" in good.stdout

    document = {"mcp": {"models": {"openai": {"models": [{"name": "m", "weight": "heavy"}]}}}}
    bad = _run_cli("config", "check", str(write(tmp_path / "bad.yaml", document)))
    assert bad.returncode == 1
    assert "1 error(s)" in bad.stderr
    assert "mcp.models.openai.models[0].weight: must be a number" in bad.stderr


async def test_registry_shares_the_data_directorys_contexts(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program and `mcproute serve` on the same MCPROUTE_DATA_DIR resolve the same ids."""
    store = SqliteContextStore(DataDir(tmp_path))
    made = await store.create("acme", "messages", [{"role": "user", "content": "shared text"}])
    store.close()
    monkeypatch.setenv("MCPROUTE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MCPROUTE_TENANT", "acme")
    async with registry_for(multi_provider(sim.url)) as registry:
        result = await (await registry.get_model("gpt-4")).generate(None, made.id)
    assert result.text == "echo: shared text w3"
    monkeypatch.setenv("MCPROUTE_TENANT", "globex")  # another tenant's id does not resolve
    async with registry_for(multi_provider(sim.url)) as registry:
        with pytest.raises(ContextNotFoundError):
            await (await registry.get_model("gpt-4")).generate(None, made.id)
