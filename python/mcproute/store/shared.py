"""What the workers and replicas of one deployment share, chosen from the environment and the
configuration: Redis when `MCPROUTE_REDIS_URL` (or `mcp.store.redis_url`) names one, else the
data directory's SQLite, which serves the workers of one host.

| state                 | with Redis               | without                          |
| --------------------- | ------------------------ | -------------------------------- |
| RFC 9421 nonces       | `SET NX PX`              | `SqliteNonces` (one host)        |
| ended MCP sessions    | sorted sets + a cursor   | `SqliteEndedSessions` (one host) |
| API-key cache         | dropped on pub/sub       | expires after its cache time     |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from mcproute.config import StoreSettings
from mcproute.protocol.session_tokens import EndedSessions
from mcproute.store.datadir import DataDir
from mcproute.store.nonces import NonceStore, SqliteNonces
from mcproute.store.redis_state import RedisState
from mcproute.store.sqlite_keys import SqliteApiKeyStore
from mcproute.store.sqlite_sessions import SqliteEndedSessions

REDIS_URL_VAR = "MCPROUTE_REDIS_URL"


def redis_url(settings: StoreSettings, env: Mapping[str, str] = os.environ) -> str | None:
    """The Redis to share hot state through: the variable wins over the configuration."""
    url = env.get(REDIS_URL_VAR) or (settings.redis_url.reveal() if settings.redis_url else None)
    return url or None


@dataclass
class SharedState:
    nonces: NonceStore
    ended: EndedSessions
    redis: RedisState | None = None
    _sqlite: list[SqliteNonces | SqliteEndedSessions] = field(default_factory=list)

    def start(self, keys: SqliteApiKeyStore) -> None:
        """Start listening (inside the event loop): key changes made elsewhere reach `keys`."""
        if self.redis is not None:
            keys.on_change = self.redis.publish_key_change
            self.redis.listen_for_key_changes(keys.forget, keys.forget_all)

    async def readiness(self) -> dict[str, str]:
        """Each shared store's state, for /readyz ("ok" or "unreachable")."""
        if self.redis is None:
            return {}
        return {"redis": "ok" if await self.redis.ping() else "unreachable"}

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()
        for store in self._sqlite:
            store.close()


def open_shared(
    data_dir: DataDir, settings: StoreSettings, env: Mapping[str, str] = os.environ
) -> SharedState:
    url = redis_url(settings, env)
    if url is not None:
        state = RedisState(url)
        return SharedState(nonces=state, ended=state, redis=state)
    nonces, ended = SqliteNonces(data_dir), SqliteEndedSessions(data_dir)
    return SharedState(nonces=nonces, ended=ended, _sqlite=[nonces, ended])
