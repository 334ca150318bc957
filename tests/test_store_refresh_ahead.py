"""A cached key or tenant record past half its life is read again in the background: the
lookup answers from the cache at once, and the next one sees what changed elsewhere, so no
request waits for the store's thread once a second, and nothing stale outlives `cache_s`."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from mcproute.governance.limits import Limits
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.sqlite_tenants import TenantPolicies

CACHE_S = 3600.0  # nothing goes stale during the test: only the refresh can change a record


def _age(cache: dict[str, tuple[float, object]], name: str, seconds: float) -> None:
    """Make the cached record of `name` `seconds` old."""
    _, value = cache[name]
    cache[name] = (time.monotonic() - seconds, value)


async def _until(check: object, limit_s: float = 10.0) -> None:
    deadline = time.monotonic() + limit_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the background read never landed"
        await asyncio.sleep(0.01)


async def test_a_key_record_is_read_again_before_it_goes_stale(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path)
    here = SqliteApiKeyStore(data_dir, cache_s=CACHE_S)
    elsewhere = SqliteApiKeyStore(data_dir, cache_s=0)  # another process's store
    try:
        _, record = ApiKeyManager(data_dir.pepper(), here).issue("live", ["models"])
        key_id = record.key_id
        assert (await here.load(key_id)) is not None  # cached now
        ApiKeyManager(data_dir.pepper(), elsewhere).revoke(key_id)
        _age(here._cache, key_id, CACHE_S * 0.4)  # young: served, nothing read
        cached = await here.load(key_id)
        assert cached is not None
        assert not cached.revoked
        assert not here._ahead._reading
        _age(here._cache, key_id, CACHE_S * 0.6)  # past half its life
        cached = await here.load(key_id)
        assert cached is not None
        assert not cached.revoked  # answered from the cache at once
        await _until(lambda: here._cache[key_id][1].revoked)  # type: ignore[union-attr]
        fresh = await here.load(key_id)
        assert fresh is not None
        assert fresh.revoked
    finally:
        here.close()
        elsewhere.close()


async def test_a_tenant_policy_is_read_again_before_it_goes_stale(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path)
    here = TenantPolicies(data_dir, cache_s=CACHE_S)
    elsewhere = TenantPolicies(data_dir, cache_s=0)
    try:
        elsewhere.put("acme", Limits(rpm=10))
        assert (await here.load("acme")).rpm == 10
        elsewhere.put("acme", Limits(rpm=20))
        _age(here._cache, "acme", CACHE_S * 0.6)
        assert (await here.load("acme")).rpm == 10  # at once, from the cache
        await _until(lambda: here._cache["acme"][1].rpm == 20)  # type: ignore[attr-defined]
        assert (await here.load("acme")).rpm == 20
    finally:
        here.close()
        elsewhere.close()
