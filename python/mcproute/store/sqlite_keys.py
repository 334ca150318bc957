"""API key records in SQLite: what `mcproute keys` writes and `mcproute serve` reads."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from typing import Any

from mcproute.security import ApiKeyRecord
from mcproute.store.datadir import DataDir

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
    require_signature INTEGER NOT NULL DEFAULT 0
)
"""
COLUMNS = (
    "key_id, env, secret_hash, scopes, created_at, expires_at, revoked, replaced_by,"
    " require_signature, name"
)


class SqliteApiKeyStore:
    """Implements the ApiKeyStore interface on the data directory's database.

    Records are cached for `cache_s` seconds: every request looks its key up, and a database
    read per request is a tenth of the proxy's time. A change made through this store is seen
    at once; one made by another process (`mcproute keys revoke`, another worker) within
    `cache_s`.
    """

    def __init__(self, data_dir: DataDir, *, cache_s: float = 1.0) -> None:
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}
        self._cache_s = cache_s
        self._conn = data_dir.connect()
        self._conn.execute(SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(api_keys)")}
        if "require_signature" not in columns:  # a data directory from an earlier version
            with contextlib.suppress(sqlite3.OperationalError):  # another process was first
                self._conn.execute(
                    "ALTER TABLE api_keys ADD COLUMN require_signature INTEGER NOT NULL DEFAULT 0"
                )
        self._lock = threading.Lock()
        self._write_lock = data_dir.write_lock()

    def close(self) -> None:
        self._conn.close()
        self._write_lock.close()

    @staticmethod
    def _record(row: tuple[Any, ...]) -> ApiKeyRecord:
        key_id, env, secret_hash, scopes, created, expires, revoked, replaced_by, signed, name = row
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
        )

    def get(self, key_id: str) -> ApiKeyRecord | None:
        now = time.monotonic()
        cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < self._cache_s:
            return cached[1]
        record = self._read(key_id)
        if len(self._cache) > 10_000:  # keys that never come back: start over
            self._cache.clear()
        self._cache[key_id] = (now, record)
        return record

    def _read(self, key_id: str) -> ApiKeyRecord | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {COLUMNS} FROM api_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        return None if row is None else self._record(row)

    def put(self, record: ApiKeyRecord) -> None:
        self._cache.pop(record.key_id, None)
        with self._lock, self._write_lock.held():
            self._conn.execute(
                f"INSERT INTO api_keys ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(key_id) DO UPDATE SET scopes=excluded.scopes,"
                " expires_at=excluded.expires_at, revoked=excluded.revoked,"
                " replaced_by=excluded.replaced_by",
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
                ),
            )

    def all(self) -> list[ApiKeyRecord]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {COLUMNS} FROM api_keys ORDER BY created_at"
            ).fetchall()
        return [self._record(r) for r in rows]

    def __enter__(self) -> SqliteApiKeyStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
