"""Access tokens checked here, locally: JWTs verified against the issuer's JWKS (joserfc), or
opaque tokens introspected (RFC 7662) when an introspection endpoint is configured.

A token passes when: its issuer is one we trust, its signature verifies with that issuer's key
under an allowed asymmetric algorithm, it is within exp/nbf (with the configured leeway), its
`aud` names this resource (RFC 8707: a token for another resource is never accepted, so never
passed through), and it has a subject. The result is the caller's principal: issuer and subject,
the scopes it maps to, and its tenant."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)

from mcproute.security.oauth.introspection import Introspector
from mcproute.security.oauth.jwks import JwksCache
from mcproute.security.oauth.metadata import MetadataError, authorization_server_metadata
from mcproute.security.oauth.scopes import ClaimProblem, mapped_scopes, tenant, token_scopes
from mcproute.security.oauth.settings import OAuthSettings
from mcproute.security.oauth.tokens import TokenPrincipal, TokenRefused, VerificationUnavailable

MAX_TOKEN = 16 * 1024


def audiences(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [item for item in aud if isinstance(item, str)]
    return []


class TokenValidator:
    """One per worker: holds each issuer's metadata and JWKS cache."""

    def __init__(self, settings: OAuthSettings) -> None:
        self.settings = settings
        self._jwks: dict[str, JwksCache] = {}
        self._metadata: dict[str, Mapping[str, Any]] = {}
        self._introspector = Introspector(settings) if settings.introspection_endpoint else None

    async def discover(self, http: aiohttp.ClientSession, *, keys: bool = False) -> None:
        """Every issuer's metadata (and with `keys`, its JWKS); raises MetadataError naming what
        failed."""
        for issuer in self.settings.issuers:
            cache = await self._issuer_keys(http, issuer)
            if keys:
                await cache.keys_for(http, None)

    async def _issuer_keys(self, http: aiohttp.ClientSession, issuer: str) -> JwksCache:
        cache = self._jwks.get(issuer)
        if cache is None:
            metadata = await authorization_server_metadata(http, issuer)
            uri = metadata.get("jwks_uri")
            if not isinstance(uri, str):
                raise MetadataError(f"the metadata of {issuer} has no jwks_uri")
            self._metadata[issuer] = metadata
            cache = self._jwks[issuer] = JwksCache(uri, self.settings.jwks_refresh_min_s)
        return cache

    async def validate(self, http: aiohttp.ClientSession, token: str) -> TokenPrincipal:
        if len(token) > MAX_TOKEN:
            raise TokenRefused("the access token is too long")
        if token.count(".") != 2:
            if self._introspector is None:
                raise TokenRefused("the access token is not a JWT")
            claims = await self._introspector.introspect(http, token)
            return self._principal(claims, claims.get("iss") or self.settings.issuers[0])
        claims = await self._verified_claims(http, token)
        return self._principal(claims, str(claims["iss"]))

    async def _verified_claims(self, http: aiohttp.ClientSession, token: str) -> dict[str, Any]:
        try:
            unverified = jws.extract_compact(token.encode())
            header = unverified.protected
            payload = orjson.loads(unverified.payload)
        except (JoseError, ValueError, TypeError):
            raise TokenRefused("the access token is not a well-formed JWT") from None
        if not isinstance(payload, dict):
            raise TokenRefused("the access token's payload is not a JSON object")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRefused("the access token's kid is not a string")
        if "crit" in header:  # RFC 7515 §4.1.11: extensions we do not implement make it invalid
            raise TokenRefused("the access token's crit header names extensions not supported")
        if header.get("alg") not in self.settings.algorithms:
            raise TokenRefused(f"the access token's algorithm {header.get('alg')!r} is not allowed")
        issuer = payload.get("iss")
        if issuer not in self.settings.issuers:
            raise TokenRefused("the access token's issuer is not trusted here")
        try:
            cache = await self._issuer_keys(http, issuer)
            keys = await cache.keys_for(http, kid)
        except MetadataError as exc:
            raise VerificationUnavailable(f"the issuer's keys are unavailable: {exc}") from None
        try:
            decoded = jwt.decode(token, keys, algorithms=list(self.settings.algorithms))
        except BadSignatureError:
            raise TokenRefused("the access token's signature does not verify") from None
        except JoseError as exc:  # unknown kid, wrong key type for the algorithm, ...
            raise TokenRefused(f"the access token cannot be verified ({exc.error})") from None
        except (TypeError, ValueError, KeyError):  # header values of shapes joserfc trips on
            raise TokenRefused("the access token's header is malformed") from None
        claims = dict(decoded.claims)
        self._check_times(claims)
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(
            now=int(time.time()),
            leeway=self.settings.leeway_s,
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise TokenRefused("the access token has expired") from None
        except MissingClaimError as exc:
            raise TokenRefused(f"the access token lacks the {exc.claim!r} claim") from None
        except InvalidClaimError as exc:
            raise TokenRefused(
                f"the access token's {exc.claim!r} claim is invalid ({exc.description})"
            ) from None
        except JoseError as exc:
            message = f"the access token has an invalid claim ({exc.description})"
            raise TokenRefused(message) from None

    def _principal(self, claims: Mapping[str, Any], issuer: str) -> TokenPrincipal:
        if self.settings.audience not in audiences(claims):
            raise TokenRefused("the access token is not for this resource (aud)")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenRefused("the access token has no subject")
        if "cnf" in claims:  # DPoP or mTLS bound: as a bare bearer it proves nothing here
            raise TokenRefused("the access token is sender-constrained (cnf), not a bearer token")
        try:
            scopes = mapped_scopes(self.settings, token_scopes(claims))
            where = tenant(self.settings, claims)
        except ClaimProblem as exc:
            raise TokenRefused(str(exc)) from None
        exp = claims.get("exp")
        return TokenPrincipal(
            issuer=str(issuer),
            subject=subject,
            scopes=scopes,
            tenant=where,
            expires_at=float(exp) if isinstance(exp, int | float) else None,
        )
