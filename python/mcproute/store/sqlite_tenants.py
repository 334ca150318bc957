"""Tenant policies (the limits every key of a tenant shares, `/admin/tenants/{name}`), in the
data directory's SQLite or PostgreSQL, beside the key records.

The request path reads a tenant's policy from a cache of `cache_s` seconds, as it reads keys:
a tenant without a policy costs no database read per request. A change is audited in its own
transaction (`tenant.updated`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from mcproute.governance.limits import NO_LIMITS, Limits, limits_from
from mcproute.store.audit import SQLITE_SCHEMA as SQLITE_AUDIT_SCHEMA
from mcproute.store.audit import record_event
from mcproute.store.database import (
    Database,
    SqliteDatabase,
    ThreadOwnedConnection,
    live_connection,
)
from mcproute.store.datadir import DataDir
from mcproute.store.refresh_ahead import RefreshAhead

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenant_policies (
    name       TEXT PRIMARY KEY,
    limits     TEXT NOT NULL,
    updated_at REAL NOT NULL
)
"""


def _create_schema(conn: Any) -> None:
    conn.execute(SCHEMA)
    conn.execute(SQLITE_AUDIT_SCHEMA)


class TenantPolicies(ThreadOwnedConnection):
    def __init__(
        self, data_dir: DataDir, *, cache_s: float = 1.0, database: Database | None = None
    ) -> None:
        self._database: Database = database or SqliteDatabase(data_dir)
        self._cache: dict[str, tuple[float, Limits]] = {}
        self._cache_s = cache_s
        self._thread = self._database.thread("tenants")
        self._ahead = RefreshAhead(self._thread, self._read, cache_s)
        self._connection: Any = None

    def __repr__(self) -> str:
        return f"TenantPolicies({self._database!r})"

    def _db(self) -> Any:
        self._connection = live_connection(self._database, self._connection, _create_schema)
        return self._connection

    def _read(self, name: str) -> Limits:
        row = (
            self._db()
            .execute("SELECT limits FROM tenant_policies WHERE name = ?", (name,))
            .fetchone()
        )
        limits = NO_LIMITS if row is None else limits_from(json.loads(row[0]))
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[name] = (time.monotonic(), limits)
        return limits

    async def load(self, name: str) -> Limits:
        """The tenant's limits (none: `NO_LIMITS`), from the cache when fresh."""
        cached = self._ahead.fresh(self._cache, name)
        return cached[1] if cached is not None else await self._thread.run(self._read, name)

    def cached(self, name: str) -> Limits | None:
        """The tenant's limits if the cache holds them fresh, else None (`load` them)."""
        cached = self._cache.get(name)
        if cached is not None and time.monotonic() - cached[0] < self._cache_s:
            return cached[1]
        return None

    def get(self, name: str) -> Limits:
        return self._thread.call(self._read, name)

    def _write(self, name: str, limits: Limits) -> None:
        with self._database.write(self._db()) as conn:
            conn.execute(
                "INSERT INTO tenant_policies (name, limits, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET limits = excluded.limits,"
                " updated_at = excluded.updated_at",
                (name, json.dumps(limits.as_json()), time.time()),
            )
            record_event(conn, "tenant.updated", name, limits=limits.as_json())
        self._cache.pop(name, None)

    def put(self, name: str, limits: Limits) -> None:
        self._thread.call(self._write, name, limits)

    def all(self) -> dict[str, Limits]:
        def read() -> dict[str, Limits]:
            rows = self._db().execute("SELECT name, limits FROM tenant_policies ORDER BY name")
            return {name: limits_from(json.loads(text)) for name, text in rows.fetchall()}

        return self._thread.call(read)
