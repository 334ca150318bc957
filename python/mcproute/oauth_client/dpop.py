"""DPoP (RFC 9449): one ES256 key per grant, a fresh proof for every request, and the nonces
servers hand out (§8 at the token endpoint, §9 at the resource), kept per origin.

A proof binds the method and the URL without query or fragment (`htu`, §4.2); a proof sent with
an access token also carries `ath`, the token's SHA-256 (§4.3). JOSE is joserfc's (the `oauth`
extra), imported only when a grant uses DPoP."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from mcproute.oauth_client.metadata import origin
from mcproute.protocol.b64url import encode as b64url

if TYPE_CHECKING:
    from joserfc.jwk import ECKey

ALG = "ES256"


def htu(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class DPoPKey:
    """A proof-of-possession key and the latest nonce each server asked for."""

    def __init__(self, key: ECKey | None = None) -> None:
        from joserfc.jwk import ECKey

        self._key = key or ECKey.generate_key("P-256")
        self._public = self._key.as_dict(private=False)
        self._nonces: dict[str, str] = {}

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> DPoPKey:
        from joserfc.jwk import ECKey

        return cls(ECKey.import_key(jwk))

    def to_jwk(self) -> dict[str, Any]:
        """The private key, for a token store (which must keep it as secret as the token)."""
        return dict(self._key.as_dict(private=True))

    @property
    def thumbprint(self) -> str:
        return str(self._key.thumbprint())

    def remember_nonce(self, url: str, nonce: str | None) -> bool:
        """Record a `DPoP-Nonce` a server sent; True if it is new (worth a retry)."""
        if not nonce:
            return False
        key = origin(url).lower()
        new = self._nonces.get(key) != nonce
        self._nonces[key] = nonce
        return new

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        claims: dict[str, Any] = {
            "jti": b64url(secrets.token_bytes(16)),
            "htm": method.upper(),
            "htu": htu(url),
            "iat": int(time.time()),
        }
        if nonce := self._nonces.get(origin(url).lower()):
            claims["nonce"] = nonce
        if access_token is not None:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        from joserfc import jwt

        header = {"typ": "dpop+jwt", "alg": ALG, "jwk": self._public}
        return jwt.encode(header, claims, self._key)
