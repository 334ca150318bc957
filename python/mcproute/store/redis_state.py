"""Hot shared state in Redis (`MCPROUTE_REDIS_URL` or `mcp.store.redis_url`), for replicas
that share nothing else: RFC 9421 nonces, ended MCP sessions, and the API-key cache
invalidation.

- Nonces: `SET <digest> 1 NX PX <ttl>` in one script, one round trip; the first replica to set
  it wins. The script also keeps an epoch (Redis `TIME` when its nonces began). A process that
  claimed under an epoch Redis no longer has knows Redis lost its nonces (it restarted without
  its data) and leaves a loss mark, for every process, for as long as a signature seen before
  the loss could still pass (`LONGEST_CLAIM_S`); meanwhile a signature is accepted only if it
  was created after the new epoch (`created` is in whole seconds, so one made in the epoch's
  own second is not) and at most `AFTER_LOSS_SKEW_S` ahead of Redis's clock, and any other gets
  `NoncesLostError` (the caller signs again). Each process learns the epoch when it starts
  listening, so a loss is noticed even by a process that had claimed nothing yet; only a
  process that started while Redis was down, and claims first after the loss, cannot tell.
- Ended sessions: a sequence number per ended session in one sorted set (read from a cursor,
  as `protocol.server.session_tokens.EndedSessions` asks) and their expiry in another, so expired
  entries are dropped as new ones arrive; both change in one script, which also publishes the
  ended session on the installation's `ended` channel: the key-change listener hands it to
  `watch_ended`'s callbacks, so other replicas stop serving it at once, not at their next read.
- Usage counters (a `governance.counters.UsageCounter`: key, tenant and deployment limits):
  one Lua script per admission and one per settlement, on Redis `TIME` (`store.redis_usage`).
- Key changes: a key written through any replica (or `mcproute keys`) is published on a channel;
  every replica listening drops its cached record at once. A listener that lost its connection
  reconnects with backoff; until it is subscribed again its key store trusts no cached record
  (every lookup reads the database), and it starts over with an empty cache, since it may have
  missed messages. A quiet listener pings Redis every `PING_S`, so a Redis that hangs with its
  connections open counts as lost too. A change this process could not announce is announced
  once Redis answers again.

Every key and channel starts with the installation's prefix (`key_prefix`: `mcproute:<namespace>:`),
so installations sharing one Redis never see each other's windows, nonces, sessions, snapshots
or invalidations.

Every call that a request depends on fails closed: Redis unreachable raises
`StoreUnavailableError` (the request gets a 503), never a silent pass. The client reconnects
on the next call by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff

from mcproute.governance.counters import (
    Admission,
    Ask,
    Charge,
    Settlement,
    SubjectUsage,
    Ticket,
)
from mcproute.redact import redact_url
from mcproute.store.nonces import (
    AFTER_LOSS_SKEW_S,
    LONGEST_CLAIM_S,
    NoncesLostError,
    StoreUnavailableError,
    nonce_digest,
)
from mcproute.store.redis_usage import RedisUsage

log = logging.getLogger("mcproute.store")
PREFIX = "mcproute:"
TIMEOUT_S = 1.0  # a request waits at most this long for Redis before it gets its 503
PING_S = 1.0  # a key-change listener with nothing to read checks that Redis answers this often
BACKOFF_CAP_S = 5.0

END_SESSION = """
local seq = redis.call('INCR', KEYS[1])
local member = seq .. ' ' .. ARGV[1] .. ' ' .. ARGV[2]
redis.call('ZADD', KEYS[2], seq, member)
redis.call('ZADD', KEYS[3], ARGV[2], member)
local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[3], 'LIMIT', 0, 500)
if #old > 0 then
    redis.call('ZREM', KEYS[2], unpack(old))
    redis.call('ZREM', KEYS[3], unpack(old))
end
redis.call('PUBLISH', KEYS[4], ARGV[1] .. ' ' .. ARGV[2])
return seq
"""


CLAIM_NONCE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local epoch = redis.call('GET', KEYS[2])
if not epoch then
    epoch = tostring(now)
    redis.call('SET', KEYS[2], epoch)
end
if ARGV[2] ~= '' and ARGV[2] ~= epoch then
    redis.call('SET', KEYS[3], epoch, 'NX', 'PX', ARGV[3])
end
if ARGV[1] == '0' then
    return {2, epoch}
end
local lost = redis.call('GET', KEYS[3])
if lost then
    local created = tonumber(ARGV[4])
    if created <= tonumber(lost) or created > now + tonumber(ARGV[5]) then
        return {-1, epoch}
    end
end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
    return {1, epoch}
end
return {0, epoch}
"""


def key_prefix(namespace: str) -> str:
    """The start of every Redis key and channel name of one installation."""
    return f"{PREFIX}{namespace}:" if namespace else PREFIX


def keys_channel(prefix: str) -> str:
    return prefix + "keys"


def ended_channel(prefix: str) -> str:
    return prefix + "ended:news"


def unavailable(url: str) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"shared state unavailable: Redis at {redact_url(url)} does not answer;"
        " requests that need it are refused until it is back"
    )


class RedisState:
    """One Redis connection pool for everything this process keeps there."""

    def __init__(self, url: str, namespace: str = "") -> None:
        self.url = url
        self.prefix = key_prefix(namespace)
        options: dict[str, Any] = {
            "socket_timeout": TIMEOUT_S,
            "socket_connect_timeout": TIMEOUT_S,
            # A pooled connection that Redis closed (it restarted) is reopened once, so the
            # first calls after an outage do not fail. A call lost after Redis ran it counts
            # twice at worst, which errs on the refusing side.
            "retry": Retry(NoBackoff(), 1),
            "retry_on_error": [redis.ConnectionError],
        }
        self.client = aioredis.Redis.from_url(url, **options)
        self._end_session = self.client.register_script(END_SESSION)
        self._claim_nonce = self.client.register_script(CLAIM_NONCE)
        self._nonce_epoch = ""  # the epoch of Redis's nonces this process last claimed under
        self._usage = RedisUsage(self.client, self._call, self.prefix)
        self._listener: asyncio.Task[None] | None = None
        self._unannounced: set[str] = set()  # key changes whose publication failed
        self._announcing: asyncio.Task[None] | None = None
        self._ended_watchers: list[Callable[[str, float], None]] = []
        self.reachable = True

    def __repr__(self) -> str:
        return f"RedisState({self._where!r})"

    @property
    def _where(self) -> str:
        return redact_url(self.url)

    async def ping(self) -> bool:
        """Whether Redis answers now (for /readyz)."""
        try:
            self.reachable = bool(await self.client.ping())
        except (redis.RedisError, OSError):
            self.reachable = False
        return self.reachable

    async def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            result = await fn()
        except (redis.RedisError, OSError) as exc:
            self.reachable = False
            log.warning("redis %s: %s", redact_url(self.url), type(exc).__name__)
            raise unavailable(self.url) from None
        self.reachable = True
        if self._unannounced and self._announcing is None:  # Redis answers again
            self._announcing = asyncio.get_running_loop().create_task(self._announce_later())
        return result

    async def _announce_later(self) -> None:
        try:
            await self._announce_missed()
        except (redis.RedisError, OSError):
            pass  # kept for the next answer or the listener's reconnection
        finally:
            self._announcing = None

    # --- nonces (a `NonceStore`) --------------------------------------------------------

    async def claim(
        self, key_id: str, nonce: str, ttl_s: float, created: float | None = None
    ) -> bool:
        return await self._nonce_script(
            nonce_digest(key_id, nonce), max(1, int(ttl_s * 1000)), created
        )

    async def learn_nonce_epoch(self) -> None:
        """Note the epoch of Redis's nonces now (at start), so a later loss is noticed."""
        with contextlib.suppress(StoreUnavailableError):  # unknown, then: nothing to compare
            await self._nonce_script("", 0, None)

    async def _nonce_script(self, digest: str, ttl_ms: int, created: float | None) -> bool:
        p = self.prefix
        keys = [p + "nonce:" + digest, p + "nonce:epoch", p + "nonce:lost"]
        created_ms = -1 if created is None else int(created * 1000)
        args: list[str | int] = [ttl_ms, self._nonce_epoch, int(LONGEST_CLAIM_S * 1000), created_ms,
                int(AFTER_LOSS_SKEW_S * 1000)]  # fmt: skip
        claimed, epoch = await self._call(lambda: self._claim_nonce(keys=keys, args=args))
        self._nonce_epoch = epoch.decode()
        if claimed == -1:
            raise NoncesLostError(
                "signature: created before the replay cache of the shared state was lost (Redis"
                " restarted without its data) or too far ahead of its clock; sign it again"
            )
        return bool(claimed == 1)

    # --- ended MCP sessions (an `EndedSessions`) ----------------------------------------

    async def end(self, digest: str, until: float) -> None:
        p = self.prefix
        keys = [p + "ended:seq", p + "ended", p + "ended:until", ended_channel(p)]
        args = [digest, repr(until), repr(time.time())]
        await self._call(lambda: self._end_session(keys=keys, args=args))

    async def since(self, cursor: int) -> tuple[list[tuple[str, float]], int]:
        async def read() -> tuple[Any, Any]:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.get(self.prefix + "ended:seq")
                pipe.zrangebyscore(self.prefix + "ended", f"({cursor}", "+inf")
                return tuple(await pipe.execute())

        newest_raw, members = await self._call(read)
        newest = int(newest_raw or 0)
        if newest < cursor:  # Redis lost its data (restarted without persistence): start over
            return await self.since(0)
        now = time.time()
        out: list[tuple[str, float]] = []
        for member in members:
            _, digest, until = member.decode().split(" ")
            if float(until) >= now:
                out.append((digest, float(until)))
        return out, newest

    def watch_ended(self, heard: Callable[[str, float], None]) -> None:
        """Call `heard(digest, until)` for each session ended anywhere, as it is announced
        (while the key-change listener is subscribed; the cursor reads cover the rest)."""
        self._ended_watchers.append(heard)

    # --- usage counters (a `UsageCounter`) -------------------------------------------------

    async def reserve(self, charges: Sequence[Charge], ask: Ask) -> Admission:
        return await self._usage.reserve(charges, ask)

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        await self._usage.settle(settlements)

    async def renew(self, tickets: Sequence[Ticket], lease_s: float) -> None:
        await self._usage.renew(tickets, lease_s)

    async def read(self, charges: Sequence[Charge]) -> tuple[SubjectUsage, ...]:
        return await self._usage.read(charges)

    # --- API-key cache invalidation ----------------------------------------------------

    def publish_key_change(self, key_id: str) -> None:
        """Tell every replica to drop its cached record of `key_id` (the write itself is
        already durable). Called off the event loop (the key store's writes run in a thread);
        if Redis does not take it, it is announced again once the listener is back."""
        if not publish_key_change(self.url, key_id, self.prefix):
            self._unannounced.add(key_id)

    def listen_for_key_changes(
        self, forget: Callable[[str], None], heard: Callable[[bool], None]
    ) -> None:
        """Start dropping cached key records as other replicas change them; `heard(False)`
        until subscribed (and whenever the subscription is lost), `heard(True)` once it is."""
        if self._listener is None:
            heard(False)
            self._listener = asyncio.get_running_loop().create_task(
                self._listen(forget, heard), name="mcproute-key-changes"
            )

    def _tell_ended(self, data: bytes) -> None:
        """An ended session's announcement to the watchers; one that fails (or a malformed
        message) is logged, never the end of the listener that keeps the key caches true."""
        try:
            digest, _, until = data.decode().partition(" ")
            for watcher in self._ended_watchers:
                watcher(digest, float(until))
        except Exception:
            log.exception("redis: an ended-session announcement could not be applied")

    async def _announce_missed(self) -> None:
        """Publish the key changes whose first announcement failed."""
        while self._unannounced:
            key_id = self._unannounced.pop()
            try:
                await self.client.publish(keys_channel(self.prefix), key_id)
            except (redis.RedisError, OSError):
                self._unannounced.add(key_id)
                raise

    @staticmethod
    async def _next_message(pubsub: Any) -> dict[str, Any]:
        """The subscription's next message. Quiet for `PING_S`, it pings Redis, whose answer
        arrives as a message; none within `TIMEOUT_S` means Redis hangs (or the network does),
        which a connection that stays open would never say: raised as a lost connection."""
        message = await pubsub.get_message(timeout=PING_S)
        if message is None:
            await pubsub.ping()
            message = await pubsub.get_message(timeout=TIMEOUT_S)
            if message is None:
                raise redis.ConnectionError("no answer to PING")
        found: dict[str, Any] = message
        return found

    async def _listen(self, forget: Callable[[str], None], heard: Callable[[bool], None]) -> None:
        await self.learn_nonce_epoch()
        backoff = ExponentialBackoff(cap=BACKOFF_CAP_S, base=0.05)
        failures = 0
        while True:
            try:
                async with self.client.pubsub() as pubsub:
                    channels = (keys_channel(self.prefix), ended_channel(self.prefix))
                    await pubsub.subscribe(*channels)
                    confirmed = 0
                    while confirmed < len(channels):  # trusted once Redis confirms both
                        if (await self._next_message(pubsub)).get("type") == "subscribe":
                            confirmed += 1
                    if failures:
                        log.info("redis %s: listening for key changes again", redact_url(self.url))
                    heard(True)  # changes made while we were away went unheard: start over
                    failures = 0
                    await self._announce_missed()
                    ended = ended_channel(self.prefix).encode()
                    while True:
                        message = await self._next_message(pubsub)
                        if message.get("type") != "message":
                            continue
                        if message["channel"] != ended:
                            forget(message["data"].decode())
                            continue
                        self._tell_ended(message["data"])
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                failures += 1
                self.reachable = False
                heard(False)
                if failures == 1:
                    log.warning(
                        "redis %s: key-change listener lost (%s); reconnecting, and reading"
                        " every key from the database meanwhile",
                        redact_url(self.url),
                        type(exc).__name__,
                    )
                await asyncio.sleep(backoff.compute(failures))

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self.client.aclose()


def publish_key_change(url: str, key_id: str, prefix: str = PREFIX) -> bool:
    """`RedisState.publish_key_change` for a short-lived process (`mcproute keys revoke`):
    whether Redis took the announcement."""
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        client.publish(keys_channel(prefix), key_id)
        return True
    except (redis.RedisError, OSError) as exc:
        log.error(
            "redis %s: key change of %s not published (%s); replicas see it within their key"
            " cache time",
            redact_url(url),
            key_id,
            type(exc).__name__,
        )
        return False
    finally:
        client.close()
