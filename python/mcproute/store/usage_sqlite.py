"""Deployment rpm/tpm windows in the data directory's database, shared by the workers of one
host (a `models.limits.WindowCounter`).

A deployment's usage is kept in one-second buckets (at most 61 rows per deployment), and a
bucket counts while any part of it is inside the window: the window is at most a second longer
than `WINDOW_SECONDS`, never shorter, so a limit is never exceeded. Each admission is one
immediate transaction under the data directory's write lock (drop old buckets, sum the rest,
count the request), run on the store's thread, never on the event loop. The workers of one host
read one clock, so buckets are keyed on `time.time()`. Deployments without rpm/tpm never come
here.
"""

from __future__ import annotations

import sqlite3
import time

from mcproute.models.limits import ADMITTED, WINDOW_SECONDS, Verdict, refused
from mcproute.store.datadir import DataDir
from mcproute.store.sqlite_tx import SqliteLane

SCHEMA = """
CREATE TABLE IF NOT EXISTS deployment_usage (
    deployment TEXT NOT NULL,
    second     INTEGER NOT NULL,
    requests   INTEGER NOT NULL DEFAULT 0,
    tokens     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (deployment, second)
) WITHOUT ROWID
"""
COUNT = (
    "INSERT INTO deployment_usage (deployment, second, requests, tokens) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (deployment, second) DO UPDATE SET"
    " requests = requests + excluded.requests, tokens = tokens + excluded.tokens"
)


class SqliteCounter:
    def __init__(self, data_dir: DataDir) -> None:
        self._data_dir = data_dir
        self._lane = SqliteLane(data_dir, "usage", SCHEMA)

    def __repr__(self) -> str:
        return f"SqliteCounter({self._data_dir!r})"

    async def admit(self, key: str, rpm: int | None, tpm: int | None) -> Verdict:
        return await self._lane.transact(_admit, key, rpm, tpm)

    async def add_tokens(self, key: str, tokens: int) -> None:
        await self._lane.transact(_add_tokens, key, tokens)

    def close(self) -> None:
        self._lane.close()


def _admit(conn: sqlite3.Connection, key: str, rpm: int | None, tpm: int | None) -> Verdict:
    now = time.time()
    conn.execute(
        "DELETE FROM deployment_usage WHERE deployment = ? AND second + 1 <= ?",
        (key, now - WINDOW_SECONDS),
    )
    requests, tokens, first_request, first_tokens = conn.execute(
        "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(tokens), 0),"
        " MIN(CASE WHEN requests > 0 THEN second END),"
        " MIN(CASE WHEN tokens > 0 THEN second END)"
        " FROM deployment_usage WHERE deployment = ?",
        (key,),
    ).fetchone()
    # A bucket leaves the window when its last instant does.
    if rpm is not None and requests >= rpm:
        return refused(now, _end(first_request), "requests")
    if tpm is not None and tokens >= tpm:
        return refused(now, _end(first_tokens), "tokens")
    if rpm is not None:
        conn.execute(COUNT, (key, int(now), 1, 0))
    return ADMITTED


def _add_tokens(conn: sqlite3.Connection, key: str, tokens: int) -> None:
    conn.execute(COUNT, (key, int(time.time()), 0, tokens))


def _end(second: int | None) -> float | None:
    return None if second is None else second + 1.0
