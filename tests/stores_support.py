"""Real Redis and PostgreSQL servers for the store tests (`mcproute.testing.engines`). Locally a
missing server skips; with CI=true it fails (`conftest.require`)."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

from conftest import require
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.shared import open_database
from mcproute.testing import engines
from mcproute.testing.engines import PostgresServer, RedisServer

__all__ = ["PostgresServer", "RedisServer", "admin_made_key", "running_postgres", "running_redis"]


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    try:
        with engines.running_redis() as server:
            yield server
    except engines.EngineMissing as exc:  # raised before the server starts, never after
        require(False, str(exc))


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    try:
        with engines.running_postgres() as server:
            yield server
    except engines.EngineMissing as exc:
        require(False, str(exc))


async def admin_made_key(
    http: aiohttp.ClientSession, url: str, admin: str, **body: Any
) -> dict[str, Any]:
    """A key made through a running proxy's admin API (`POST /admin/keys` with `body`)."""
    headers = {"Authorization": f"Bearer {admin}"}
    async with http.post(f"{url}/admin/keys", json=body, headers=headers) as r:
        assert r.status == 201, await r.text()
        made: dict[str, Any] = await r.json()
    return made


def replicas_env(database_url: str, redis_url: str, where: Path) -> tuple[dict[str, str], str]:
    """The environment replicas share (PostgreSQL, Redis, a fresh keyring and pepper), and an
    admin key made in that database (`where`: a data directory for the making)."""
    pepper = base64.b64encode(secrets.token_bytes(32)).decode()
    keyring = f"{secrets.randbits(31) + 1}:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    env = {
        **os.environ,
        "MCPROUTE_DATABASE_URL": database_url,
        "MCPROUTE_REDIS_URL": redis_url,
        "MCPROUTE_KEYRING": keyring,
        "MCPROUTE_PEPPER": pepper,
    }
    admin_dir = DataDir(where)
    with SqliteApiKeyStore(admin_dir, database=open_database(database_url, admin_dir)) as store:
        admin, _ = ApiKeyManager(base64.b64decode(pepper), store).issue("live", ["admin"])
    return env, admin
