"""Every file of the data directory is owner-only (0600), the SQLite database's WAL and
shared-memory files included, whatever the umask; an older directory's files are tightened."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcproute.context.sqlite import SqliteContextStore
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore, SqliteEndedSessions


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def modes(path: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.iterdir() if p.is_file()}


async def test_every_file_is_owner_only(tmp_path: Path, umask: int) -> None:
    data_dir = DataDir(tmp_path / "data")
    contexts = SqliteContextStore(data_dir)
    ended = SqliteEndedSessions(data_dir)
    try:
        with SqliteApiKeyStore(data_dir) as keys:
            ApiKeyManager(data_dir.pepper(), keys).issue("test", {"contexts"})
            await contexts.create("acme", "document", ["secret text"])
            await ended.end("digest", 1e12)
            found = modes(data_dir.path)  # while the connections are open: WAL and SHM exist
    finally:
        contexts.close()
        ended.close()
    expected = {"mcproute.db", "mcproute.db-wal", "mcproute.db-shm", "pepper", "keyring"}
    assert expected <= set(found)
    assert {name: mode for name, mode in found.items() if mode != 0o600} == {}
    assert stat.S_IMODE(data_dir.path.stat().st_mode) == 0o700


def test_older_data_directory_is_tightened(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path).ensure()
    old = os.umask(0o022)
    try:  # the database as SQLite creates it by itself: 0644, and its WAL files likewise
        conn = sqlite3.connect(data_dir.database)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        assert modes(data_dir.path)["mcproute.db-wal"] == 0o644
        data_dir.connect().close()
        found = modes(data_dir.path)
        conn.close()
    finally:
        os.umask(old)
    assert found["mcproute.db"] == found["mcproute.db-wal"] == found["mcproute.db-shm"] == 0o600
