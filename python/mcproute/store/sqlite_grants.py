"""The users' upstream OAuth grants in the data directory's SQLite: opaque blobs by key, which
`oauth_client.SealedTokenStore` seals with the keyring before they get here (so the rows hold
no token in the clear). Every worker on the data directory sees a user's link at once. Each
call uses its own short-lived connection on a worker thread: grants are read when a user's
connection to an upstream opens, not per request.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

from mcproute.store.datadir import DataDir
from mcproute.store.sqlite_tx import immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_grants (
    key TEXT PRIMARY KEY,
    sealed BLOB NOT NULL,
    updated REAL NOT NULL
);
"""


class SqliteGrantBlobs:
    """A `BlobStore` shared by every process on one data directory."""

    def __init__(self, data_dir: DataDir) -> None:
        self._data_dir = data_dir
        self._write_lock = data_dir.write_lock()

    def __repr__(self) -> str:
        return f"SqliteGrantBlobs({self._data_dir!r})"

    def _connect(self) -> sqlite3.Connection:
        conn = self._data_dir.connect()
        conn.executescript(SCHEMA)
        return conn

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            conn = self._connect()
            try:
                row = conn.execute("SELECT sealed FROM oauth_grants WHERE key = ?", (key,))
                found = row.fetchone()
            finally:
                conn.close()
            return bytes(found[0]) if found else None

        return await asyncio.to_thread(read)

    async def put(self, key: str, value: bytes) -> None:
        await self._write(
            "INSERT INTO oauth_grants (key, sealed, updated) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET sealed = excluded.sealed, updated = excluded.updated",
            (key, value, time.time()),
        )

    async def remove(self, key: str) -> None:
        await self._write("DELETE FROM oauth_grants WHERE key = ?", (key,))

    async def _write(self, sql: str, args: tuple[object, ...]) -> None:
        def write() -> None:
            conn = self._connect()
            try:
                with immediate(conn, self._write_lock):
                    conn.execute(sql, args)
            finally:
                conn.close()

        await asyncio.to_thread(write)

    def close(self) -> None:
        self._write_lock.close()
