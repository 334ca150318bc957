"""The one way every SQLite store of the data directory writes: an immediate transaction held
under the data directory's write lock, committed whole or rolled back whole.

Every store runs its SQLite calls on a thread of its own (`SqliteThread`), never on the event
loop: a connection is used by the one thread that opened it. (The SQLite work of a transaction
runs with the GIL released; only the Python around it competes with the loop.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from mcproute.store.datadir import DataDir, WriteLock
from mcproute.store.turn_batch import TurnBatch, deliver

T = TypeVar("T")
# A background writer's nice value. On a busy core the kernel then runs the event loop first
# when a request wakes it, instead of finishing the writer's time slice (a batch of ledger rows
# held a one-connection request back by up to 5 ms). At 15 a writer still gets about 3 % of a
# core the loop keeps busy, more than a full ledger needs at the most one worker can serve.
BACKGROUND_NICE = 15


def _yield_to_the_loop() -> None:
    """Lower this thread's CPU priority by `BACKGROUND_NICE` (Linux sets nice per thread);
    elsewhere, nothing."""
    with contextlib.suppress(AttributeError, OSError):
        me = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + BACKGROUND_NICE)
        )


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection, lock: WriteLock) -> Iterator[sqlite3.Connection]:
    """One write transaction: `BEGIN IMMEDIATE` under `lock`; COMMIT on success, ROLLBACK on any
    exception (the exception goes on)."""
    with lock.held():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


class SqliteThread:
    """One thread for one store's connection: calls from the event loop wait on it, not on
    the disk, and writes of one process serialize.

    With a `deadline_s` (a database across a network, which may stop answering without closing
    its connection), a call from the loop waits at most that long, then raises `late()`: the
    request fails instead of hanging; the thread goes on waiting for the database, and calls
    behind it fail the same way until it answers. A `background` thread (a writer no request
    waits on) runs at `BACKGROUND_NICE`."""

    def __init__(
        self,
        name: str,
        deadline_s: float | None = None,
        late: Callable[[], Exception] | None = None,
        *,
        background: bool = False,
    ) -> None:
        self._executor = ThreadPoolExecutor(
            1,
            thread_name_prefix=f"mcproute-{name}",
            initializer=_yield_to_the_loop if background else None,
        )
        self._deadline_s = deadline_s
        self._late = late or (lambda: TimeoutError(f"the {name} store did not answer in time"))

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        done = self.run_unbounded(fn, *args)
        if self._deadline_s is None:
            return await done
        try:
            return await asyncio.wait_for(done, self._deadline_s)
        except TimeoutError:
            raise self._late() from None

    def run_unbounded(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`run` without the deadline: for background writers, which wait for the database
        rather than give their rows up."""
        return asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` on the store's thread from outside the event loop, and wait."""
        return self._executor.submit(fn, *args).result()

    def shutdown(self) -> None:
        self._executor.shutdown()


_Call = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]


def _run_each(conn: sqlite3.Connection, batch: list[_Call]) -> list[Any]:
    """Each call of a batch in its own savepoint: its result, or the exception it raised."""
    out: list[Any] = []
    for fn, _ in batch:
        conn.execute("SAVEPOINT call")
        try:
            out.append(fn(conn))
        except Exception as exc:
            conn.execute("ROLLBACK TO call")
            out.append(exc)
        conn.execute("RELEASE call")
    return out


class SqliteLane:
    """A store of the data directory's database that only writes small rows shared between
    one host's workers (nonces, rate windows): its own thread and connection, every call one
    immediate transaction. `synchronous=NORMAL`: in WAL mode a commit survives a crash of the
    process; only a power loss may forget the last ones."""

    def __init__(self, data_dir: DataDir, name: str, schema: str) -> None:
        self._data_dir = data_dir
        self._schema = schema
        self._write_lock = data_dir.write_lock()
        self._thread = SqliteThread(name)
        self._conn: sqlite3.Connection | None = None
        self._batch: TurnBatch[Callable[[sqlite3.Connection], Any]] = TurnBatch(self._dispatch)

    def __repr__(self) -> str:
        return f"SqliteLane({self._data_dir!r})"

    def _transact(self, fn: Callable[..., T], *args: Any) -> T:
        if self._conn is None:
            conn = self._data_dir.connect()
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(self._schema)
            self._conn = conn
        with immediate(self._conn, self._write_lock) as conn:
            return fn(conn, *args)

    async def transact(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` in one immediate transaction, on the lane's thread."""
        return await self._thread.run(self._transact, fn, *args)

    def batched(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """`fn(connection)` in a transaction shared with the other calls of this turn of the
        event loop: one lock, one commit and one hop to the lane's thread for all of them
        (never run on the loop's thread). Each call runs in a savepoint of its own, in the order
        given, so each sees the ones before it, and one that raises leaves the others done.
        The future's result is `fn`'s; cancelling the future does not stop `fn` (see
        `SqliteUsage.reserve`)."""
        future: asyncio.Future[T] = self._batch.add(fn)
        return future

    def _dispatch(self, batch: list[_Call]) -> None:
        done = asyncio.ensure_future(self._thread.run(self._transact, _run_each, batch))
        done.add_done_callback(lambda task: self._settle_batch(batch, task))

    @staticmethod
    def _settle_batch(batch: list[_Call], task: asyncio.Future[list[Any]]) -> None:
        if task.cancelled() or task.exception() is not None:
            error = task.exception() if not task.cancelled() else asyncio.CancelledError()
            deliver(batch, [error] * len(batch))
        else:
            deliver(batch, task.result())

    def close(self) -> None:
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._thread.call(shut)
        self._thread.shutdown()
        self._write_lock.close()
