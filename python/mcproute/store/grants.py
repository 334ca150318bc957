"""The users' upstream OAuth grants (and their pending link flows) in the durable database: the
data directory's SQLite, or PostgreSQL with `MCPROUTE_DATABASE_URL`, so that every worker and
every replica sees a user's link at once. Rows are opaque blobs by key, which
`oauth_client.SealedTokenStore` seals with the keyring before they get here (so they hold no
token in the clear). One connection on the store's own thread: grants are read when a user's
connection to an upstream opens, not per request.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import Any

from mcproute.store.database import Database, live_connection

# PostgreSQL's table is migration 7 (`store.migrations`).
SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_grants (
    key TEXT PRIMARY KEY,
    sealed BLOB NOT NULL,
    updated REAL NOT NULL
);
"""


def _sqlite_schema(conn: Any) -> None:
    conn.executescript(SQLITE_SCHEMA)


class GrantBlobs:
    """A `BlobStore` shared by every process on the database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._thread = self.database.thread("grants")
        self._connection: Any = None

    def __repr__(self) -> str:
        return f"GrantBlobs({self.database!r})"

    def _db(self) -> Any:
        self._connection = live_connection(self.database, self._connection, _sqlite_schema)
        return self._connection

    def _write(self, sql: str, args: tuple[object, ...]) -> Any:
        conn = self._db()
        try:
            with self.database.write(conn):
                return conn.execute(sql, args).fetchone()
        except sqlite3.Error:
            self._drop()
            raise

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            found = self._db().execute("SELECT sealed FROM oauth_grants WHERE key = ?", (key,))
            row = found.fetchone()
            return bytes(row[0]) if row else None

        return await self._thread.run(read)

    async def put(self, key: str, value: bytes) -> None:
        await self._thread.run(
            self._write,
            "INSERT INTO oauth_grants (key, sealed, updated) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed,"
            " updated = excluded.updated RETURNING key",
            (key, value, time.time()),
        )

    async def remove(self, key: str) -> None:
        await self._thread.run(
            self._write, "DELETE FROM oauth_grants WHERE key = ? RETURNING key", (key,)
        )

    async def take(self, key: str) -> bytes | None:
        row = await self._thread.run(
            self._write, "DELETE FROM oauth_grants WHERE key = ? RETURNING sealed", (key,)
        )
        return bytes(row[0]) if row else None

    def close(self) -> None:
        def shut() -> None:
            self._drop()

        self._thread.call(shut)
        self._thread.shutdown()
