"""The spend ledger: every model call's key, tenant, model, deployment, tokens, cost, status
and time, kept in the durable database without the request waiting on it.

`SpendLedger.record(row)` is all the request path does: it appends to this worker's pending
list (no I/O, no lock). A flusher task hands the pending rows to the ledger's own thread every
`flush_interval_s` (0.5 s) or as soon as `batch_rows` (1,024) are waiting, where one
transaction writes the batch (`store.spend.SpendStore.insert`). A batch the database refuses
(down, locked, unreachable) is appended to the data directory's journal (`governance.journal`)
instead, and the journal is replayed into the database at the next flush once it answers again
(with a backoff of up to 30 s between attempts while it does not), so rows are never lost and,
having ids of their own, never counted twice. `close()` (the app's cleanup, after the drain)
writes what is pending before the worker exits.

The rows of one request are made by `proxy.spend` when the request ends; an ensemble's
members are noted on the way with `proxy.current_request.note_part`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from mcproute.governance.journal import SpendJournal
from mcproute.store.spend import SpendRow, SpendStore

log = logging.getLogger("mcproute.governance")
MAX_RETRY_S = 30.0
T = TypeVar("T")


def new_row_id() -> str:
    """A row's id, unique without coordination, so a replayed batch is recognised: the wall
    clock in nanoseconds, then 64 random bits, in 32 hex digits. Ids made later sort later, so
    the id index grows at its end: random ids landed all over a large index and made each row
    cost five times as much to insert, on the CPU the event loop shares. From `random` (seeded
    from the OS, reseeded in every forked worker): an id is no secret, and `os.urandom` cost a
    system call per row."""
    return f"{time.time_ns():016x}{random.getrandbits(64):016x}"


class SpendLedger:
    def __init__(
        self,
        store: SpendStore,
        journal: SpendJournal,
        *,
        flush_interval_s: float = 0.5,
        batch_rows: int = 1024,  # (each flush is a hop to the thread the loop pays for)
    ) -> None:
        self.store = store
        self.journal = journal
        self._interval = flush_interval_s
        self._batch_rows = batch_rows
        self._pending: list[SpendRow] = []
        self._thread = self.store.database.thread("spend", background=True)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing: asyncio.Future[bool] | None = None  # the last flush's write
        # Touched on the ledger's thread only.
        self._retry_at = 0.0
        self._failures = 0

    # --- the request path ------------------------------------------------------------------

    def record(self, row: SpendRow) -> None:
        """Keep `row` (on the event loop; returns at once)."""
        self._pending.append(row)
        if len(self._pending) >= self._batch_rows:
            self._wake.set()

    def record_all(self, rows: Sequence[SpendRow]) -> None:
        for row in rows:
            self.record(row)

    # --- the flusher -----------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # never let the flusher die; the rows went back to pending
                log.exception("spend ledger: flush failed")

    async def flush(self, *, retry_now: bool = False) -> None:
        """Write the pending rows (and any journaled ones) now. Cancelling a flush (`close`
        stops the flusher) does not cancel its write: one still waiting for the thread would
        be dropped, and its rows with it."""
        rows, self._pending = self._pending, []
        write = self._thread.run_unbounded(self._write, rows, retry_now)
        write.add_done_callback(partial(self._settled, rows))
        self._writing = write
        await asyncio.shield(write)

    def _settled(self, rows: list[SpendRow], write: asyncio.Future[bool]) -> None:
        if write.cancelled() or write.exception() is not None or not write.result():
            self._pending[:0] = rows  # neither the database nor the journal took them: next time

    def _write(self, rows: list[SpendRow], retry_now: bool) -> bool:
        """On the ledger's thread: into the database, else into the journal; whether the rows
        are kept."""
        now = time.monotonic()
        if retry_now or now >= self._retry_at:
            try:
                if self.journal.pending():
                    replayed = self.journal.replay(self.store.insert)
                    if replayed:
                        log.warning("spend ledger: %d journaled rows written", replayed)
                self.store.insert(rows)
            except Exception as exc:
                self._failures += 1
                self._retry_at = now + min(MAX_RETRY_S, 0.5 * 2**self._failures)
                if self._failures == 1:
                    log.warning(
                        "spend ledger: the database refused a batch (%s); keeping rows in"
                        " the journal until it is back",
                        type(exc).__name__,
                    )
            else:
                if self._failures:
                    log.warning("spend ledger: the database takes rows again")
                self._failures = 0
                return True
        if not rows:
            return True
        try:
            self.journal.append(rows)
        except OSError:
            log.exception("spend ledger: cannot write the journal either; rows kept in memory")
            return False
        return True

    async def close(self) -> None:
        """Stop the flusher and write everything pending (the database, else the journal)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._writing is not None:  # a cancelled flush's write: its rows back if refused
            await asyncio.wait([self._writing])
        try:
            await self.flush(retry_now=True)
            if self._pending:  # not even the journal took them: say how many were lost
                log.error("spend ledger: %d rows could not be kept", len(self._pending))
        finally:
            await self._thread.run_unbounded(self.store.close)
            self._thread.shutdown()

    # --- reading ---------------------------------------------------------------------------

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(store, *args)` on the ledger's thread (for the reports)."""
        return await self._thread.run(fn, self.store, *args)
