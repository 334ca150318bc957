"""Deployment rpm/tpm windows in the data directory's database, shared by the workers of one
host (a `models.limits.WindowCounter`).

Each admission is one immediate transaction under the data directory's write lock: expire the
deployment's rows older than the window, sum what is left, and insert the request if it fits.
The workers of one host read one clock, so the window is keyed on `time.time()`. The cost is a
write transaction per admission of a rate-limited deployment (a WAL append, no fsync with
`synchronous=NORMAL`) plus a scan of that deployment's rows in the window; deployments without
rpm/tpm never come here.
"""

from __future__ import annotations

import sqlite3
import time

from mcproute.models.limits import ADMITTED, WINDOW_SECONDS, Verdict, refused
from mcproute.store.datadir import DataDir
from mcproute.store.sqlite_tx import SqliteThread, immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage_window (
    deployment TEXT NOT NULL,
    at         REAL NOT NULL,
    requests   INTEGER NOT NULL,
    tokens     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_window_by_deployment ON usage_window (deployment, at);
"""


class SqliteCounter:
    def __init__(self, data_dir: DataDir) -> None:
        self._data_dir = data_dir
        self._write_lock = data_dir.write_lock()
        self._thread = SqliteThread("usage")
        self._conn: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SqliteCounter({self._data_dir!r})"

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = self._data_dir.connect()
            # A crash of the process keeps every commit (WAL); a power loss may forget the
            # last admissions, which only frees budget early.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
            self._conn = conn
        return self._conn

    def _admit(self, key: str, rpm: int | None, tpm: int | None) -> Verdict:
        with immediate(self._db(), self._write_lock) as conn:
            now = time.time()
            conn.execute(
                "DELETE FROM usage_window WHERE deployment = ? AND at <= ?",
                (key, now - WINDOW_SECONDS),
            )
            requests, tokens, first_request, first_tokens = conn.execute(
                "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(tokens), 0),"
                " MIN(CASE WHEN requests > 0 THEN at END), MIN(CASE WHEN tokens > 0 THEN at END)"
                " FROM usage_window WHERE deployment = ?",
                (key,),
            ).fetchone()
            if rpm is not None and requests >= rpm:
                return refused(now, first_request, "requests")
            if tpm is not None and tokens >= tpm:
                return refused(now, first_tokens, "tokens")
            if rpm is not None:
                conn.execute("INSERT INTO usage_window VALUES (?, ?, 1, 0)", (key, now))
        return ADMITTED

    def _add_tokens(self, key: str, tokens: int) -> None:
        with immediate(self._db(), self._write_lock) as conn:
            conn.execute("INSERT INTO usage_window VALUES (?, ?, 0, ?)", (key, time.time(), tokens))

    async def admit(self, key: str, rpm: int | None, tpm: int | None) -> Verdict:
        return await self._thread.run(self._admit, key, rpm, tpm)

    async def add_tokens(self, key: str, tokens: int) -> None:
        await self._thread.run(self._add_tokens, key, tokens)

    def close(self) -> None:
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._thread.call(shut)
        self._thread.shutdown()
        self._write_lock.close()

