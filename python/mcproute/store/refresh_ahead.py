"""Cached records read again before they go stale, so no request waits for the read.

The key and tenant stores cache what they read for `cache_s` (1 s), so a change made elsewhere
is seen within that. The first request after a record went stale used to wait for its store's
thread (a thread hop and the GIL handed back and forth: about 0.5 ms of the event loop, once a
second per key, a measured part of the one-connection p99). Now a lookup that finds its record
past `REFRESH_AT` of its life answers from the cache and starts one read in the background on
the store's thread, which puts a fresh record in the cache. The bound is unchanged: a record
older than `cache_s` is never served; a failed background read is dropped (the lookup after
the record goes stale reads it again, and fails there).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from mcproute.store.sqlite_tx import SqliteThread

REFRESH_AT = 0.5
V = TypeVar("V")


class RefreshAhead:
    """Background reads of a store's cached records, one at a time per name."""

    def __init__(self, thread: SqliteThread, read: Callable[[str], Any], cache_s: float) -> None:
        self._thread = thread
        self._read = read  # reads the record on the store's thread and caches it
        self._cache_s = cache_s
        self._after_s = cache_s * REFRESH_AT
        self._reading: dict[str, asyncio.Future[Any]] = {}

    def fresh(self, cache: Mapping[str, tuple[float, V]], name: str) -> tuple[float, V] | None:
        """`name`'s entry of `cache` ((time read, record)) if it is fresh, reading it again in
        the background when it is past `REFRESH_AT` of its life; None: read it now."""
        cached = cache.get(name)
        if cached is None:
            return None
        age = time.monotonic() - cached[0]
        if age >= self._cache_s:
            return None
        self.check(name, age)
        return cached

    def check(self, name: str, age: float) -> None:
        """`name`'s cached record is `age` seconds old and still fresh: read it again in the
        background if it is due and no read of it is on its way."""
        if age < self._after_s or name in self._reading:
            return
        reading = asyncio.ensure_future(self._thread.run(self._read, name))
        self._reading[name] = reading
        reading.add_done_callback(lambda done: self._done(name, done))

    def _done(self, name: str, done: asyncio.Future[Any]) -> None:
        self._reading.pop(name, None)
        if not done.cancelled():
            done.exception()  # retrieved: a failure waits for the next lookup's own read
