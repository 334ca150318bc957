"""Legacy MCP sessions carried in their own `Mcp-Session-Id`, so any replica serves any session.

The id is an AES-256-GCM ciphertext (under the same keyring as shared contexts, with its own
associated data) of what `initialize` settled: the negotiated version, the client's info and
capabilities, and whatever the server chose to carry (the gateway: its upstream sessions for this
client). A replica that has not seen a session opens the token instead of answering 404, and
replicas need share nothing but the keyring. Key rotation works as for contexts: tokens sealed
under a retired key open while the key stays in the keyring.

A token is also bound to the principal that opened it (the proxy: the API key's tenant and id):
it opens only for that principal, so another caller presenting it gets the same 404 as for an
id that never existed, on every replica, with no lookup. Tokens are canonical: the id is
unpadded base64url exactly as sealed, and any other spelling of the same bytes (padding, stray
characters, non-zero trailing bits) is not a token at all.

A token expires `ttl_s` after `initialize` (the client then gets 404 and initializes again, as
the transport specifies). What changes during a session (log level, subscriptions) lives where
the request lands; the gateway keeps it upstream, in the upstream sessions the token names.

A session the client ended (DELETE) is recorded in `ended` (an `EndedSessions` the replicas
share, such as the data directory's SQLite) until its token would have expired; each replica
reads what was added there at most every `recheck_s` (1 s), so an ended session stops working
everywhere within that delay without a store lookup per request; a store that announces ends
as they happen (Redis) hands them to `heard_ended`, which ends them at once. A read that fails
raises to the request (the proxy answers 503), and so does every request after it until a read
succeeds: a session is never served on a list older than that delay.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from mcproute._core import Keyring, KeyringError
from mcproute.protocol import b64url
from mcproute.protocol.server.context import Session

PREFIX = "mcpr1."
TENANT = "mcp-session"  # associated data: a session token never opens as a context, or back
DEFAULT_TTL_S = 24 * 3600
RECHECK_S = 1.0
PRUNE_S = 60.0  # how often expired entries leave the ended list held here


class EndedSessions(Protocol):
    """Where replicas record the sessions clients ended, each until its token expires."""

    async def end(self, digest: str, until: float) -> None: ...

    async def since(self, cursor: int) -> tuple[list[tuple[str, float]], int]:
        """(digest, until) of the sessions ended after `cursor`, and the cursor to ask from
        next time (0 asks for all that are still unexpired)."""
        ...


def digest(token: str) -> str:
    """What the ended list keeps of a token: enough to recognise it, useless as a session id.
    Only a canonical token opens, so the string is the token's one name."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class SessionTokens:
    """Seal a session into its id; open an id back into a session (None if it is not ours,
    tampered with, sealed under a key we no longer have, or expired)."""

    def __init__(
        self,
        keyring: Callable[[], Keyring],
        *,
        audience: str = "mcproute",
        ttl_s: float = DEFAULT_TTL_S,
        reload: Callable[[], Keyring] | None = None,
        ended: EndedSessions | None = None,
        recheck_s: float = RECHECK_S,
    ) -> None:
        self._keyring = keyring
        self._reload = reload
        self.audience = audience  # binds tokens to one deployment's servers
        self.ttl_s = ttl_s
        self._ended_store = ended
        self._recheck_s = recheck_s
        self._ended: dict[str, float] = {}  # digest -> until, as last read
        self._cursor = 0
        self._checked = self._pruned = float("-inf")
        self._reading: asyncio.Future[None] | None = None  # the read in flight, shared

    def seal(self, session: Session) -> str:
        payload = {
            "v": session.version,
            "ci": session.client_info,
            "cc": session.client_capabilities,
            "c": session.carry,
            "p": session.principal,
            "exp": int(time.time() + self.ttl_s),
        }
        sealed = self._keyring().encrypt(orjson.dumps(payload), TENANT, self.audience)
        return PREFIX + b64url.encode(sealed)

    def open(self, token: str, principal: str | None = None) -> Session | None:
        """The session `token` carries, if it was opened by `principal`."""
        payload = self._payload(token)
        if payload is None or payload.get("p") != principal:
            return None
        return Session(
            id=token,
            version=payload["v"],
            initialized=True,
            client_info=payload["ci"],
            client_capabilities=payload["cc"],
            carry=payload["c"],
            principal=principal,
        )

    def _payload(self, token: str) -> dict[str, Any] | None:
        if not token.startswith(PREFIX):
            return None
        sealed = b64url.decode(token[len(PREFIX) :])
        if sealed is None:
            return None
        plain = self._decrypt(sealed)
        if plain is None:
            return None
        payload: dict[str, Any] = orjson.loads(plain)
        if payload["exp"] < time.time() or not isinstance(payload["v"], str):
            return None
        return payload

    async def end(self, token: str) -> None:
        """The client ended this session: no replica serves it from now on."""
        if self._ended_store is None:
            return
        payload = self._payload(token)
        if payload is None:
            return  # expired or not ours: nothing to end
        self._ended[digest(token)] = payload["exp"]
        await self._ended_store.end(digest(token), payload["exp"])

    def heard_ended(self, digest: str, until: float) -> None:
        """A session ended elsewhere, as its store announced it (sooner than the next read)."""
        self._ended[digest] = until

    async def ended(self, token: str) -> bool:
        """Whether a client ended this session, here or on another replica."""
        if self._ended_store is None:
            return False
        now = time.monotonic()
        if now - self._checked >= self._recheck_s:
            # One read at a time, awaited by every request that finds the list due: while it
            # runs none is served on the old list, and if it fails they all fail closed.
            reading = self._reading
            if reading is None:
                reading = self._reading = asyncio.ensure_future(self._read(now))
            await asyncio.shield(reading)
        return digest(token) in self._ended

    async def _read(self, now: float) -> None:
        assert self._ended_store is not None
        try:
            added, self._cursor = await self._ended_store.since(self._cursor)
        finally:
            self._reading = None  # unread: the next request asks again
        self._checked = now
        self._ended.update(added)
        if now - self._pruned >= PRUNE_S:
            self._pruned, wall = now, time.time()
            self._ended = {d: until for d, until in self._ended.items() if until >= wall}

    def _decrypt(self, sealed: bytes) -> bytes | None:
        for keyring in (self._keyring, self._reload):
            if keyring is None:
                continue
            try:
                return keyring().decrypt(sealed, TENANT, self.audience)
            except (KeyringError, ValueError):
                continue  # perhaps a key another process added since: reload once
        return None
