"""An authorization server's signing keys (its JWKS), fetched once, kept, and fetched again when a
token names a key id we do not hold (the server rotated) — at most once per `min_refresh_s`, so
tokens with made-up key ids cannot make us hammer the server."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mcproute.security.oauth.metadata import MetadataError, fetch_json

MAX_AGE_S = 3600.0  # keys are refetched this often even when every kid is known


class JwksCache:
    def __init__(self, url: str, min_refresh_s: float) -> None:
        self.url = url
        self.min_refresh_s = min_refresh_s
        self._keys: KeySet | None = None
        self._kids: frozenset[str | None] = frozenset()
        self._fetched = float("-inf")
        self._lock = asyncio.Lock()

    async def keys_for(self, http: aiohttp.ClientSession, kid: str | None) -> KeySet:
        """A key set holding `kid` if the server has it (after at most one refetch)."""
        now = time.monotonic()
        known = self._keys is not None and kid in self._kids and now - self._fetched < MAX_AGE_S
        if not known and (self._keys is None or now - self._fetched >= self.min_refresh_s):
            async with self._lock:
                if self._fetched < now:  # not refetched by another request meanwhile
                    await self._fetch(http)
        assert self._keys is not None
        return self._keys

    async def _fetch(self, http: aiohttp.ClientSession) -> None:
        document = await fetch_json(http, self.url)
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise MetadataError(
                f"{self.url}: not a usable JWK set ({type(exc).__name__})"
            ) from None
        self._keys = keys
        self._kids = frozenset(key.kid for key in keys.keys)
        self._fetched = time.monotonic()
