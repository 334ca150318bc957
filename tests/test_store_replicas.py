"""Three `mcproute serve` replicas, each with a data directory of its own, on one PostgreSQL and
one Redis, given the same keyring and pepper through the environment (no shared filesystem):
keys, contexts, replays and revocations hold across them, and a Redis outage fails closed.
The third replica runs two workers; every replica keeps key records for an hour, so only the
Redis invalidation can explain a revocation seen elsewhere."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import redis.asyncio as aioredis

from mcp_support import free_port, http_server
from mcproute.protocol.client import MCPConnection
from mcproute.security import ApiKeyManager, RequestSigner
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.database import PostgresDatabase
from mcproute.store.redis_state import key_prefix, keys_channel
from mcproute.store.shared import open_database, redis_namespace
from proxy_support import serve_command, stop_all
from stores_support import (
    PostgresServer,
    RedisServer,
    admin_made_key,
    replicas_env,
    running_redis,
)
from test_proxy_crash import create_context, wait_ready, writer

DEADLINE_S = 10.0  # bounds the waits below; nothing here asserts how fast
WORKERS = (1, 1, 2)  # of each replica
KEY_CACHE_S = "3600"


@dataclass
class Deployment:
    urls: list[str]
    redis: RedisServer
    admin: str
    env: dict[str, str]
    config: Path
    procs: list[asyncio.subprocess.Process]

    @property
    def database_url(self) -> str:
        return self.env["MCPROUTE_DATABASE_URL"]


async def eventually(check: Any) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not await check():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.02)


@pytest.fixture
async def deployment(tmp_path: Path, postgres_server: PostgresServer) -> AsyncIterator[Deployment]:
    database_url = postgres_server.new_database(f"r_{secrets.token_hex(6)}")
    config = tmp_path / "mcproute.json"
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
    async with contextlib.AsyncExitStack() as stack:
        mcp_url = await stack.enter_async_context(http_server())
        servers = {"remote": {"url": mcp_url}}
        config.write_text(json.dumps({"mcp": {"models": models, "mcpServers": servers}}))
        redis = stack.enter_context(running_redis())
        env, admin = replicas_env(database_url, redis.url, tmp_path / "admin")
        env["MCPROUTE_KEY_CACHE_S"] = KEY_CACHE_S
        procs, urls = [], []
        for n, workers in enumerate(WORKERS):
            port = free_port()
            with (tmp_path / f"stderr{n}").open("wb") as stderr:
                procs.append(
                    await asyncio.create_subprocess_exec(
                        *serve_command(config, port, workers),
                        env={**env, "MCPROUTE_DATA_DIR": str(tmp_path / f"replica{n}")},
                        stderr=stderr,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        try:
            async with aiohttp.ClientSession() as http:
                for url in urls:
                    await wait_ready(http, url)
            yield Deployment(urls, redis, admin, env, config, procs)
        finally:
            await stop_all(procs)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_three_replicas_share_keys_contexts_and_replays(deployment: Deployment) -> None:
    one, two, three = deployment.urls
    async with aiohttp.ClientSession() as http:
        made = await admin_made_key(http, one, deployment.admin, scopes=["contexts"])
        key = made["key"]
        async with http.post(
            f"{one}/v1/contexts",
            json={"messages": [{"role": "user", "content": "first"}]},
            headers=bearer(key),
        ) as r:
            assert r.status == 201, await r.text()
            ident = (await r.json())["id"]
        async with http.post(
            f"{two}/v1/contexts/{ident}/append",
            json={"messages": [{"role": "assistant", "content": "second"}]},
            headers=bearer(key),
        ) as r:
            assert r.status == 200, await r.text()
        async with http.get(f"{three}/v1/contexts/{ident}", headers=bearer(key)) as r:
            assert r.status == 200, await r.text()
            messages = (await r.json())["messages"]
        assert [m["content"] for m in messages] == ["first", "second"]

        # A signed request replayed to another replica is refused as a replay.
        signed_key = await admin_made_key(
            http, one, deployment.admin, scopes=["contexts"], require_signature=True
        )
        signer = RequestSigner(signed_key["key_id"], base64.b64decode(signed_key["signing_secret"]))
        body = orjson.dumps({"messages": [{"role": "user", "content": "signed"}]})
        target = f"{one}/v1/contexts"
        headers = {**bearer(signed_key["key"]), "Content-Type": "application/json"}
        headers = {**headers, **signer.sign("POST", target, headers, body)}
        async with http.post(target, data=body, headers=headers) as r:
            assert r.status == 201, await r.text()
        replay = {**headers, "Host": one.removeprefix("http://")}
        async with http.post(f"{three}/v1/contexts", data=body, headers=replay) as r:
            assert r.status == 401, await r.text()
            assert "replay" in (await r.json())["error"]["message"]

        # Redis stopped: signed requests cannot be checked for replays, so they get 503.
        deployment.redis.stop()
        fresh = {**bearer(signed_key["key"]), "Content-Type": "application/json"}
        fresh = {**fresh, **signer.sign("POST", f"{two}/v1/contexts", fresh, body)}
        async with http.post(f"{two}/v1/contexts", data=body, headers=fresh) as r:
            assert r.status == 503, await r.text()
            assert (await r.json())["error"]["code"] == "store_unavailable"
        async with http.get(f"{two}/readyz") as r:
            assert r.status == 503
            assert (await r.json())["stores"]["redis"] == "unreachable"
        deployment.redis.start()

        async def served_again() -> bool:
            again = {**bearer(signed_key["key"]), "Content-Type": "application/json"}
            again = {**again, **signer.sign("POST", f"{two}/v1/contexts", again, body)}
            async with http.post(f"{two}/v1/contexts", data=body, headers=again) as r:
                return r.status == 201

        await eventually(served_again)
        # Redis came back without its data, the first request's nonce forgotten: a replay of
        # it is refused all the same, by a replica that never saw it (signed before the loss).
        async with http.post(f"{two}/v1/contexts", data=body, headers=replay) as r:
            assert r.status == 401, await r.text()
            assert "sign it again" in (await r.json())["error"]["message"]
        async with http.get(f"{two}/readyz") as r:
            assert r.status == 200
            assert (await r.json())["stores"] == {"postgres": "ok", "redis": "ok"}


async def status_on_new_connections(url: str, key: str, times: int) -> list[int]:
    """The status of `times` key-checked requests, each on a new connection, so they spread
    over the replica's workers (SO_REUSEPORT picks one per connection)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        statuses = []
        for _ in range(times):
            async with http.get(f"{url}/v1/contexts", headers=bearer(key)) as r:
                statuses.append(r.status)
        return statuses


async def test_a_revocation_reaches_every_replica_through_redis(deployment: Deployment) -> None:
    """Revoked through replica 2, the key is refused by 1 and 3 (both workers of 3) once the
    invalidation arrives. The caches hold records for an hour: a control key revoked in the
    database without an announcement stays accepted, so nothing but the invalidation explains
    the refusal. The time from the revoke's acknowledgment to each first refusal is printed."""
    one, two, three = deployment.urls
    namespace = redis_namespace(None, PostgresDatabase(deployment.database_url))
    assert namespace  # the installation's id, from the database
    async with aiohttp.ClientSession() as http:
        revoked = await admin_made_key(http, one, deployment.admin, scopes=["contexts"])
        control = await admin_made_key(http, one, deployment.admin, scopes=["contexts"])
        for url in deployment.urls:  # every worker caches both records
            for made in (revoked, control):
                assert set(await status_on_new_connections(url, made["key"], 16)) == {200}
        admin_dir = DataDir(deployment.config.parent / "admin")
        database = open_database(deployment.database_url, admin_dir)
        with SqliteApiKeyStore(admin_dir, database=database) as store:  # nothing announced
            pepper = base64.b64decode(deployment.env["MCPROUTE_PEPPER"])
            ApiKeyManager(pepper, store).revoke(control["key_id"])

        listener = aioredis.Redis.from_url(deployment.redis.url)
        pubsub = listener.pubsub()
        await pubsub.subscribe(keys_channel(key_prefix(namespace)))
        try:
            confirmed = await pubsub.get_message(timeout=DEADLINE_S)
            assert confirmed is not None
            assert confirmed["type"] == "subscribe"
            async with http.delete(
                f"{two}/admin/keys/{revoked['key_id']}", headers=bearer(deployment.admin)
            ) as r:
                assert r.status == 200, await r.text()
            acknowledged = time.perf_counter()
            latency: dict[str, float] = {}

            async def first_refusal(url: str) -> None:
                headers = bearer(revoked["key"])
                async with aiohttp.ClientSession() as own:
                    deadline = time.monotonic() + DEADLINE_S
                    while True:
                        async with own.get(f"{url}/v1/contexts", headers=headers) as r:
                            if r.status == 401:
                                latency[url] = time.perf_counter() - acknowledged
                                return
                            assert r.status == 200, await r.text()
                        assert time.monotonic() < deadline, f"{url} still accepts the key"

            await asyncio.gather(first_refusal(one), first_refusal(three))
            heard = []
            while len(heard) < 10 and (
                message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            ):
                heard.append(message["data"].decode())
            assert revoked["key_id"] in heard  # announced on this installation's channel
        finally:
            await pubsub.aclose()
            await listener.aclose()
        for url in (one, three):
            assert set(await status_on_new_connections(url, revoked["key"], 16)) == {401}
            # Without an announcement the cached record still rules: the control passes.
            assert set(await status_on_new_connections(url, control["key"], 16)) == {200}
        print(
            "revocation: acknowledged on replica 2, first refused on replica 1 after"
            f" {latency[one] * 1e3:.1f} ms, on replica 3 after {latency[three] * 1e3:.1f} ms"
        )


async def test_with_redis_down_nothing_passes_unchecked(deployment: Deployment) -> None:
    """Redis stopped mid-run: a key revoked meanwhile is refused by every replica (their
    caches, which would keep it an hour, are not trusted while the invalidation is unheard),
    a call to a key with an rpm limit and a request of an MCP session get 503, never a pass.
    Redis back: all of it is served again, and the caches are trusted again, without restart."""
    one, two, three = deployment.urls
    async with aiohttp.ClientSession() as http:
        revoked = await admin_made_key(http, one, deployment.admin, scopes=["contexts"])
        control = await admin_made_key(http, one, deployment.admin, scopes=["contexts"])
        limited = await admin_made_key(http, one, deployment.admin, scopes=["models"], rpm=1000)
        caller = await admin_made_key(http, one, deployment.admin, scopes=["mcp"])
        conn = MCPConnection(
            f"{one}/mcp", http=http, headers=bearer(caller["key"]), prefer="legacy"
        )
        await conn.connect()
        session = {
            **bearer(caller["key"]),
            "Mcp-Session-Id": conn.session_id or "",
            "MCP-Protocol-Version": conn.version or "",
            "Accept": "application/json, text/event-stream",
        }
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        for url in deployment.urls:  # every worker caches the records
            assert set(await status_on_new_connections(url, revoked["key"], 16)) == {200}

        deployment.redis.stop()

        async def every_listener_lost() -> bool:  # each worker says so in its replica's log
            logs = (deployment.config.parent / f"stderr{n}" for n in range(len(WORKERS)))
            lost = [log.read_text().count("key-change listener lost") for log in logs]
            return all(n >= workers for n, workers in zip(lost, WORKERS, strict=True))

        await eventually(every_listener_lost)
        for url in deployment.urls:  # read again meanwhile
            assert set(await status_on_new_connections(url, revoked["key"], 16)) == {200}
        async with http.delete(
            f"{two}/admin/keys/{revoked['key_id']}", headers=bearer(deployment.admin)
        ) as r:
            assert r.status == 200, await r.text()  # durable in PostgreSQL; not announced
        for url in (one, three):  # at once: no cached record is trusted meanwhile
            assert set(await status_on_new_connections(url, revoked["key"], 16)) == {401}
        for url in deployment.urls:
            async with http.post(
                f"{url}/v1/chat/completions", json=chat, headers=bearer(limited["key"])
            ) as r:
                assert r.status == 503, await r.text()
                assert (await r.json())["error"]["code"] == "store_unavailable"

            async def session_refused(url: str = url) -> bool:
                async with http.post(f"{url}/mcp", json=listing, headers=session) as r:
                    if r.status == 200:  # the ended sessions were read under a second ago
                        return False
                    assert r.status == 503, await r.text()
                    return "Redis" in (await r.json())["error"]["message"]

            await eventually(session_refused)
            for _ in range(3):  # the ended sessions cannot be read: every request refused
                assert await session_refused(url)
        async with http.delete(f"{three}/mcp", headers=session) as r:
            assert r.status == 503, await r.text()  # not ended anywhere: the client may retry

        deployment.redis.start()
        for url in deployment.urls:

            async def served(url: str = url) -> bool:
                async with http.post(f"{url}/mcp", json=listing, headers=session) as r:
                    return r.status == 200

            await eventually(served)
            async with http.post(
                f"{url}/v1/chat/completions", json=chat, headers=bearer(limited["key"])
            ) as r:
                assert r.status != 503, await r.text()  # admitted; the upstream is down
        listener = aioredis.Redis.from_url(deployment.redis.url)
        namespace = redis_namespace(None, PostgresDatabase(deployment.database_url))
        channel = keys_channel(key_prefix(namespace))
        try:

            async def all_listening() -> bool:
                found = await listener.pubsub_numsub(channel)
                return bool(found[0][1] == sum(WORKERS))

            await eventually(all_listening)
        finally:
            await listener.aclose()
        for url in (one, three):  # cached again, then revoked without an announcement
            assert set(await status_on_new_connections(url, control["key"], 16)) == {200}
        admin_dir = DataDir(deployment.config.parent / "admin")
        database = open_database(deployment.database_url, admin_dir)
        with SqliteApiKeyStore(admin_dir, database=database) as store:
            pepper = base64.b64decode(deployment.env["MCPROUTE_PEPPER"])
            ApiKeyManager(pepper, store).revoke(control["key_id"])
        for url in (one, three):  # the cache rules again: only an announcement ends it early
            assert set(await status_on_new_connections(url, control["key"], 16)) == {200}
            assert set(await status_on_new_connections(url, revoked["key"], 16)) == {401}


async def test_a_replica_whose_keyring_cannot_open_the_database_refuses_to_start(
    deployment: Deployment, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession() as http:
        made = await admin_made_key(http, deployment.urls[0], deployment.admin, scopes=["contexts"])
        message = {"messages": [{"role": "user", "content": "sealed"}]}
        async with http.post(
            f"{deployment.urls[0]}/v1/contexts", json=message, headers=bearer(made["key"])
        ) as r:
            assert r.status == 201  # something is sealed under the deployment's keyring now
    sealing = int(deployment.env["MCPROUTE_KEYRING"].partition(":")[0])
    new_id = sealing % 2**31 + 1

    def key(key_id: int) -> str:
        return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"

    # A newer key alone (the one that sealed is not there): the missing id is named.
    stderr = await refused_start(deployment, tmp_path, MCPROUTE_KEYRING=key(new_id))
    assert f"key id(s) {sealing} seal the database's contexts but are not in it" in stderr
    assert "MCPROUTE_KEYRING" in stderr
    # The same id with other key material cannot open the contexts either.
    other = f"{key(new_id)},{key(sealing)}"
    stderr = await refused_start(deployment, tmp_path, MCPROUTE_KEYRING=other)
    assert f"key id(s) {sealing} are in it with other key material" in stderr
    for secret in other.split(","):
        assert secret.partition(":")[2] not in stderr


async def refused_start(deployment: Deployment, tmp_path: Path, **env: str) -> str:
    """Start a fourth replica with `env` changed; it must exit 1: its stderr."""
    env = {**deployment.env, **env, "MCPROUTE_DATA_DIR": str(tmp_path / "x")}
    proc = await asyncio.create_subprocess_exec(
        *serve_command(deployment.config, free_port(), 1),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), DEADLINE_S * 3)
    assert proc.returncode == 1
    return stderr.decode()


async def test_kill_9_of_a_replica_loses_no_acknowledged_append(deployment: Deployment) -> None:
    one, two, _ = deployment.urls
    async with aiohttp.ClientSession() as http:
        made = await admin_made_key(http, one, deployment.admin, scopes=["contexts"])
        headers = bearer(made["key"])
        idents = [await create_context(http, one, headers) for _ in range(3)]
        acked: dict[str, list[int]] = {ident: [] for ident in idents}
        tasks = [
            asyncio.create_task(writer(http, one, headers, ident, acked[ident])) for ident in idents
        ]
        while sum(map(len, acked.values())) < 60:
            for task in tasks:
                if task.done():
                    task.result()  # a writer that failed early fails the test
            await asyncio.sleep(0.005)
        deployment.procs[0].kill()  # SIGKILL, mid-append
        await asyncio.wait_for(asyncio.gather(*tasks), DEADLINE_S * 3)
        for ident, numbers in acked.items():  # read through another replica
            async with http.get(f"{two}/v1/contexts/{ident}", headers=headers) as r:
                assert r.status == 200, await r.text()
                stored = [m["content"] for m in (await r.json())["messages"]]
            expected = [f"message {n}" for n in numbers]
            assert stored[: len(expected)] == expected  # every acknowledged one, in order
            assert len(stored) <= len(expected) + 1  # at most the one in flight beyond


async def test_an_mcp_session_spans_the_replicas(deployment: Deployment) -> None:
    """Opened on replica 1, served on 2, ended on 3: then no replica serves it."""
    one, two, three = deployment.urls
    async with aiohttp.ClientSession() as http:
        made = await admin_made_key(http, one, deployment.admin, scopes=["mcp"])
        auth = bearer(made["key"])
        conn = MCPConnection(f"{one}/mcp", http=http, headers=auth, prefer="legacy")
        await conn.connect()
        assert conn.session_id is not None
        result = await conn.call_tool("remote__add", {"a": 2, "b": 3})
        assert result["content"][0]["text"] == "5"
        session = {
            **auth,
            "Mcp-Session-Id": conn.session_id,
            "MCP-Protocol-Version": conn.version or "",
            "Accept": "application/json, text/event-stream",
        }
        call = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "remote__add", "arguments": {"a": 40, "b": 2}},
        }
        async with http.post(f"{two}/mcp", json=call, headers=session) as r:
            assert r.status == 200, await r.text()
            assert '"text":"42"' in (await r.text()).replace(" ", "")
        async with http.delete(f"{three}/mcp", headers=session) as r:
            assert r.status in (200, 202, 204), await r.text()
        listing = {"jsonrpc": "2.0", "id": 8, "method": "tools/list"}
        for url in (one, two, three):

            async def ended(url: str = url) -> bool:
                async with http.post(f"{url}/mcp", json=listing, headers=session) as r:
                    return r.status == 404

            await eventually(ended)


async def test_a_replica_with_another_pepper_refuses_to_start(
    deployment: Deployment, tmp_path: Path
) -> None:
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    stderr = await refused_start(deployment, tmp_path, MCPROUTE_PEPPER=other)
    assert "not the one the database's keys were made with" in stderr
    assert other not in stderr


def instance_label(url: str) -> str:
    """The `instance` label of a replica serving at `url`: by default its host and port."""
    return f'instance="{socket.gethostname()}:{url.rpartition(":")[2]}"'


async def test_the_dashboard_covers_every_replica_and_metrics_each_one(
    deployment: Deployment,
) -> None:
    """Through Redis every replica's dashboard counts the requests of all; each replica's
    `/metrics` holds its own, labelled with its instance; Redis down, both degrade and say so."""
    admin = bearer(deployment.admin)
    sent = {url: n for url, n in zip(deployment.urls, (2, 3, 4), strict=True)}
    async with aiohttp.ClientSession() as http:
        key = await admin_made_key(http, deployment.urls[0], deployment.admin, scopes=["models"])
        chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        for url, n in sent.items():
            for _ in range(n):  # the upstream is down: each one is a counted 5xx
                async with http.post(
                    f"{url}/v1/chat/completions", json=chat, headers=bearer(key["key"])
                ) as r:
                    assert r.status >= 500, await r.text()

        async def data(url: str) -> dict[str, Any]:
            async with http.get(f"{url}/dashboard/data?panels=summary", headers=admin) as r:
                assert r.status == 200, await r.text()
                body: dict[str, Any] = await r.json()
                return body

        made = sum(sent.values()) + 1  # and the key's creation
        for url in deployment.urls:

            async def all_counted(url: str = url) -> bool:
                body = await data(url)
                return bool(body["panels"]["summary"]["requests"] == made)

            await eventually(all_counted)

            async def every_worker(url: str = url) -> bool:
                body = await data(url)
                return (body["workers"], body["replicas"], body["store_up"]) == (4, 3, True)

            await eventually(every_worker)

        for url, n in sent.items():
            instance = instance_label(url)
            async with http.get(f"{url}/metrics", headers=admin) as r:
                assert r.status == 200, await r.text()
                samples = [x for x in (await r.text()).splitlines() if not x.startswith("#")]
            assert samples
            assert all(f"{instance}}} " in x for x in samples)  # on each, of this replica
            chats = 'mcproute_requests_total{route="/v1/chat/completions",'
            assert sum(int(x.rpartition(" ")[2]) for x in samples if x.startswith(chats)) == n
            workers = WORKERS[deployment.urls.index(url)]
            assert f"mcproute_workers{{{instance}}} {workers}" in samples
            assert f"mcproute_snapshot_store_up{{{instance}}} 1" in samples

        # Redis stopped: this worker's figures alone, flagged, never an error.
        deployment.redis.stop()
        two = deployment.urls[1]
        body = await data(two)
        assert (body["workers"], body["replicas"], body["store_up"]) == (1, 1, False)
        assert body["panels"]["summary"]["requests"] == sent[two]
        async with http.get(f"{two}/metrics", headers=admin) as r:
            assert r.status == 200, await r.text()
            scraped = (await r.text()).splitlines()
        store_up = [x for x in scraped if x.startswith("mcproute_snapshot_store_up")]
        assert store_up == [f"mcproute_snapshot_store_up{{{instance_label(two)}}} 0"]
        deployment.redis.start()

        async def whole_again() -> bool:
            return bool((await data(two))["replicas"] == 3)

        await eventually(whole_again)
