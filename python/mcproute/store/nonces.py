"""The RFC 9421 replay cache shared by every worker and replica that can see the same store.

Each worker's verifier remembers the nonces it saw; that alone lets a signed request replayed
to another worker pass. A `NonceStore` closes the gap: the first use of a (key id, nonce) pair
claims it until its signature can no longer pass the time window, and every later claim fails.
Redis (`redis_state.RedisNonces`) serves replicas; `SqliteNonces` serves the workers of one
host through the data directory.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from typing import Protocol

from mcproute.store.datadir import DataDir
from mcproute.store.sqlite_tx import SqliteLane

PRUNE_S = 30.0  # how often expired nonces leave the table
# The longest a claim is asked to last: a signature's `created` may be a window (300 s,
# `proxy.auth.SIGNATURE_WINDOW_S`) ahead of now and passes for a window after it, plus a second.
LONGEST_CLAIM_S = 2 * 300.0 + 1
# After a store lost its nonces, how far ahead of the store's clock `created` may be.
AFTER_LOSS_SKEW_S = 30.0


class StoreUnavailableError(RuntimeError):
    """A shared store that a request needs cannot be reached: the request fails closed (503).
    The message names the store, never its URL's credentials."""


class NoncesLostError(Exception):
    """The store lost the nonces it held (Redis restarted without its data), and the signature
    is not provably newer than the loss: it may be a replay of one the store forgot."""


class NonceStore(Protocol):
    async def claim(
        self, key_id: str, nonce: str, ttl_s: float, created: float | None = None
    ) -> bool:
        """True on the first use of `nonce` with `key_id` within `ttl_s`, False on a replay.
        `created`: the signature's, in Unix seconds. Raises `StoreUnavailableError` when it
        cannot tell, `NoncesLostError` when it lost the nonces a replay would be found by."""
        ...


def nonce_digest(key_id: str, nonce: str) -> str:
    """What is kept of a nonce: fixed-size, whatever the client sent."""
    return hashlib.sha256(f"{key_id}\0{nonce}".encode()).hexdigest()


SCHEMA = """
CREATE TABLE IF NOT EXISTS signature_nonces (
    digest TEXT PRIMARY KEY,
    until  REAL NOT NULL
) WITHOUT ROWID
"""


class SqliteNonces:
    """A `NonceStore` in the data directory's database, shared by the workers of one host.
    A crash of the process keeps every claim (what replays across workers need); only a power
    loss may forget the last nonces, whose signatures expire within the window anyway."""

    def __init__(self, data_dir: DataDir) -> None:
        self._data_dir = data_dir
        self._lane = SqliteLane(data_dir, "nonces", SCHEMA)
        self._pruned = float("-inf")

    def __repr__(self) -> str:
        return f"SqliteNonces({self._data_dir!r})"

    def _claim(self, conn: sqlite3.Connection, digest: str, ttl_s: float) -> bool:
        now = time.time()
        if now - self._pruned >= PRUNE_S:
            conn.execute("DELETE FROM signature_nonces WHERE until < ?", (now,))
            self._pruned = now
        # A row past its time is free again (its signature cannot pass the window).
        conn.execute("DELETE FROM signature_nonces WHERE digest = ? AND until < ?", (digest, now))
        claimed = conn.execute(
            "INSERT OR IGNORE INTO signature_nonces (digest, until) VALUES (?, ?)",
            (digest, now + ttl_s),
        ).rowcount
        return claimed == 1

    async def claim(
        self, key_id: str, nonce: str, ttl_s: float, created: float | None = None
    ) -> bool:
        return await self._lane.transact(self._claim, nonce_digest(key_id, nonce), ttl_s)

    def close(self) -> None:
        self._lane.close()
