"""`OAuthClient`: the authorization of one client at one MCP server, as an HTTP transport's auth
hook. Before a request the transport asks `headers(method, url)`; on a 401 or 403 it calls
`challenged(...)`, which runs whatever flow the challenge calls for and says whether to send the
request again (once).

- 401: the stored token is refreshed if it can be, else discovery runs again (the server may
  have moved to another authorization server: then the client registers there afresh, never
  presenting credentials from the previous one) and a new grant is obtained.
- 403 `insufficient_scope`: step-up, asking for the scopes asked for before plus the challenged
  ones; not when that would ask for nothing new, and at most `MAX_STEP_UPS` times.
- `use_dpop_nonce` (RFC 9449 §9): the same request again, with the server's nonce.

Grants: the authorization code with PKCE (S256, `resource` on both requests, `state` and the
RFC 9207 `iss` checked), client credentials, and the JWT-bearer grant (RFC 7523) with an
assertion from the settings, such as a workload identity token or an ID-JAG obtained by token
exchange (`IdJagExchange`). The browser step is `on_authorize(url) -> callback URL`:
`headless_authorize` for servers that approve without a user, or a hook that raises
`AuthorizationRequired` and finishes later through `complete_authorization`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp

from mcproute.oauth_client.challenge import Challenge, merged, parse_challenges
from mcproute.oauth_client.dpop import ALG as DPOP_ALG
from mcproute.oauth_client.dpop import DPoPKey
from mcproute.oauth_client.errors import AuthorizationRequired, OAuthError
from mcproute.oauth_client.metadata import (
    ResourceInfo,
    ServerMetadata,
    discover_resource,
    discover_server,
)
from mcproute.oauth_client.pkce import new_state, new_verifier, s256
from mcproute.oauth_client.registration import preregistered, register
from mcproute.oauth_client.store import MemoryTokenStore, TokenStore
from mcproute.oauth_client.tokens import RegisteredClient, TokenSet, request_token

Json = dict[str, Any]
OnAuthorize = Callable[[str], Awaitable[str]]
MAX_STEP_UPS = 2
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANTS = ("authorization_code", "client_credentials", "jwt_bearer")


@dataclass(frozen=True)
class AssertionRequest:
    """What an assertion for the JWT-bearer grant is for."""

    http: aiohttp.ClientSession
    issuer: str  # the authorization server's: the assertion's audience
    resource: str
    scope: str | None


AssertionSource = str | Callable[[AssertionRequest], Awaitable[str]]


@dataclass(frozen=True)
class OAuthSettings:
    """How this client authorizes. Defaults: the authorization code grant, a public client
    registered dynamically, refresh tokens when the server offers `offline_access`, DPoP when
    the server supports ES256 proofs."""

    grant: str = "authorization_code"  # | "client_credentials" | "jwt_bearer"
    client_name: str = "mcproute"
    redirect_uri: str = "http://127.0.0.1:33418/oauth/callback"
    client_id: str | None = None  # registered beforehand
    client_secret: str | None = field(default=None, repr=False)
    private_key_pem: str | None = field(default=None, repr=False)  # private_key_jwt
    signing_alg: str = "ES256"
    token_endpoint_auth_method: str | None = None  # else chosen from the server's metadata
    client_metadata_url: str | None = None  # a Client ID Metadata Document we publish
    scope: str | None = None  # else chosen from the challenge and the metadata
    offline_access: bool = True
    dpop: bool = True
    assertion: AssertionSource | None = field(default=None, repr=False)  # jwt_bearer

    def __post_init__(self) -> None:
        if self.grant not in GRANTS:
            raise ValueError(f"grant: expected one of {', '.join(GRANTS)}, got {self.grant!r}")
        if self.grant == "client_credentials" and not self.client_id:
            raise ValueError("client_id: required by the client_credentials grant")
        if self.grant == "jwt_bearer" and self.assertion is None:
            raise ValueError("assertion: required by the jwt_bearer grant")


class OAuthClient:
    """The OAuth client of one MCP server URL; its grant lives in `store` under `key`."""

    def __init__(
        self,
        server_url: str,
        settings: OAuthSettings | None = None,
        *,
        store: TokenStore | None = None,
        key: str | None = None,
        on_authorize: OnAuthorize | None = None,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        self.server_url = server_url
        self.settings = settings or OAuthSettings()
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self.key = key or server_url
        self.on_authorize = on_authorize
        self._http = http
        self._lock = asyncio.Lock()
        self._loaded = False
        self._tokens: TokenSet | None = None
        self._client: RegisteredClient | None = None
        self._server: ServerMetadata | None = None
        self._looked_up: str | None = None  # the issuer the metadata was looked up for
        self._resource: ResourceInfo | None = None
        self._dpop: DPoPKey | None = None
        self._scopes: list[str] = []
        self._step_ups = 0

    def __repr__(self) -> str:
        return f"OAuthClient({self.key!r}, linked={self._tokens is not None})"

    # --- the transport's hook ------------------------------------------------------------

    async def headers(self, method: str, url: str) -> dict[str, str]:
        """The Authorization (and DPoP) headers for one request; none before a grant."""
        await self._load()
        tokens = self._tokens
        if tokens is not None and tokens.expired and tokens.refresh_token:
            async with self._lock:
                if self._tokens is tokens:
                    await self._try_refresh()
            tokens = self._tokens
        if tokens is None:
            return {}
        if tokens.is_dpop and self._dpop is not None:
            proof = self._dpop.proof(method, url, tokens.access_token)
            return {"Authorization": f"DPoP {tokens.access_token}", "DPoP": proof}
        return {"Authorization": f"Bearer {tokens.access_token}"}

    async def challenged(
        self, status: int, headers: Mapping[str, str], url: str, sent: Mapping[str, str]
    ) -> bool:
        """The server refused a request that carried `sent` (the headers from `headers`):
        obtain what it asks for; True if the request should be sent again."""
        values = headers.getall("WWW-Authenticate", []) if hasattr(headers, "getall") else []
        if not values and "WWW-Authenticate" in headers:
            values = [headers["WWW-Authenticate"]]
        challenge = merged(parse_challenges(values))
        nonce = headers.get("DPoP-Nonce")
        fresh_nonce = self._dpop is not None and self._dpop.remember_nonce(url, nonce)
        if fresh_nonce and challenge.error == "use_dpop_nonce":
            return True  # RFC 9449 §9: the same request, with the server's nonce
        async with self._lock:
            if sent.get("Authorization") != (await self._current_authorization()):
                return True  # a concurrent request already obtained a new token
            if status == 401:
                if self._tokens is not None and await self._try_refresh():
                    return True
                if self._tokens is not None:
                    self._tokens = None
                    await self._save()  # refused: other workers must not send it either
                await self._obtain(challenge, None)
                return True
            if status == 403 and challenge.error == "insufficient_scope":
                wanted = list(dict.fromkeys([*self._scopes, *challenge.scopes]))
                if set(wanted) <= set(self._scopes) or self._step_ups >= MAX_STEP_UPS:
                    return False  # asking again would change nothing
                self._step_ups += 1
                await self._obtain(challenge, wanted)
                return True
        return False

    async def _current_authorization(self) -> str | None:
        tokens = self._tokens
        if tokens is None:
            return None
        return f"{'DPoP' if tokens.is_dpop and self._dpop else 'Bearer'} {tokens.access_token}"

    # --- state ---------------------------------------------------------------------------

    async def _load(self) -> None:
        """The grant from the store: once, and again while there is none here (another worker
        or replica may have completed the flow since)."""
        if self._loaded and (self._tokens is not None or self._lock.locked()):
            return  # a grant here, or a flow under way here that is about to write one
        self._loaded = True
        record = await self.store.load(self.key)
        if not record:
            return
        if isinstance(record.get("tokens"), dict):
            self._tokens = TokenSet.from_json(record["tokens"])
        if isinstance(record.get("client"), dict):
            self._client = RegisteredClient.from_json(record["client"])
        if isinstance(record.get("dpop"), dict):
            self._dpop = DPoPKey.from_jwk(record["dpop"])
        self._scopes = [s for s in record.get("scopes") or [] if isinstance(s, str)]

    async def _save(self, pending: Json | None = None) -> None:
        record: Json = {"scopes": self._scopes}
        if self._tokens is not None:
            record["tokens"] = self._tokens.to_json()
        if self._client is not None:
            record["client"] = self._client.to_json()
        if self._dpop is not None:
            record["dpop"] = self._dpop.to_jwk()
        if pending is not None:
            record["pending"] = pending
        await self.store.save(self.key, record)

    async def forget(self) -> None:
        """Drop the grant (tokens, client, key): the next request starts over."""
        self._tokens = self._client = self._dpop = None
        self._loaded = True
        await self.store.delete(self.key)

    @property
    def linked(self) -> bool:
        return self._tokens is not None

    async def is_linked(self) -> bool:
        await self._load()
        return self._tokens is not None

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[aiohttp.ClientSession]:
        if self._http is not None and not self._http.closed:
            yield self._http
            return
        async with aiohttp.ClientSession() as http:
            yield http

    # --- flows ---------------------------------------------------------------------------

    async def _discover(self, http: aiohttp.ClientSession, challenge: Challenge) -> ServerMetadata:
        self._resource = await discover_resource(http, self.server_url, challenge.resource_metadata)
        issuer = self._resource.authorization_servers[0]
        if self._server is None or self._looked_up != issuer:
            self._server = await discover_server(
                http, issuer, legacy=not self._resource.from_metadata
            )
            self._looked_up = issuer
        if self._client is not None and self._client.issuer != self._server.issuer:
            # Another authorization server now: its own registration, nothing carried over.
            self._client = None
            self._tokens = None
        return self._server

    def _select_scopes(
        self, challenge: Challenge, server: ServerMetadata, wanted: list[str] | None
    ) -> list[str]:
        """The MCP scope selection strategy: configured, else the challenge's, else the
        resource's `scopes_supported`, else none; plus `offline_access` for a refresh token
        when the authorization server lists it."""
        assert self._resource is not None
        if self.settings.scope is not None:
            scopes = self.settings.scope.split()
        elif wanted is not None:
            scopes = wanted
        else:
            scopes = challenge.scopes or list(self._resource.scopes_supported or [])
        supported = server.get("scopes_supported")
        if (
            self.settings.grant == "authorization_code"
            and self.settings.offline_access
            and isinstance(supported, list)
            and "offline_access" in supported
            and "offline_access" not in scopes
        ):
            scopes = [*scopes, "offline_access"]
        return scopes

    def _dpop_for(self, server: ServerMetadata, challenge: Challenge) -> DPoPKey | None:
        """A DPoP key when both sides take DPoP: the authorization server signs ES256 proofs
        off, and the resource challenged with the DPoP scheme or says so in its metadata (a
        bound token is useless at a resource that only reads Bearer)."""
        if self._dpop is not None:
            return self._dpop  # the grant is bound already
        algs = server.get("dpop_signing_alg_values_supported")
        resource_takes_it = "dpop" in challenge.schemes or (
            self._resource is not None and self._resource.dpop
        )
        if not (self.settings.dpop and resource_takes_it):
            return None
        if not isinstance(algs, list) or DPOP_ALG not in algs:
            return None
        if self._dpop is None:
            self._dpop = DPoPKey()
        return self._dpop

    async def _obtain(self, challenge: Challenge, wanted: list[str] | None) -> None:
        async with self._session() as http:
            server = await self._discover(http, challenge)
            scopes = self._select_scopes(challenge, server, wanted)
            dpop = self._dpop_for(server, challenge)
            assert self._resource is not None
            params: dict[str, str] = {"resource": self._resource.resource}
            if scopes:
                params["scope"] = " ".join(scopes)
            grant = self.settings.grant
            if grant == "authorization_code":
                client = await self._ensure_client(http, server)
                self._scopes = scopes
                callback, pending = await self._authorize(server, client, params)
                tokens = await self._exchange_code(http, server, client, callback, pending, dpop)
            else:
                known = self._preregistered(server) if self.settings.client_id else None
                if grant == "client_credentials":
                    params["grant_type"] = "client_credentials"
                else:
                    params["grant_type"] = JWT_BEARER
                    params["assertion"] = await self._assertion(http, server, params)
                tokens = await request_token(http, server, known, params, dpop)
                self._client = known
                self._scopes = scopes
            self._tokens = tokens
            await self._save()

    def _preregistered(self, server: ServerMetadata) -> RegisteredClient:
        s = self.settings
        assert s.client_id is not None
        return preregistered(
            server, s.client_id, s.client_secret, s.private_key_pem, s.signing_alg,
            s.token_endpoint_auth_method,
        )  # fmt: skip

    async def _ensure_client(
        self, http: aiohttp.ClientSession, server: ServerMetadata
    ) -> RegisteredClient:
        if self._client is not None:
            return self._client
        s = self.settings
        if s.client_id:
            client = self._preregistered(server)
        elif s.client_metadata_url and server.get("client_id_metadata_document_supported"):
            client = RegisteredClient(server.issuer, s.client_metadata_url)
        else:
            grant_types = ["authorization_code", "refresh_token"]
            client = await register(http, server, s.client_name, s.redirect_uri, grant_types)
        self._client = client
        return client

    async def _assertion(
        self, http: aiohttp.ClientSession, server: ServerMetadata, params: dict[str, str]
    ) -> str:
        source = self.settings.assertion
        if isinstance(source, str):
            return source
        assert source is not None
        request = AssertionRequest(http, server.issuer, params["resource"], params.get("scope"))
        return await source(request)

    async def _authorize(
        self, server: ServerMetadata, client: RegisteredClient, params: dict[str, str]
    ) -> tuple[str, Json]:
        """The browser step: the authorization URL to `on_authorize`, its callback URL back."""
        methods = server.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise OAuthError(
                f"authorization server {server.issuer} does not support PKCE with S256"
            )
        endpoint = server.get("authorization_endpoint")
        if not isinstance(endpoint, str):
            raise OAuthError(f"authorization server {server.issuer}: no authorization_endpoint")
        if urlsplit(endpoint).scheme.lower() not in ("https", "http"):
            # A browser is sent there: never a javascript:, data: or custom-scheme URL.
            raise OAuthError(
                f"authorization server {server.issuer}: authorization_endpoint is not http(s)"
            )
        verifier, state = new_verifier(), new_state()
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "state": state,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
            **params,
        }
        prompts = server.get("prompt_values_supported")
        if "offline_access" in params.get("scope", "").split() and (
            isinstance(prompts, list) and "consent" in prompts
        ):
            query["prompt"] = "consent"  # OpenID Connect grants offline_access only with it
        url = f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
        pending = {"state": state, "verifier": verifier, "resource": params["resource"]}
        await self._save(pending)  # a flow finished elsewhere (a gateway's callback) needs it
        if self.on_authorize is None:
            raise AuthorizationRequired(url)
        return await self.on_authorize(url), pending

    async def complete_authorization(self, callback_url: str) -> None:
        """Finish a flow whose `on_authorize` raised AuthorizationRequired: the callback URL
        the authorization server redirected the user's browser to."""
        async with self._lock:
            record = await self.store.load(self.key) or {}
            pending = record.get("pending")
            if not isinstance(pending, dict):
                raise OAuthError("no authorization is pending for this client")
            self._loaded = False
            await self._load()
            async with self._session() as http:
                server = await self._discover(http, Challenge(""))
                if self._client is None:
                    raise OAuthError("the client registration of the pending flow is gone")
                dpop = self._dpop  # created with the pending flow, if its resource takes DPoP
                self._tokens = await self._exchange_code(
                    http, server, self._client, callback_url, pending, dpop
                )
            await self._save()

    async def _exchange_code(
        self,
        http: aiohttp.ClientSession,
        server: ServerMetadata,
        client: RegisteredClient,
        callback_url: str,
        pending: Json,
        dpop: DPoPKey | None,
    ) -> TokenSet:
        code = authorization_code(callback_url, str(pending["state"]), server)
        params = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": str(pending["verifier"]),
            "resource": str(pending["resource"]),
        }
        return await request_token(http, server, client, params, dpop)

    async def _try_refresh(self) -> bool:
        """A new access token from the refresh token; False (and the tokens dropped) if the
        server refuses it."""
        tokens = self._tokens
        if tokens is None or not tokens.refresh_token:
            return False
        try:
            async with self._session() as http:
                server = self._server or await self._discover(http, Challenge(""))
                assert self._resource is not None
                params = {
                    "grant_type": "refresh_token",
                    "refresh_token": tokens.refresh_token,
                    "resource": self._resource.resource,
                }
                self._tokens = await request_token(
                    http, server, self._client, params, self._dpop, tokens.refresh_token
                )
        except OAuthError:
            self._tokens = None
            return False
        await self._save()
        return True


def authorization_code(callback_url: str, state: str, server: ServerMetadata) -> str:
    """The code of an authorization response, after its checks: `state` is ours, and `iss`
    (RFC 9207) names the issuer by plain string comparison, required when the server says it
    sends one, checked whenever present."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
    if query.get("state") != state:
        raise OAuthError("the authorization response's state does not match the request")
    iss = query.get("iss")
    if iss is None and server.get("authorization_response_iss_parameter_supported") is True:
        raise OAuthError("the authorization response has no iss, though the server sends one")
    if iss is not None and iss != server.issuer:
        raise OAuthError("the authorization response comes from another issuer (iss)")
    if "error" in query:
        error = query["error"]
        raise OAuthError(f"authorization refused: {error[:100]}", error)
    code = query.get("code")
    if not code:
        raise OAuthError("the authorization response has no code")
    return code
