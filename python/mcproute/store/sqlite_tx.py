"""The one way every SQLite store of the data directory writes: an immediate transaction held
under the data directory's write lock, committed whole or rolled back whole.

Every store runs its SQLite calls on a thread of its own (`SqliteThread`), never on the event
loop: a connection is used by the one thread that opened it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from mcproute.store.datadir import WriteLock

T = TypeVar("T")


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
    the disk, and writes of one process serialize."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"mcproute-{name}")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` on the store's thread from outside the event loop, and wait."""
        return self._executor.submit(fn, *args).result()

    def shutdown(self) -> None:
        self._executor.shutdown()
