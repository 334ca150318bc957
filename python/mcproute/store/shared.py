"""What the workers and replicas of one deployment share, chosen from the environment and the
configuration: PostgreSQL for what must last when `MCPROUTE_DATABASE_URL` (or
`mcp.store.database_url`) names one, Redis for what is hot when `MCPROUTE_REDIS_URL` (or
`mcp.store.redis_url`) does; else the data directory's SQLite, which serves one host's workers.

| state                 | with Redis               | without                          |
| --------------------- | ------------------------ | -------------------------------- |
| RFC 9421 nonces       | `SET NX PX`              | `SqliteNonces` (one host)        |
| ended MCP sessions    | sorted sets + a cursor   | `SqliteEndedSessions` (one host) |
| API-key cache         | dropped on pub/sub       | expires after its cache time     |
| key, tenant and       | one Lua script per admit | `SqliteUsage` (one host)         |
| deployment limits     | and one per settlement   |                                  |
| dashboard snapshots   | `proxy.redis_snapshots`  | `workers.db` (one host)          |

Every Redis key of one installation carries its namespace (`redis_namespace`): the
installation's id in PostgreSQL by default, so installations sharing a Redis never share a
window, a nonce, a session, a snapshot or an invalidation.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcproute._core import Keyring, hmac_sha256
from mcproute.config import REDIS_NAMESPACE, REDIS_NAMESPACE_RULE, StoreSettings
from mcproute.governance.counters import UsageCounter
from mcproute.redact import redact_url
from mcproute.store.database import Database, PostgresDatabase, SqliteDatabase
from mcproute.store.datadir import DataDir
from mcproute.store.migrations import migrate
from mcproute.store.nonces import NonceStore, SqliteNonces
from mcproute.store.sqlite_contexts import item_ad
from mcproute.store.sqlite_keys import SqliteApiKeyStore
from mcproute.store.sqlite_sessions import SqliteEndedSessions
from mcproute.store.usage_sqlite import SqliteUsage

if TYPE_CHECKING:  # the Redis client is loaded only when Redis is configured
    from mcproute.protocol.server.session_tokens import EndedSessions
    from mcproute.store.redis_state import RedisState

REDIS_URL_VAR = "MCPROUTE_REDIS_URL"
REDIS_NAMESPACE_VAR = "MCPROUTE_REDIS_NAMESPACE"
DATABASE_URL_VAR = "MCPROUTE_DATABASE_URL"


DATABASE_SCHEMES = ("postgres://", "postgresql://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _checked_url(url: str | None, where: str, schemes: tuple[str, ...]) -> str | None:
    """`url` if it has one of `schemes`; else a ValueError that names where it came from and
    shows the URL redacted (the drivers' own parse errors would quote its password)."""
    if url is not None and not url.startswith(schemes):
        expected = " or ".join(schemes)
        raise ValueError(f"{where}: expected a {expected} URL, got {redact_url(url)!r}")
    return url


def database_url(
    settings: StoreSettings | None = None, env: Mapping[str, str] = os.environ
) -> str | None:
    """The PostgreSQL for durable state: the variable wins over the configuration. Raises
    ValueError for a URL that is not PostgreSQL's."""
    if found := env.get(DATABASE_URL_VAR):
        return _checked_url(found, DATABASE_URL_VAR, DATABASE_SCHEMES)
    configured = settings.database_url.reveal() if settings and settings.database_url else None
    return _checked_url(configured or None, "mcp.store.database_url", DATABASE_SCHEMES)


def open_database(url: str | None, data_dir: DataDir) -> Database:
    """PostgreSQL, migrated to this version's schema, when `url` is set; else the data
    directory's SQLite."""
    if url is None:
        return SqliteDatabase(data_dir)
    migrate(_checked_url(url, DATABASE_URL_VAR, DATABASE_SCHEMES) or url)
    return PostgresDatabase(url)


PEPPER_CHECK_LABEL = b"mcproute pepper check\x00"


def check_pepper(database: Database, pepper: bytes) -> None:
    """Refuse a pepper other than the one the database's first replica used: API keys hash
    under it, so a replica with another pepper would refuse every key made elsewhere. What is
    stored is an HMAC of a fixed label under the pepper, which tells nothing of the pepper."""
    if database.kind != "postgres":
        return  # the pepper file lives beside the data directory's database
    mark = hmac_sha256(pepper, PEPPER_CHECK_LABEL)
    conn = database.connect()
    try:
        conn.execute(
            "INSERT INTO deployment_checks (name, value) VALUES ('pepper', ?)"
            " ON CONFLICT (name) DO NOTHING",
            (mark,),
        )
        row = conn.execute("SELECT value FROM deployment_checks WHERE name = 'pepper'").fetchone()
    finally:
        conn.close()
    if row is None or not hmac.compare_digest(bytes(row[0]), mark):
        raise RuntimeError(
            "pepper: this replica's API-key pepper is not the one the database's keys were made"
            " with; give every replica the same MCPROUTE_PEPPER"
        )


def check_keyring(database: Database, keyring: Keyring) -> None:
    """Refuse a keyring that cannot open what the database holds: replicas must share one
    keyring (`MCPROUTE_KEYRING`), and a replica started with another would write contexts
    the others cannot read, and fail to read theirs. Every key id that still seals a context
    item must be in the keyring and open one of its items (the same id with other key
    material is the same problem)."""
    if database.kind != "postgres":
        return  # the data directory holds its own keyring file beside its database
    have = {entry[0] for entry in keyring.keys()}  # noqa: SIM118 (a list, not a dict)
    conn = database.connect()
    try:
        # Every encryption is counted under its key id, so no other id can seal anything.
        used = sorted({int(row[0]) for row in conn.execute("SELECT key_id FROM keyring_usage")})
        samples = {key_id: _sealed_sample(conn, key_id) for key_id in used}
    finally:
        conn.close()
    sealing = {key_id: row for key_id, row in samples.items() if row is not None}
    missing = sorted(set(sealing) - have)
    other = sorted(k for k in set(sealing) & have if not _opens(keyring, sealing[k]))
    if missing or other:
        problems = []
        if missing:
            ids = ", ".join(map(str, missing))
            problems.append(f"key id(s) {ids} seal the database's contexts but are not in it")
        if other:
            ids = ", ".join(map(str, other))
            problems.append(f"key id(s) {ids} are in it with other key material")
        raise RuntimeError(
            f"keyring: this replica's keyring ({', '.join(map(str, sorted(have)))}) cannot open"
            f" what the database holds: {'; '.join(problems)}. Give every replica the same"
            " MCPROUTE_KEYRING"
        )


def _sealed_sample(conn: Any, key_id: int) -> tuple[str, str, bytes] | None:
    """One ciphertext sealed under `key_id` with its tenant and associated context id (the
    ciphertext's first five bytes are the version and the key id), or None once re-encryption
    moved them all to newer keys. Runs once at start; an id no longer sealing anything costs
    a scan."""
    header = b"\x01" + key_id.to_bytes(4, "big")
    row = conn.execute(
        "SELECT tenant, context_id, seq, body FROM context_items"
        " WHERE substring(body from 1 for 5) = ? LIMIT 1",
        (header,),
    ).fetchone()
    if row is not None:
        return row[0], item_ad(row[1], int(row[2])), bytes(row[3])
    row = conn.execute(
        "SELECT tenant, id, meta FROM contexts WHERE substring(meta from 1 for 5) = ? LIMIT 1",
        (header,),
    ).fetchone()
    return None if row is None else (row[0], f"{row[1]}#meta", bytes(row[2]))


def _opens(keyring: Keyring, sample: tuple[str, str, bytes]) -> bool:
    tenant, associated, body = sample
    try:
        keyring.decrypt(body, tenant, associated)
    except ValueError:
        return False
    return True


def redis_url(
    settings: StoreSettings | None = None, env: Mapping[str, str] = os.environ
) -> str | None:
    """The Redis to share hot state through: the variable wins over the configuration.
    Raises ValueError for a URL that is not Redis's."""
    if found := env.get(REDIS_URL_VAR):
        return _checked_url(found, REDIS_URL_VAR, REDIS_SCHEMES)
    configured = settings.redis_url.reveal() if settings and settings.redis_url else None
    return _checked_url(configured or None, "mcp.store.redis_url", REDIS_SCHEMES)


def installation_id(database: Database) -> str | None:
    """PostgreSQL's id of this installation, made by the first replica that asks and the same
    for every replica on the database (None on the data directory's SQLite)."""
    if database.kind != "postgres":
        return None
    conn = database.connect()
    try:
        conn.execute(
            "INSERT INTO deployment_checks (name, value) VALUES ('installation', ?)"
            " ON CONFLICT (name) DO NOTHING",
            (secrets.token_bytes(8),),
        )
        row = conn.execute(
            "SELECT value FROM deployment_checks WHERE name = 'installation'"
        ).fetchone()
    finally:
        conn.close()
    return bytes(row[0]).hex()


def redis_namespace(
    settings: StoreSettings | None,
    database: Database | None,
    env: Mapping[str, str] = os.environ,
) -> str:
    """The namespace of this installation's Redis keys: `MCPROUTE_REDIS_NAMESPACE`, else
    `mcp.store.redis_namespace`, else the PostgreSQL installation's id; without any of them
    the bare `mcproute:` prefix (one installation per Redis)."""
    chosen = env.get(REDIS_NAMESPACE_VAR) or (settings.redis_namespace if settings else None)
    if chosen:
        if not REDIS_NAMESPACE.fullmatch(chosen):
            raise ValueError(f"{REDIS_NAMESPACE_VAR}: {REDIS_NAMESPACE_RULE}, got {chosen!r}")
        return chosen
    found = installation_id(database) if database is not None else None
    return found or ""


@dataclass
class SharedState:
    nonces: NonceStore
    ended: EndedSessions
    counter: UsageCounter
    redis: RedisState | None = None
    database: PostgresDatabase | None = None
    _sqlite: list[SqliteNonces | SqliteEndedSessions | SqliteUsage] = field(default_factory=list)

    def start(self, keys: SqliteApiKeyStore) -> None:
        """Start listening (inside the event loop): key changes made elsewhere reach `keys`."""
        if self.redis is not None:
            keys.on_change = self.redis.publish_key_change
            self.redis.listen_for_key_changes(keys.forget, keys.heard)

    async def readiness(self) -> dict[str, str]:
        """Each shared store's state, for /readyz ("ok" or "unreachable")."""
        states: dict[str, str] = {}
        if self.database is not None:
            up = await asyncio.to_thread(self.database.ping)
            states["postgres"] = "ok" if up else "unreachable"
        if self.redis is not None:
            states["redis"] = "ok" if await self.redis.ping() else "unreachable"
        return states

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()
        for store in self._sqlite:
            store.close()


def open_shared(
    data_dir: DataDir,
    settings: StoreSettings,
    database: Database | None = None,
    env: Mapping[str, str] = os.environ,
) -> SharedState:
    postgres = database if isinstance(database, PostgresDatabase) else None
    url = redis_url(settings, env)
    if url is not None:
        from mcproute.store.redis_state import RedisState

        state = RedisState(url, redis_namespace(settings, postgres, env))
        return SharedState(nonces=state, ended=state, counter=state, redis=state, database=postgres)
    nonces, ended = SqliteNonces(data_dir), SqliteEndedSessions(data_dir)
    counter = SqliteUsage(data_dir)
    return SharedState(
        nonces=nonces,
        ended=ended,
        counter=counter,
        database=postgres,
        _sqlite=[nonces, ended, counter],
    )
