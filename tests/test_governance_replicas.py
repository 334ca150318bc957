"""Limits held by real `mcproute serve` processes: the workers of one host on the data
directory's SQLite, and two replicas on one Redis and one PostgreSQL. Many concurrent clients
(the official OpenAI SDK) never get more admitted than a limit allows, a budget is never
overshot, and with Redis down a limited key fails closed while an unlimited one is served."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
import redis

from mcp_support import free_port
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from models_support import running_simulator
from proxy_support import serve_command, stop_all
from stores_support import (
    PostgresServer,
    RedisServer,
    admin_made_key,
    replicas_env,
    running_redis,
)
from test_proxy_crash import wait_ready

# Input is free and output costs $0.01 a token; every reply is 4 tokens (the simulator's) and
# asks for at most 4: each request costs exactly its worst case, $0.04, so a $1.00 budget
# admits exactly 25 of them, however many arrive at once.
PRICE = {"input_per_mtok": 0, "output_per_mtok": 10_000}
USD_PER_TOKEN = 0.01
REPLY_TOKENS = 4
BUDGET_FITS = 25
LEASED_RPM = 400  # enough headroom for workers to lease slices of it (`governance.leases`)
HELLO = [{"role": "user", "content": "hello there"}]


@dataclass
class Cluster:
    urls: list[str]
    admin: str
    redis: RedisServer | None


def config_file(tmp_path: Path, sim_url: str) -> Path:
    models = {"openai": {"endpoint": sim_url, "api_key": "sk-test", "models": ["gpt-4"]}}
    config = tmp_path / "mcproute.json"
    config.write_text(json.dumps({"mcp": {"models": models, "prices": {"gpt-4": PRICE}}}))
    return config


async def started(
    tmp_path: Path, config: Path, envs: list[dict[str, str]], workers: int
) -> tuple[list[asyncio.subprocess.Process], list[str]]:
    procs, urls = [], []
    for n, env in enumerate(envs):
        port = free_port()
        with (tmp_path / f"stderr{n}").open("wb") as stderr:
            procs.append(
                await asyncio.create_subprocess_exec(
                    *serve_command(config, port, workers), env=env, stderr=stderr
                )
            )
        urls.append(f"http://127.0.0.1:{port}")
    async with aiohttp.ClientSession() as http:
        for url in urls:
            await wait_ready(http, url)
    return procs, urls


@pytest.fixture
async def one_host(tmp_path: Path) -> AsyncIterator[Cluster]:
    """One `mcproute serve` with two workers on one data directory."""
    data = tmp_path / "data"
    with SqliteApiKeyStore(DataDir(data)) as store:
        admin, _ = ApiKeyManager(DataDir(data).pepper(), store).issue("live", ["admin"])
    async with running_simulator(tokens=REPLY_TOKENS) as sim:
        env = {**os.environ, "MCPROUTE_DATA_DIR": str(data)}
        env.pop("MCPROUTE_REDIS_URL", None)
        procs, urls = await started(tmp_path, config_file(tmp_path, sim.url), [env], workers=2)
        try:
            yield Cluster(urls, admin, None)
        finally:
            await stop_all(procs)


@pytest.fixture
async def replicas(tmp_path: Path, postgres_server: PostgresServer) -> AsyncIterator[Cluster]:
    """Two replicas (two workers each) on one PostgreSQL and one Redis."""
    database_url = postgres_server.new_database(f"g_{secrets.token_hex(6)}")
    async with contextlib.AsyncExitStack() as stack:
        sim = await stack.enter_async_context(running_simulator(tokens=REPLY_TOKENS))
        redis = stack.enter_context(running_redis())
        env, admin = replicas_env(database_url, redis.url, tmp_path / "admin")
        envs = [{**env, "MCPROUTE_DATA_DIR": str(tmp_path / f"replica{n}")} for n in range(2)]
        procs, urls = await started(tmp_path, config_file(tmp_path, sim.url), envs, workers=2)
        try:
            yield Cluster(urls, admin, redis)
        finally:
            await stop_all(procs)


async def key_with(cluster: Cluster, **limits: Any) -> str:
    async with aiohttp.ClientSession() as http:
        made = await admin_made_key(
            http, cluster.urls[0], cluster.admin, scopes=["models"], **limits
        )
    return str(made["key"])


async def storm(cluster: Cluster, key: str, clients: int, until_refused: bool) -> list[Any]:
    """`clients` concurrent SDK clients spread over the replicas; each sends one request, or
    (`until_refused`) keeps sending until it is refused. The replies admitted, and the 429s."""
    out: list[Any] = []

    async def one(n: int) -> None:
        url = cluster.urls[n % len(cluster.urls)]
        async with openai.AsyncOpenAI(api_key=key, base_url=f"{url}/v1", max_retries=0) as sdk:
            while True:
                try:
                    out.append(
                        await sdk.chat.completions.create(
                            model="gpt-4", messages=HELLO, max_tokens=REPLY_TOKENS
                        )
                    )
                except openai.RateLimitError as exc:
                    out.append(exc)
                    return
                if not until_refused:
                    return

    await asyncio.gather(*(one(n) for n in range(clients)))
    return out


def admitted(results: list[Any]) -> list[Any]:
    return [r for r in results if not isinstance(r, Exception)]


def spend(results: list[Any]) -> float:
    return sum(r.usage.completion_tokens for r in admitted(results)) * USD_PER_TOKEN


async def test_one_hosts_workers_never_admit_more_than_the_rpm(one_host: Cluster) -> None:
    key = await key_with(one_host, rpm=7)
    results = await storm(one_host, key, clients=30, until_refused=False)
    assert len(admitted(results)) == 7
    assert all("key.rpm" in str(r) for r in results if isinstance(r, Exception))


async def test_one_hosts_workers_never_overshoot_a_budget(one_host: Cluster) -> None:
    key = await key_with(one_host, budget_usd=1.0, budget_period="day")
    results = await storm(one_host, key, clients=64, until_refused=True)
    assert len(admitted(results)) == BUDGET_FITS
    assert spend(results) == pytest.approx(1.0)
    assert all("key.budget" in str(r) for r in results if isinstance(r, Exception))


async def test_replicas_share_one_rpm_and_one_budget(replicas: Cluster) -> None:
    key = await key_with(replicas, rpm=9)
    results = await storm(replicas, key, clients=40, until_refused=False)
    assert len(admitted(results)) == 9

    budgeted = await key_with(replicas, budget_usd=1.0, budget_period="total")
    results = await storm(replicas, budgeted, clients=64, until_refused=True)
    assert len(admitted(results)) == BUDGET_FITS
    assert spend(results) == pytest.approx(1.0)
    async with aiohttp.ClientSession() as http:
        for url in replicas.urls:  # every replica reads the same spend
            async with http.get(
                f"{url}/v1/usage", headers={"Authorization": f"Bearer {budgeted}"}
            ) as r:
                spent = (await r.json())["key"]["usage"]["budget"]["spent_usd"]
            assert spent == pytest.approx(spend(results), abs=1e-6)


async def test_one_hosts_workers_lease_headroom_and_still_admit_exactly_the_rpm(
    one_host: Cluster, tmp_path: Path
) -> None:
    key = await key_with(one_host, rpm=LEASED_RPM)
    results = await storm(one_host, key, clients=64, until_refused=True)
    assert len(admitted(results)) == LEASED_RPM
    with sqlite3.connect(tmp_path / "data" / "mcproute.db") as db:
        ends = db.execute("SELECT COUNT(*) FROM usage_settled WHERE rid LIKE '%.end'").fetchone()
    assert ends[0] > 0  # workers admitted from leases, and gave back what was left


async def test_replicas_lease_headroom_and_still_admit_exactly_the_rpm(replicas: Cluster) -> None:
    key = await key_with(replicas, rpm=LEASED_RPM)
    results = await storm(replicas, key, clients=64, until_refused=True)
    assert len(admitted(results)) == LEASED_RPM
    assert replicas.redis is not None
    with redis.Redis(port=replicas.redis.port) as sync:
        assert any(sync.scan_iter(match="*{gov}:s:*.end"))  # leases were given back


async def test_with_redis_down_limited_keys_fail_closed(replicas: Cluster) -> None:
    limited = await key_with(replicas, rpm=100)
    free = await key_with(replicas)
    assert replicas.redis is not None
    replicas.redis.stop()
    try:
        async with openai.AsyncOpenAI(
            api_key=limited, base_url=f"{replicas.urls[1]}/v1", max_retries=0
        ) as sdk:
            with pytest.raises(openai.APIStatusError) as caught:
                await sdk.chat.completions.create(model="gpt-4", messages=HELLO)
        assert caught.value.status_code == 503
        assert caught.value.response.json()["error"]["code"] == "store_unavailable"
        async with openai.AsyncOpenAI(
            api_key=free, base_url=f"{replicas.urls[1]}/v1", max_retries=0
        ) as sdk:
            await sdk.chat.completions.create(model="gpt-4", messages=HELLO)  # no store needed
    finally:
        replicas.redis.start()
