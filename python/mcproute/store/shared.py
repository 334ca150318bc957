"""What the workers and replicas of one deployment share, chosen from the environment and the
configuration: PostgreSQL for what must last when `MCPROUTE_DATABASE_URL` (or
`mcp.store.database_url`) names one, Redis for what is hot when `MCPROUTE_REDIS_URL` (or
`mcp.store.redis_url`) does; else the data directory's SQLite, which serves one host's workers.

| state                 | with Redis               | without                          |
| --------------------- | ------------------------ | -------------------------------- |
| RFC 9421 nonces       | `SET NX PX`              | `SqliteNonces` (one host)        |
| ended MCP sessions    | sorted sets + a cursor   | `SqliteEndedSessions` (one host) |
| API-key cache         | dropped on pub/sub       | expires after its cache time     |
| deployment rpm/tpm    | one Lua script per admit | `SqliteCounter` (one host)       |
| dashboard snapshots   | `proxy.redis_snapshots`  | `workers.db` (one host)          |
"""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from mcproute._core import Keyring, hmac_sha256
from mcproute.config import StoreSettings
from mcproute.models.limits import WindowCounter
from mcproute.protocol.server.session_tokens import EndedSessions
from mcproute.redact import redact_url
from mcproute.store.database import Database, PostgresDatabase, SqliteDatabase
from mcproute.store.datadir import DataDir
from mcproute.store.migrations import migrate
from mcproute.store.nonces import NonceStore, SqliteNonces
from mcproute.store.redis_state import RedisState
from mcproute.store.sqlite_keys import SqliteApiKeyStore
from mcproute.store.sqlite_sessions import SqliteEndedSessions
from mcproute.store.usage_sqlite import SqliteCounter

REDIS_URL_VAR = "MCPROUTE_REDIS_URL"
DATABASE_URL_VAR = "MCPROUTE_DATABASE_URL"


def database_url(
    settings: StoreSettings | None = None, env: Mapping[str, str] = os.environ
) -> str | None:
    """The PostgreSQL for durable state: the variable wins over the configuration."""
    configured = settings.database_url.reveal() if settings and settings.database_url else None
    return env.get(DATABASE_URL_VAR) or configured or None


def open_database(url: str | None, data_dir: DataDir) -> Database:
    """PostgreSQL, migrated to this version's schema, when `url` is set; else the data
    directory's SQLite."""
    if url is None:
        return SqliteDatabase(data_dir)
    if not url.startswith(("postgres://", "postgresql://")):
        raise ValueError(
            f"{DATABASE_URL_VAR}: expected a postgresql:// URL, got {redact_url(url)!r}"
        )
    migrate(url)
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
    the others cannot read, and fail to read theirs."""
    if database.kind != "postgres":
        return  # the data directory holds its own keyring file beside its database
    conn = database.connect()
    try:
        used = {int(row[0]) for row in conn.execute("SELECT key_id FROM keyring_usage")}
    finally:
        conn.close()
    have = {entry[0] for entry in keyring.keys()}  # noqa: SIM118 (a list, not a dict)
    if used and not used & have:
        raise RuntimeError(
            f"keyring: none of the key ids that sealed the database's contexts"
            f" ({', '.join(map(str, sorted(used)))}) is in this replica's keyring"
            f" ({', '.join(map(str, sorted(have)))}); give every replica the same"
            " MCPROUTE_KEYRING"
        )


def redis_url(
    settings: StoreSettings | None = None, env: Mapping[str, str] = os.environ
) -> str | None:
    """The Redis to share hot state through: the variable wins over the configuration."""
    configured = settings.redis_url.reveal() if settings and settings.redis_url else None
    return env.get(REDIS_URL_VAR) or configured or None


@dataclass
class SharedState:
    nonces: NonceStore
    ended: EndedSessions
    counter: WindowCounter
    redis: RedisState | None = None
    database: PostgresDatabase | None = None
    _sqlite: list[SqliteNonces | SqliteEndedSessions | SqliteCounter] = field(default_factory=list)

    def start(self, keys: SqliteApiKeyStore) -> None:
        """Start listening (inside the event loop): key changes made elsewhere reach `keys`."""
        if self.redis is not None:
            keys.on_change = self.redis.publish_key_change
            self.redis.listen_for_key_changes(keys.forget, keys.forget_all)

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
        state = RedisState(url)
        return SharedState(nonces=state, ended=state, counter=state, redis=state, database=postgres)
    nonces, ended = SqliteNonces(data_dir), SqliteEndedSessions(data_dir)
    counter = SqliteCounter(data_dir)
    return SharedState(
        nonces=nonces,
        ended=ended,
        counter=counter,
        database=postgres,
        _sqlite=[nonces, ended, counter],
    )
