"""Token exchange (RFC 8693) for upstreams whose authorization server trusts ours: an
`mcpServers` entry with `"auth": {"type": "token_exchange", "token_endpoint": ..., ...}` is
called, for a caller who came with an OAuth access token from the trusted authorization server
(`auth.oauth`), with a token the upstream's authorization server issued in exchange for it:
audience/resource the upstream, the same user. The caller's own token is only ever the
`subject_token` of that exchange, never sent to the upstream. Callers with an API key have no
token to exchange: the upstream is left out of their listings and a call says why.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from mcproute.oauth_client import OAuthError
from mcproute.oauth_client.tokens import RegisteredClient, TokenSet, token_at

# The caller's validated access token from the trusted authorization server, set by the
# transport for the request being served (None: the caller used an API key).
SUBJECT_TOKEN: ContextVar[str | None] = ContextVar("mcproute_subject_token", default=None)
GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
KEYS = (
    "type", "token_endpoint", "client_id", "client_secret", "token_endpoint_auth_method",
    "audience", "resource", "scope",
)  # fmt: skip
AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True)
class TokenExchangeSettings:
    token_endpoint: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    token_endpoint_auth_method: str = "client_secret_basic"
    audience: str | None = None
    resource: str | None = None
    scope: str | None = None
    client_name: str = "mcproute"


def exchange_settings(
    name: str, spec: Mapping[str, Any], url: str, client_name: str
) -> TokenExchangeSettings:
    """The settings of upstream `name` from its `auth` block; the resource defaults to its URL."""
    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        raise ValueError(f"upstream {name!r}: auth.{unknown[0]}: unknown key")
    options = {k: spec[k] for k in KEYS[1:] if spec.get(k) is not None}
    for key, value in options.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"upstream {name!r}: auth.{key}: must be a non-empty string")
    for key in ("token_endpoint", "client_id"):
        if key not in options:
            raise ValueError(f"upstream {name!r}: auth.{key}: required by token_exchange")
    if not options["token_endpoint"].startswith(("https://", "http://")):
        raise ValueError(f"upstream {name!r}: auth.token_endpoint: must be an http(s) URL")
    method = options.get("token_endpoint_auth_method", AUTH_METHODS[0])
    if method not in AUTH_METHODS:
        raise ValueError(
            f"upstream {name!r}: auth.token_endpoint_auth_method: expected one of"
            f" {', '.join(AUTH_METHODS)}, got {method!r}"
        )
    if "audience" not in options and "resource" not in options:
        options["resource"] = url
    return TokenExchangeSettings(client_name=client_name, **options)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ExchangedAuth:
    """The auth hook of one user's connection to one upstream: the exchanged token for the
    request's subject token (`SUBJECT_TOKEN`, else the last one seen), kept until it expires
    or the caller presents another token."""

    def __init__(self, settings: TokenExchangeSettings) -> None:
        self.settings = settings
        self.subject: str | None = None  # the last subject token seen (for background requests)
        self._current: tuple[str, TokenSet] | None = None  # (digest of subject, exchanged)
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ExchangedAuth({self.settings.token_endpoint!r})"

    async def headers(self, method: str, url: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {(await self._token()).access_token}"}

    async def challenged(
        self, status: int, headers: Mapping[str, str], url: str, sent: Mapping[str, str]
    ) -> bool:
        """A 401 for the exchanged token: exchange again, once per token."""
        current = self._current
        if status != 401 or current is None:
            return False
        if sent.get("Authorization") != f"Bearer {current[1].access_token}":
            return True  # a concurrent request already has another token
        self._current = None
        return True

    async def forget(self) -> None:
        self._current = None

    async def _token(self) -> TokenSet:
        subject = SUBJECT_TOKEN.get() or self.subject
        if subject is None:
            raise OAuthError("no access token of the caller to exchange")
        wanted = digest(subject)
        async with self._lock:
            current = self._current
            if current is not None and current[0] == wanted and not current[1].expired:
                return current[1]
            async with aiohttp.ClientSession() as http:
                tokens = await token_at(
                    http, self.settings.token_endpoint, self._client(), self._params(subject)
                )
            self._current = (wanted, tokens)
            return tokens

    def _client(self) -> RegisteredClient:
        s = self.settings
        return RegisteredClient(
            s.token_endpoint, s.client_id, s.client_secret, s.token_endpoint_auth_method
        )

    def _params(self, subject: str) -> dict[str, str]:
        s = self.settings
        params = {
            "grant_type": GRANT,
            "subject_token": subject,
            "subject_token_type": ACCESS_TOKEN,
            "requested_token_type": ACCESS_TOKEN,
        }
        for key in ("audience", "resource", "scope"):
            value = getattr(s, key)
            if value is not None:
                params[key] = value
        return params
