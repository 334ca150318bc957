"""Shared contexts in the data directory's SQLite database, encrypted at rest.

A context belongs to a tenant and is a list of items: messages (`kind="messages"`) or text
chunks of one document (`kind="document"`). Context ids are namespaced per tenant: two tenants
may each have a context `ctx_X`, so creating one never reveals that another tenant uses the id.
Each item is its own row, sealed with the keyring (AES-256-GCM); the associated data binds the
tenant and `<context id>#<item number>`, so a row moved to another context, position or tenant
fails to decrypt. Appending writes new rows only.

Every write is one transaction on a database in WAL mode with `synchronous=FULL`: once a call
returns, the write survives a crash of the process or the machine. SQLite's calls block, so
they run on one thread of this store's own (`sqlite_tx.SqliteThread`); the event loop never
waits on the disk.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson

from mcproute._core import AeadError, Keyring, KeyringError
from mcproute.context import (
    ContextNotFoundError,
    ContextStore,
    InMemoryContextStore,
    Message,
    is_context_id,
    messages_of,
    new_context_id,
    validated_messages,
)
from mcproute.security.errors import with_reason
from mcproute.store.database import Database, SqliteDatabase
from mcproute.store.datadir import DataDir
from mcproute.store.keyring_file import KeyringFile

log = logging.getLogger("mcproute.context")
T = TypeVar("T")
KINDS = ("messages", "document")
DEFAULT_MAX_BYTES = 8 * 1024 * 1024

SCHEMA = """
CREATE TABLE IF NOT EXISTS contexts (
    id         TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    expires_at REAL,
    items      INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    meta       BLOB,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS contexts_by_id ON contexts (id);
CREATE INDEX IF NOT EXISTS contexts_by_expiry ON contexts (expires_at)
    WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS context_items (
    tenant     TEXT NOT NULL,
    context_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    body       BLOB NOT NULL,
    PRIMARY KEY (tenant, context_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keyring_usage (
    key_id      INTEGER PRIMARY KEY,
    encryptions INTEGER NOT NULL
);
"""


# Databases from before ids were namespaced per tenant: ids were unique across tenants, so the
# rows move over as they are.
MIGRATE_TO_TENANT_IDS = (
    """
DROP INDEX IF EXISTS contexts_by_tenant;
DROP INDEX IF EXISTS contexts_by_expiry;
ALTER TABLE contexts RENAME TO contexts_global_ids;
ALTER TABLE context_items RENAME TO context_items_global_ids;
"""
    + SCHEMA
    + """
INSERT INTO contexts SELECT * FROM contexts_global_ids;
INSERT INTO context_items (tenant, context_id, seq, body)
    SELECT c.tenant, i.context_id, i.seq, i.body
    FROM context_items_global_ids i JOIN contexts_global_ids c ON c.id = i.context_id;
DROP TABLE context_items_global_ids;
DROP TABLE contexts_global_ids;
"""
)
ROW = "id, tenant, kind, created_at, updated_at, expires_at, items, bytes, meta"


class ContextTooLargeError(ValueError):
    """The context would grow beyond the store's size limit."""


class AmbiguousContextError(ValueError):
    """A key of every tenant (admin) named an id that several tenants use."""


@dataclass(frozen=True)
class ContextInfo:
    """What the store tells about a context without decrypting its items."""

    id: str
    tenant: str
    kind: str
    created_at: float
    updated_at: float
    expires_at: float | None
    items: int
    bytes: int
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "context",
            "kind": self.kind,
            "created_at": int(self.created_at),
            "updated_at": int(self.updated_at),
            "expires_at": None if self.expires_at is None else int(self.expires_at),
            "items": self.items,
            "bytes": self.bytes,
            "metadata": self.metadata,
        }


def _has_global_ids(conn: sqlite3.Connection) -> bool:
    """Whether the database holds the tables of before ids were namespaced per tenant."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(context_items)")}
    return bool(columns) and "tenant" not in columns


def item_ad(context_id: str, seq: int) -> str:
    return f"{context_id}#{seq}"


def _lock_name(context_id: str) -> str:
    return "context:" + context_id


class SqliteContextStore:
    """Encrypted contexts in `<data dir>/mcproute.db` (or PostgreSQL, `database`); safe to
    share between processes, and on PostgreSQL between replicas."""

    def __init__(
        self,
        data_dir: DataDir,
        keyring: KeyringFile | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
        database: Database | None = None,
    ) -> None:
        self._data_dir = data_dir
        # The data directory's SQLite unless PostgreSQL is given (its schema is migrated).
        self._database: Database = database or SqliteDatabase(data_dir)
        self.keyring = keyring or KeyringFile(data_dir)
        self.max_bytes = max_bytes
        self._clock = clock
        self._conn: Any = None
        self._closed = False
        self._thread = self._database.thread("contexts")
        self._shard = secrets.randbelow(64)  # this process's row of the keyring counters

    def __repr__(self) -> str:
        return f"SqliteContextStore({self._data_dir!r})"

    # --- plumbing ------------------------------------------------------------------------

    def _db(self) -> Any:
        if self._conn is not None and not self._database.usable(self._conn):
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None  # PostgreSQL went away: reconnect
        if self._conn is None:
            conn = self._database.connect()
            if self._database.kind == "sqlite":
                try:
                    self._create_sqlite_schema(conn)
                except BaseException:
                    conn.close()
                    raise
            self._conn = conn
        return self._conn

    def _create_sqlite_schema(self, conn: sqlite3.Connection) -> None:
        with self._database.write(conn):  # one process migrates; the others see it done
            legacy = _has_global_ids(conn)
            if legacy:
                log.warning("contexts: namespacing context ids per tenant (one-time)")
            # executescript commits first: run the statements one by one
            migration = MIGRATE_TO_TENANT_IDS if legacy else SCHEMA
            for statement in migration.split(";"):
                if statement.strip():
                    conn.execute(statement)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._thread.run(fn, *args)

    def close(self) -> None:
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._database.close()

        if not self._closed:
            self._closed = True
            self._thread.call(shut)
            self._thread.shutdown()

    def _write(self, fn: Callable[[sqlite3.Connection], T], *context_ids: str) -> T:
        """Run `fn` in one transaction: all of it lands or none of it, ordered with every other
        write of the contexts `context_ids` (on PostgreSQL, other contexts' writes go on)."""
        scope = [_lock_name(ident) for ident in context_ids]
        with self._database.write(self._db(), scope) as conn:
            return fn(conn)

    def _lock(self, conn: Any, context_ids: Sequence[str]) -> None:
        """Order this transaction with the writes of contexts found by a query in it."""
        self._database.lock(conn, [_lock_name(ident) for ident in context_ids])

    def _count_usage(self, conn: sqlite3.Connection, keyring: Keyring, n: int) -> None:
        """Count `n` more encryptions under the primary key in the database, so the per-key
        limit holds across processes and restarts, not only within this process. On
        PostgreSQL each process adds to a shard of its own (no row shared by concurrent
        writers); the check reads the sum, so racing writers may pass the 2^31 stop by what
        they seal at once, far below GCM's 2^32."""
        primary = keyring.primary
        row = conn.execute(
            "SELECT SUM(encryptions) FROM keyring_usage WHERE key_id = ?", (primary,)
        ).fetchone()
        before = int(row[0] or 0) if row else 0
        used = before + n
        if used > keyring.max_encryptions:
            message = (
                f"keyring: key {primary} reached its limit of {keyring.max_encryptions} "
                "encryptions; run `mcproute keyring rotate`"
            )
            raise with_reason(KeyringError, "usage_limit", message)
        if before < keyring.warn_encryptions <= used:
            log.warning("keyring: key %s has done %d encryptions; rotate it soon", primary, used)
        if self._database.kind == "postgres":
            conn.execute(
                "INSERT INTO keyring_usage (key_id, shard, encryptions) VALUES (?, ?, ?)"
                " ON CONFLICT (key_id, shard)"
                " DO UPDATE SET encryptions = keyring_usage.encryptions + excluded.encryptions",
                (primary, self._shard, n),
            )
            return
        conn.execute(
            "INSERT INTO keyring_usage (key_id, encryptions) VALUES (?, ?)"
            " ON CONFLICT(key_id) DO UPDATE SET encryptions = excluded.encryptions",
            (primary, used),
        )

    def _seal(
        self, conn: sqlite3.Connection, tenant: str, plain: list[tuple[str, bytes]]
    ) -> list[bytes]:
        keyring = self.keyring.current()
        self._count_usage(conn, keyring, len(plain))
        return [keyring.encrypt(data, tenant, ad) for ad, data in plain]

    def _open(self, tenant: str, ad: str, sealed: bytes) -> bytes:
        try:
            return self.keyring.current().decrypt(sealed, tenant, ad)
        except AeadError as exc:
            if getattr(exc, "reason", "") != "unknown_key_id":
                raise
        # Another process rotated the keyring since this one last looked.
        return self.keyring.reload().decrypt(sealed, tenant, ad)

    def _info(self, row: tuple[Any, ...]) -> ContextInfo:
        ident, tenant, kind, created, updated, expires, items, size, meta = row
        metadata = orjson.loads(self._open(tenant, f"{ident}#meta", meta)) if meta else {}
        return ContextInfo(ident, tenant, kind, created, updated, expires, items, size, metadata)

    def _find(
        self, conn: sqlite3.Connection, tenant: str | None, context_id: str
    ) -> tuple[Any, ...]:
        """The live row of a context of `tenant` (None: of any tenant, if only one has the id);
        another tenant's or an expired one is not found."""
        if tenant is None:
            rows = conn.execute(f"SELECT {ROW} FROM contexts WHERE id = ?", (context_id,))
        else:
            rows = conn.execute(
                f"SELECT {ROW} FROM contexts WHERE tenant = ? AND id = ?", (tenant, context_id)
            )
        now = self._clock()
        live = [tuple(r) for r in rows if r[5] is None or r[5] > now]
        if not live:
            raise ContextNotFoundError(context_id)
        if len(live) > 1:
            raise AmbiguousContextError(
                f"id: contexts of {len(live)} tenants have the id {context_id!r}; name the tenant"
            )
        return live[0]

    @staticmethod
    def _encoded(kind: str, items: Sequence[Any]) -> list[bytes]:
        if kind == "messages":
            return [orjson.dumps(m) for m in validated_messages(items)]
        for i, chunk in enumerate(items):
            if not isinstance(chunk, str):
                raise ValueError(f"document[{i}]: expected text")
        return [chunk.encode() for chunk in items]

    # --- operations ----------------------------------------------------------------------

    async def create(
        self,
        tenant: str,
        kind: str,
        items: Sequence[Any],
        *,
        ttl: float | None = None,
        metadata: dict[str, Any] | None = None,
        context_id: str | None = None,
    ) -> ContextInfo:
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
        if ttl is not None and ttl <= 0:
            raise ValueError("ttl_seconds: must be a positive number of seconds")
        if context_id is not None and not is_context_id(context_id):
            raise ValueError("id: must be 'ctx_' followed by 32 hex digits")
        ident = context_id or new_context_id()
        encoded = self._encoded(kind, items)
        size = sum(map(len, encoded))
        if size > self.max_bytes:
            raise ContextTooLargeError(
                f"context: {size} bytes is over the limit of {self.max_bytes}"
            )
        meta = orjson.dumps(metadata) if metadata else None

        def write(conn: sqlite3.Connection) -> ContextInfo:
            now = self._clock()
            expires = None if ttl is None else now + ttl
            existing = conn.execute(
                "SELECT expires_at FROM contexts WHERE tenant = ? AND id = ?", (tenant, ident)
            ).fetchone()
            if existing is not None:  # only this tenant's own ids can collide
                if existing[0] is None or existing[0] > now:
                    raise FileExistsError(f"id: a context {ident!r} exists already")
                self._remove(conn, tenant, ident)  # an expired one awaiting the sweep
            plain = [(item_ad(ident, seq), data) for seq, data in enumerate(encoded)]
            if meta is not None:
                plain.append((f"{ident}#meta", meta))
            sealed = self._seal(conn, tenant, plain)
            conn.executemany(
                "INSERT INTO context_items (tenant, context_id, seq, body) VALUES (?, ?, ?, ?)",
                [(tenant, ident, seq, body) for seq, body in enumerate(sealed[: len(encoded)])],
            )
            conn.execute(
                f"INSERT INTO contexts ({ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ident,
                    tenant,
                    kind,
                    now,
                    now,
                    expires,
                    len(encoded),
                    size,
                    sealed[-1] if meta is not None else None,
                ),
            )
            return ContextInfo(
                ident, tenant, kind, now, now, expires, len(encoded), size, metadata or {}
            )

        return await self._run(self._write, write, ident)

    async def read(self, tenant: str | None, context_id: str) -> tuple[ContextInfo, list[Any]]:
        """The context and its items (messages as dicts, document chunks as text)."""

        def read() -> tuple[ContextInfo, list[Any]]:
            with self._database.snapshot(self._db()) as conn:  # the row and its items at once
                row = self._find(conn, tenant, context_id)
                bodies = conn.execute(
                    "SELECT seq, body FROM context_items WHERE tenant = ? AND context_id = ?"
                    " ORDER BY seq",
                    (row[1], context_id),
                ).fetchall()
            info = self._info(row)
            plain = [self._open(info.tenant, item_ad(context_id, s), b) for s, b in bodies]
            if info.kind == "messages":
                return info, [orjson.loads(p) for p in plain]
            return info, [p.decode() for p in plain]

        return await self._run(read)

    async def append(
        self, tenant: str | None, context_id: str, items: Sequence[Any], *, ttl: float | None = None
    ) -> ContextInfo:
        """Add items at the end; `ttl` (seconds from now) replaces the expiry when given."""
        if ttl is not None and ttl <= 0:
            raise ValueError("ttl_seconds: must be a positive number of seconds")

        def write(conn: sqlite3.Connection) -> ContextInfo:
            row = self._find(conn, tenant, context_id)
            info = self._info(row)
            encoded = self._encoded(info.kind, items)
            size = info.bytes + sum(map(len, encoded))
            if size > self.max_bytes:
                raise ContextTooLargeError(
                    f"context: {size} bytes would be over the limit of {self.max_bytes}"
                )
            first = info.items
            plain = [(item_ad(context_id, first + i), data) for i, data in enumerate(encoded)]
            sealed = self._seal(conn, info.tenant, plain)
            conn.executemany(
                "INSERT INTO context_items (tenant, context_id, seq, body) VALUES (?, ?, ?, ?)",
                [(info.tenant, context_id, first + i, body) for i, body in enumerate(sealed)],
            )
            now = self._clock()
            expires = info.expires_at if ttl is None else now + ttl
            conn.execute(
                "UPDATE contexts SET items = ?, bytes = ?, updated_at = ?, expires_at = ?"
                " WHERE tenant = ? AND id = ?",
                (first + len(encoded), size, now, expires, info.tenant, context_id),
            )
            return ContextInfo(
                context_id,
                info.tenant,
                info.kind,
                info.created_at,
                now,
                expires,
                first + len(encoded),
                size,
                info.metadata,
            )

        return await self._run(self._write, write, context_id)

    async def list(
        self, tenant: str | None, *, limit: int = 100, after: str | None = None
    ) -> list[ContextInfo]:
        """Live contexts in id order, `limit` at most, starting after the id `after`."""

        def read() -> list[ContextInfo]:
            sql = (
                f"SELECT {ROW} FROM contexts"
                " WHERE (expires_at IS NULL OR expires_at > ?) AND id > ?"
            )
            args: list[Any] = [self._clock(), after or ""]
            if tenant is not None:
                sql += " AND tenant = ?"
                args.append(tenant)
            rows = self._db().execute(sql + " ORDER BY id, tenant LIMIT ?", [*args, limit])
            return [self._info(tuple(r)) for r in rows.fetchall()]

        return await self._run(read)

    async def delete(self, tenant: str | None, context_id: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            row = self._find(conn, tenant, context_id)
            self._remove(conn, row[1], context_id)

        await self._run(self._write, write, context_id)

    @staticmethod
    def _remove(conn: sqlite3.Connection, tenant: str, context_id: str) -> None:
        conn.execute(
            "DELETE FROM context_items WHERE tenant = ? AND context_id = ?", (tenant, context_id)
        )
        conn.execute("DELETE FROM contexts WHERE tenant = ? AND id = ?", (tenant, context_id))

    async def purge_expired(self, batch: int = 500) -> int:
        """Delete expired contexts (a batch per transaction); returns how many went."""

        def write(conn: sqlite3.Connection) -> int:
            expired = "expires_at IS NOT NULL AND expires_at <= ?"
            ids = conn.execute(
                f"SELECT tenant, id FROM contexts WHERE {expired} LIMIT ?", (self._clock(), batch)
            ).fetchall()
            self._lock(conn, [ident for _, ident in ids])
            gone = 0
            for tenant, ident in ids:  # an append may have renewed one while we waited
                still = conn.execute(
                    f"SELECT 1 FROM contexts WHERE tenant = ? AND id = ? AND {expired}",
                    (tenant, ident, self._clock()),
                ).fetchone()
                if still is not None:
                    self._remove(conn, tenant, ident)
                    gone += 1
            return gone

        total = 0
        while (n := await self._run(self._write, write)) > 0:
            total += n
        return total

    async def key_usage(self) -> dict[int, int]:
        """Encryptions done under each key id, by every process that shares the database."""

        def read() -> dict[int, int]:
            rows = (
                self._db()
                .execute("SELECT key_id, SUM(encryptions) FROM keyring_usage GROUP BY key_id")
                .fetchall()
            )
            return {int(k): int(n) for k, n in rows}

        return await self._run(read)

    async def reencrypt_all(self, batch: int = 100) -> int:
        """Move every ciphertext to the current primary key (after `keyring rotate`), `batch`
        contexts per transaction; returns how many ciphertexts were rewritten. Rerunning it is
        cheap: what is under the primary already stays as it is."""

        Cursor = tuple[str, str]  # (tenant, id) of the last context done

        def write(conn: sqlite3.Connection, after: Cursor) -> tuple[int, Cursor | None]:
            keyring = self.keyring.current()
            contexts = conn.execute(
                "SELECT tenant, id FROM contexts WHERE (tenant, id) > (?, ?)"
                " ORDER BY tenant, id LIMIT ?",
                (*after, batch),
            ).fetchall()
            self._lock(conn, [ident for _, ident in contexts])
            changed = 0
            for tenant, ident in contexts:
                found = conn.execute(
                    "SELECT meta FROM contexts WHERE tenant = ? AND id = ?", (tenant, ident)
                ).fetchone()
                meta = found[0] if found is not None else None
                if meta is not None:
                    fresh = keyring.reencrypt(meta, tenant, f"{ident}#meta")
                    if fresh is not None:
                        conn.execute(
                            "UPDATE contexts SET meta = ? WHERE tenant = ? AND id = ?",
                            (fresh, tenant, ident),
                        )
                        changed += 1
                items = conn.execute(
                    "SELECT seq, body FROM context_items WHERE tenant = ? AND context_id = ?",
                    (tenant, ident),
                ).fetchall()
                for seq, body in items:
                    fresh = keyring.reencrypt(body, tenant, item_ad(ident, seq))
                    if fresh is not None:
                        conn.execute(
                            "UPDATE context_items SET body = ?"
                            " WHERE tenant = ? AND context_id = ? AND seq = ?",
                            (fresh, tenant, ident, seq),
                        )
                        changed += 1
            self._count_usage(conn, keyring, changed)
            if len(contexts) < batch:
                return changed, None
            return changed, (contexts[-1][0], contexts[-1][1])

        self.keyring.reload()  # the rotation just happened, likely in another process
        total = 0
        cursor: tuple[str, str] | None = ("", "")
        while cursor is not None:
            changed, cursor = await self._run(self._write, functools.partial(write, after=cursor))
            total += changed
        return total


class TenantContexts:
    """One tenant's view of a `SqliteContextStore`, as the `ContextStore` the model layer uses
    to resolve context ids (`model.generate(prompt, "ctx_...")`)."""

    def __init__(self, store: SqliteContextStore, tenant: str = "default") -> None:
        self.store = store
        self.tenant = tenant

    async def get(self, context_id: str) -> list[dict[str, Any]]:
        info, items = await self.store.read(self.tenant, context_id)
        return messages_of(info.kind, items)

    async def put(self, messages: Sequence[Message], context_id: str | None = None) -> str:
        if context_id is not None:
            with contextlib.suppress(ContextNotFoundError):
                await self.store.delete(self.tenant, context_id)
        info = await self.store.create(self.tenant, "messages", messages, context_id=context_id)
        return info.id

    async def append(self, context_id: str, messages: Sequence[Message]) -> None:
        await self.store.append(self.tenant, context_id, messages)

    async def delete(self, context_id: str) -> None:
        with contextlib.suppress(ContextNotFoundError):
            await self.store.delete(self.tenant, context_id)


def default_context_store() -> tuple[ContextStore, SqliteContextStore | None]:
    """The store a `ModelRegistry` resolves context ids through when given none: the data
    directory's contexts when `MCPROUTE_DATA_DIR` is set (tenant `MCPROUTE_TENANT`, default
    `default`), so a program and `mcproute serve` on the same directory share contexts; else
    contexts held in this process. The second item is the SQLite store to close, if any."""
    path = os.environ.get("MCPROUTE_DATA_DIR")
    if not path:
        return InMemoryContextStore(), None
    store = SqliteContextStore(DataDir(Path(path)))
    return TenantContexts(store, os.environ.get("MCPROUTE_TENANT") or "default"), store
