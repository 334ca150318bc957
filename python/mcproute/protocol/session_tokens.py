"""Legacy MCP sessions carried in their own `Mcp-Session-Id`, so any replica serves any session.

The id is an AES-256-GCM ciphertext (under the same keyring as shared contexts, with its own
associated data) of what `initialize` settled: the negotiated version, the client's info and
capabilities, and whatever the server chose to carry (the gateway: its upstream sessions for this
client). A replica that has not seen a session opens the token instead of answering 404, and
replicas need share nothing but the keyring. Key rotation works as for contexts: tokens sealed
under a retired key open while the key stays in the keyring.

A token expires `ttl_s` after `initialize` (the client then gets 404 and initializes again, as
the transport specifies). What changes during a session (log level, subscriptions) lives where
the request lands; the gateway keeps it upstream, in the upstream sessions the token names.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable

import orjson

from mcproute._core import Keyring, KeyringError
from mcproute.protocol.server import Session

PREFIX = "mcpr1."
TENANT = "mcp-session"  # associated data: a session token never opens as a context, or back
DEFAULT_TTL_S = 24 * 3600


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
    ) -> None:
        self._keyring = keyring
        self._reload = reload
        self.audience = audience  # binds tokens to one deployment's servers
        self.ttl_s = ttl_s

    def seal(self, session: Session) -> str:
        payload = {
            "v": session.version,
            "ci": session.client_info,
            "cc": session.client_capabilities,
            "c": session.carry,
            "exp": int(time.time() + self.ttl_s),
        }
        sealed = self._keyring().encrypt(orjson.dumps(payload), TENANT, self.audience)
        return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()

    def open(self, token: str) -> Session | None:
        if not token.startswith(PREFIX):
            return None
        body = token[len(PREFIX) :]
        try:
            sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            return None
        plain = self._decrypt(sealed)
        if plain is None:
            return None
        payload = orjson.loads(plain)
        if payload["exp"] < time.time() or not isinstance(payload["v"], str):
            return None
        return Session(
            id=token,
            version=payload["v"],
            initialized=True,
            client_info=payload["ci"],
            client_capabilities=payload["cc"],
            carry=payload["c"],
        )

    def _decrypt(self, sealed: bytes) -> bytes | None:
        for keyring in (self._keyring, self._reload):
            if keyring is None:
                continue
            try:
                return keyring().decrypt(sealed, TENANT, self.audience)
            except (KeyringError, ValueError):
                continue  # perhaps a key another process added since: reload once
        return None
