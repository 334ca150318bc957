"""OAuth access tokens for a Google service account (Vertex AI), from its JSON key.

The key's ``private_key`` signs an RS256 JWT assertion (``joserfc``) that the key's
``token_uri`` exchanges for an access token (RFC 7523 ``jwt-bearer`` grant), as Google's own
libraries do. A token is reused until ``REFRESH_MARGIN_S`` before it expires; concurrent
requests wait on one exchange. Nothing from the key or the token appears in errors or reprs.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import orjson
from joserfc import jwt
from joserfc.jwk import RSAKey

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.http import classify_status, get_session
from mcproute.models.service_account import (
    GOOGLE_TOKEN_URI,
    ServiceAccountError,
    parse_key,
)
from mcproute.secret import Secret

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIFETIME_S = 3600
REFRESH_MARGIN_S = 300.0


class ServiceAccountTokens:
    """Access tokens of one service account key (the JSON text of the key file)."""

    def __init__(self, key_json: Secret, deployment: str | None = None) -> None:
        key = parse_key(key_json)
        try:
            self._key = RSAKey.import_key(key.private_key.reveal())
        except Exception:  # the library's message may quote the key
            raise ServiceAccountError("the key's private_key is not an RSA private key") from None
        self.email = key.email
        self._key_id = key.key_id
        self.token_uri = key.token_uri
        self._deployment = deployment
        self._token: Secret | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ServiceAccountTokens({self.email!r})"

    def assertion(self, now: float | None = None) -> str:
        """The signed JWT the token endpoint exchanges."""
        issued = int(now if now is not None else time.time())
        claims = {
            "iat": issued,
            "exp": issued + LIFETIME_S,
            "iss": self.email,
            "aud": GOOGLE_TOKEN_URI,
            "scope": SCOPE,
        }
        header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
        if self._key_id:
            header["kid"] = self._key_id
        return jwt.encode(header, claims, self._key, algorithms=["RS256"])

    def current(self) -> Secret | None:
        """The token while it is fresh, else None (then ``await refresh()``)."""
        return self._token if time.monotonic() < self._refresh_at else None

    async def refresh(self, http_timeout: aiohttp.ClientTimeout | None = None) -> Secret:
        async with self._lock:
            token = self.current()
            if token is not None:  # another request refreshed it meanwhile
                return token
            started = time.monotonic()
            form = {"grant_type": GRANT_TYPE, "assertion": self.assertion()}
            try:
                async with get_session().post(
                    self.token_uri, data=form, timeout=http_timeout
                ) as response:
                    body = await response.read()
                    if response.status >= 400:
                        failure = classify_status(response.status, {}, body, self._deployment)
                        kind = (
                            FailureKind.AUTH if response.status in (400, 401, 403) else failure.kind
                        )
                        raise UpstreamError(
                            kind,
                            "service account token exchange failed: " + str(failure),
                            status=response.status,
                            deployment=self._deployment,
                        )
                    payload = orjson.loads(body)
            except UpstreamError:
                raise
            except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError) as exc:
                raise UpstreamError(
                    FailureKind.CONNECTION,
                    f"service account token exchange failed ({type(exc).__name__})",
                    deployment=self._deployment,
                ) from None
            value = payload.get("access_token") if isinstance(payload, dict) else None
            if not isinstance(value, str) or not value:
                raise UpstreamError(
                    FailureKind.AUTH,
                    "service account token exchange returned no access_token",
                    deployment=self._deployment,
                )
            expires = payload.get("expires_in")
            lifetime = float(expires) if isinstance(expires, int | float) else float(LIFETIME_S)
            self._token = Secret(value)
            self._refresh_at = started + max(lifetime - REFRESH_MARGIN_S, lifetime / 2)
            return self._token
