"""Per-deployment timeouts and several provider keys per deployment, against the simulator
(which records the key each request carried, accepts a set of keys and rate-limits some)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mcproute.config import ConfigError, parse_config
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models import ModelRegistry
from mcproute.testing.upstream import Simulator
from models_support import running_simulator

KEYS = {"KEY_A": "sk-a-0001", "KEY_B": "sk-b-0002", "KEY_C": "sk-c-0003"}
HELLO = {"messages": [{"role": "user", "content": "hello"}]}
NO_RETRIES = {"num_retries": 0}


def _document(sim: Simulator, provider: dict[str, Any], **routing: Any) -> dict[str, Any]:
    block = {"type": "openai", "endpoint": sim.url, **provider}
    return {"mcp": {"models": {"sim": block}, "routing": {**NO_RETRIES, **routing}}}


@asynccontextmanager
async def _registry(
    sim: Simulator, provider: dict[str, Any], base_dir: Path | None = None
) -> AsyncIterator[ModelRegistry]:
    config = parse_config(_document(sim, provider), env=KEYS, base_dir=base_dir)
    async with ModelRegistry(config) as registry:
        yield registry


def _keys_seen(sim: Simulator) -> list[str]:
    return [r.headers["Authorization"].removeprefix("Bearer ") for r in sim.requests]


# ----------------------------------------------------------------------------- timeouts


async def test_a_per_model_timeout_cuts_a_slow_call() -> None:
    async with running_simulator(fault="stall", stall=5.0) as sim:
        provider = {"timeout": 30, "models": [{"name": "gpt-4", "timeout": 0.2}, "gpt-4o"]}
        async with _registry(sim, provider) as registry:
            model = await registry.get_model("gpt-4")
            with pytest.raises(UpstreamError) as info:
                await model.chat(HELLO)
            assert info.value.kind is FailureKind.TIMEOUT
            with pytest.raises(UpstreamError) as streamed:  # stalls after its first chunk
                _ = [c async for c in model.chat_stream(HELLO)]
            assert streamed.value.kind is FailureKind.TIMEOUT


async def test_a_provider_timeout_applies_to_its_models() -> None:
    async with running_simulator(fault="stall", stall=5.0) as sim:
        provider = {"timeout": 0.2, "models": ["gpt-4"]}
        async with _registry(sim, provider) as registry:
            model = await registry.get_model("gpt-4")
            with pytest.raises(UpstreamError) as info:
                await model.messages({**HELLO, "max_tokens": 5})
            assert info.value.kind is FailureKind.TIMEOUT


async def test_a_call_within_its_timeout_completes() -> None:
    provider = {"models": [{"name": "gpt-4", "timeout": 10}]}
    async with running_simulator(latency=0.05) as sim, _registry(sim, provider) as registry:
        result = await (await registry.get_model("gpt-4")).chat(HELLO)
        assert result["choices"][0]["finish_reason"] == "stop"


# ----------------------------------------------------------------------------- provider keys


async def test_keys_rotate_and_a_rate_limited_key_rests_alone() -> None:
    keys = set(KEYS.values())
    async with running_simulator(
        valid_keys=frozenset(keys), rate_limited_keys=frozenset({"sk-b-0002"}), retry_after=300
    ) as sim:
        provider = {"api_keys": ["${KEY_A}", "${KEY_B}", "${KEY_C}"], "models": ["gpt-4"]}
        async with _registry(sim, provider) as registry:
            model = await registry.get_model("gpt-4")
            for _ in range(3):
                assert (await model.chat(HELLO))["choices"]
            chunks = [c async for c in model.chat_stream(HELLO)]
            assert chunks[-1]["usage"]["total_tokens"] > 0
            # B answered 429 once and rests for its Retry-After; A and C take turns meanwhile.
            assert _keys_seen(sim) == [
                "sk-a-0001",
                "sk-b-0002",
                "sk-c-0003",
                "sk-a-0001",
                "sk-c-0003",
            ]
            async with aiohttp.ClientSession() as http, http.get(sim.url + "/_sim/requests") as r:
                recorded = await r.json()  # what `--valid-key` runs outside tests look at
            assert [e["headers"]["Authorization"] for e in recorded][:2] == [
                "Bearer sk-a-0001",
                "Bearer sk-b-0002",
            ]
            # The deployment never saw a failure: the keys' errors stayed with the keys.
            stats = registry.router.stats()["gpt-4"]["sim/gpt-4#0"]
            assert (stats["successes"], stats["failures"], stats["rate_limited"]) == (4, 0, 0)
            assert stats["cooling_down"] is False
            states = registry.provider_key_states()["sim/gpt-4#0"]
            assert [s["state"] for s in states] == ["ok", "rate_limited", "ok"]
            assert 0 < float(str(states[1]["back_in_s"])) <= 300
            sim.settings.rate_limited_keys = frozenset(keys)
            with pytest.raises(UpstreamError) as info:
                await model.chat(HELLO)
            assert info.value.kind is FailureKind.RATE_LIMITED
            assert "all 3 provider keys" in str(info.value)
            assert info.value.retry_after is not None
            assert "sk-" not in str(info.value)


async def test_each_key_is_tried_once_per_call_even_when_it_may_retry_at_once() -> None:
    limited = frozenset({"sk-a-0001", "sk-b-0002"})
    async with running_simulator(rate_limited_keys=limited, retry_after=0) as sim:
        provider = {"api_keys": ["${KEY_A}", "${KEY_B}"], "models": ["gpt-4"]}
        async with _registry(sim, provider) as registry:
            model = await registry.get_model("gpt-4")
            with pytest.raises(UpstreamError) as info:
                _ = [c async for c in model.chat_stream(HELLO)]
            assert info.value.kind is FailureKind.RATE_LIMITED
            assert sorted(_keys_seen(sim)) == ["sk-a-0001", "sk-b-0002"]
            sim.settings.rate_limited_keys = frozenset({"sk-a-0001"})
            chunks = [c async for c in model.chat_stream(HELLO)]  # A refuses, B streams
            assert chunks[-1]["usage"]["total_tokens"] > 0
            assert _keys_seen(sim)[-1] == "sk-b-0002"


async def test_a_refused_key_is_out_until_its_file_changes(tmp_path: Path) -> None:
    (tmp_path / "a.key").write_text("sk-a-0001\n")
    (tmp_path / "b.key").write_text("sk-revoked\n")
    async with running_simulator(valid_keys=frozenset({"sk-a-0001", "sk-b-new"})) as sim:
        provider = {"api_keys": ["file:a.key", "file:b.key"], "models": ["gpt-4"]}
        async with _registry(sim, provider, base_dir=tmp_path) as registry:
            model = await registry.get_model("gpt-4")
            for _ in range(3):
                assert (await model.messages({**HELLO, "max_tokens": 5}))["content"]
            assert _keys_seen(sim) == ["sk-a-0001", "sk-revoked", "sk-a-0001", "sk-a-0001"]
            (tmp_path / "b.key").write_text("sk-b-new\n")
            await registry.refresh_provider_keys()
            for _ in range(2):
                events = [e async for e in model.messages_stream({**HELLO, "max_tokens": 5})]
                assert events[-1]["type"] == "message_stop"
            assert _keys_seen(sim)[-2:] == ["sk-b-new", "sk-a-0001"]
            (tmp_path / "a.key").write_text("sk-a-revoked\n")
            (tmp_path / "b.key").write_text("sk-b-revoked\n")
            await registry.refresh_provider_keys()
            with pytest.raises(UpstreamError) as info:
                await model.chat(HELLO)
            assert info.value.kind is FailureKind.AUTH


def test_api_keys_configuration_errors() -> None:
    base = {"type": "openai", "endpoint": "http://127.0.0.1:1", "models": ["gpt-4"]}
    cases = [
        ({**base, "api_keys": []}, "mcp.models.sim.api_keys: must be a non-empty list"),
        ({**base, "api_key": "x", "api_keys": ["y"]}, "give either api_key or api_keys"),
        (
            {**base, "api_keys": ["${KEY_A}", "sk-a-0001"]},
            "mcp.models.sim.api_keys[1]: the same key as mcp.models.sim.api_keys[0]",
        ),
        ({**base, "api_keys": ["${NOPE}"]}, "NOPE is not set"),
        (
            {**base, "models": [{"name": "gpt-4", "api_keys": "sk-x"}]},
            "mcp.models.sim.models[0].api_keys: must be a non-empty list",
        ),
        (
            {
                **base,
                "endpoint": "http://u:p@127.0.0.1:1",
                "models": [{"name": "m", "api_keys": ["k"]}],
            },
            "mcp.models.sim.endpoint: has credentials",
        ),
    ]
    for block, problem in cases:
        with pytest.raises(ConfigError) as info:
            parse_config({"mcp": {"models": {"sim": block}}}, env=KEYS)
        assert problem in str(info.value)
        assert "sk-a-0001" not in str(info.value)
    config = parse_config(
        {
            "mcp": {
                "models": {"sim": {**base, "models": [{"name": "gpt-4", "api_keys": ["k1", "k2"]}]}}
            }
        },
        env=KEYS,
    )
    (deployment,) = config.deployments
    assert [k.reveal() for k, _ in deployment.key_slots()] == ["k1", "k2"]
    assert "k1" not in repr(deployment)
