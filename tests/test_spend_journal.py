"""The spend ledger when its database is down: batches go to the data directory's journal
(0600), and once PostgreSQL is back they are written exactly once, also when a replay is cut
short between the insert and the journal's truncation. A real PostgreSQL, stopped and started."""

from __future__ import annotations

import asyncio
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcproute.governance.journal import JOURNAL_NAME, SpendJournal
from mcproute.governance.ledger import SpendLedger, new_row_id
from mcproute.store import DataDir
from mcproute.store.database import Database, PostgresDatabase
from mcproute.store.migrations import migrate
from mcproute.store.shared import open_database
from mcproute.store.spend import SpendRow, SpendStore
from stores_support import PostgresServer, running_postgres


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A cluster of this module's own: the tests stop and start it."""
    with running_postgres() as server:
        yield server


def fresh_database(server: PostgresServer) -> PostgresDatabase:
    url = server.new_database(f"j_{secrets.token_hex(6)}")
    migrate(url)
    return PostgresDatabase(url)


def row(n: int, cost: int = 1000) -> SpendRow:
    return SpendRow(
        id=new_row_id(),
        at=time.time(),
        request_id=f"r{n}",
        key_id="k1",
        tenant="acme",
        model="gpt-4",
        deployment="openai/gpt-4#0",
        input_tokens=10,
        output_tokens=5,
        cached_input_tokens=0,
        cost_nusd=cost,
        status=200,
    )


def count(database: Database) -> tuple[int, int]:
    store = SpendStore(database)
    try:
        rows = store.rows()
    finally:
        store.close()
    return len(rows), sum(r.cost_nusd or 0 for r in rows)


async def test_a_batch_the_database_refuses_is_journaled_then_written_once(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    database = fresh_database(own_postgres)
    journal = SpendJournal(DataDir(tmp_path).ensure().path / JOURNAL_NAME)
    ledger = SpendLedger(SpendStore(database), journal)
    try:
        ledger.record_all([row(n) for n in range(5)])
        await ledger.flush()
        assert count(database) == (5, 5000)
        assert not journal.pending()

        own_postgres.stop()
        try:
            ledger.record_all([row(n) for n in range(5, 12)])
            await ledger.flush()  # refused: kept in the journal instead
            assert journal.count() == 7
            assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
            ledger.record(row(12))
            await ledger.flush()  # within the backoff: straight to the journal
            assert journal.count() == 8
        finally:
            own_postgres.start()
        await ledger.flush(retry_now=True)  # back: the journal first, then the new rows
        assert not journal.pending()
        assert count(database) == (13, 13000)
    finally:
        await ledger.close()


async def test_a_replay_cut_short_counts_nothing_twice(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    database = fresh_database(own_postgres)
    journal = SpendJournal(tmp_path / JOURNAL_NAME)
    rows = [row(n) for n in range(4)]
    store = SpendStore(database)
    try:
        journal.append(rows)
        # What a crash after the insert and before the truncation leaves: the rows written
        # and still journaled.
        store.insert(rows)
        assert journal.replay(store.insert) == 4
        assert count(database) == (4, 4000)
        # A partial last line (a crash in the middle of an append) is skipped, not fatal.
        journal.append(rows[:1])
        with journal.path.open("ab") as f:
            f.write(b'{"id": "half')
        assert journal.replay(store.insert) == 1
        assert count(database) == (4, 4000)
        assert not journal.pending()
    finally:
        store.close()


async def test_close_keeps_what_the_database_cannot_take(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    """A stop while the database is down: the last rows wait in the journal for the next
    start (here: another ledger on the same data directory)."""
    database = fresh_database(own_postgres)
    path = tmp_path / JOURNAL_NAME
    ledger = SpendLedger(SpendStore(database), SpendJournal(path))
    own_postgres.stop()
    try:
        ledger.record_all([row(n) for n in range(3)])
        await ledger.close()
        assert SpendJournal(path).count() == 3
    finally:
        own_postgres.start()
    later = SpendLedger(SpendStore(database), SpendJournal(path))
    later.start()
    try:
        deadline = time.monotonic() + 15
        while count(database) != (3, 3000):  # the flusher replays it on its own
            assert time.monotonic() < deadline, "the journal was never replayed"
            await asyncio.sleep(0.1)
    finally:
        await later.close()
    assert not SpendJournal(path).pending()


async def test_a_stop_while_a_flush_waits_for_the_thread_loses_no_row(tmp_path: Path) -> None:
    """`close` stops the flusher in the middle of a flush whose write has not begun (the
    ledger's thread is busy): the write still happens, so its rows are not dropped with it."""
    data_dir = DataDir(tmp_path).ensure()
    database = open_database(None, data_dir)
    ledger = SpendLedger(
        SpendStore(database), SpendJournal(data_dir.path / JOURNAL_NAME), flush_interval_s=0.01
    )
    release = threading.Event()
    busy = asyncio.ensure_future(ledger.run(lambda _store: release.wait(10)))
    ledger.start()
    ledger.record_all([row(n) for n in range(5)])
    await asyncio.sleep(0.2)  # the flusher took the rows; their write waits behind `busy`
    closing = asyncio.ensure_future(ledger.close())
    await asyncio.sleep(0.1)
    release.set()
    await busy
    await closing
    assert count(database) == (5, 5000)
