"""The spend journal: where ledger rows wait while the database cannot take them.

A file in the data directory (``spend-journal.jsonl``, mode 0600): one JSON row per line,
appended a batch at a time and fsynced before the batch counts as kept. Every worker of the
host appends to and replays the same file under an exclusive `flock`, so a batch is never read
while half written and a replay is one worker's at a time. Replaying inserts the rows (their ids
make a second insert of the same row a no-op) and only then empties the file: a crash between
the two replays the rows again and still counts them once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import orjson

from mcproute.store.spend import SpendRow

log = logging.getLogger("mcproute.governance")
JOURNAL_NAME = "spend-journal.jsonl"


class SpendJournal:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    def append(self, rows: Sequence[SpendRow]) -> None:
        """Keep `rows` durably (returns once they are on disk)."""
        data = b"".join(orjson.dumps(row.as_json()) + b"\n" for row in rows)
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

    def replay(self, insert: Callable[[list[SpendRow]], None]) -> int:
        """Give every waiting row to `insert` (which raises when it cannot write them), then
        empty the journal; the number of rows replayed."""
        with self._locked() as fd:
            with open(fd, "rb", closefd=False) as reader:
                reader.seek(0)
                lines = reader.read().splitlines()
            rows = []
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(SpendRow.from_json(orjson.loads(line)))
                except (orjson.JSONDecodeError, TypeError, KeyError):
                    # only a crash in the middle of an append leaves a partial last line
                    log.warning("spend journal: line %d is incomplete and was skipped", number)
            if rows:
                insert(rows)
            os.ftruncate(fd, 0)
            os.fsync(fd)
            return len(rows)
