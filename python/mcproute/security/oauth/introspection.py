"""RFC 7662 token introspection, for opaque access tokens: the authorization server says whether
the token is active and what it carries. Answers are kept for a short while (never past the
token's exp), keyed by the token's SHA-256, so a busy client does not cost a round trip per
request."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Any

import aiohttp
import orjson

from mcproute.security.oauth.settings import OAuthSettings
from mcproute.security.oauth.tokens import TokenRefused, VerificationUnavailable

CACHE_S = 30.0
CACHE_SIZE = 4096
TIMEOUT_S = 10.0


class Introspector:
    def __init__(self, settings: OAuthSettings) -> None:
        endpoint, client_id, secret = (
            settings.introspection_endpoint,
            settings.client_id,
            settings.client_secret,
        )
        if endpoint is None or client_id is None or secret is None:
            raise ValueError("introspection needs an endpoint, client_id and client_secret")
        self.endpoint = endpoint
        self._client_id = client_id
        self._secret = secret
        self._issuers = settings.issuers
        self._leeway = settings.leeway_s
        self._cache: OrderedDict[bytes, tuple[float, dict[str, Any]]] = OrderedDict()

    async def introspect(self, http: aiohttp.ClientSession, token: str) -> dict[str, Any]:
        digest = hashlib.sha256(token.encode()).digest()
        now = time.time()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            claims = cached[1]
        else:
            claims = await self._ask(http, token)
            exp = claims.get("exp")
            until = (
                min(now + CACHE_S, float(exp)) if isinstance(exp, int | float) else now + CACHE_S
            )
            self._cache[digest] = (until, claims)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        if claims.get("active") is not True:
            raise TokenRefused("the access token is not active")
        for name in ("exp", "nbf"):
            value = claims.get(name)
            if value is not None and not _numeric_date(value):
                raise TokenRefused(f"the access token's {name!r} is not a NumericDate")
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if exp is not None and exp + self._leeway < now:
            raise TokenRefused("the access token has expired")
        if nbf is not None and nbf - self._leeway > now:
            raise TokenRefused("the access token is not yet valid (nbf)")
        if "iss" in claims and claims["iss"] not in self._issuers:
            raise TokenRefused("the access token's issuer is not trusted here")
        return claims

    async def _ask(self, http: aiohttp.ClientSession, token: str) -> dict[str, Any]:
        auth = aiohttp.encode_basic_auth(self._client_id, self._secret.reveal())
        form = {"token": token, "token_type_hint": "access_token"}
        try:
            async with http.post(
                self.endpoint,
                data=form,
                headers={"Authorization": auth, "Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
                allow_redirects=False,
            ) as resp:
                body = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise VerificationUnavailable(
                f"token introspection is unavailable ({type(exc).__name__})"
            ) from None
        try:
            claims = orjson.loads(body) if status == 200 else None
        except orjson.JSONDecodeError:
            claims = None
        if not isinstance(claims, dict):
            raise VerificationUnavailable(f"token introspection failed (HTTP {status})")
        return claims


def _numeric_date(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
