"""How one dashboard load sees every worker: each worker publishes a snapshot, readers merge.

The pre-forked workers of one `mcproute serve` share a port, so a request reaches one of them
at random; none can ask another over the network. Each worker instead writes its compact
snapshot (its `History` and deployment health, a few hundred kB at most) every second when
it changed, and every `HEARTBEAT_S` when it did not, into `workers.db` in the data
directory; the dashboard's data endpoints read every fresh row and merge. Writes and reads
run in a thread, never on the event loop. The file holds nothing durable (synchronous=OFF):
a lost write is replaced a second later, and a worker's row goes when the worker stops.

`SnapshotStore` is the one interface; with Redis configured, `redis_snapshots.RedisSnapshots`
holds every worker of every replica. A worker id is `<instance>/<pid>`, the instance naming
the replica (`MCPROUTE_INSTANCE`, else `<hostname>:<port>`): `/metrics` reads the workers of
its own instance, the dashboard every one. If the store fails, both answer with this worker's
snapshot alone and say so (`store_up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from mcproute.store import DataDir
from mcproute.store.datadir import private_file, use_wal

PUBLISH_S = 1.0
HEARTBEAT_S = 5.0
FRESH_S = 3 * HEARTBEAT_S  # older rows are workers that are gone
log = logging.getLogger("mcproute.dashboard")


INSTANCE_VAR = "MCPROUTE_INSTANCE"
STORE_ERRORS = (sqlite3.Error, OSError)  # RedisSnapshots raises its failures as OSError


def instance_id(port: int | None = None, env: Mapping[str, str] = os.environ) -> str:
    """This replica's stable name (the `instance` label of its `/metrics`): `MCPROUTE_INSTANCE`,
    else `<hostname>:<port>`, which stays the same across restarts of one replica."""
    host = socket.gethostname()
    return env.get(INSTANCE_VAR) or (f"{host}:{port}" if port is not None else host)


def worker_id(instance: str) -> str:
    """Unique among the workers and replicas that share one store."""
    return f"{instance}/{os.getpid()}"


class SnapshotStore(Protocol):
    def publish(self, worker: str, snapshot: bytes, now: float) -> None:
        """Replace this worker's snapshot."""

    def collect(self, since: float) -> dict[str, bytes]:
        """Every worker's snapshot published at `since` or later, by worker id."""

    def withdraw(self, worker: str) -> None:
        """Remove this worker's snapshot (it is stopping)."""


class SqliteSnapshots:
    """`SnapshotStore` on a SQLite file of its own in the data directory (mode 0600)."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS worker_snapshots "
        "(worker TEXT PRIMARY KEY, published REAL NOT NULL, snapshot BLOB NOT NULL)"
    )

    def __init__(self, data_dir: DataDir) -> None:
        path = data_dir.ensure().path / "workers.db"
        private_file(path)
        self._conn = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
        use_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute(self.SCHEMA)
        self._lock = threading.Lock()

    def publish(self, worker: str, snapshot: bytes, now: float) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO worker_snapshots VALUES (?, ?, ?) ON CONFLICT(worker) DO UPDATE "
                "SET published = excluded.published, snapshot = excluded.snapshot "
                "WHERE excluded.published >= worker_snapshots.published",  # never back in time
                (worker, now, snapshot),
            )
            # Rows of workers killed before they could withdraw.
            self._conn.execute("DELETE FROM worker_snapshots WHERE published < ?", (now - 3600.0,))

    def collect(self, since: float) -> dict[str, bytes]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT worker, snapshot FROM worker_snapshots WHERE published >= ?", (since,)
            ).fetchall()
        return {str(worker): bytes(snapshot) for worker, snapshot in rows}

    def withdraw(self, worker: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM worker_snapshots WHERE worker = ?", (worker,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class Publisher:
    """Publishes this worker's snapshot: on change each `PUBLISH_S`, else each `HEARTBEAT_S`."""

    def __init__(
        self,
        store: SnapshotStore,
        encode: Callable[[float], bytes],
        version: Callable[[], int],
        clock: Callable[[], float],
        instance: str,
    ) -> None:
        self.store = store
        self.instance = instance
        self.worker = worker_id(instance)
        self._encode = encode
        self._version = version
        self.clock = clock
        self._last: tuple[int, float, bytes] = (-1, 0.0, b"")
        self.store_up = True

    def note(self, error: Exception | None) -> None:
        """Log the store failing, and coming back, once each (not once a second)."""
        if error is not None and self.store_up:
            log.warning(
                "dashboard: the worker snapshot store failed (%s); the dashboard and /metrics"
                " show this worker alone until it is back",
                type(error).__name__,
            )
        elif error is None and not self.store_up:
            log.info("dashboard: the worker snapshot store is back")
        self.store_up = error is None

    def current(self) -> tuple[float, bytes]:
        """This worker's snapshot now: encoded again (on the loop, since it reads live
        structures) only when something changed or it is older than `PUBLISH_S`, so many
        dashboards polling at once cost one encoding per second."""
        now = self.clock()
        version, taken, snapshot = self._last
        if version != self._version() or now - taken >= PUBLISH_S:
            version, taken, snapshot = self._version(), now, self._encode(now)
            self._last = (version, taken, snapshot)
        return taken, snapshot

    async def run(self) -> None:
        published_version = -1
        published_at = 0.0
        while True:
            now = self.clock()
            version = self._version()
            if version != published_version or now - published_at >= HEARTBEAT_S:
                now, snapshot = self.current()
                try:
                    await asyncio.to_thread(self.store.publish, self.worker, snapshot, now)
                    published_version, published_at = version, now
                    self.note(None)
                except STORE_ERRORS as exc:  # the dashboard misses this worker until the next try
                    self.note(exc)
            await asyncio.sleep(PUBLISH_S)

    async def withdraw(self) -> None:
        with contextlib.suppress(*STORE_ERRORS):
            await asyncio.to_thread(self.store.withdraw, self.worker)


SNAPSHOTS = web.AppKey("dashboard_snapshots", SnapshotStore)
PUBLISHER = web.AppKey("dashboard_publisher", Publisher)


@dataclass
class Collected:
    by_worker: dict[str, bytes]
    store_up: bool  # False: the store failed, this worker's snapshot is the only one

    @property
    def snapshots(self) -> list[bytes]:
        return list(self.by_worker.values())

    @property
    def replicas(self) -> int:
        return len({worker.rpartition("/")[0] for worker in self.by_worker})


def published(app: web.Application, *, deployment: bool) -> Callable[[], Collected]:
    """A function (to run in a thread) that returns every fresh worker's snapshot, of every
    replica if `deployment` else of this one's: this worker's current one, which it publishes
    first, and the others' as last published (at most `PUBLISH_S` old). Publishing before
    answering keeps the figures from going back whichever worker answers next: it sees this
    answer's counts of this worker, or later."""
    publisher, store = app[PUBLISHER], app[SNAPSHOTS]
    taken, own = publisher.current()  # reads live state: here, on the loop
    mine = publisher.instance + "/"

    def read() -> Collected:
        try:
            store.publish(publisher.worker, own, taken)
            rows = store.collect(taken - FRESH_S)
            up = True
            publisher.note(None)
        except STORE_ERRORS as exc:  # then only this worker's figures, flagged
            publisher.note(exc)
            rows, up = {}, False
        if not deployment:
            rows = {k: v for k, v in rows.items() if k.startswith(mine)}
        rows[publisher.worker] = own
        return Collected(rows, up)

    return read
