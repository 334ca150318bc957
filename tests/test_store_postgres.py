"""Durable state on a real PostgreSQL: the migrations, keys and contexts shared by stores with
data directories of their own (as replicas on several hosts), the keyring check, and an
acknowledged append surviving kill -9."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

import aiohttp
import psycopg
import pytest

from mcp_support import free_port
from mcproute._core import Keyring
from mcproute.context import ContextNotFoundError
from mcproute.security import ApiKeyError, ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.database import PostgresDatabase
from mcproute.store.migrations import MIGRATIONS, latest, migrate
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.shared import check_keyring, check_pepper, open_database
from mcproute.store.sqlite_contexts import SqliteContextStore
from proxy_support import serve_command, stop_all
from stores_support import PostgresServer, replicas_env, running_postgres
from test_proxy_crash import wait_ready

PEPPER = secrets.token_bytes(32)


def _keyring_spec() -> str:
    """A one-key keyring, as `MCPROUTE_KEYRING` gives every replica the same one."""
    return f"{secrets.randbits(31) + 1}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database(f"t_{secrets.token_hex(6)}")


@pytest.fixture
def shared_keyring(monkeypatch: pytest.MonkeyPatch) -> str:
    spec = _keyring_spec()
    monkeypatch.setenv("MCPROUTE_KEYRING", spec)
    return spec


def test_migrations_apply_once_even_when_replicas_race(database_url: str) -> None:
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(migrate(database_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    applied = sorted(v for result in results for v in result)
    assert applied == [m[0] for m in MIGRATIONS]  # each migration exactly once
    assert migrate(database_url) == []
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT version FROM mcproute_migrations ORDER BY version")
        assert [r[0] for r in rows] == [m[0] for m in MIGRATIONS]


def test_db_migrate_command(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "MCPROUTE_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "mcproute.cli", "db", "migrate"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert f"schema version {latest()}; applied: 1" in first.stdout
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert "none (up to date)" in again.stdout
    env.pop("MCPROUTE_DATABASE_URL")
    missing = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert missing.returncode == 2
    assert "MCPROUTE_DATABASE_URL" in missing.stderr
    env["MCPROUTE_DATABASE_URL"] = "postgresql://postgres:hunter2@127.0.0.1:1/none"
    down = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert down.returncode == 1
    assert "does not answer" in down.stderr
    assert "hunter2" not in down.stderr + down.stdout
    env["MCPROUTE_DATA_DIR"] = str(tmp_path)
    keys = [sys.executable, "-m", "mcproute.cli", "keys", "list"]
    refused = subprocess.run(keys, env=env, capture_output=True, text=True)
    assert refused.returncode == 1
    assert "mcproute keys: database unavailable: PostgreSQL at" in refused.stderr
    assert "hunter2" not in refused.stderr + refused.stdout


def test_a_key_made_on_one_replica_works_on_another(database_url: str, tmp_path: Path) -> None:
    a_dir, b_dir = DataDir(tmp_path / "a"), DataDir(tmp_path / "b")
    with (
        SqliteApiKeyStore(a_dir, database=open_database(database_url, a_dir)) as a,
        SqliteApiKeyStore(b_dir, cache_s=0, database=open_database(database_url, b_dir)) as b,
    ):
        on_a, on_b = ApiKeyManager(PEPPER, a), ApiKeyManager(PEPPER, b)
        key, record = on_a.issue("live", ["models"])
        assert asyncio.run(on_b.averify(key)).key_id == record.key_id
        on_b.revoke(record.key_id)
        with pytest.raises(ApiKeyError) as refused:
            on_a.verify(key)  # a's own cache was dropped by nothing: its cache time is 1 s
        assert refused.value.reason == "revoked"  # type: ignore[attr-defined]
        assert [r.key_id for r in b.all()] == [record.key_id]
    assert not (tmp_path / "a" / "mcproute.db").exists()  # nothing durable stayed local


async def test_contexts_are_shared_in_order(
    database_url: str, tmp_path: Path, shared_keyring: str
) -> None:
    stores = [
        SqliteContextStore(
            DataDir(tmp_path / n), database=open_database(database_url, DataDir(tmp_path / n))
        )
        for n in ("one", "two", "three")
    ]
    one, two, three = stores
    try:
        info = await one.create("t", "messages", [{"role": "user", "content": "first"}])
        await two.append("t", info.id, [{"role": "assistant", "content": "second"}])
        # Replicas appending at once: none is lost, each lands once.
        await asyncio.gather(
            *(
                store.append("t", info.id, [{"role": "user", "content": f"{n}"}])
                for n, store in enumerate(stores * 3)
            )
        )
        read, items = await three.read("t", info.id)
        assert [m["content"] for m in items[:2]] == ["first", "second"]
        assert sorted(m["content"] for m in items[2:]) == sorted(str(n) for n in range(9))
        assert read.items == 11
        with pytest.raises(ContextNotFoundError):
            await three.read("other-tenant", info.id)
        assert sum((await one.key_usage()).values()) == 11
    finally:
        for store in stores:
            store.close()


async def test_a_context_being_written_holds_back_only_its_own_writes(
    database_url: str, tmp_path: Path, shared_keyring: str
) -> None:
    """Another replica in the middle of a write to one context (its lock held): appends to
    that context wait for it, while other contexts and key changes go on."""
    stores = [
        SqliteContextStore(
            DataDir(tmp_path / n), database=open_database(database_url, DataDir(tmp_path / n))
        )
        for n in ("one", "two")
    ]
    keys_dir = DataDir(tmp_path / "keys")
    keys = SqliteApiKeyStore(keys_dir, database=open_database(database_url, keys_dir))
    one, two = stores
    holder = PostgresDatabase(database_url)
    conn = holder.connect()
    try:
        busy = await one.create("t", "messages", [{"role": "user", "content": "busy"}])
        free = await one.create("t", "messages", [{"role": "user", "content": "free"}])
        with holder.write(conn, ["context:" + busy.id]):
            waiting = asyncio.ensure_future(
                one.append("t", busy.id, [{"role": "user", "content": "after"}])
            )
            await asyncio.wait_for(
                two.append("t", free.id, [{"role": "user", "content": "meanwhile"}]), 30
            )
            await asyncio.to_thread(ApiKeyManager(PEPPER, keys).issue, "live", ["models"])
            assert not waiting.done()  # still behind the held write
        await asyncio.wait_for(waiting, 30)
        _, items = await two.read("t", busy.id)
        assert [m["content"] for m in items] == ["busy", "after"]
        assert sum((await two.key_usage()).values()) == 4  # every process's shard counted
    finally:
        conn.close()
        keys.close()
        for store in stores:
            store.close()


async def test_a_replica_with_another_keyring_is_refused(
    database_url: str, tmp_path: Path, shared_keyring: str
) -> None:
    database = open_database(database_url, DataDir(tmp_path))
    store = SqliteContextStore(DataDir(tmp_path), database=database)
    try:
        await store.create("t", "messages", [{"role": "user", "content": "sealed"}])
        check_keyring(database, store.keyring.current())  # the same keyring: fine
    finally:
        store.close()
    other = Keyring()
    other.load_spec(_keyring_spec())
    with pytest.raises(RuntimeError, match="MCPROUTE_KEYRING"):
        check_keyring(PostgresDatabase(database_url), other)
    rotated = Keyring()  # a newer primary beside the key that sealed: fine
    rotated.load_spec(f"{_keyring_spec()},{shared_keyring}")
    check_keyring(PostgresDatabase(database_url), rotated)


APPENDER = """
import asyncio, sys
from pathlib import Path
from mcproute.store import DataDir
from mcproute.store.shared import open_database
from mcproute.store.sqlite_contexts import SqliteContextStore

async def main() -> None:
    data_dir = DataDir(Path(sys.argv[2]))
    store = SqliteContextStore(data_dir, database=open_database(sys.argv[1], data_dir))
    info = await store.create("t", "document", ["0"])
    print(info.id, flush=True)
    n = 1
    while True:
        await store.append("t", info.id, [str(n)])
        print(n, flush=True)  # acknowledged
        n += 1

asyncio.run(main())
"""


def test_acknowledged_appends_survive_kill_9(
    database_url: str, tmp_path: Path, shared_keyring: str
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", APPENDER, database_url, str(tmp_path / "child")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    context_id = child.stdout.readline().strip()
    acknowledged = 0
    for line in child.stdout:
        acknowledged = int(line)
        if acknowledged >= 40:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    for line in child.stdout:  # what it printed before dying was acknowledged too
        if line.strip():
            acknowledged = int(line)
    child.stdout.close()
    reader = SqliteContextStore(
        DataDir(tmp_path / "reader"),
        database=open_database(database_url, DataDir(tmp_path / "reader")),
    )
    try:
        _, items = asyncio.run(reader.read("t", context_id))
    finally:
        reader.close()
    assert items[: acknowledged + 1] == [str(n) for n in range(acknowledged + 1)]


async def test_postgres_down_is_a_clear_error_and_service_resumes(
    tmp_path: Path, shared_keyring: str
) -> None:
    with running_postgres() as server:
        url = server.new_database("outage")
        data_dir = DataDir(tmp_path)
        store = SqliteContextStore(data_dir, database=open_database(url, data_dir))
        try:
            info = await store.create("t", "messages", [{"role": "user", "content": "kept"}])
            server.stop()
            with pytest.raises(StoreUnavailableError, match=r"PostgreSQL at .* does not answer"):
                await store.read("t", info.id)
            assert not PostgresDatabase(url).ping()
            server.start()  # the same store, no restart: it reconnects
            _, items = await store.read("t", info.id)
            assert items == [{"role": "user", "content": "kept"}]
        finally:
            store.close()


def test_the_pepper_is_checked_against_the_database(database_url: str, tmp_path: Path) -> None:
    database = open_database(database_url, DataDir(tmp_path))
    check_pepper(database, PEPPER)  # the first one is recorded
    check_pepper(database, PEPPER)  # and agrees with itself
    with pytest.raises(RuntimeError, match="MCPROUTE_PEPPER"):
        check_pepper(database, secrets.token_bytes(32))


async def test_the_dashboards_sign_in_answers_503_while_postgres_is_down(tmp_path: Path) -> None:
    """The sign-in and the session cookie read keys off the event loop: with the database
    down they answer 503 (never a 500), and work again once it is back, without a restart."""
    with running_postgres() as server:
        env, admin = replicas_env(server.new_database("dash"), "", tmp_path / "admin")
        del env["MCPROUTE_REDIS_URL"]
        env |= {"MCPROUTE_DATA_DIR": str(tmp_path / "data"), "MCPROUTE_KEY_CACHE_S": "0.001"}
        config = tmp_path / "mcproute.json"
        config.write_text('{"mcp": {"models": {}}}')
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = await asyncio.create_subprocess_exec(*serve_command(config, port, 1), env=env)
        try:
            jar = aiohttp.CookieJar(unsafe=True)  # keeps the session cookie of 127.0.0.1
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                await wait_ready(http, url)
                login = {"allow_redirects": False, "data": {"key": admin}}
                async with http.post(f"{url}/dashboard/login", **login) as r:
                    assert r.status == 303, await r.text()
                server.stop()
                async with http.post(f"{url}/dashboard/login", **login) as r:
                    assert r.status == 503
                    assert "key store cannot be reached" in await r.text()
                async with http.get(f"{url}/dashboard") as r:  # with the session cookie
                    assert r.status == 503
                async with http.get(f"{url}/dashboard/data?panels=summary") as r:
                    assert r.status == 503
                    assert (await r.json())["error"]["code"] == "store_unavailable"
                server.start()
                async with http.get(f"{url}/dashboard/data?panels=summary") as r:
                    assert r.status == 200, await r.text()
                async with http.post(f"{url}/dashboard/login", **login) as r:
                    assert r.status == 303
        finally:
            await stop_all([proc])


def _cluster_pids(server: PostgresServer) -> list[int]:
    """The postmaster and its children (the backends our connections talk to)."""
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[1]) == postmaster:
                pids.append(int(stat.parent.name))
    return pids


async def test_a_postgres_that_stops_answering_fails_requests_instead_of_holding_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that hangs with its connections open (SIGSTOP; a partition looks the same to
    the client until TCP gives up) makes a key lookup fail with StoreUnavailableError within
    the deadline, and lookups after it too, never a wait without end; once it answers again,
    the same store serves."""
    monkeypatch.setattr(PostgresDatabase, "DEADLINE_S", 1.0)
    with running_postgres() as server:
        data_dir = DataDir(tmp_path)
        database = open_database(server.new_database("hang"), data_dir)
        with SqliteApiKeyStore(data_dir, cache_s=0.001, database=database) as store:
            keys = ApiKeyManager(PEPPER, store)
            key, record = keys.issue("live", ["models"])
            assert (await keys.averify(key)).key_id == record.key_id
            pids = _cluster_pids(server)
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            try:
                for _ in range(2):  # the one stuck on the thread, then one queued behind it
                    with pytest.raises(StoreUnavailableError, match="did not answer within 1 s"):
                        await asyncio.wait_for(keys.averify(key), 30)
            finally:
                for pid in pids:
                    os.kill(pid, signal.SIGCONT)
            assert (await asyncio.wait_for(keys.averify(key), 30)).key_id == record.key_id
