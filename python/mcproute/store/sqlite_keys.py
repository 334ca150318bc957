"""API key records in SQLite: what `mcproute keys` writes and `mcproute serve` reads."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
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
    " require_signature"
)


class SqliteApiKeyStore:
    """Implements the ApiKeyStore interface on the data directory's database."""

    def __init__(self, data_dir: DataDir) -> None:
        self._conn = data_dir.connect()
        self._conn.execute(SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(api_keys)")}
        if "require_signature" not in columns:  # a data directory from an earlier version
            with contextlib.suppress(sqlite3.OperationalError):  # another process was first
                self._conn.execute(
                    "ALTER TABLE api_keys ADD COLUMN require_signature INTEGER NOT NULL DEFAULT 0"
                )
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    @staticmethod
    def _record(row: tuple[Any, ...]) -> ApiKeyRecord:
        key_id, env, secret_hash, scopes, created, expires, revoked, replaced_by, signed = row
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
        )

    def get(self, key_id: str) -> ApiKeyRecord | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {COLUMNS} FROM api_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        return None if row is None else self._record(row)

    def put(self, record: ApiKeyRecord) -> None:
        with self._lock:
            self._conn.execute(
                f"INSERT INTO api_keys ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
