"""A deployment's rpm budget is one budget for the whole deployment: the workers of one host
share it through the data directory, replicas through Redis; with Redis down the limited
deployment fails closed (503) while unlimited ones keep serving, and it resumes by itself.

The checks count admissions, never time: the budget is 60 s wide and the tests end well
within it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis as redis_client

from mcp_support import free_port
from mcproute.store import DataDir
from mcproute.store.database import PostgresDatabase
from mcproute.store.shared import redis_namespace
from mcproute.testing.upstream import Simulator
from proxy_support import issue_key, serve_command, stop_all
from stores_support import PostgresServer, RedisServer, running_redis
from test_proxy_crash import wait_ready

RPM = 5
SENT = 6 * RPM  # enough that each of two workers alone would admit more than RPM


@contextlib.asynccontextmanager
async def proxies(
    tmp_path: Path, replicas: int, workers: int, env: dict[str, str] | None = None
) -> AsyncIterator[list[tuple[str, str]]]:
    """`replicas` serve processes (each with its own data directory and key) in front of one
    simulator, with deployments "limited" (rpm: RPM), "roomy" (rpm: 1000) and "free" (none)."""
    sim = await Simulator().start()
    config = tmp_path / "mcproute.json"
    models = [
        {"name": "limited", "model": "gpt-4", "rpm": RPM},
        {"name": "roomy", "model": "gpt-4", "rpm": 1000},
        {"name": "free", "model": "m"},
    ]
    provider = {"endpoint": sim.url, "api_key": "sk-test", "models": models}
    config.write_text(json.dumps({"mcp": {"models": {"openai": provider}}}))
    procs: list[asyncio.subprocess.Process] = []
    targets: list[tuple[str, str]] = []
    try:
        for n in range(replicas):
            data = tmp_path / f"replica{n}"
            database_url = (env or {}).get("MCPROUTE_DATABASE_URL")
            key = issue_key(DataDir(data), "models", database_url=database_url)
            port = free_port()
            with (tmp_path / f"stderr{n}").open("wb") as stderr:
                procs.append(
                    await asyncio.create_subprocess_exec(
                        *serve_command(config, port, workers),
                        env={**os.environ, **(env or {}), "MCPROUTE_DATA_DIR": str(data)},
                        stderr=stderr,
                    )
                )
            targets.append((f"http://127.0.0.1:{port}", key))
        async with aiohttp.ClientSession() as http:
            for url, _ in targets:
                await wait_ready(http, url)
        yield targets
    finally:
        await stop_all(procs)
        await sim.stop()


async def ask(url: str, key: str, model: str, stream: bool = False) -> tuple[int, Any]:
    """One chat call on a connection of its own, so calls spread over the workers. A 429 must
    say when to come back."""
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http,
        http.post(f"{url}/v1/chat/completions", json=body, headers=headers) as r,
    ):
        if r.status == 429:
            assert int(r.headers["Retry-After"]) >= 1
        return r.status, await r.text() if stream and r.status == 200 else await r.json()


async def burst(targets: list[tuple[str, str]], model: str, n: int) -> Counter[int]:
    calls = [ask(*targets[i % len(targets)], model) for i in range(n)]
    return Counter(status for status, _ in await asyncio.gather(*calls))


async def test_two_workers_of_one_host_share_one_rpm_budget(tmp_path: Path) -> None:
    async with proxies(tmp_path, replicas=1, workers=2) as targets:
        statuses = await burst(targets, "limited", SENT)
        assert statuses == {200: RPM, 429: SENT - RPM}
        assert await burst(targets, "free", 4) == {200: 4}


@pytest.fixture
def redis() -> Any:
    with running_redis() as server:
        yield server


async def test_replicas_on_one_redis_share_one_rpm_budget_and_fail_closed(
    tmp_path: Path, redis: RedisServer
) -> None:
    env = {"MCPROUTE_REDIS_URL": redis.url}
    async with proxies(tmp_path, replicas=2, workers=1, env=env) as targets:
        statuses = await burst(targets, "limited", SENT)
        assert statuses == {200: RPM, 429: SENT - RPM}

        # A full window sends "limited" into each replica's cooldown (it fails fast without
        # asking Redis); "roomy" asks Redis on every call.
        assert await burst(targets, "roomy", 4) == {200: 4}
        redis.stop()
        for url, key in targets:
            status, body = await ask(url, key, "roomy")
            assert status == 503, body
            assert body["error"]["code"] == "store_unavailable"
            assert "Redis" in body["error"]["message"]
            assert (await ask(url, key, "free"))[0] == 200
            status, body = await ask(url, key, "roomy", stream=True)
            assert (status, body["error"]["code"]) == (503, "store_unavailable")
            assert (await ask(url, key, "free", stream=True))[0] == 200

        redis.start()  # the replicas' clients reconnect by themselves, on the first call
        assert await burst(targets, "roomy", 4) == {200: 4}


async def test_two_installations_on_one_redis_keep_their_own_budgets(
    tmp_path: Path, redis: RedisServer, postgres_server: PostgresServer
) -> None:
    """Same deployment name, same rpm, one Redis: each installation (its own PostgreSQL
    database) counts in its own namespace, the database's installation id."""
    installations = []
    for name in ("a", "b"):
        url = postgres_server.new_database(f"ns_{name}_{secrets.token_hex(4)}")
        env = {"MCPROUTE_REDIS_URL": redis.url, "MCPROUTE_DATABASE_URL": url}
        installations.append((tmp_path / name, env))
    async with contextlib.AsyncExitStack() as stack:
        targets = []
        for directory, env in installations:
            directory.mkdir()
            targets.append(
                await stack.enter_async_context(proxies(directory, replicas=1, workers=1, env=env))
            )
        for each in targets:
            assert await burst(each, "limited", 2 * RPM) == {200: RPM, 429: RPM}
    namespaces = {
        redis_namespace(None, PostgresDatabase(env["MCPROUTE_DATABASE_URL"]))
        for _, env in installations
    }
    assert len(namespaces) == 2
    client = redis_client.Redis.from_url(redis.url)
    try:
        windows = {key.decode() for key in client.scan_iter("*{gov}:w:deployment:*")}
    finally:
        client.close()
    assert windows, "no rpm window in Redis"
    for window in windows:  # every window is inside one installation's namespace
        assert any(window.startswith(f"mcproute:{ns}:{{gov}}:") for ns in namespaces), window
