"""PKCE with S256 (RFC 7636), and the other unguessable values of an authorization request."""

from __future__ import annotations

import hashlib
import secrets

from mcproute.protocol.b64url import encode as b64url


def new_verifier() -> str:
    return b64url(secrets.token_bytes(48))  # 64 characters, within 43..128 (§4.1)


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    return b64url(secrets.token_bytes(24))
