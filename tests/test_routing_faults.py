"""Routing under faults through the proxy, against simulators with fault modes: latency and
failure ejection shown in /admin/models and the dashboard data, the default timeouts and their
overrides, and how started streams end (an error event in the caller's format, counted by
reason), including the drain deadline of a real `mcproute serve` on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest

from mcp_support import serve
from mcproute.config import ConfigError, parse_config
from mcproute.proxy import build_app
from mcproute.routing import RouterPolicy
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.testing.upstream import Simulator
from models_support import OPENAI_KEY, running_simulator
from proxy_support import without_instance
from test_proxy_serve import served


@dataclass
class Gateway:
    url: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def group_of(sims: Sequence[Simulator], **entry: Any) -> dict[str, Any]:
    """One provider per simulator, each serving model group gpt-4."""
    return {
        f"sim{i}": {
            "type": "openai_compatible",
            "endpoint": sim.url,
            "api_key": OPENAI_KEY,
            "models": [{"name": "gpt-4", **entry}] if i == 0 or not entry else ["gpt-4"],
        }
        for i, sim in enumerate(sims)
    }


@contextlib.asynccontextmanager
async def gateway(
    tmp_path: Path, models: dict[str, Any], routing: dict[str, Any] | None = None
) -> AsyncIterator[Gateway]:
    document = {"mcp": {"models": models, "routing": routing or {}}}
    config = parse_config(document, env={})
    data_dir = DataDir(tmp_path / "data")
    with SqliteApiKeyStore(data_dir) as store:
        key, _ = ApiKeyManager(data_dir.pepper(), store).issue("test", ["admin"])
    async with serve(build_app(config, data_dir)) as url:
        yield Gateway(url.removesuffix("/mcp"), key)


async def get_json(gw: Gateway, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(gw.url + path, headers=gw.headers) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def metrics(gw: Gateway) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.get(gw.url + "/metrics", headers=gw.headers) as r,
    ):
        return without_instance(await r.text())


def ending_count(text: str, reason: str) -> int:
    prefix = f'mcproute_stream_endings_total{{model="gpt-4",reason="{reason}"}} '
    return sum(
        int(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix)
    )


async def sse_events(gw: Gateway, path: str, body: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(event name, data) of every event of a streamed reply, read raw."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(gw.url + path, json={**body, "stream": True}, headers=gw.headers) as r,
    ):
        assert r.status == 200, await r.text()
        raw = await r.text()
    events = []
    for block in raw.split("\n\n"):
        name = next((ln[7:] for ln in block.splitlines() if ln.startswith("event: ")), None)
        data = "\n".join(ln[6:] for ln in block.splitlines() if ln.startswith("data: "))
        if data:
            events.append((name, data))
    return events


CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "gpt-4", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


async def test_slow_and_failing_deployments_are_ejected_with_their_reason(tmp_path: Path) -> None:
    async with (
        running_simulator() as healthy,
        running_simulator(fault="500") as failing,
        running_simulator(fault="stall_start", stall=1.5) as slow,
        gateway(
            tmp_path,
            group_of([healthy, failing, slow]),
            {
                "latency_min_s": 0.3,
                "max_ejected_share": 0.7,
                "panic_threshold": 0.3,
                "backoff_base_s": 0.001,
            },
        ) as gw,
        # The SDK's own retries: under CPU starvation a request rarely exhausts the gateway's
        # retries on this group while ejections settle (seen once in ~10 runs, not yet
        # explained); this test is about the ejections and their reasons.
        openai.AsyncOpenAI(base_url=f"{gw.url}/v1", api_key=gw.key, max_retries=2) as client,
    ):
        states: dict[str, Any] = {}
        for _ in range(20):  # bursts of traffic until both faulty deployments are out
            replies = await asyncio.gather(
                *(client.chat.completions.create(**CHAT) for _ in range(16))  # type: ignore[call-overload]
            )
            assert all(r.choices[0].message.content for r in replies)  # retries hid the faults
            states = {
                d["provider"]: d
                for d in (await get_json(gw, "/admin/models"))["groups"]["gpt-4"]["deployments"]
            }
            if states["sim1"]["ejected"] and states["sim2"]["ejected"]:
                break
        assert states["sim0"]["state"] == "up"
        assert states["sim1"]["state"] == "ejected: failures"
        assert states["sim1"]["ejected_reason"] == "failures"
        assert states["sim2"]["state"] == "ejected: latency"
        assert states["sim2"]["ejected_reason"] == "latency"
        shown = (await get_json(gw, "/dashboard/data"))["panels"]["deployments"]
        dashboard = {d["deployment"]: d for d in shown}
        assert dashboard[states["sim2"]["name"]]["state"] == "ejected"
        assert dashboard[states["sim2"]["name"]]["reason"] == "latency"
        assert dashboard[states["sim1"]["name"]]["state"] == "ejected"
        assert dashboard[states["sim1"]["name"]]["reason"] == "failures"
        # Ejected deployments get no traffic while they are out.
        served_before = slow.served, failing.served
        for _ in range(10):
            await client.chat.completions.create(**CHAT)  # type: ignore[call-overload]
        assert (slow.served, failing.served) == served_before


def test_default_timeouts_protect_users() -> None:
    policy = RouterPolicy()
    assert policy.first_byte_timeout_s == 30.0
    assert policy.stream_idle_timeout_s == 60.0
    assert policy.hedge is False
    assert policy.strategy == "peak_ewma"
    assert RouterPolicy.from_mapping({"hedge": True}).hedge  # one line to enable
    overridden = RouterPolicy(groups={"gpt-4": {"first_byte_timeout_s": 5}})
    assert overridden.timeouts("gpt-4")["first_byte_timeout_s"] == 5
    assert overridden.timeouts("other")["first_byte_timeout_s"] == 30.0
    own = overridden.timeouts("gpt-4", {"first_byte_timeout_s": 2})
    assert own["first_byte_timeout_s"] == 2
    assert own["stream_idle_timeout_s"] == 60.0
    no_idle = RouterPolicy(groups={"g": {"stream_idle_timeout_s": None}})
    assert no_idle.timeouts("g")["stream_idle_timeout_s"] is None  # None: no limit
    with pytest.raises(ValueError, match=r"groups\.g: unknown timeout 'first_byte'"):
        RouterPolicy(groups={"g": {"first_byte": 1}})
    with pytest.raises(ValueError, match=r"groups.g.first_byte_timeout_s: must be >= 0"):
        RouterPolicy(groups={"g": {"first_byte_timeout_s": -1}})
    with pytest.raises(ValueError, match="latency_multiple: must be >= 0"):
        RouterPolicy(latency_multiple=-2)
    models = {"openai": {"api_key": "k", "models": [{"name": "gpt-4", "first_byte_timeout": 0}]}}
    with pytest.raises(ConfigError, match=r"models\[0\]\.first_byte_timeout: must be greater"):
        parse_config({"mcp": {"models": models}}, env={})


async def test_a_late_first_byte_is_retried_on_another_deployment(tmp_path: Path) -> None:
    # The stalled deployment's own entry sets a 0.3 s first-byte timeout.
    async with (
        running_simulator(fault="stall_start", stall=5.0) as slow,
        running_simulator(tokens=3) as healthy,
        gateway(
            tmp_path,
            group_of([slow, healthy], first_byte_timeout=0.3),
            {"strategy": "round_robin"},
        ) as gw,
    ):
        for path, body in (("/v1/chat/completions", CHAT), ("/v1/messages", MESSAGES)):
            for _ in range(2):  # round robin: one of the two starts on the slow deployment
                events = await sse_events(gw, path, body)
                assert not any('"error"' in data for _, data in events), events
        assert slow.served >= 1
        text = await metrics(gw)
        assert 'mcproute_retries_total{group="gpt-4"} ' in text
        assert ending_count(text, "completed") == 4


async def test_after_the_first_byte_nothing_is_retried(tmp_path: Path) -> None:
    # Group override: a 0.3 s idle timeout; the upstream sends one chunk, then stalls.
    async with (
        running_simulator(fault="stall", stall=5.0) as sim,
        gateway(
            tmp_path,
            group_of([sim]),
            {"groups": {"gpt-4": {"stream_idle_timeout_s": 0.3}}},
        ) as gw,
    ):
        events = await sse_events(gw, "/v1/chat/completions", CHAT)
        error = json.loads(events[-1][1])["error"]
        assert error["code"] == "idle_timeout"
        assert "idle for more than 0.3 s" in error["message"]
        assert all(data != "[DONE]" for _, data in events)
        assert sim.served == 1  # the stream had started: not retried
        events = await sse_events(gw, "/v1/messages", MESSAGES)
        name, data = events[-1]
        assert name == "error"
        assert json.loads(data)["type"] == "error"
        assert json.loads(data)["error"]["type"] == "timeout_error"
        assert ending_count(await metrics(gw), "idle_timeout") == 2


async def test_cut_and_long_streams_end_with_an_error_event(tmp_path: Path) -> None:
    async with (
        running_simulator(fault="cut") as cut,
        running_simulator(tokens=40, token_interval=0.05) as long,
    ):
        async with gateway(tmp_path / "cut", group_of([cut])) as gw:
            events = await sse_events(gw, "/v1/chat/completions", CHAT)
            assert json.loads(events[-1][1])["error"]["code"] == "upstream_cut"
            events = await sse_events(gw, "/v1/messages", MESSAGES)
            assert events[-1][0] == "error"
            assert json.loads(events[-1][1])["error"]["type"] == "api_error"
            assert ending_count(await metrics(gw), "upstream_cut") == 2
        limits = {"total_timeout_s": 0.5}
        async with gateway(tmp_path / "long", group_of([long]), limits) as gw:
            events = await sse_events(gw, "/v1/chat/completions", CHAT)
            error = json.loads(events[-1][1])["error"]
            assert error["code"] == "total_timeout"
            assert ending_count(await metrics(gw), "total_timeout") == 1


async def test_a_client_that_leaves_is_counted_as_such(tmp_path: Path) -> None:
    async with (
        running_simulator(tokens=200, token_interval=0.05) as sim,
        gateway(tmp_path, group_of([sim])) as gw,
    ):
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                gw.url + "/v1/chat/completions", json={**CHAT, "stream": True}, headers=gw.headers
            ) as r,
        ):
            await r.content.readline()  # the stream started; now hang up
        for _ in range(200):  # the gateway notices on its next write
            if ending_count(await metrics(gw), "client_disconnected"):
                break
            await asyncio.sleep(0.05)
        assert ending_count(await metrics(gw), "client_disconnected") == 1


async def test_drain_deadline_ends_streams_with_an_error_event(tmp_path: Path) -> None:
    async with (
        running_simulator(tokens=100, token_interval=0.1) as sim,
        served(tmp_path, sim.url, "--drain", "1") as proxy,
    ):
        headers = {"Authorization": f"Bearer {proxy.key}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{proxy.url}/v1/chat/completions", json={**CHAT, "stream": True}, headers=headers
            ) as r,
        ):
            assert r.status == 200
            await r.content.readline()
            proxy.proc.send_signal(signal.SIGTERM)
            rest = (await r.content.read()).decode()
        last = [ln for ln in rest.splitlines() if ln.startswith("data: ")][-1]
        error = json.loads(last.removeprefix("data: "))["error"]
        assert error["code"] == "shutdown"
        assert error["message"] == "the server is shutting down"
        assert "[DONE]" not in rest
        assert await asyncio.wait_for(proxy.proc.wait(), 30) == 0
