"""The spend ledger's rows in the durable database (the data directory's SQLite, or PostgreSQL):
one row per model call, written in batches by `governance.ledger.SpendLedger`, read by the
spend reports.

Rows carry their own id, made when the call ended, and are inserted with ``ON CONFLICT (id) DO
NOTHING``: a batch written twice (a journal replayed after a crash between the insert and the
journal's truncation) counts once. Costs are integer nanodollars (NULL: the price was unknown).
An ensemble is one ``ensemble`` row (its members' sum, for attribution) and one ``member`` row
per model it called, whose ``parent`` is the ensemble's id; totals sum ``call`` and ``member``
rows only, so nothing is counted twice.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any, NamedTuple

from mcproute.store.database import Database

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS spend_ledger (
    id                  TEXT PRIMARY KEY,
    at                  REAL NOT NULL,
    request_id          TEXT,
    key_id              TEXT,
    tenant              TEXT,
    model               TEXT NOT NULL,
    deployment          TEXT,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    cost_nusd           INTEGER,
    status              INTEGER NOT NULL,
    role                TEXT NOT NULL,
    parent              TEXT
);
CREATE INDEX IF NOT EXISTS spend_ledger_by_time ON spend_ledger (at);
"""
# PostgreSQL's table is made by migration 4 (`store.migrations`), with the same columns.
COLUMNS = (
    "id",
    "at",
    "request_id",
    "key_id",
    "tenant",
    "model",
    "deployment",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cost_nusd",
    "status",
    "role",
    "parent",
)
ROLES = ("call", "member", "ensemble")
BILLED = "role <> 'ensemble'"  # the rows whose sum is what was spent
GROUPS = ("key", "tenant", "model", "day")
_INSERT = (
    f"INSERT INTO spend_ledger ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    " ON CONFLICT (id) DO NOTHING"
)
# SQLite: many rows per statement, as one multi-row VALUES. `executemany` binds each row in
# Python and releases and takes back the GIL around each row's step, so the writer thread and
# the event loop traded the GIL once per row; a JSON array read with `json_each` was one step
# but parsed each row's text once per column (5.6 µs a row, against 2.3 µs bound here). The
# rows of a batch go in chunks of `_CHUNK`, the rest in power-of-two chunks, so a connection's
# statement cache holds every statement this makes (at most nine).
_CHUNK = 256  # 256 × 14 parameters, well under SQLite's 32,766


@functools.cache
def _insert_values(rows: int) -> str:
    one = f"({', '.join('?' * len(COLUMNS))})"
    return (
        f"INSERT INTO spend_ledger ({', '.join(COLUMNS)}) VALUES {', '.join([one] * rows)}"
        " ON CONFLICT (id) DO NOTHING"
    )


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    """(start, size) of each chunk of a batch of `count` rows: the largest power of two that
    is left, at most `_CHUNK` (a power of two itself)."""
    at = 0
    while at < count:
        size = min(_CHUNK, 1 << ((count - at).bit_length() - 1))
        yield at, size
        at += size


class SpendRow(NamedTuple):
    """One model call as the ledger keeps it. `cost_nusd` is None when its price is unknown.
    A tuple of the columns in order (made once per call on the request path, and inserted as
    it is: a frozen dataclass cost more to build and to turn into the insert's values than
    the insert itself)."""

    id: str
    at: float  # unix seconds when the call ended
    request_id: str | None
    key_id: str | None
    tenant: str | None
    model: str  # the model (group, alias or ensemble) the caller named; a member's own model
    deployment: str | None  # the deployment that answered, when known
    input_tokens: int  # every prompt token, cached ones included
    output_tokens: int
    cached_input_tokens: int
    cost_nusd: int | None
    status: int  # the HTTP status the caller got
    role: str = "call"  # "call", "member" (of an ensemble) or "ensemble"
    parent: str | None = None  # a member's ensemble row

    def as_json(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpendRow:
        return cls(*(data[name] for name in COLUMNS))


def _group_sql(kind: str, group_by: str) -> str:
    if group_by == "key":
        return "key_id"
    if group_by == "tenant":
        return "tenant"
    if group_by == "model":
        return "model"
    # the UTC day of the call, as YYYY-MM-DD
    if kind == "sqlite":
        return "date(at, 'unixepoch')"
    return "to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class SpendStore:
    """The ledger's table on one connection. Every method blocks: call them on the store's
    own thread (`governance.ledger.SpendLedger` does)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._connection: Any = None

    def _db(self) -> Any:
        if self._connection is not None and not self.database.usable(self._connection):
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
        if self._connection is None:
            conn = self.database.connect()
            if self.database.kind == "sqlite":
                conn.executescript(SQLITE_SCHEMA)
                # Rows are appended at the ends of the table and its indexes: 256 KiB of page
                # cache holds those (SQLite's default 2 MiB stayed resident in every worker).
                conn.execute("PRAGMA cache_size=-256")
            self._connection = conn
        return self._connection

    def insert(self, rows: Sequence[SpendRow]) -> None:
        """Write `rows` in one durable transaction (rows already there are skipped)."""
        if not rows:
            return
        conn = self._db()
        try:
            with self.database.write(conn):
                if self.database.kind == "sqlite":
                    for at, size in _chunks(len(rows)):
                        values = list(chain.from_iterable(rows[at : at + size]))
                        conn.execute(_insert_values(size), values)
                else:
                    conn.executemany(_INSERT, rows)
        except sqlite3.Error:
            self._drop()
            raise

    def report(
        self, group_by: str, start: float | None = None, end: float | None = None
    ) -> list[dict[str, Any]]:
        """Billed calls in [start, end) summed by `group_by` (one of `GROUPS`), dearest first."""
        if group_by not in GROUPS:
            raise ValueError(f"group_by: expected one of {', '.join(GROUPS)}")
        conn = self._db()
        group = _group_sql(self.database.kind, group_by)
        where, params = self._window(start, end)
        sql = (
            f"SELECT {group} AS name, COUNT(*), SUM(input_tokens), SUM(output_tokens),"
            " SUM(cached_input_tokens), SUM(COALESCE(cost_nusd, 0)),"
            " SUM(CASE WHEN cost_nusd IS NULL THEN 1 ELSE 0 END)"
            f" FROM spend_ledger WHERE {where} GROUP BY {group}"
        )
        with self.database.snapshot(conn):
            rows = conn.execute(sql, params).fetchall()
        out = [
            {
                group_by: name,
                "calls": int(calls),
                "input_tokens": int(tin),
                "output_tokens": int(tout),
                "cached_input_tokens": int(cached),
                "cost_nusd": int(cost),
                "untracked_calls": int(untracked),
            }
            for name, calls, tin, tout, cached, cost, untracked in rows
        ]
        out.sort(key=lambda r: (-r["cost_nusd"], -r["calls"], str(r[group_by])))
        return out

    def by_key_tenant_model_day(self, start: float) -> list[tuple[Any, ...]]:
        """(key id, tenant, model, UTC day, calls, cost) of billed calls since `start`: what the
        dashboard's spend view folds into its periods."""
        conn = self._db()
        day = _group_sql(self.database.kind, "day")
        sql = (
            f"SELECT key_id, tenant, model, {day}, COUNT(*), SUM(COALESCE(cost_nusd, 0)),"
            " SUM(input_tokens + output_tokens)"
            f" FROM spend_ledger WHERE {BILLED} AND at >= ? GROUP BY key_id, tenant, model, {day}"
        )
        with self.database.snapshot(conn):
            return [tuple(row) for row in conn.execute(sql, (start,)).fetchall()]

    def rows(self, start: float | None = None, end: float | None = None) -> list[SpendRow]:
        """Every row (ensemble rows too) in [start, end), oldest first."""
        conn = self._db()
        where, params = self._window(start, end, billed=False)
        sql = f"SELECT {', '.join(COLUMNS)} FROM spend_ledger WHERE {where} ORDER BY at, id"
        with self.database.snapshot(conn):
            found = conn.execute(sql, params).fetchall()
        return [SpendRow(*row) for row in found]

    @staticmethod
    def _window(
        start: float | None, end: float | None, billed: bool = True
    ) -> tuple[str, list[Any]]:
        clauses = [BILLED] if billed else ["1 = 1"]
        params: list[Any] = []
        if start is not None:
            clauses.append("at >= ?")
            params.append(start)
        if end is not None:
            clauses.append("at < ?")
            params.append(end)
        return " AND ".join(clauses), params

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        self._drop()
        self.database.close()
