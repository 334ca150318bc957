"""Real Redis and PostgreSQL servers for the store tests (`mcproute.testing.engines`). Locally a
missing server skips; with CI=true it fails (`conftest.require`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import aiohttp

from conftest import require
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
