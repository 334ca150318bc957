"""The encrypted SQLite context store: lifecycle, tenants, TTL, encryption at rest, rotation."""

from __future__ import annotations

import asyncio
import sqlite3
import struct
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcproute.context import ContextNotFoundError, ContextStore
from mcproute.context.sqlite import (
    AmbiguousContextError,
    ContextTooLargeError,
    SqliteContextStore,
    TenantContexts,
)
from mcproute.security import AeadError, KeyringError
from mcproute.store import DataDir
from mcproute.store.keyring_file import KeyringFile

SECRET = "the launch code is 0000"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(tmp_path: Path, clock: Clock) -> AsyncIterator[SqliteContextStore]:
    s = SqliteContextStore(DataDir(tmp_path), clock=clock, max_bytes=4096)
    yield s
    s.close()


def database_bytes(path: Path) -> bytes:
    """The database and its write-ahead log, as they are on disk."""
    return b"".join(p.read_bytes() for p in sorted(path.glob("mcproute.db*")))


def key_ids_at_rest(path: Path) -> set[int]:
    with sqlite3.connect(path / "mcproute.db") as conn:
        bodies = [r[0] for r in conn.execute("SELECT body FROM context_items")]
        bodies += [r[0] for r in conn.execute("SELECT meta FROM contexts WHERE meta IS NOT NULL")]
    return {struct.unpack(">I", b[1:5])[0] for b in bodies}


async def test_lifecycle(store: SqliteContextStore) -> None:
    info = await store.create(
        "acme", "messages", [{"role": "user", "content": "hi"}], metadata={"title": "t"}
    )
    assert info.id.startswith("ctx_")
    assert info.items == 1
    await store.append("acme", info.id, [{"role": "assistant", "content": "hello"}])
    got, items = await store.read("acme", info.id)
    assert [m["content"] for m in items] == ["hi", "hello"]
    assert got.items == 2
    assert got.metadata == {"title": "t"}
    assert [c.id for c in await store.list("acme")] == [info.id]
    await store.delete("acme", info.id)
    with pytest.raises(ContextNotFoundError):
        await store.read("acme", info.id)
    with pytest.raises(ContextNotFoundError):
        await store.delete("acme", info.id)


async def test_documents_concatenate_their_chunks(store: SqliteContextStore) -> None:
    info = await store.create("acme", "document", ["part one. "])
    await store.append("acme", info.id, ["part two."])
    _, chunks = await store.read("acme", info.id)
    assert "".join(chunks) == "part one. part two."
    assert await TenantContexts(store, "acme").get(info.id) == [
        {"role": "system", "content": "part one. part two."}
    ]


async def test_other_tenants_see_nothing(store: SqliteContextStore) -> None:
    info = await store.create("acme", "messages", [{"role": "user", "content": SECRET}])
    for call in (
        store.read("globex", info.id),
        store.append("globex", info.id, [{"role": "user", "content": "x"}]),
        store.delete("globex", info.id),
    ):
        with pytest.raises(ContextNotFoundError):
            await call
    assert await store.list("globex") == []
    assert [c.id for c in await store.list(None)] == [info.id]  # the admin view


async def test_ttl_expiry_extension_and_purge(store: SqliteContextStore, clock: Clock) -> None:
    short = await store.create("acme", "messages", [], ttl=10)
    kept = await store.create("acme", "messages", [], ttl=10)
    clock.now += 5
    await store.append("acme", kept.id, [{"role": "user", "content": "x"}], ttl=60)
    clock.now += 6
    with pytest.raises(ContextNotFoundError):
        await store.read("acme", short.id)
    assert [c.id for c in await store.list("acme")] == [kept.id]
    assert await store.purge_expired() == 1
    # The id of an expired context can be reused.
    again = await store.create("acme", "messages", [], context_id=short.id)
    assert again.id == short.id


async def test_bad_input_names_the_field(store: SqliteContextStore) -> None:
    with pytest.raises(ValueError, match=r"context\[0\]"):
        await store.create("acme", "messages", [{"content": "no role"}])
    with pytest.raises(ValueError, match="kind"):
        await store.create("acme", "pictures", [])
    with pytest.raises(ValueError, match="ttl_seconds"):
        await store.create("acme", "messages", [], ttl=0)
    with pytest.raises(ValueError, match="id"):
        await store.create("acme", "messages", [], context_id="nope")
    with pytest.raises(ValueError, match=r"document\[0\]"):
        await store.create("acme", "document", [42])
    info = await store.create("acme", "document", ["x" * 4000])
    with pytest.raises(ContextTooLargeError):
        await store.append("acme", info.id, ["y" * 200])
    with pytest.raises(FileExistsError):
        await store.create("acme", "messages", [], context_id=info.id)


async def test_encrypted_at_rest_and_bound_to_its_place(
    store: SqliteContextStore, tmp_path: Path
) -> None:
    a = await store.create("acme", "messages", [{"role": "user", "content": SECRET}])
    b = await store.create("acme", "messages", [{"role": "user", "content": "other"}])
    raw = await asyncio.to_thread(database_bytes, tmp_path)
    assert SECRET.encode() not in raw
    store.close()
    with sqlite3.connect(tmp_path / "mcproute.db") as conn:  # move a's row under b
        conn.execute("DELETE FROM context_items WHERE context_id = ?", (b.id,))
        conn.execute("UPDATE context_items SET context_id = ? WHERE context_id = ?", (b.id, a.id))
    reopened = SqliteContextStore(DataDir(tmp_path))
    try:
        with pytest.raises(AeadError) as caught:
            await reopened.read("acme", b.id)
        assert caught.value.reason == "authentication_failed"
    finally:
        reopened.close()


async def test_rotation_reencrypts_and_other_processes_follow(
    store: SqliteContextStore, tmp_path: Path
) -> None:
    info = await store.create(
        "acme", "messages", [{"role": "user", "content": "a"}], metadata={"m": 1}
    )
    other = SqliteContextStore(DataDir(tmp_path))  # another process on the same directory
    try:
        assert len((await other.read("acme", info.id))[1]) == 1
        (old,) = key_ids_at_rest(tmp_path)
        new = KeyringFile(DataDir(tmp_path)).rotate()
        assert await store.reencrypt_all() == 2
        assert key_ids_at_rest(tmp_path) == {new}
        assert await store.reencrypt_all() == 0  # idempotent
        assert KeyringFile(DataDir(tmp_path)).drop_all_but_primary() == [old]
        # `other` never saw the new key; it reloads the file when a ciphertext names it.
        _, items = await other.read("acme", info.id)
        assert items == [{"role": "user", "content": "a"}]
    finally:
        other.close()


async def test_usage_limit_is_counted_across_processes(
    store: SqliteContextStore, tmp_path: Path
) -> None:
    await store.create("acme", "messages", [{"role": "user", "content": "a"}])
    keyring = store.keyring.current()
    with sqlite3.connect(tmp_path / "mcproute.db") as conn:
        conn.execute(
            "UPDATE keyring_usage SET encryptions = ? WHERE key_id = ?",
            (keyring.max_encryptions, keyring.primary),
        )
    with pytest.raises(KeyringError) as caught:
        await store.create("acme", "messages", [{"role": "user", "content": "b"}])
    assert caught.value.reason == "usage_limit"
    assert len(await store.list("acme")) == 1  # the refused write left nothing behind


async def test_tenant_view_is_a_context_store(store: SqliteContextStore) -> None:
    view = TenantContexts(store, "acme")
    assert isinstance(view, ContextStore)
    ident = await view.put([{"role": "user", "content": "x"}])
    await view.append(ident, [{"role": "assistant", "content": "y"}])
    assert [m["role"] for m in await view.get(ident)] == ["user", "assistant"]
    await view.delete(ident)
    await view.delete(ident)  # deleting twice is fine, as with the in-memory store
    with pytest.raises(ContextNotFoundError):
        await view.get(ident)


def test_keyring_from_the_environment_is_not_rotated_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPROUTE_KEYRING", "7:" + "A" * 43 + "=")
    ring = KeyringFile(DataDir(tmp_path))
    assert ring.current().primary == 7
    assert not (tmp_path / "keyring").exists()
    with pytest.raises(KeyringError) as caught:
        ring.rotate()
    assert caught.value.reason == "external_keyring"


def test_keyring_file_is_private(tmp_path: Path) -> None:
    KeyringFile(DataDir(tmp_path))
    assert (tmp_path / "keyring").stat().st_mode & 0o777 == 0o600
    assert "keyring" in repr(KeyringFile(DataDir(tmp_path)))
    assert str((tmp_path / "keyring").read_text()) not in repr(KeyringFile(DataDir(tmp_path)))


def test_write_lock_excludes_other_holders_until_released(tmp_path: Path) -> None:
    """Two stores (as in two workers) never write at once; the waiter gets the lock as soon
    as the holder lets go."""
    first, second = DataDir(tmp_path).write_lock(), DataDir(tmp_path).write_lock()
    order: list[str] = []

    def take_second() -> None:
        with second.held():
            order.append("2")

    with first.held():
        waiter = threading.Thread(target=take_second)
        waiter.start()
        waiter.join(0.2)
        order.append("1")
        assert waiter.is_alive()  # still waiting while the first holds the lock
    waiter.join(10)
    assert order == ["1", "2"]
    first.close()
    second.close()


async def test_ids_are_namespaced_per_tenant(store: SqliteContextStore, clock: Clock) -> None:
    """Another tenant's id is free to use: creating it reveals nothing, and the two contexts
    stay apart through every operation."""
    ident = "ctx_" + "ab" * 16
    mine = await store.create("acme", "document", ["acme's"], context_id=ident, ttl=60)
    theirs = await store.create("globex", "document", ["globex's"], context_id=ident)
    assert mine.id == theirs.id == ident
    with pytest.raises(FileExistsError):  # within a tenant an id is still unique
        await store.create("acme", "document", ["again"], context_id=ident)
    await store.append("globex", ident, [" more"])
    assert (await store.read("acme", ident))[1] == ["acme's"]
    assert (await store.read("globex", ident))[1] == ["globex's", " more"]
    with pytest.raises(AmbiguousContextError):  # every tenant (admin): which one?
        await store.read(None, ident)
    assert {i.tenant for i in await store.list(None)} == {"acme", "globex"}
    clock.now += 61  # acme's expires: the id of globex's stays its own
    assert (await store.read(None, ident))[0].tenant == "globex"
    await store.create("acme", "document", ["new"], context_id=ident)
    await store.delete("acme", ident)
    assert (await store.read("globex", ident))[1] == ["globex's", " more"]
    await store.purge_expired()
    with pytest.raises(ContextNotFoundError):
        await store.read("acme", ident)
    await store.create("acme", "document", ["a", "b"], context_id=ident)
    store.keyring.rotate()  # one context per batch: the cursor walks (tenant, id)
    assert await store.reencrypt_all(batch=1) == 4
    assert (await store.read("acme", ident))[1] == ["a", "b"]


async def test_database_with_global_ids_is_migrated(tmp_path: Path) -> None:
    """A database of before ids were namespaced per tenant opens with its contexts intact."""
    store = SqliteContextStore(DataDir(tmp_path))
    a = await store.create("acme", "messages", [{"role": "user", "content": SECRET}])
    b = await store.create("globex", "document", ["doc"], metadata={"name": "b"}, ttl=600)
    store.close()
    with sqlite3.connect(tmp_path / "mcproute.db") as conn:  # the earlier layout, same rows
        conn.executescript(
            """
            CREATE TABLE old_contexts (id TEXT PRIMARY KEY, tenant TEXT NOT NULL,
                kind TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                expires_at REAL, items INTEGER NOT NULL, bytes INTEGER NOT NULL, meta BLOB);
            INSERT INTO old_contexts SELECT id, tenant, kind, created_at, updated_at,
                expires_at, items, bytes, meta FROM contexts;
            CREATE TABLE old_items (context_id TEXT NOT NULL, seq INTEGER NOT NULL,
                body BLOB NOT NULL, PRIMARY KEY (context_id, seq)) WITHOUT ROWID;
            INSERT INTO old_items SELECT context_id, seq, body FROM context_items;
            DROP TABLE contexts; DROP TABLE context_items;
            ALTER TABLE old_contexts RENAME TO contexts;
            ALTER TABLE old_items RENAME TO context_items;
            CREATE INDEX contexts_by_tenant ON contexts (tenant, id);
            CREATE INDEX contexts_by_expiry ON contexts (expires_at)
                WHERE expires_at IS NOT NULL;
            """
        )
    reopened = SqliteContextStore(DataDir(tmp_path))
    try:
        assert (await reopened.read("acme", a.id))[1] == [{"role": "user", "content": SECRET}]
        info, items = await reopened.read("globex", b.id)
        assert (items, info.metadata, info.expires_at) == (["doc"], {"name": "b"}, b.expires_at)
        with pytest.raises(ContextNotFoundError):
            await reopened.read("globex", a.id)
        await reopened.create("globex", "document", ["same id"], context_id=a.id)
        assert await reopened.reencrypt_all() == 0
    finally:
        reopened.close()
    with sqlite3.connect(tmp_path / "mcproute.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"contexts_by_id", "contexts_by_expiry"} <= tables
    assert not {"contexts_global_ids", "context_items_global_ids", "contexts_by_tenant"} & tables
