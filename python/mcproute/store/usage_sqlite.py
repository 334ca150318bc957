"""The usage counters (`governance.counters.UsageCounter`) in SQLite: the data directory's
database for the workers of one host (`SqliteUsage`), or a database in memory for one process
(`MemoryUsage`, library use). The same statements serve both.

An admission is one immediate transaction under the data directory's write lock: drop what
left the window and the expired leases, read every charged subject's counts, and either count
the request against all of them or against none. The admissions and settlements of one turn
of the event loop share the transaction (each in a savepoint, one after the other, so each sees
the counts the ones before it left): one thread hop and one commit for all of them. The
workers of one host read one clock, so buckets are keyed on `time.time()`. Run on the store's
own thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
import time
from collections.abc import Sequence

from mcproute.governance.counters import (
    WINDOW_SECONDS,
    Admission,
    Ask,
    Charge,
    Settlement,
    SubjectUsage,
    Ticket,
    given_back,
    lease_size,
    period_of,
    refusal,
    ticket,
)
from mcproute.store.datadir import DataDir
from mcproute.store.sqlite_tx import SqliteLane

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage_window (
    subject  TEXT NOT NULL,
    second   INTEGER NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    tokens   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, second)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_leases (
    subject TEXT NOT NULL,
    rid     TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (subject, rid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_settled (
    rid TEXT PRIMARY KEY,
    at  REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_settled_at ON usage_settled (at);
CREATE TABLE IF NOT EXISTS usage_spend (
    subject TEXT NOT NULL,
    period  TEXT NOT NULL,
    micros  INTEGER NOT NULL,
    PRIMARY KEY (subject, period)
) WITHOUT ROWID;
"""
COUNT = (
    "INSERT INTO usage_window (subject, second, requests, tokens) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (subject, second) DO UPDATE SET"
    " requests = requests + excluded.requests, tokens = MAX(tokens + excluded.tokens, 0)"
)
SPEND = (
    "INSERT INTO usage_spend (subject, period, micros) VALUES (?, ?, ?)"
    " ON CONFLICT (subject, period) DO UPDATE SET micros = MAX(micros + excluded.micros, 0)"
)


# One statement reads a subject's counts: its window (what is still inside it), its leases
# that have not expired and its spend of the budget period.
USAGE = (
    "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(tokens), 0),"
    " MIN(CASE WHEN requests > 0 THEN second END),"
    " MIN(CASE WHEN tokens > 0 THEN second END),"
    " (SELECT COUNT(*) FROM usage_leases WHERE subject = ?1 AND expires > ?3),"
    " (SELECT micros FROM usage_spend WHERE subject = ?1 AND period = ?4)"
    " FROM usage_window WHERE subject = ?1 AND second > ?2"
)
_pruned: dict[str, int] = {}  # subject -> the second its stale rows were last deleted


def _prune(conn: sqlite3.Connection, now: float, subject: str) -> None:
    """Delete what left the window and the expired leases, once a second per subject: the
    counts never read them (`USAGE`), this only keeps the tables small."""
    second = int(now)
    if _pruned.get(subject) == second:
        return
    if len(_pruned) > 100_000:
        _pruned.clear()
    _pruned[subject] = second
    conn.execute(
        "DELETE FROM usage_window WHERE subject = ? AND second <= ?",  # a range of the key
        (subject, now - WINDOW_SECONDS - 1),
    )
    conn.execute("DELETE FROM usage_leases WHERE subject = ? AND expires <= ?", (subject, now))


def _usage(conn: sqlite3.Connection, now: float, charge: Charge) -> SubjectUsage:
    subject, limits = charge.subject, charge.limits
    _prune(conn, now, subject)
    period, end = ("", 0.0)
    if limits.budget_usd is not None:
        period, end = period_of(limits.budget_period, now)
    requests, tokens, first_request, first_tokens, leases, spend = conn.execute(
        USAGE, (subject, now - WINDOW_SECONDS - 1, now, period)
    ).fetchone()
    # A bucket leaves the window when its last instant does.
    return SubjectUsage(
        requests=int(requests),
        tokens=int(tokens),
        in_flight=int(leases) if limits.max_parallel is not None else 0,
        spend_micros=int(spend or 0) if period else 0,
        period=period,
        requests_reset=_reset(first_request, now),
        tokens_reset=_reset(first_tokens, now),
        period_reset=0.0 if not period else end - now if math.isfinite(end) else math.inf,
    )


def _reset(second: int | None, now: float) -> float:
    return 0.0 if second is None else max(second + 1.0 + WINDOW_SECONDS - now, 0.0)


def reserve(conn: sqlite3.Connection, now: float, charges: Sequence[Charge], ask: Ask) -> Admission:
    usage = tuple(_usage(conn, now, charge) for charge in charges)
    second = int(now)
    for index, (charge, used) in enumerate(zip(charges, usage, strict=True)):
        refused = refusal(charge.limits, used, ask)
        if refused is not None:
            return Admission(False, second, usage, index, refused[0], refused[1])
    count, slots = lease_size(charges, usage, ask)
    if count > 1:  # a grant of headroom, counted where its last admission would be
        second = int(now + ask.ahead_s)
    granted = ticket(charges, ask, Admission(True, second, usage, slots=slots))
    for charge, used, leased in zip(charges, usage, granted.leased, strict=True):
        conn.execute(COUNT, (charge.subject, second, count, count * ask.tokens))
        if leased:
            conn.executemany(
                "INSERT OR REPLACE INTO usage_leases (subject, rid, expires) VALUES (?, ?, ?)",
                [(charge.subject, member, now + ask.lease_s) for member in granted.members()],
            )
        if used.period:
            conn.execute(SPEND, (charge.subject, used.period, count * ask.cost_micros))
    return Admission(True, second, usage, granted=count, slots=slots)


SETTLED_KEEP_S = 3600.0  # how long a settlement's id is remembered (a journal replays sooner)


def settle(conn: sqlite3.Connection, now: float, settlements: Sequence[Settlement]) -> None:
    """Apply each settlement once: its id is remembered for an hour, so a batch replayed from
    the journal after it was applied changes nothing."""
    conn.execute("DELETE FROM usage_settled WHERE at < ?", (now - SETTLED_KEEP_S,))
    for s in settlements:
        if s.id:
            fresh = conn.execute(
                "INSERT OR IGNORE INTO usage_settled (rid, at) VALUES (?, ?)", (s.id, now)
            ).rowcount
            if not fresh:
                continue
        _settle(conn, now, s)


def _settle(conn: sqlite3.Connection, now: float, s: Settlement) -> None:
    ticket, tokens, cost_micros = s.ticket, s.tokens, s.cost_micros
    second = int(now) if ticket.second is None else ticket.second
    freed = s.freed()
    for subject, period, leased in zip(ticket.subjects, ticket.periods, ticket.leased, strict=True):
        if tokens or s.requests:
            # Tokens given back to a bucket that left the window have nothing left to free.
            if ticket.second is None or (tokens > 0 and not s.requests):
                conn.execute(COUNT, (subject, second, 0, tokens))
            else:
                conn.execute(
                    "UPDATE usage_window SET tokens = MAX(tokens + ?, 0),"
                    " requests = MAX(requests + ?, 0) WHERE subject = ? AND second = ?",
                    (tokens, s.requests, subject, second),
                )
        if period and cost_micros > 0:
            conn.execute(SPEND, (subject, period, cost_micros))
        elif period and cost_micros < 0:
            conn.execute(
                "UPDATE usage_spend SET micros = MAX(micros + ?, 0)"
                " WHERE subject = ? AND period = ?",
                (cost_micros, subject, period),
            )
        if leased and freed:
            conn.executemany(
                "DELETE FROM usage_leases WHERE subject = ? AND rid = ?",
                [(subject, member) for member in freed],
            )


def renew(conn: sqlite3.Connection, now: float, tickets: Sequence[Ticket], lease_s: float) -> None:
    for t in tickets:
        for subject, leased in zip(t.subjects, t.leased, strict=True):
            if leased:
                conn.executemany(
                    "UPDATE usage_leases SET expires = ? WHERE subject = ? AND rid = ?",
                    [(now + lease_s, subject, member) for member in t.members()],
                )


def read(
    conn: sqlite3.Connection, now: float, charges: Sequence[Charge]
) -> tuple[SubjectUsage, ...]:
    return tuple(_usage(conn, now, charge) for charge in charges)


class SqliteUsage:
    """The usage counters of one host's workers, in the data directory."""

    def __init__(self, data_dir: DataDir) -> None:
        self._data_dir = data_dir
        self._lane = SqliteLane(data_dir, "usage", SCHEMA)

    def __repr__(self) -> str:
        return f"SqliteUsage({self._data_dir!r})"

    async def reserve(self, charges: Sequence[Charge], ask: Ask) -> Admission:
        # The admissions of one turn of the loop share one transaction (`SqliteLane.batched`).
        future = self._lane.batched(lambda c: reserve(c, time.time(), charges, ask))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:  # the caller left: give back what it was admitted
            future.add_done_callback(lambda done: self._abandoned(done, charges, ask))
            raise

    def _abandoned(
        self, done: asyncio.Future[Admission], charges: Sequence[Charge], ask: Ask
    ) -> None:
        if done.cancelled() or done.exception() is not None or not done.result().allowed:
            return
        release = given_back(charges, ask, done.result())
        self._lane.batched(lambda c: settle(c, time.time(), [release]))

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        await self._lane.batched(lambda c: settle(c, time.time(), settlements))

    async def renew(self, tickets: Sequence[Ticket], lease_s: float) -> None:
        await self._lane.batched(lambda c: renew(c, time.time(), tickets, lease_s))

    async def read(self, charges: Sequence[Charge]) -> tuple[SubjectUsage, ...]:
        return await self._lane.batched(lambda c: read(c, time.time(), charges))

    def close(self) -> None:
        self._lane.close()


class MemoryUsage:
    """The usage counters of one process (library use): the same statements on a database in
    memory, which answers in microseconds, so they run in place."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()  # library users may share one registry across threads

    def __repr__(self) -> str:
        return "MemoryUsage()"

    async def reserve(self, charges: Sequence[Charge], ask: Ask) -> Admission:
        with self._lock:
            return reserve(self._conn, time.time(), charges, ask)

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        with self._lock:
            settle(self._conn, time.time(), settlements)

    async def renew(self, tickets: Sequence[Ticket], lease_s: float) -> None:
        with self._lock:
            renew(self._conn, time.time(), tickets, lease_s)

    async def read(self, charges: Sequence[Charge]) -> tuple[SubjectUsage, ...]:
        with self._lock:
            return read(self._conn, time.time(), charges)

    def close(self) -> None:
        self._conn.close()
