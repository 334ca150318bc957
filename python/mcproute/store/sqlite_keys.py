"""API key records in SQLite: what `mcproute keys` writes and `mcproute serve` reads."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from mcproute.governance.limits import NO_LIMITS, limits_from
from mcproute.security import ApiKeyRecord
from mcproute.store.audit import SQLITE_SCHEMA as SQLITE_AUDIT_SCHEMA
from mcproute.store.audit import AuditEvent, read_events, record_event
from mcproute.store.database import (
    Database,
    SqliteDatabase,
    ThreadOwnedConnection,
    live_connection,
)
from mcproute.store.datadir import DataDir
from mcproute.store.refresh_ahead import RefreshAhead

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id      TEXT PRIMARY KEY,
    env         TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  REAL NOT NULL,
    expires_at  REAL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    replaced_by TEXT,
    name        TEXT,
    require_signature INTEGER NOT NULL DEFAULT 0,
    limits      TEXT
)
"""
COLUMNS = (
    "key_id, env, secret_hash, scopes, created_at, expires_at, revoked, replaced_by,"
    " require_signature, name, limits"
)
# Columns added since the first version, for data directories made by an earlier one.
ADDED_COLUMNS = (
    ("require_signature", "INTEGER NOT NULL DEFAULT 0"),
    ("limits", "TEXT"),
)


class SqliteApiKeyStore(ThreadOwnedConnection):
    """Implements the ApiKeyStore interface on the data directory's database (or PostgreSQL,
    `database`).

    Records are cached for `cache_s` seconds: every request looks its key up, and a database
    read per request is a tenth of the proxy's time. A change made through this store is seen
    at once; one made by another process (`mcproute keys revoke`, another worker) within
    `cache_s`, or at once where something tells this store (`forget`). Where something should
    tell it but cannot (Redis down: `heard(False)`), the cache is not trusted and every lookup
    reads the database, so a revocation made meanwhile is refused at once. The connection lives
    on a thread of the store's own: `load` waits for it without blocking the event loop.
    """

    def __init__(
        self, data_dir: DataDir, *, cache_s: float = 1.0, database: Database | None = None
    ) -> None:
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}
        self._cache_s = cache_s
        self._trusted = True  # whether changes made elsewhere reach `forget` (see `heard`)
        self._generation = 0  # bumped by every forget: a read begun before it is not cached
        # The data directory's SQLite unless PostgreSQL is given (its schema is migrated).
        self._database: Database = database or SqliteDatabase(data_dir)
        self._thread = self._database.thread("keys")
        self._ahead = RefreshAhead(self._thread, self._read_cached, cache_s)
        self._connection: Any = None
        try:
            self._thread.call(self._db)
        except BaseException:  # the database is not there: leave no thread behind
            self._thread.shutdown()
            raise
        # Called with the key id after every durable write (replicas drop their cached copy).
        self.on_change: Callable[[str], object] | None = None

    def _db(self) -> Any:
        """The store thread's connection (a new one if PostgreSQL dropped the last)."""
        self._connection = live_connection(
            self._database, self._connection, self._create_sqlite_schema
        )
        return self._connection

    @staticmethod
    def _create_sqlite_schema(conn: sqlite3.Connection) -> None:
        conn.execute(SCHEMA)
        conn.execute(SQLITE_AUDIT_SCHEMA)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(api_keys)")}
        for column, kind in ADDED_COLUMNS:
            if column not in columns:  # a data directory from an earlier version
                with contextlib.suppress(sqlite3.OperationalError):  # another process was first
                    conn.execute(f"ALTER TABLE api_keys ADD COLUMN {column} {kind}")

    def close(self) -> None:
        super().close()
        self._database.close()

    @staticmethod
    def _record(row: tuple[Any, ...]) -> ApiKeyRecord:
        key_id, env, secret_hash, scopes, created, expires, revoked, replaced_by, signed = row[:9]
        name, limits = row[9:]
        return ApiKeyRecord(
            key_id=key_id,
            env=env,
            secret_hash=bytes(secret_hash),
            scopes=frozenset(json.loads(scopes)),
            created_at=float(created),
            expires_at=None if expires is None else float(expires),
            revoked=bool(revoked),
            replaced_by=replaced_by,
            require_signature=bool(signed),
            name=name,
            limits=limits_from(json.loads(limits)) if limits else NO_LIMITS,
        )

    def _cached(self, key_id: str) -> tuple[float, ApiKeyRecord | None] | None:
        cached = self._cache.get(key_id)
        if cached is not None and self._trusted and time.monotonic() - cached[0] < self._cache_s:
            return cached
        return None

    def _read_cached(self, key_id: str) -> ApiKeyRecord | None:
        """Runs on the store's thread: the record, read and put in the cache (unless it was
        forgotten meanwhile: the change that made it forgotten may postdate the read)."""
        now, generation = time.monotonic(), self._generation
        row = (
            self._db()
            .execute(f"SELECT {COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,))
            .fetchone()
        )
        record = None if row is None else self._record(row)
        if len(self._cache) > 10_000:  # keys that never come back: start over
            self._cache.clear()
        if generation == self._generation:
            self._cache[key_id] = (now, record)
        return record

    def get(self, key_id: str) -> ApiKeyRecord | None:
        cached = self._cached(key_id)
        return cached[1] if cached is not None else self._thread.call(self._read_cached, key_id)

    async def load(self, key_id: str) -> ApiKeyRecord | None:
        cached = self.load_now(key_id)
        if cached is not None:
            return cached[1]
        return await self._thread.run(self._read_cached, key_id)

    def load_now(self, key_id: str) -> tuple[float, ApiKeyRecord | None] | None:
        # Untrusted (changes made elsewhere may go unheard): read every time.
        return self._ahead.fresh(self._cache, key_id) if self._trusted else None

    def forget(self, key_id: str) -> None:
        """Drop a cached record (another replica changed it): the next lookup reads it."""
        self._generation += 1
        self._cache.pop(key_id, None)

    def forget_all(self) -> None:
        self._generation += 1
        self._cache.clear()

    def heard(self, listening: bool) -> None:
        """Whether changes made by other processes reach `forget` now (the Redis listener is
        subscribed). While they do not, no cached record is trusted; either way the cache
        starts over, since changes may have gone unheard."""
        self._trusted = listening
        self.forget_all()

    def _write(self, record: ApiKeyRecord) -> None:
        # Ordered with other writes of this key (its audit event reads the state before).
        with self._database.write(self._db(), ["key:" + record.key_id]) as conn:
            before = conn.execute(
                "SELECT revoked, replaced_by FROM api_keys WHERE key_id = ?", (record.key_id,)
            ).fetchone()
            self._audit(conn, before, record)
            conn.execute(
                f"INSERT INTO api_keys ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(key_id) DO UPDATE SET scopes=excluded.scopes,"
                " expires_at=excluded.expires_at, revoked=excluded.revoked,"
                " replaced_by=excluded.replaced_by, limits=excluded.limits",
                (
                    record.key_id,
                    record.env,
                    record.secret_hash,
                    json.dumps(sorted(record.scopes)),
                    record.created_at,
                    record.expires_at,
                    int(record.revoked),
                    record.replaced_by,
                    int(record.require_signature),
                    record.name,
                    None if record.limits.empty else json.dumps(record.limits.as_json()),
                ),
            )
        self.forget(record.key_id)

    @staticmethod
    def _audit(conn: Any, before: Any, record: ApiKeyRecord) -> None:
        """The change's audit event, in the change's own transaction."""
        if before is None:
            action = "key.created"
        elif record.revoked and not before[0]:
            action = "key.revoked"
        elif record.replaced_by is not None and before[1] is None:
            action = "key.rotated"
        else:
            action = "key.updated"
        record_event(
            conn,
            action,
            record.key_id,
            env=record.env,
            scopes=sorted(record.scopes),
            name=record.name,
            replaced_by=record.replaced_by,
            **({} if record.limits.empty else {"limits": record.limits.as_json()}),
        )

    def events(self, limit: int = 100) -> list[AuditEvent]:
        """The newest audit events of the database, oldest first."""
        return self._thread.call(lambda: read_events(self._db(), limit))

    async def aevents(self, limit: int = 100) -> list[AuditEvent]:
        """`events`, waited for off the event loop."""
        return await self._thread.run(lambda: read_events(self._db(), limit))

    async def audit(self, action: str, subject: str | None, **detail: Any) -> None:
        """An audit event of something that is no key change (an admin call, a keyring
        rotation), in a write of its own, off the event loop."""

        def write() -> None:
            with self._database.write(self._db(), ["audit"]) as conn:
                record_event(conn, action, subject, **detail)

        await self._thread.run(write)

    def put(self, record: ApiKeyRecord) -> None:
        self.forget(record.key_id)
        self._thread.call(self._write, record)
        if self.on_change is not None:
            self.on_change(record.key_id)

    def all(self) -> list[ApiKeyRecord]:
        def read() -> list[ApiKeyRecord]:
            rows = self._db().execute(f"SELECT {COLUMNS} FROM api_keys ORDER BY created_at")
            return [self._record(r) for r in rows.fetchall()]

        return self._thread.call(read)

    def __enter__(self) -> SqliteApiKeyStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
