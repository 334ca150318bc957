"""Ended MCP sessions in the data directory's SQLite: every worker and replica on it stops
serving a session one of them saw ended (see `protocol.server.session_tokens`).

Rows hold a digest of the session token (not the token) and when the token would expire; the
rows of expired tokens are deleted as new ones arrive. Each call uses its own short-lived
connection on a worker thread: callers ask at most about once a second.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

from mcproute.store.datadir import DataDir
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.sqlite_tx import immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS mcp_ended_sessions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL,
    until REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS mcp_ended_sessions_until ON mcp_ended_sessions(until);
"""


class SqliteEndedSessions:
    """An `EndedSessions` shared by every process on one data directory."""

    def __init__(self, data_dir: DataDir) -> None:
        self._data_dir = data_dir
        self._write_lock = data_dir.write_lock()

    def __repr__(self) -> str:
        return f"SqliteEndedSessions({self._data_dir!r})"

    def _connect(self) -> sqlite3.Connection:
        conn = self._data_dir.connect()
        conn.executescript(SCHEMA)
        return conn

    async def end(self, digest: str, until: float) -> None:
        def write() -> None:
            conn = self._connect()
            try:
                with immediate(conn, self._write_lock):
                    conn.execute("DELETE FROM mcp_ended_sessions WHERE until < ?", (time.time(),))
                    conn.execute(
                        "INSERT INTO mcp_ended_sessions (digest, until) VALUES (?, ?)",
                        (digest, until),
                    )
            finally:
                conn.close()

        await asyncio.to_thread(write)

    async def since(self, cursor: int) -> tuple[list[tuple[str, float]], int]:
        def read() -> tuple[list[tuple[str, float]], int]:
            conn = self._connect()
            try:
                rows = conn.execute(
                    "SELECT seq, digest, until FROM mcp_ended_sessions"
                    " WHERE seq > ? AND until >= ? ORDER BY seq",
                    (cursor, time.time()),
                ).fetchall()
            finally:
                conn.close()
            newest = rows[-1][0] if rows else cursor
            return [(digest, until) for _, digest, until in rows], newest

        try:
            return await asyncio.to_thread(read)
        except sqlite3.Error as exc:  # (say, a disk error): fail closed with a 503, not a 500
            raise StoreUnavailableError(f"the ended-sessions store: {type(exc).__name__}") from None

    def close(self) -> None:
        self._write_lock.close()
