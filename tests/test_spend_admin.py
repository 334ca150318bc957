"""`GET /admin/spend` and the ledger's grouping: by key, tenant, model and UTC day, within a
window given as unix seconds, dates or date-times, on SQLite and PostgreSQL; bad parameters are
400s naming the parameter; an ensemble is its members' rows (and one row that sums them, never
counted twice)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest

from mcproute.governance.ledger import new_row_id
from mcproute.store import DataDir
from mcproute.store.database import Database, PostgresDatabase, SqliteDatabase
from mcproute.store.migrations import migrate
from mcproute.store.spend import SpendRow, SpendStore
from mcproute.testing.upstream import SimulatorSettings
from proxy_support import running_proxy
from stores_support import PostgresServer
from test_ensembles import simulators


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


# (time, key, tenant, model, cost): around two midnights
CALLS = [
    ("2026-11-30T23:59:59", "k1", "acme", "gpt-4", 100),
    ("2026-12-01T00:00:00", "k1", "acme", "claude", 20),
    ("2026-12-01T12:00:00", "k2", "beta", "gpt-4", 3),
    ("2026-12-02T00:00:01", "k2", "beta", "gpt-4", 4000),
]


def ledger_rows() -> list[SpendRow]:
    rows = [
        SpendRow(new_row_id(), at(t), None, key, tenant, model, None, 5, 5, 0, cost, 200)
        for t, key, tenant, model, cost in CALLS
    ]
    parent = new_row_id()  # an ensemble row: attribution only, never summed
    rows.append(SpendRow(parent, at("2026-12-01T01:00:00"), None, "k1", "acme", "pair", None,
                         1, 1, 0, 999_999, 200, "ensemble"))  # fmt: skip
    rows.append(SpendRow(new_row_id(), at("2026-12-01T01:00:00"), None, "k1", "acme", "gpt-4",
                         None, 1, 1, 0, None, 200, "member", parent))  # fmt: skip
    return rows


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield SqliteDatabase(DataDir(tmp_path / "data"))
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.new_database(f"spend_{secrets.token_hex(6)}")
    migrate(url)
    yield PostgresDatabase(url)


def test_grouping_and_windows(database: Database) -> None:
    store = SpendStore(database)
    try:
        rows = ledger_rows()
        store.insert(rows)
        store.insert(rows[1:3])  # written again (a replayed batch): counted once
        by_day = {g["day"]: g for g in store.report("day")}
        assert {d: g["cost_nusd"] for d, g in by_day.items()} == {
            "2026-11-30": 100,
            "2026-12-01": 23,
            "2026-12-02": 4000,
        }
        assert by_day["2026-12-01"]["calls"] == 3  # two calls and the ensemble's member
        assert by_day["2026-12-01"]["untracked_calls"] == 1
        by_key = store.report("key")
        assert [(g["key"], g["cost_nusd"]) for g in by_key] == [("k2", 4003), ("k1", 120)]
        by_tenant = store.report("tenant", at("2026-12-01T00:00:00"), at("2026-12-02T00:00:00"))
        assert [(g["tenant"], g["cost_nusd"]) for g in by_tenant] == [("acme", 20), ("beta", 3)]
        by_model = {g["model"]: g["cost_nusd"] for g in store.report("model")}
        assert by_model == {"gpt-4": 4103, "claude": 20}  # no "pair": its members count
        assert len(store.rows()) == 6
    finally:
        store.close()


def spend_config(sims: dict[str, Any]) -> dict[str, Any]:
    prices = {"alpha": (1, 2), "gamma": (3, 4)}
    models = {
        name: {
            "type": "anthropic" if name == "gamma" else "openai",
            "endpoint": sim.url,
            "api_key": "sk-test",
            "models": [
                {
                    "name": name,
                    "model": "house-model",
                    "price": {
                        "input_per_mtok": prices[name][0],
                        "output_per_mtok": prices[name][1],
                    },
                }
            ],
        }
        for name, sim in sims.items()
    }
    ensembles = {"pair": {"models": ["alpha", "gamma"], "strategy": "majority", "min_answers": 1}}
    return {"mcp": {"models": models, "ensembles": ensembles}}


@contextlib.asynccontextmanager
async def spend_proxy(tmp_path: Path, **gamma: Any) -> Any:
    members = {
        "alpha": SimulatorSettings(reply="Paris"),
        "gamma": SimulatorSettings(reply="Paris", **gamma),
    }
    async with (
        simulators(**members) as sims,
        running_proxy(tmp_path, config_document=lambda _s, _m: spend_config(sims)) as proxy,
    ):
        yield proxy


async def get(url: str, key: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {key}"}) as r,
    ):
        return r.status, await r.json()


async def test_admin_spend_groups_filters_and_refuses_bad_parameters(tmp_path: Path) -> None:
    async with spend_proxy(tmp_path) as proxy:
        store = SpendStore(SqliteDatabase(proxy.data_dir))
        try:
            store.insert(ledger_rows())
        finally:
            store.close()
        admin = proxy.key("admin")
        spend = f"{proxy.url}/admin/spend"
        status, body = await get(f"{spend}?group_by=day&from=2026-12-01&to=2026-12-01", admin)
        assert status == 200, body
        assert [(g["day"], g["cost_nusd"], g["calls"]) for g in body["groups"]] == [
            ("2026-12-01", 23, 3)
        ]
        assert body["total"]["cost_usd"] == pytest.approx(23e-9)
        status, body = await get(
            f"{spend}?group_by=key&from={at('2026-12-01T00:00:00'):.0f}&to=2026-12-02T00:00:00Z",
            admin,
        )
        assert status == 200, body
        assert {g["key"]: g["cost_nusd"] for g in body["groups"]} == {"k1": 20, "k2": 3}
        status, body = await get(f"{spend}?group_by=tenant", admin)
        assert {g["tenant"]: g["cost_nusd"] for g in body["groups"]} == {"acme": 120, "beta": 4003}
        for query, param in [
            ("group_by=colour", "group_by"),
            ("from=yesterday", "from"),
            ("to=2026-13-01", "to"),
            ("to=2026-12-01T10:00:00", "to"),  # no zone: ambiguous
            ("from=2026-12-02&to=2026-12-01", "to"),
            ("group=key", "group"),
        ]:
            status, body = await get(f"{spend}?{query}", admin)
            assert status == 400, (query, body)
            assert body["error"]["param"] == param, body
            assert body["error"]["message"].startswith(f"{param}: ")
        status, _ = await get(spend, proxy.key("models"))
        assert status == 403


async def test_an_ensemble_is_recorded_as_its_members(tmp_path: Path) -> None:
    async with spend_proxy(tmp_path) as proxy:
        key = proxy.key("models", "tenant:acme")
        async with openai.AsyncOpenAI(
            base_url=f"{proxy.url}/v1", api_key=key, max_retries=0
        ) as client:
            reply = await client.chat.completions.create(
                model="pair",
                messages=[{"role": "user", "content": "capital?"}],
                extra_headers={"x-request-id": "ens-1", "x-mcproute-answers": "true"},
            )
        answers = (reply.model_extra or {})["mcproute"]["answers"]
        admin = proxy.key("admin")
        status, body = await get(f"{proxy.url}/admin/spend?group_by=model", admin)
        deadline = time.monotonic() + 15
        while status == 200 and body["total"]["calls"] < 2:  # the next flush writes them
            assert time.monotonic() < deadline, body
            await asyncio.sleep(0.05)
            status, body = await get(f"{proxy.url}/admin/spend?group_by=model", admin)
        store = SpendStore(SqliteDatabase(proxy.data_dir))
        try:
            rows = [r for r in store.rows() if r.request_id == "ens-1"]
        finally:
            store.close()
    rates = {"alpha": (1, 2), "gamma": (3, 4)}
    expected = {}
    for answer in answers:
        usage = answer["usage"]
        tokens_in = usage.get("prompt_tokens", usage.get("input_tokens"))
        tokens_out = usage.get("completion_tokens", usage.get("output_tokens"))
        rate_in, rate_out = rates[answer["model"]]
        expected[answer["model"]] = (tokens_in * rate_in + tokens_out * rate_out) * 1000
    assert {g["model"]: g["cost_nusd"] for g in body["groups"]} == expected
    ensemble = [r for r in rows if r.role == "ensemble"]
    members = [r for r in rows if r.role == "member"]
    assert len(ensemble) == 1
    assert ensemble[0].model == "pair"
    assert sorted(m.model for m in members) == ["alpha", "gamma"]
    assert all(m.parent == ensemble[0].id for m in members)
    assert ensemble[0].cost_nusd == sum(expected.values())
    assert all(r.tenant == "acme" for r in rows)


async def test_a_caller_that_leaves_mid_stream_is_billed_what_was_reported(
    tmp_path: Path,
) -> None:
    """Anthropic reports the input tokens in its first event: a stream the caller leaves is
    recorded with them, not lost (its status is the 200 already sent when the relay notices at
    a write, 499 when the server cancels the handler first)."""
    async with spend_proxy(tmp_path, tokens=200, token_interval=0.2) as proxy:
        key = proxy.key("models")
        body = {
            "model": "gamma",
            "max_tokens": 500,
            "stream": True,
            "messages": [{"role": "user", "content": "a long story please"}],
        }
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                f"{proxy.url}/v1/messages",
                json=body,
                headers={"x-api-key": key, "x-request-id": "left-early"},
            )
            assert response.status == 200
            await response.content.readuntil(b"event: content_block_delta")
            response.close()  # the caller leaves
        store = SpendStore(SqliteDatabase(proxy.data_dir))
        try:
            deadline = time.monotonic() + 15
            while not (rows := [r for r in store.rows() if r.request_id == "left-early"]):
                assert time.monotonic() < deadline, "no row for the stream"
                await asyncio.sleep(0.05)
        finally:
            store.close()
    [row] = rows
    assert row.status in (200, 499)
    assert row.input_tokens > 0
    assert row.cost_nusd == row.input_tokens * 3 * 1000 + row.output_tokens * 4 * 1000
