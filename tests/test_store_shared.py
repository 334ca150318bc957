"""Shared state across workers and replicas, on the data directory's SQLite and on a real
Redis: the replay cache, ended MCP sessions, key-revocation invalidation, failing closed."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from mcproute._core import Keyring
from mcproute.config import ConfigError, parse_config
from mcproute.governance.counters import Charge
from mcproute.governance.limits import Limits
from mcproute.models.limits import NO_LEASE
from mcproute.protocol.server.context import Session
from mcproute.protocol.server.session_tokens import SessionTokens
from mcproute.security import ApiKeyError, ApiKeyManager, RequestSigner
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.database import SqliteDatabase
from mcproute.store.nonces import LONGEST_CLAIM_S, NoncesLostError, SqliteNonces, nonce_digest
from mcproute.store.redis_state import RedisState
from mcproute.store.shared import redis_namespace
from proxy_support import Proxy, document, running_proxy
from stores_support import RedisServer, admin_made_key, running_redis

DEADLINE_S = 10.0  # bounds the waits below; nothing here asserts how fast


async def eventually(check: Any) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not await check():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.01)


async def test_sqlite_nonces_are_shared_by_the_workers_of_a_host(tmp_path: Path) -> None:
    first, second = SqliteNonces(DataDir(tmp_path)), SqliteNonces(DataDir(tmp_path))
    try:
        assert await first.claim("key_a", "n-1", 300)
        assert not await second.claim("key_a", "n-1", 300)  # replayed to another worker
        assert not await first.claim("key_a", "n-1", 300)
        assert await second.claim("key_b", "n-1", 300)  # nonces are per key
    finally:
        first.close()
        second.close()


@pytest.fixture
async def redis_state(redis_server: RedisServer) -> AsyncIterator[RedisState]:
    state = RedisState(redis_server.url)
    await state.client.flushdb()
    yield state
    await state.close()


async def test_redis_nonces_refuse_a_replay(redis_state: RedisState) -> None:
    other = RedisState(redis_state.url)
    try:
        assert await redis_state.claim("key_a", "n-1", 300)
        assert not await other.claim("key_a", "n-1", 300)
        assert await other.claim("key_b", "n-1", 300)
        ttl = await redis_state.client.pttl("mcproute:nonce:" + nonce_digest("key_a", "n-1"))
        assert 0 < ttl <= 300_000  # forgotten once its signature can no longer pass
    finally:
        await other.close()


async def test_nonces_lost_by_a_restarted_redis_let_no_replay_through(tmp_path: Path) -> None:
    """Redis restarted without its data forgets every nonce: until no signature seen before
    could still pass, a signature counts only if created after the loss and not far ahead of
    Redis's clock, on every process (also those that had claimed nothing, or start later)."""
    with running_redis() as server:
        seen, idle = RedisState(server.url), RedisState(server.url)
        try:
            await idle.learn_nonce_epoch()  # as each process does when it starts
            before = time.time() - 1
            assert await seen.claim("k", "n-1", 300, before)
            server.stop()
            server.start()  # without its data
            for state in (seen, idle):
                with pytest.raises(NoncesLostError, match="sign it again"):
                    await state.claim("k", "n-1", 300, before)  # the replay
            later = RedisState(server.url)  # started after the loss
            try:
                await later.learn_nonce_epoch()
                with pytest.raises(NoncesLostError):
                    await later.claim("k", "n-1", 300, before)
                with pytest.raises(NoncesLostError):  # too far ahead: it may predate the loss
                    await later.claim("k", "n-2", 300, time.time() + 120)
                with pytest.raises(NoncesLostError):
                    await later.claim("k", "n-3", 300, None)  # no creation time: no proof
                fresh = time.time() + 2  # a later second than the new epoch's
                assert await later.claim("k", "n-4", 300, fresh)  # signed after the loss
                assert not await seen.claim("k", "n-4", 300, fresh)  # and claimed as ever
                # The mark lasts as long as a signature from before could pass, then goes.
                assert 0 < await seen.client.pttl("mcproute:nonce:lost") <= LONGEST_CLAIM_S * 1000
                await seen.client.delete("mcproute:nonce:lost")
                assert await idle.claim("k", "n-1", 300, before)
            finally:
                await later.close()
        finally:
            await seen.close()
            await idle.close()


async def test_redis_ended_sessions_reach_every_replica(redis_state: RedisState) -> None:
    other = RedisState(redis_state.url)
    try:
        now = time.time()
        await redis_state.end("d1", now + 60)
        await redis_state.end("gone", now - 1)  # already expired: never reported
        seen, cursor = await other.since(0)
        assert seen == [("d1", now + 60)]
        assert await other.since(cursor) == ([], cursor)
        await other.end("d2", now + 60)
        seen, newer = await redis_state.since(cursor)
        assert seen == [("d2", now + 60)]
        assert newer > cursor
    finally:
        await other.close()


async def refused_as_revoked(keys: ApiKeyManager, key: str) -> bool:
    try:
        await keys.averify(key)
    except ApiKeyError as exc:
        return exc.reason == "revoked"  # type: ignore[attr-defined, no-any-return]
    return False


async def test_an_ended_session_is_announced_to_every_replica_at_once(
    redis_state: RedisState,
) -> None:
    """Ended on one replica, a session is refused by another that reads the ended list only
    once an hour: only the announcement on the ended channel can explain it."""
    ring = Keyring()
    ring.add(7, secrets.token_bytes(32))
    ring.promote(7)
    there = RedisState(redis_state.url)
    here_tokens = SessionTokens(lambda: ring, ended=redis_state)
    there_tokens = SessionTokens(lambda: ring, ended=there, recheck_s=3600)
    heard: list[bool] = []
    try:
        there.watch_ended(there_tokens.heard_ended)
        there.listen_for_key_changes(lambda _: None, heard.append)

        async def listening() -> bool:
            return heard[-1:] == [True]

        await eventually(listening)
        token = here_tokens.seal(Session(version="2025-06-18", initialized=True))
        assert not await there_tokens.ended(token)  # its one read for the next hour
        await here_tokens.end(token)

        async def ended_there() -> bool:
            return await there_tokens.ended(token)

        await eventually(ended_there)
    finally:
        await there.close()


async def test_a_revocation_reaches_the_other_caches_through_redis(
    tmp_path: Path, redis_state: RedisState
) -> None:
    data_dir = DataDir(tmp_path)
    # Caches that would keep a revoked key for an hour: only the invalidation can end it.
    here, there = (SqliteApiKeyStore(data_dir, cache_s=3600) for _ in range(2))
    there_redis = RedisState(redis_state.url)
    try:
        redis_state.listen_for_key_changes(here.forget, here.heard)
        there_redis.listen_for_key_changes(there.forget, there.heard)
        await asyncio.sleep(0)  # let the listeners subscribe
        here.on_change = redis_state.publish_key_change
        keys_here = ApiKeyManager(data_dir.pepper(), here)
        keys_there = ApiKeyManager(data_dir.pepper(), there)
        key, record = keys_here.issue("live", ["models"])
        assert (await keys_there.averify(key)).key_id == record.key_id  # cached there now

        async def subscribed() -> bool:
            return bool((await redis_state.client.pubsub_numsub("mcproute:keys"))[0][1] >= 2)

        await eventually(subscribed)
        await asyncio.to_thread(keys_here.revoke, record.key_id)
        await eventually(lambda: refused_as_revoked(keys_there, key))
    finally:
        await there_redis.close()
        here.close()
        there.close()


async def test_a_key_change_redis_missed_is_announced_once_it_is_back(tmp_path: Path) -> None:
    """Revoked while Redis is down, the key is still refused by a cache whose listener lost
    Redis (it reads every key from the database meanwhile), and the announcement Redis missed
    goes out once the writer's listener is back."""
    data_dir = DataDir(tmp_path)
    here, there = (SqliteApiKeyStore(data_dir, cache_s=3600) for _ in range(2))
    with running_redis() as server:
        writer, reader = RedisState(server.url), RedisState(server.url)
        try:
            here.on_change = writer.publish_key_change
            reader.listen_for_key_changes(there.forget, there.heard)
            keys_here = ApiKeyManager(data_dir.pepper(), here)
            keys_there = ApiKeyManager(data_dir.pepper(), there)
            key, record = keys_here.issue("live", ["models"])

            async def listening() -> bool:
                found = await writer.client.pubsub_numsub("mcproute:keys")
                return bool(found[0][1] == 1)

            await eventually(listening)
            assert (await keys_there.averify(key)).key_id == record.key_id  # cached there

            server.stop()
            await asyncio.to_thread(keys_here.revoke, record.key_id)  # announcing it fails

            # Once the listener knows, the cache is not trusted.
            await eventually(lambda: refused_as_revoked(keys_there, key))

            server.start()
            listener = reader.client.pubsub()
            await listener.subscribe("mcproute:keys")
            try:
                assert (await listener.get_message(timeout=DEADLINE_S))["type"] == "subscribe"
                writer.listen_for_key_changes(here.forget, here.heard)
                message = await listener.get_message(ignore_subscribe_messages=True, timeout=5)
                assert message is not None, "the missed key change was never announced"
                assert message["data"].decode() == record.key_id
            finally:
                await listener.aclose()
        finally:
            await writer.close()
            await reader.close()
            here.close()
            there.close()


async def test_a_hung_redis_counts_as_lost_and_gets_its_announcements_later(
    tmp_path: Path,
) -> None:
    """A Redis that stops answering with its connections open (SIGSTOP: a hang, a partition)
    is noticed by the quiet listener's ping: its cache is not trusted meanwhile, so a key
    revoked elsewhere is refused at once; once Redis answers, the revocation's announcement,
    which timed out, goes out."""
    data_dir = DataDir(tmp_path)
    here, there = (SqliteApiKeyStore(data_dir, cache_s=3600) for _ in range(2))
    with running_redis() as server:
        writer, reader = RedisState(server.url), RedisState(server.url)
        heard: list[bool] = []

        def hear(listening: bool) -> None:
            heard.append(listening)
            there.heard(listening)

        try:
            here.on_change = writer.publish_key_change
            reader.listen_for_key_changes(there.forget, hear)
            keys_here = ApiKeyManager(data_dir.pepper(), here)
            keys_there = ApiKeyManager(data_dir.pepper(), there)
            key, record = keys_here.issue("live", ["models"])

            async def listening() -> bool:
                return heard[-1:] == [True]

            await eventually(listening)
            assert (await keys_there.averify(key)).key_id == record.key_id  # cached there
            os.kill(server.process.pid, signal.SIGSTOP)
            try:

                async def lost() -> bool:
                    return heard[-1:] == [False]

                await eventually(lost)
                await asyncio.to_thread(keys_here.revoke, record.key_id)  # the publish times out
                with pytest.raises(ApiKeyError):
                    await keys_there.averify(key)  # read from the database
            finally:
                os.kill(server.process.pid, signal.SIGCONT)
            watcher = RedisState(server.url)
            listener = watcher.client.pubsub()
            try:
                await listener.subscribe("mcproute:keys")
                assert (await listener.get_message(timeout=DEADLINE_S))["type"] == "subscribe"
                await writer.claim("k", "n-1", 60, time.time())  # Redis answers the writer again
                message = await listener.get_message(ignore_subscribe_messages=True, timeout=5)
                assert message is not None, "the timed-out announcement never went out"
                assert message["data"].decode() == record.key_id
            finally:
                await listener.aclose()
                await watcher.close()
            await eventually(listening)  # and the listener is back
        finally:
            await writer.close()
            await reader.close()
            here.close()
            there.close()


def _signed_document(redis_url: str | None) -> Any:
    def make(sim_url: str, mcp_url: str) -> dict[str, Any]:
        doc = document(sim_url, mcp_url)
        if redis_url is not None:
            doc["mcp"]["store"] = {"redis_url": redis_url}
        return doc

    return make


async def _signing_key(http: aiohttp.ClientSession, proxy: Proxy) -> tuple[str, RequestSigner]:
    made = await admin_made_key(
        http, proxy.url, proxy.key("admin"), scopes=["models"], require_signature=True
    )
    return made["key"], RequestSigner(made["key_id"], base64.b64decode(made["signing_secret"]))


BODY = orjson.dumps({"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]})


def _signed(signer: RequestSigner, key: str, url: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return {**headers, **signer.sign("POST", url, headers, BODY)}


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_a_signed_request_replayed_to_another_process_is_refused(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    url = None
    if backend == "redis":
        url = request.getfixturevalue("redis_server").url
    make = _signed_document(url)
    async with (
        running_proxy(tmp_path, config_document=make) as one,
        running_proxy(tmp_path, config_document=make) as two,
        aiohttp.ClientSession() as http,
    ):
        key, signer = await _signing_key(http, one)
        path = "/v1/chat/completions"
        # Signed for the first one's URL; the second one is reached at another port, so sign
        # for the path both serve and send the same headers to each.
        signed = _signed(signer, key, f"{one.url}{path}")
        async with http.post(f"{one.url}{path}", data=BODY, headers=signed) as r:
            assert r.status == 200, await r.text()
        replay = {**signed, "Host": one.url.removeprefix("http://")}
        async with http.post(f"{two.url}{path}", data=BODY, headers=replay) as r:
            assert r.status == 401, await r.text()
            assert "replay" in (await r.json())["error"]["message"]


async def test_redis_down_fails_closed_and_recovers(tmp_path: Path) -> None:
    with running_redis() as server:
        make = _signed_document(server.url)
        async with (
            running_proxy(tmp_path, config_document=make) as proxy,
            aiohttp.ClientSession() as http,
        ):
            key, signer = await _signing_key(http, proxy)
            url = f"{proxy.url}/v1/chat/completions"
            async with http.get(f"{proxy.url}/readyz") as r:
                assert r.status == 200
                assert (await r.json())["stores"] == {"redis": "ok"}

            server.stop()
            async with http.post(url, data=BODY, headers=_signed(signer, key, url)) as r:
                assert r.status == 503
                error = (await r.json())["error"]
            assert error["code"] == "store_unavailable"
            assert "Redis" in error["message"]
            assert "refused until it is back" in error["message"]
            async with http.get(f"{proxy.url}/readyz") as r:
                assert r.status == 503
                assert (await r.json())["stores"] == {"redis": "unreachable"}

            server.start()  # no restart of the proxy

            async def served() -> bool:
                headers = _signed(signer, key, url)
                async with http.post(url, data=BODY, headers=headers) as r:
                    return r.status == 200

            await eventually(served)
            async with http.get(f"{proxy.url}/readyz") as r:
                assert r.status == 200


def test_a_redis_namespace_is_checked_and_wins_over_the_default(tmp_path: Path) -> None:
    settings = parse_config({"mcp": {"store": {"redis_namespace": "team-a.prod"}}}).store
    assert redis_namespace(settings, None, env={}) == "team-a.prod"
    assert redis_namespace(settings, None, env={"MCPROUTE_REDIS_NAMESPACE": "b"}) == "b"
    database = SqliteDatabase(DataDir(tmp_path))
    assert redis_namespace(None, database, env={}) == ""  # one host: the bare prefix
    database.close()
    with pytest.raises(ValueError, match="MCPROUTE_REDIS_NAMESPACE: must be 1 to 64"):
        redis_namespace(None, None, env={"MCPROUTE_REDIS_NAMESPACE": "a b"})
    with pytest.raises(ConfigError, match=r"mcp\.store\.redis_namespace: must be 1 to 64"):
        parse_config({"mcp": {"store": {"redis_namespace": "x" * 65}}})


async def test_redis_state_of_two_namespaces_share_nothing(redis_state: RedisState) -> None:
    other = RedisState(redis_state.url, "other")
    try:
        assert await redis_state.claim("k", "nonce-1", 60)
        assert await other.claim("k", "nonce-1", 60)  # another installation's nonce
        assert not await other.claim("k", "nonce-1", 60)
        one_rpm = (Charge("deployment:gpt-4", Limits(rpm=1)),)
        assert (await redis_state.reserve(one_rpm, NO_LEASE)).allowed
        assert (await other.reserve(one_rpm, NO_LEASE)).allowed  # a window of its own
        assert not (await other.reserve(one_rpm, NO_LEASE)).allowed
    finally:
        await other.close()


BAD_URLS = [
    ("MCPROUTE_DATABASE_URL", "mysql://admin:s3cret-pw@db.example/x"),
    ("MCPROUTE_REDIS_URL", "bogus://:s3cret-pw@cache.example:6379/0"),
    ("MCPROUTE_REDIS_URL", "cache.example:6379"),
]
COMMANDS = [["serve", "--port", "1"], ["keys", "list"]]


@pytest.mark.parametrize(
    ("variable", "url", "command"),
    [(v, u, c) for v, u in BAD_URLS for c in COMMANDS]
    + [(*BAD_URLS[0], ["db", "migrate"])],  # migrations need no Redis
)
def test_an_engine_url_of_another_kind_is_a_clear_refusal(
    tmp_path: Path, variable: str, url: str, command: list[str]
) -> None:
    """Named by its variable, shown redacted, before anything connects: never a traceback
    that quotes the password."""
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(tmp_path), variable: url}
    done = subprocess.run(
        [sys.executable, "-m", "mcproute.cli", *command],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode in (1, 2), done.stderr
    assert f"{variable}: expected a " in done.stderr
    assert "Traceback" not in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout
