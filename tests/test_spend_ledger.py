"""The spend ledger end to end: `mcproute serve` (two workers) on SQLite and on PostgreSQL, the
official SDKs as clients against the upstream simulator. Each call's row carries the cost the
price table gives for the usage the client saw; N concurrent calls make exactly N rows whose
sum is what `/admin/spend`, `mcproute spend report` and `/metrics` report; a graceful stop
right after the last call loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from mcp_support import free_port
from mcproute.config import parse_config
from mcproute.governance.prices import PriceTable
from mcproute.governance.usage import usage_of
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.shared import open_database
from mcproute.store.spend import SpendRow, SpendStore
from mcproute.testing.upstream import Simulator
from proxy_support import serve_command
from stores_support import PostgresServer
from test_proxy_crash import wait_ready

DEADLINE_S = 15.0  # bounds the waits below; nothing here asserts how fast
GPT = {"input_per_mtok": 30, "output_per_mtok": 60}
CLAUDE = {"input_per_mtok": 3, "output_per_mtok": 15, "cached_input_per_mtok": 0.3}


def spend_document(sim_url: str) -> dict[str, Any]:
    return {
        "mcp": {
            "models": {
                "openai": {
                    "endpoint": sim_url,
                    "api_key": "sk-test",
                    # gpt-4 priced here; the embeddings model by the shipped default
                    "models": [{"name": "gpt-4", "price": GPT}, "text-embedding-3-small"],
                },
                "anthropic": {
                    "endpoint": sim_url,
                    "api_key": "sk-ant-test",
                    "models": [{"name": "claude", "model": "claude-sonnet-5-5", "price": CLAUDE}],
                },
            }
        }
    }


@dataclass
class Ledgered:
    url: str
    user: str  # a models key in tenant "acme"
    admin: str
    data_dir: DataDir
    env: dict[str, str]
    database_url: str | None
    proc: asyncio.subprocess.Process
    prices: PriceTable

    async def stop(self) -> None:
        """A graceful stop (SIGTERM: drain, then the ledger's last flush)."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        assert await self.proc.wait() == 0

    def rows(self) -> list[SpendRow]:
        store = SpendStore(open_database(self.database_url, self.data_dir))
        try:
            return store.rows()
        finally:
            store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the data directory's SQLite, else a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    yield server.new_database(f"spend_{secrets.token_hex(6)}")


@contextlib.asynccontextmanager
async def ledgered(
    tmp_path: Path, database_url: str | None, workers: int = 2
) -> AsyncIterator[Ledgered]:
    sim = await Simulator().start()
    document = spend_document(sim.url)
    config = tmp_path / "mcproute.json"
    config.write_text(json.dumps(document))
    data_dir = DataDir(tmp_path / "data")
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(data_dir.path)}
    if database_url is not None:
        env["MCPROUTE_DATABASE_URL"] = database_url
    with SqliteApiKeyStore(data_dir, database=open_database(database_url, data_dir)) as store:
        manager = ApiKeyManager(data_dir.pepper(), store)
        user, _ = manager.issue("test", ["models", "tenant:acme"])
        admin, _ = manager.issue("test", ["admin"])
    port = free_port()
    with (tmp_path / "stderr").open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port, workers), env=env, stderr=stderr
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, url)
        prices = PriceTable(parse_config(document, env={}))
        yield Ledgered(url, user, admin, data_dir, env, database_url, proc, prices)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        await sim.stop()


def expected_cost(prices: PriceTable, model: str, deployment: str, usage: Any) -> int:
    price = prices.price(model, deployment)
    assert price is not None
    counted = usage_of(usage)
    return price.cost_nusd(counted.input, counted.output, counted.cached)


def dump(usage: Any) -> dict[str, Any]:
    found: dict[str, Any] = usage.model_dump(exclude_none=True)
    return found


async def every_route(
    oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """One call of each kind, each tagged with its request id; what the client saw of each
    (model, deployment, usage)."""
    seen: dict[str, tuple[str, str, dict[str, Any]]] = {}  # request id -> model, deployment
    hi = [{"role": "user", "content": "hello there"}]

    def tag(name: str) -> dict[str, str]:
        return {"x-request-id": name}

    chat = await oai.chat.completions.create(
        model="gpt-4", messages=hi, extra_headers=tag("chat-json")
    )
    seen["chat-json"] = ("gpt-4", "openai/gpt-4#0", dump(chat.usage))
    stream = await oai.chat.completions.create(
        model="gpt-4",
        messages=hi,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=tag("chat-stream"),
    )
    chunks = [c async for c in stream]
    assert chunks[-1].usage is not None
    seen["chat-stream"] = ("gpt-4", "openai/gpt-4#0", dump(chunks[-1].usage))
    # Without include_usage the client gets no usage chunk, and the call is priced anyway.
    quiet = await oai.chat.completions.create(
        model="gpt-4", messages=hi, stream=True, extra_headers=tag("chat-quiet")
    )
    quiet_chunks = [c async for c in quiet]
    assert all(c.usage is None for c in quiet_chunks)
    assert all(c.choices for c in quiet_chunks)
    seen["chat-quiet"] = seen["chat-json"]
    message = await ant.messages.create(
        model="claude", max_tokens=64, messages=hi, extra_headers=tag("messages-json")
    )
    seen["messages-json"] = ("claude", "anthropic/claude#0", dump(message.usage))
    async with ant.messages.stream(
        model="claude", max_tokens=64, messages=hi, extra_headers=tag("messages-stream")
    ) as events:
        final = await events.get_final_message()
    seen["messages-stream"] = ("claude", "anthropic/claude#0", dump(final.usage))
    response = await oai.responses.create(
        model="gpt-4", input="hello there", extra_headers=tag("responses-json")
    )
    assert response.usage is not None
    seen["responses-json"] = ("gpt-4", "openai/gpt-4#0", dump(response.usage))
    streamed = await oai.responses.create(
        model="gpt-4", input="hello there", stream=True, extra_headers=tag("responses-stream")
    )
    completed = [e async for e in streamed if e.type == "response.completed"]
    assert completed[0].response.usage is not None  # type: ignore[union-attr]
    usage = completed[0].response.usage  # type: ignore[union-attr]
    seen["responses-stream"] = ("gpt-4", "openai/gpt-4#0", dump(usage))
    embedded = await oai.embeddings.create(
        model="text-embedding-3-small", input="abc def", extra_headers=tag("embeddings")
    )
    seen["embeddings"] = (
        "text-embedding-3-small",
        "openai/text-embedding-3-small#0",
        dump(embedded.usage),
    )
    legacy = await oai.completions.create(
        model="gpt-4", prompt="hello there", extra_headers=tag("completions-json")
    )
    assert legacy.usage is not None
    seen["completions-json"] = ("gpt-4", "openai/gpt-4#0", dump(legacy.usage))
    legacy_stream = await oai.completions.create(
        model="gpt-4", prompt="hello there", stream=True, extra_headers=tag("completions-stream")
    )
    assert all(c.usage is None for c in [c async for c in legacy_stream])
    seen["completions-stream"] = seen["completions-json"]
    await ant.messages.count_tokens(model="claude", messages=hi)  # free: no row
    with pytest.raises(openai.NotFoundError):  # an unknown model never reached a model
        await oai.chat.completions.create(model="nope", messages=hi)
    return seen


async def test_costs_match_the_price_table_for_json_and_streams(
    tmp_path: Path, engine: str | None
) -> None:
    async with ledgered(tmp_path, engine) as proxy:
        oai = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.user, max_retries=0)
        ant = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=proxy.user, max_retries=0)
        async with oai, ant:
            seen = await every_route(oai, ant)
        await proxy.stop()
        rows = {row.request_id: row for row in proxy.rows()}

    assert set(rows) == set(seen)
    for request_id, (model, deployment, usage) in seen.items():
        row = rows[request_id]
        assert (row.model, row.deployment, row.status, row.role) == (model, deployment, 200, "call")
        assert row.key_id is not None
        assert row.key_id in proxy.user
        assert row.tenant == "acme"
        assert row.input_tokens == usage_of(usage).input > 0
        assert row.cost_nusd == expected_cost(proxy.prices, model, deployment, usage), request_id
        assert row.cost_nusd > 0
    assert rows["embeddings"].output_tokens == 0


async def test_concurrent_calls_make_exactly_one_row_each_and_a_stop_loses_none(
    tmp_path: Path, engine: str | None
) -> None:
    calls = 48
    async with ledgered(tmp_path, engine) as proxy:
        hi = [{"role": "user", "content": "count me"}]

        async def one(n: int) -> int:
            # a connection of its own, so the calls spread over both workers
            client = openai.AsyncOpenAI(
                base_url=f"{proxy.url}/v1", api_key=proxy.user, max_retries=0
            )
            async with client:
                if n % 2:
                    stream = await client.chat.completions.create(
                        model="gpt-4", messages=hi, stream=True
                    )
                    [_ async for _ in stream]
                    return 0
                reply = await client.chat.completions.create(model="gpt-4", messages=hi)
                assert reply.usage is not None
                return expected_cost(proxy.prices, "gpt-4", "openai/gpt-4#0", dump(reply.usage))

        costs = await asyncio.gather(*(one(n) for n in range(calls)))
        each = max(costs)  # one prompt, so one cost: the streams' too
        assert each > 0
        assert set(costs) == {0, each}
        admin = {"Authorization": f"Bearer {proxy.admin}"}
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + DEADLINE_S
            while True:  # rows reach the database within a flush interval or two
                async with http.get(f"{proxy.url}/admin/spend?group_by=key", headers=admin) as r:
                    assert r.status == 200, await r.text()
                    report = await r.json()
                if report["total"]["calls"] == calls:
                    break
                assert report["total"]["calls"] < calls
                assert time.monotonic() < deadline, report
                await asyncio.sleep(0.1)
            assert report["total"]["cost_nusd"] == calls * each
            assert report["total"]["cost_usd"] == pytest.approx(calls * each / 1e9)
            # Every worker's counter, summed (the other worker's within a publish interval):
            # the same spend; no key material in any label.
            while True:
                async with http.get(f"{proxy.url}/metrics", headers=admin) as r:
                    scrape = await r.text()
                spend = [s for s in scrape.splitlines() if s.startswith("mcproute_spend_usd")]
                assert len(spend) <= 1
                if spend and float(spend[0].rsplit(" ", 1)[1]) == pytest.approx(calls * each / 1e9):
                    break
                assert time.monotonic() < deadline, spend
                await asyncio.sleep(0.2)
        assert 'model="gpt-4"' in spend[0]
        assert 'tenant="acme"' in spend[0]
        tokens = [line for line in scrape.splitlines() if "gen_ai_client_token_usage_count" in line]
        assert any('gen_ai_token_type="input"' in line for line in tokens)
        assert any('gen_ai_token_type="output"' in line for line in tokens)
        key_id = report["groups"][0]["key"]
        for secret in (proxy.user, proxy.user.rsplit("_", 2)[1], proxy.admin):
            assert secret not in scrape
        assert key_id not in scrape

        # A second burst, stopped the moment it is answered: the last flush writes it all.
        await asyncio.gather(*(one(n) for n in range(calls)))
        await proxy.stop()
        rows = proxy.rows()
    assert len(rows) == 2 * calls
    assert len({row.id for row in rows}) == 2 * calls
    assert sum(row.cost_nusd or 0 for row in rows) == 2 * calls * each
    assert (
        not (proxy.data_dir.path / "spend-journal.jsonl").exists()
        or not (proxy.data_dir.path / "spend-journal.jsonl").read_bytes()
    )


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "spend", "report", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_spend_report_command(tmp_path: Path, engine: str | None) -> None:
    async with ledgered(tmp_path, engine, workers=1) as proxy:
        client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.user, max_retries=0)
        async with client:
            reply = await client.chat.completions.create(
                model="gpt-4", messages=[{"role": "user", "content": "hi"}]
            )
            embedded = await client.embeddings.create(model="text-embedding-3-small", input="abc")
        await proxy.stop()
    cost = expected_cost(proxy.prices, "gpt-4", "openai/gpt-4#0", dump(reply.usage))
    cost += expected_cost(
        proxy.prices,
        "text-embedding-3-small",
        "openai/text-embedding-3-small#0",
        dump(embedded.usage),
    )
    done = run_cli(proxy.env, "--group-by", "tenant", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["groups"][0]["tenant"] == "acme"
    assert report["total"]["calls"] == 2
    assert report["total"]["cost_nusd"] == cost
    assert report["journaled_rows"] == 0
    table = run_cli(proxy.env, "--group-by", "model", "--from", "2020-01-01")
    assert table.returncode == 0, table.stderr
    assert "gpt-4" in table.stdout
    assert "text-embedding-3-small" in table.stdout
    bad = run_cli(proxy.env, "--group-by", "colour")
    assert bad.returncode == 2
    assert "--group-by: expected one of key, tenant, model, day" in bad.stderr
    bad_time = run_cli(proxy.env, "--to", "soon")
    assert bad_time.returncode == 2
    assert "--to:" in bad_time.stderr
