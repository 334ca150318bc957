"""Scheduled rotation of the context keyring (`security.keyring_rotation_days`).

Every worker checks at start and then every `CHECK_EVERY_S`; the one that finds the primary key
due rotates it under the keyring's lock (the others then find it fresh), waits until every
process has re-read the keyring, and re-encrypts the contexts under the new key, as
`mcproute keyring rotate` does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcproute.store.keyring_file import REFRESH_S
from mcproute.store.sqlite_contexts import SqliteContextStore

CHECK_EVERY_S = 3600.0
log = logging.getLogger(__name__)
# Records an audit event: (action, subject, **detail), as `SqliteApiKeyStore.audit` does.
Audit = Callable[..., Awaitable[Any]]


async def _no_audit(*_: Any, **__: Any) -> None:
    return None


async def rotate_when_due(
    store: SqliteContextStore, max_age: Callable[[], float | None], audit: Audit = _no_audit
) -> int:
    """Rotate now if the primary key is older than `max_age()` seconds and re-encrypt, each
    step audited; the number of ciphertexts moved (0 when nothing was due)."""
    age = max_age()
    keyring = store.keyring
    if age is None or keyring.from_env:
        return 0
    key_id = await asyncio.to_thread(keyring.rotate_if_older, age)
    if key_id is None:
        return 0
    log.warning("keyring: the primary key was due for rotation; new primary key %d", key_id)
    # Other processes re-read the keyring within REFRESH_S: none of them may still encrypt
    # under the old key once the sweep below has passed its rows.
    await asyncio.sleep(2 * REFRESH_S)
    # The sweep before the events: a failing audit store must not stop it (the next check
    # finds a young primary and would never sweep).
    moved = await store.reencrypt_all()
    await audit("keyring.rotated", str(key_id), by="schedule")
    await audit("keyring.reencrypted", str(key_id), ciphertexts=moved)
    log.warning("keyring: re-encrypted %d ciphertext(s) under key %d", moved, key_id)
    return moved


async def keep_rotating(
    store: SqliteContextStore, max_age: Callable[[], float | None], audit: Audit = _no_audit
) -> None:
    """Run `rotate_when_due` at start and every `CHECK_EVERY_S`, for as long as the server."""
    if store.keyring.from_env and max_age() is not None:
        log.warning(
            "keyring: keys come from the environment; rotate them there"
            " (security.keyring_rotation_days does not apply)"
        )
    while True:
        try:
            await rotate_when_due(store, max_age, audit)
        except Exception:  # retried at the next check; serving goes on
            log.exception("keyring: scheduled rotation failed")
        await asyncio.sleep(CHECK_EVERY_S)
