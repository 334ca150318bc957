"""Journals: where rows wait while the store that should take them cannot.

A journal is a file in the data directory (mode 0600): one JSON row per line, appended a batch
at a time and fsynced before the batch counts as kept. Every worker of the host appends to and
replays the same file under an exclusive `flock`, so a batch is never read while half written
and a replay is one worker's at a time. Replaying gives the rows to the store (their ids make a
second write of the same row a no-op) and only then empties the file: a crash between the two
replays the rows again and still counts them once.

Two journals use it: the spend ledger's rows the database refused (`spend_journal`), and the
settlements of reservations the usage counters could not take (`settlement_journal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

from mcproute.governance.counters import Settlement, Ticket
from mcproute.store.spend import SpendRow

log = logging.getLogger("mcproute.governance")
JOURNAL_NAME = "spend-journal.jsonl"
SETTLEMENT_JOURNAL_NAME = "settlement-journal.jsonl"
T = TypeVar("T")


class Journal(Generic[T]):
    def __init__(
        self,
        path: Path,
        encode: Callable[[T], Any],
        decode: Callable[[Any], T],
    ) -> None:
        self.path = path
        self._encode = encode
        self._decode = decode

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
        return fd

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    def append(self, rows: Sequence[T]) -> None:
        """Keep `rows` durably (returns once they are on disk)."""
        data = b"".join(orjson.dumps(self._encode(row)) + b"\n" for row in rows)
        with self._locked() as fd:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)

    def pending(self) -> bool:
        """Whether rows may be waiting (a cheap check before `replay`)."""
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def count(self) -> int:
        """Rows waiting, for the reports."""
        try:
            return sum(1 for line in self.path.read_bytes().splitlines() if line.strip())
        except FileNotFoundError:
            return 0

    def _read(self, fd: int) -> list[T]:
        with open(fd, "rb", closefd=False) as reader:
            reader.seek(0)
            lines = reader.read().splitlines()
        rows = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rows.append(self._decode(orjson.loads(line)))
            except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
                # only a crash in the middle of an append leaves a partial last line
                log.warning("%s: line %d is incomplete and was skipped", self.path.name, number)
        return rows

    @staticmethod
    def _empty(fd: int) -> None:
        os.ftruncate(fd, 0)
        os.fsync(fd)

    def replay(self, insert: Callable[[list[T]], None]) -> int:
        """Give every waiting row to `insert` (which raises when it cannot write them), then
        empty the journal; the number of rows replayed."""
        with self._locked() as fd:
            rows = self._read(fd)
            if rows:
                insert(rows)
            self._empty(fd)
            return len(rows)

    async def replay_async(self, insert: Callable[[list[T]], Awaitable[None]]) -> int:
        """`replay` from the event loop with a store that is awaited. When another worker
        holds the journal (appending or replaying), nothing is done now: 0."""
        fd = self._open()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0
            rows = self._read(fd)
            if rows:
                await insert(rows)
            await asyncio.to_thread(self._empty, fd)  # the fsync waits on the disk
            return len(rows)
        finally:
            os.close(fd)


class SpendJournal(Journal[SpendRow]):
    """The spend ledger's rows that the database refused."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SpendRow.as_json, SpendRow.from_json)


def _settlement_json(s: Settlement) -> dict[str, Any]:
    t = s.ticket
    return {
        "rid": t.rid,
        "subjects": t.subjects,
        "second": t.second,
        "periods": t.periods,
        "leased": t.leased,
        "slots": t.slots,
        "tokens": s.tokens,
        "cost_micros": s.cost_micros,
        "requests": s.requests,
        "free": s.free,
        "sid": s.sid,
    }


def _settlement_from(data: dict[str, Any]) -> Settlement:
    subjects = tuple(str(s) for s in data["subjects"])
    periods = tuple(str(p) for p in data["periods"])
    leased = tuple(bool(x) for x in data["leased"])
    if not len(subjects) == len(periods) == len(leased):
        raise ValueError("a settlement's subjects, periods and leases differ in number")
    second = data["second"]
    ticket = Ticket(
        str(data["rid"]),
        subjects,
        None if second is None else int(second),
        periods,
        leased,
        int(data.get("slots", 1)),
    )
    free = data.get("free")
    return Settlement(
        ticket,
        int(data["tokens"]),
        int(data["cost_micros"]),
        int(data.get("requests", 0)),
        None if free is None else (int(free[0]), int(free[1])),
        str(data.get("sid", "")),
    )


class SettlementJournal(Journal[Settlement]):
    """Settlements of reservations the usage counters could not take (replayed exactly once:
    the counters apply a reservation id's settlement once)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _settlement_json, _settlement_from)
