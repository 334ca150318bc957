"""`SnapshotStore` on Redis, for a deployment of several replicas: every worker of every
replica publishes there, so any replica's dashboard shows them all.

Two keys: a hash of the snapshots by worker id (`<instance>/<pid>`) and a sorted set of the
same ids scored by publish time. Publishing is one script (replace unless the stored one is
newer, then drop workers silent for an hour: killed before they could withdraw); collecting
is one pipelined round trip (the ids published since a time, and the hash). Calls run in a
thread, like SQLite's, with a short timeout so a Redis outage degrades the page, never
holds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import redis

from mcproute.redact import redact_url
from mcproute.store.redis_state import PREFIX, TIMEOUT_S

FORGET_AFTER_S = 3600.0

PUBLISH = """
local stored = redis.call('ZSCORE', KEYS[2], ARGV[1])
if stored and tonumber(stored) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4], 'LIMIT', 0, 100)
if #gone > 0 then
    redis.call('HDEL', KEYS[1], unpack(gone))
    redis.call('ZREM', KEYS[2], unpack(gone))
end
return 1
"""


class RedisUnavailable(OSError):
    """Redis failed: raised as an OSError, the store failure the publisher already handles (so
    it need not import the Redis client when Redis is not configured)."""


@contextlib.contextmanager
def _failing_as_os_error() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        raise RedisUnavailable(str(exc)) from exc


class RedisSnapshots:
    """Every replica's workers' snapshots in one Redis (`MCPROUTE_REDIS_URL`)."""

    kind = "redis"

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        self.url = url
        self._keys = [prefix + "snapshots", prefix + "snapshots:published"]
        self._client = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
        )
        self._publish = self._client.register_script(PUBLISH)

    def __repr__(self) -> str:
        return f"RedisSnapshots({redact_url(self.url)!r})"

    def publish(self, worker: str, snapshot: bytes, now: float) -> None:
        args: list[str | bytes] = [worker, repr(now), snapshot, repr(now - FORGET_AFTER_S)]
        with _failing_as_os_error():
            self._publish(keys=self._keys, args=args)

    def collect(self, since: float) -> dict[str, bytes]:
        with _failing_as_os_error(), self._client.pipeline(transaction=True) as pipe:
            pipe.zrangebyscore(self._keys[1], repr(since), "+inf")
            pipe.hgetall(self._keys[0])
            fresh, snapshots = pipe.execute()
        wanted = set(fresh)
        return {k.decode(): bytes(v) for k, v in snapshots.items() if k in wanted}

    def withdraw(self, worker: str) -> None:
        with _failing_as_os_error(), self._client.pipeline(transaction=True) as pipe:
            pipe.hdel(self._keys[0], worker)
            pipe.zrem(self._keys[1], worker)
            pipe.execute()

    def close(self) -> None:
        self._client.close()
