"""API key lifecycle: issue, verify (scopes, expiry, revocation), rotate with a grace period.

The key format, checksum and peppered hash live in the core (`ApiKeyHasher`); records live in
an `ApiKeyStore`. The in-memory store here serves one process; persistent stores implement the
same methods (`mcproute.store`). The request path uses the `a`-prefixed methods, which read the
store off the event loop (`ApiKeyStore.load`); the synchronous ones serve the command line.
"""

from __future__ import annotations

import base64
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from mcproute._core import (
    ApiKeyError,
    ApiKeyHasher,
    hmac_sha256,
    parse_api_key,
)
from mcproute.governance.limits import NO_LIMITS, Limits
from mcproute.security.errors import with_reason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiKeyRecord:
    """What the store keeps about a key: never the key itself, only its peppered hash."""

    key_id: str
    env: str
    secret_hash: bytes = field(repr=False)
    scopes: frozenset[str] = frozenset()
    created_at: float = 0.0
    expires_at: float | None = None
    revoked: bool = False
    replaced_by: str | None = None
    require_signature: bool = False  # requests must also carry an RFC 9421 signature
    name: str | None = None  # a label for people (listings, the dashboard); never a secret
    limits: Limits = NO_LIMITS  # rpm, tpm, requests in flight, budget (`governance.limits`)


ROTATION_DUE_SHARE = 0.9  # a key is "rotation due" in the last tenth of its maximum age


def too_old(record: ApiKeyRecord, now: float, max_age: float | None) -> bool:
    """Past the maximum key age. A key already rotated is not: its grace period rules it."""
    return max_age is not None and record.replaced_by is None and now - record.created_at >= max_age


def key_state(record: ApiKeyRecord, now: float, max_age: float | None = None) -> str:
    """`revoked`, `expired`, `too_old` (past the maximum key age: refused until rotated),
    `rotation_due` (in the last tenth of that age) or `active`, as listings show it."""
    if record.revoked:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    if too_old(record, now, max_age):
        return "too_old"
    if too_old(record, now, None if max_age is None else max_age * ROTATION_DUE_SHARE):
        return "rotation_due"
    return "active"


def rotate_by(record: ApiKeyRecord, max_age: float | None) -> float | None:
    """When the key stops working unless rotated (None: it does not age out)."""
    if max_age is None or record.replaced_by is not None:
        return None
    return record.created_at + max_age


SIGNING_LABEL = b"mcproute rfc9421 signing key\x00"
SESSION_LABEL = b"mcproute browser session\x00"
DUMMY_LABEL = b"mcproute unknown key id\x00"


class ApiKeyStore(Protocol):
    def get(self, key_id: str) -> ApiKeyRecord | None: ...

    def put(self, record: ApiKeyRecord) -> None: ...

    async def load(self, key_id: str) -> ApiKeyRecord | None:
        """`get` for the event loop: never blocks it on a disk or a network."""
        ...

    def load_now(self, key_id: str) -> tuple[float, ApiKeyRecord | None] | None:
        """`load` without a coroutine: (when read, the record or None) if the store can
        answer at once (a fresh cached entry), else None (await `load`)."""
        ...


class MemoryApiKeyStore:
    """A thread-safe in-memory store for a single process."""

    def __init__(self) -> None:
        self._records: dict[str, ApiKeyRecord] = {}
        self._lock = threading.Lock()

    def get(self, key_id: str) -> ApiKeyRecord | None:
        with self._lock:
            return self._records.get(key_id)

    def put(self, record: ApiKeyRecord) -> None:
        with self._lock:
            self._records[record.key_id] = record

    async def load(self, key_id: str) -> ApiKeyRecord | None:
        return self.get(key_id)

    def load_now(self, key_id: str) -> tuple[float, ApiKeyRecord | None] | None:
        return (0.0, self.get(key_id))


class ApiKeyManager:
    """Issues and checks API keys against a store, under a server-side pepper."""

    def __init__(
        self,
        pepper: bytes,
        store: ApiKeyStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_age: float | None = None,
    ) -> None:
        if max_age is not None and max_age <= 0:
            raise ValueError("max_age: must be positive seconds")
        self.max_age = max_age  # seconds a key works before it must be rotated (None: no limit)
        self._too_old_logged: set[str] = set()
        self._hasher = ApiKeyHasher(pepper)
        self._signing_root = hmac_sha256(pepper, SIGNING_LABEL)
        self._session_key = hmac_sha256(pepper, SESSION_LABEL)
        # What an unknown key id is checked against: no secret hashes to it (HMAC preimage).
        self._dummy_hash = hmac_sha256(pepper, DUMMY_LABEL)
        self._store: ApiKeyStore = store if store is not None else MemoryApiKeyStore()
        self._clock = clock

    def __repr__(self) -> str:
        return f"ApiKeyManager(store={type(self._store).__name__})"

    def issue(
        self,
        env: str,
        scopes: Iterable[str] = (),
        *,
        ttl: float | None = None,
        require_signature: bool = False,
        name: str | None = None,
        limits: Limits = NO_LIMITS,
    ) -> tuple[str, ApiKeyRecord]:
        """A new key and its record. The key is returned once and never stored."""
        if ttl is not None and ttl <= 0:
            raise with_reason(ApiKeyError, "invalid_ttl", "ttl: must be positive seconds")
        key, key_id, secret_hash = self._hasher.issue(env)
        now = self._clock()
        record = ApiKeyRecord(
            key_id=key_id,
            env=env,
            secret_hash=secret_hash,
            scopes=frozenset(scopes),
            created_at=now,
            expires_at=None if ttl is None else now + ttl,
            require_signature=require_signature,
            name=name,
            limits=limits,
        )
        self._store.put(record)
        return key, record

    def verify(self, key: str, scope: str | None = None) -> ApiKeyRecord:
        """The record of a valid key; raises `ApiKeyError` with a `reason` otherwise.

        The reason is precise (`malformed`, `bad_checksum`, `unknown_key`, `mismatch`,
        `env_mismatch`, `revoked`, `expired`, `too_old`, `scope_denied`) for the server's log;
        a caller is told only that the key is invalid. The same work is done whether or not the
        key id exists: an unknown id is checked against a dummy record, one peppered hash either
        way.
        """
        # Format and checksum first: a mistyped key never reaches the store.
        env, key_id = parse_api_key(key)
        return self._checked(key, env, self._store.get(key_id), scope)

    async def averify(self, key: str, scope: str | None = None) -> ApiKeyRecord:
        """`verify` for the event loop: the store is read off the loop."""
        env, key_id = parse_api_key(key)
        return self._checked(key, env, await self._store.load(key_id), scope)

    def verify_now(self, key: str) -> ApiKeyRecord | None:
        """`averify` without a coroutine when the store answers at once (the key's record is
        cached); None: await `averify`. Raises `ApiKeyError` as `verify` does."""
        env, key_id = parse_api_key(key)
        cached = self._store.load_now(key_id)
        if cached is None:
            return None
        return self._checked(key, env, cached[1], None)

    def _checked(
        self, key: str, env: str, record: ApiKeyRecord | None, scope: str | None
    ) -> ApiKeyRecord:
        # Constant-time hash comparison, and the label must be the one the key was issued with.
        # Both paths run the same calls and raise the same way, so they take the same time.
        stored = (env, self._dummy_hash) if record is None else (record.env, record.secret_hash)
        try:
            self._hasher.verify(key, *stored)
        except ApiKeyError as exc:
            reason = "unknown_key" if record is None else exc.reason
            raise with_reason(ApiKeyError, reason, "api key: not recognised") from None
        if record is None:  # unreachable: no secret hashes to the dummy hash
            raise with_reason(ApiKeyError, "unknown_key", "api key: not recognised")
        self._usable(record)
        if scope is not None and scope not in record.scopes:
            raise with_reason(ApiKeyError, "scope_denied", f"api key: scope {scope!r} not granted")
        return record

    def active(self, key_id: str) -> ApiKeyRecord:
        """The record of a key that may be used now (for sessions that outlive the request
        that presented the key itself); raises `ApiKeyError` with a `reason` otherwise."""
        return self._usable(self._require(key_id))

    def _usable(self, record: ApiKeyRecord) -> ApiKeyRecord:
        if record.revoked:
            raise with_reason(ApiKeyError, "revoked", "api key: revoked")
        now = self._clock()
        if record.expires_at is not None and now >= record.expires_at:
            raise with_reason(ApiKeyError, "expired", "api key: expired")
        if too_old(record, now, self.max_age):
            if record.key_id not in self._too_old_logged:  # once per key, not per request
                self._too_old_logged.add(record.key_id)
                log.warning(
                    "api key %s refused: older than the maximum key age (%g days); rotate it",
                    record.key_id,
                    (self.max_age or 0) / 86400,
                )
            raise with_reason(ApiKeyError, "too_old", "api key: past the maximum key age")
        return record

    def rotate(self, key_id: str, *, grace: float) -> tuple[str, ApiKeyRecord]:
        """A replacement key with the same env, scopes and lifetime; the old key keeps working
        for `grace` seconds (never beyond its own expiry), so clients can switch over."""
        if grace < 0:
            raise with_reason(ApiKeyError, "invalid_grace", "grace: must be >= 0 seconds")
        old = self._require(key_id)
        ttl = None if old.expires_at is None else old.expires_at - old.created_at
        key, new = self.issue(
            old.env,
            old.scopes,
            ttl=ttl,
            require_signature=old.require_signature,
            name=old.name,
            limits=old.limits,
        )
        deadline = self._clock() + grace
        if old.expires_at is not None:
            deadline = min(deadline, old.expires_at)
        self._store.put(replace(old, expires_at=deadline, replaced_by=new.key_id))
        return key, new

    def signing_secret(self, key_id: str) -> bytes:
        """The HMAC key for RFC 9421 signatures made with API key `key_id`: derived from the
        pepper, so nothing more is stored; a rotated API key gets a new one with its new id."""
        return hmac_sha256(self._signing_root, key_id.encode())

    def _session_mac(self, payload: str) -> str:
        mac = base64.urlsafe_b64encode(hmac_sha256(self._session_key, payload.encode()))
        return mac.decode().rstrip("=")

    def session_token(self, key_id: str, ttl: float) -> str:
        """A browser session for an already verified key: `<key id>.<expiry>.<mac>`. It holds
        no secret, and the key's revocation or expiry ends it (checked on every use)."""
        payload = f"{key_id}.{int(self._clock() + ttl)}"
        return f"{payload}.{self._session_mac(payload)}"

    def _session_key_id(self, token: str) -> str:
        """The key id of a session token exactly as issued and not expired; raises otherwise.
        The MAC is compared as its canonical text, so padding or another encoding of the same
        bytes is a different, invalid token."""
        parts = token.split(".")
        if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()):
            raise with_reason(ApiKeyError, "invalid_session", "session: malformed")
        key_id, expires, mac = parts
        expected = self._session_mac(f"{key_id}.{expires}")
        if not (mac.isascii() and hmac.compare_digest(expected, mac)):
            raise with_reason(ApiKeyError, "invalid_session", "session: not ours")
        if self._clock() >= int(expires):
            raise with_reason(ApiKeyError, "expired", "session: expired")
        return key_id

    def session_record(self, token: str) -> ApiKeyRecord:
        """The active key behind a session token; raises `ApiKeyError` otherwise."""
        return self.active(self._session_key_id(token))

    async def asession_record(self, token: str) -> ApiKeyRecord:
        """`session_record` for the event loop: the store is read off the loop."""
        key_id = self._session_key_id(token)
        return self._usable(self._found(key_id, await self._store.load(key_id)))

    def set_limits(self, key_id: str, changes: Mapping[str, Any]) -> ApiKeyRecord:
        """The key's record with its limits changed (`governance.limits.parse_fields`: a
        field set to None drops that limit); raises `LimitError` for a bad value."""
        record = self._require(key_id)
        updated = replace(record, limits=record.limits.updated(changes))
        self._store.put(updated)
        return updated

    def revoke(self, key_id: str) -> None:
        self._store.put(replace(self._require(key_id), revoked=True))

    def _require(self, key_id: str) -> ApiKeyRecord:
        return self._found(key_id, self._store.get(key_id))

    @staticmethod
    def _found(key_id: str, record: ApiKeyRecord | None) -> ApiKeyRecord:
        if record is None:
            raise with_reason(ApiKeyError, "unknown_key", f"key_id: {key_id!r} is not in the store")
        return record
