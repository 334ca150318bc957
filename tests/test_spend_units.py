"""The spend ledger's pure parts: usage objects of every shape the gateway relays, the rows
of one request, report parameters, and the dashboard's periods and budgets."""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from mcproute.config import parse_config
from mcproute.governance.ledger import new_row_id
from mcproute.governance.limits import Limits
from mcproute.governance.prices import PriceTable
from mcproute.governance.report import (
    ReportError,
    dashboard_spend,
    parse_query,
    period_starts,
)
from mcproute.governance.usage import Usage, usage_of
from mcproute.proxy.current_request import CurrentRequest
from mcproute.proxy.spend import key_budget, request_rows
from mcproute.security import ApiKeyRecord
from mcproute.store import DataDir
from mcproute.store.database import SqliteDatabase
from mcproute.store.spend import COLUMNS, SpendRow, SpendStore
from mcproute.store.sqlite_tx import BACKGROUND_NICE, SqliteThread


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}, Usage(10, 3, 0)),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 3,
                "prompt_tokens_details": {"cached_tokens": 4},
            },
            Usage(10, 3, 4),
        ),
        ({"prompt_tokens": 7, "total_tokens": 7}, Usage(7, 0, 0)),  # embeddings
        (  # the Responses API: input_tokens counts the cached ones
            {"input_tokens": 10, "output_tokens": 2, "input_tokens_details": {"cached_tokens": 6}},
            Usage(10, 2, 6),
        ),
        (  # Anthropic: input_tokens leaves the cache reads and writes out
            {
                "input_tokens": 3,
                "output_tokens": 5,
                "cache_read_input_tokens": 20,
                "cache_creation_input_tokens": 7,
            },
            Usage(30, 5, 20),
        ),
        ({"input_tokens": 3, "output_tokens": 5}, Usage(3, 5, 0)),
        (None, Usage()),
        ({"prompt_tokens": -4, "completion_tokens": True}, Usage()),
    ],
)
def test_usage_shapes(usage: object, expected: Usage) -> None:
    assert usage_of(usage) == expected


def _prices() -> PriceTable:
    doc = {
        "mcp": {
            "models": {
                "openai": {
                    "api_key": "x",
                    "models": [
                        {"name": "a", "price": {"input_per_mtok": 1, "output_per_mtok": 2}},
                        {"name": "b", "price": {"input_per_mtok": 10, "output_per_mtok": 20}},
                        "local",
                    ],
                }
            }
        }
    }
    return PriceTable(parse_config(doc, env={}))


def rows_of(current: CurrentRequest, model: str, status: int = 200) -> list[SpendRow]:
    return request_rows(
        current, model=model, request_id="r", key_id="k", tenant="t", status=status,
        prices=_prices(), now=1.0,
    )  # fmt: skip


def test_one_call_one_row() -> None:
    current = CurrentRequest(
        deployment="openai/a#0", usage={"prompt_tokens": 100, "completion_tokens": 10}
    )
    [row] = rows_of(current, "a")
    assert (row.role, row.cost_nusd, row.input_tokens, row.deployment) == (
        "call",
        120_000,
        100,
        "openai/a#0",
    )
    failed = rows_of(CurrentRequest(), "a", status=502)[0]
    assert (failed.cost_nusd, failed.input_tokens, failed.status) == (0, 0, 502)
    unpriced = rows_of(
        CurrentRequest(deployment="openai/local#0", usage={"prompt_tokens": 5}), "local"
    )
    assert unpriced[0].cost_nusd is None


def test_row_ids_are_unique_and_sort_in_the_order_they_were_made() -> None:
    # The id index then grows at its end (random ids made each insert five times dearer).
    ids = [new_row_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    clock = [i[:16] for i in ids]  # (two ids of one clock tick are ordered by chance)
    assert clock == sorted(clock)


def test_a_row_is_its_columns_in_order() -> None:
    """Rows are inserted as they are: their fields must be the table's columns, in order."""
    assert SpendRow._fields == COLUMNS
    [row] = rows_of(CurrentRequest(deployment="openai/a#0", usage={"prompt_tokens": 1}), "a")
    assert SpendRow.from_json(row.as_json()) == row
    assert list(row.as_json()) == list(COLUMNS)


def test_an_ensemble_is_its_members_and_one_sum() -> None:
    current = CurrentRequest(
        usage={"prompt_tokens": 200, "completion_tokens": 20},
        parts=[
            ("a", None, {"prompt_tokens": 100, "completion_tokens": 10}),
            ("b", "openai/b#0", {"prompt_tokens": 100, "completion_tokens": 10}),
        ],
    )
    ensemble, *members = rows_of(current, "pair")
    assert ensemble.role == "ensemble"
    assert [m.role for m in members] == ["member", "member"]
    assert all(m.parent == ensemble.id for m in members)
    assert [m.cost_nusd for m in members] == [120_000, 1_200_000]
    assert ensemble.cost_nusd == 1_320_000
    assert len({ensemble.id, *(m.id for m in members)}) == 3


def test_report_parameters() -> None:
    assert parse_query({}) == ("model", None, None)
    group, start, end = parse_query({"group_by": "day", "from": "2026-12-01", "to": "2026-12-01"})
    day = dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp()
    assert (group, start, end) == ("day", day, day + 86_400)
    assert parse_query({"from": "1700000000.5"})[1] == 1700000000.5
    assert parse_query({"from": "2026-12-01T10:00:00+02:00"})[1] == day + 8 * 3600
    for query, param in [
        ({"group_by": "week"}, "group_by"),
        ({"from": "-5"}, "from"),
        ({"to": "2026-12-01T10:00"}, "to"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "to"),
        ({"limit": "3"}, "limit"),
    ]:
        with pytest.raises(ReportError) as caught:
            parse_query(query)
        assert caught.value.param == param


def test_periods_are_utc_calendar_ones() -> None:
    wednesday = dt.datetime(2026, 12, 2, 15, 30, tzinfo=dt.UTC).timestamp()
    starts = period_starts(wednesday)
    assert starts["day"] == dt.datetime(2026, 12, 2, tzinfo=dt.UTC).timestamp()
    assert starts["week"] == dt.datetime(2026, 11, 30, tzinfo=dt.UTC).timestamp()  # Monday
    assert starts["month"] == dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp()


def test_dashboard_folds_periods_and_budgets() -> None:
    now = dt.datetime(2026, 12, 2, 15, 30, tzinfo=dt.UTC).timestamp()
    rows = [  # key, tenant, model, day, calls, nanodollars, tokens
        ("k1", "acme", "gpt-4", "2026-11-30", 2, 1_000_000_000, 10),  # this week, last month
        ("k1", "acme", "gpt-4", "2026-12-01", 1, 500_000_000, 5),
        ("k1", "acme", "claude", "2026-12-02", 1, 250_000_000, 5),
        ("k2", "beta", "gpt-4", "2026-12-02", 4, 4_000_000, 40),
    ]
    view = dashboard_spend(
        rows,
        {"k1": 9_000_000_000, "k2": 4_000_000},
        {"k1": (10.0, "month", None), "k2": (1.0, "total", 0.5)},
        now,
    )
    k1, k2 = view["by_key"]
    assert (k1["name"], k1["day_usd"], k1["week_usd"], k1["month_usd"]) == ("k1", 0.25, 1.75, 0.75)
    assert k1["calls"] == 2  # this month's
    assert (k1["budget_usd"], k1["budget_used_usd"], k1["budget_left_usd"]) == (10.0, 0.75, 9.25)
    assert (k2["budget_period"], k2["budget_used_usd"], k2["budget_left_usd"]) == (
        "total",
        0.5,
        0.5,
    )
    models = {m["name"]: m["week_usd"] for m in view["by_model"]}
    assert models == {"gpt-4": 1.504, "claude": 0.25}
    assert [t["name"] for t in view["by_tenant"]] == ["acme", "beta"]


def test_budgets_come_from_the_key_record_when_it_has_them() -> None:
    plain = ApiKeyRecord(key_id="k", env="live", secret_hash=b"h")
    assert key_budget(plain) is None
    assert key_budget(None) is None

    daily = replace(plain, limits=Limits(budget_usd=5, budget_period="day"))
    assert key_budget(daily) == (5.0, "day", None)
    assert key_budget(replace(plain, limits=Limits(rpm=5))) is None  # limits, but no budget
    assert key_budget(replace(plain, limits=Limits(budget_usd=5))) == (5.0, "month", None)


@pytest.mark.parametrize("count", [1, 255, 256, 700, 1500])
def test_sqlite_batches_of_any_size_are_written_once_and_read_back_exactly(
    tmp_path: Path, count: int
) -> None:
    """A batch goes in multi-row chunks (256, then powers of two): every row lands once, a
    batch written again adds nothing, and each column reads back as it went in."""
    store = SpendStore(SqliteDatabase(DataDir(tmp_path)))
    try:
        rows = [
            SpendRow(new_row_id(), 1_700_000_000.123456 + n / 7, f"r{n}", "k1", None, "gpt-4",
                     None if n % 2 else "sim#0", n, 2 * n, n % 3, None if n % 5 == 0 else n * 11,
                     200 + n % 300, "member" if n % 4 else "call", "p" if n % 4 else None)
            for n in range(count)
        ]  # fmt: skip
        store.insert(rows)
        store.insert(rows[: count // 2 + 1])  # a replay: already there
        assert sorted(store.rows()) == sorted(rows)
    finally:
        store.close()


def test_the_ledger_writer_yields_the_core_to_the_loop() -> None:
    """The ledger's thread runs at `BACKGROUND_NICE` above the process's nice value; a store
    thread a request waits on keeps the process's."""
    mine = os.getpriority(os.PRIO_PROCESS, 0)

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    writer, store = SqliteThread("w", background=True), SqliteThread("s")
    try:
        assert writer.call(nice) == min(19, mine + BACKGROUND_NICE)
        assert store.call(nice) == mine
    finally:
        writer.shutdown()
        store.shutdown()
