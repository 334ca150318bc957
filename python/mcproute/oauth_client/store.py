"""Where grants are kept between requests and processes: a `TokenStore` maps a key (a server,
or a gateway user's link to one upstream) to one JSON record: the issuer, the registered client,
the tokens and the DPoP key. Records hold secrets, so a store must keep them as such:
`MemoryTokenStore` for one process, `SealedTokenStore` encrypts them with the keyring before
they reach a backing store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import orjson

from mcproute._core import Keyring

Json = dict[str, Any]


class TokenStore(Protocol):
    async def load(self, key: str) -> Json | None: ...
    async def save(self, key: str, record: Json) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def take(self, key: str) -> Json | None:
        """Load and delete in one step: of concurrent takers, one gets the record."""
        ...


class MemoryTokenStore:
    """Grants of this process only."""

    def __init__(self) -> None:
        self._records: dict[str, Json] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenStore({len(self._records)} grants)"  # never the records

    async def load(self, key: str) -> Json | None:
        record = self._records.get(key)
        return dict(record) if record is not None else None

    async def save(self, key: str, record: Json) -> None:
        self._records[key] = dict(record)

    async def delete(self, key: str) -> None:
        self._records.pop(key, None)

    async def take(self, key: str) -> Json | None:
        return self._records.pop(key, None)


class BlobStore(Protocol):
    """Opaque bytes by key: what `SealedTokenStore` keeps its ciphertexts in."""

    async def get(self, key: str) -> bytes | None: ...
    async def put(self, key: str, value: bytes) -> None: ...
    async def remove(self, key: str) -> None: ...
    async def take(self, key: str) -> bytes | None:
        """Get and remove atomically (across processes, for a shared store)."""
        ...


class MemoryBlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def get(self, key: str) -> bytes | None:
        return self.blobs.get(key)

    async def put(self, key: str, value: bytes) -> None:
        self.blobs[key] = value

    async def remove(self, key: str) -> None:
        self.blobs.pop(key, None)

    async def take(self, key: str) -> bytes | None:
        return self.blobs.pop(key, None)


class SealedTokenStore:
    """Records sealed with the keyring (AES-256-GCM; the record's key is associated data, so a
    ciphertext copied under another key does not open), in any `BlobStore`. A record that no
    longer opens (its key retired) reads as absent: the user links again. `keyring` is a
    Keyring or a callable returning the current one (a data directory's rotating file)."""

    TENANT = "oauth-grant"

    def __init__(
        self, keyring: Keyring | Callable[[], Keyring], blobs: BlobStore | None = None
    ) -> None:
        self._keyring = keyring if callable(keyring) else (lambda: keyring)
        self._blobs: BlobStore = blobs if blobs is not None else MemoryBlobStore()

    def __repr__(self) -> str:
        return "SealedTokenStore()"

    async def load(self, key: str) -> Json | None:
        return self._open(key, await self._blobs.get(key))

    async def take(self, key: str) -> Json | None:
        return self._open(key, await self._blobs.take(key))

    def _open(self, key: str, sealed: bytes | None) -> Json | None:
        if sealed is None:
            return None
        try:
            plain = self._keyring().decrypt(sealed, self.TENANT, key)
        except ValueError:
            return None
        record = orjson.loads(plain)
        return record if isinstance(record, dict) else None

    async def save(self, key: str, record: Json) -> None:
        sealed = self._keyring().encrypt(orjson.dumps(record), self.TENANT, key)
        await self._blobs.put(key, sealed)

    async def delete(self, key: str) -> None:
        await self._blobs.remove(key)
