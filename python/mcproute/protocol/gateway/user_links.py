"""Per-user credentials for upstreams that authorize their callers by OAuth: an `mcpServers`
entry with `"auth": {"type": "oauth", ...}` is called with the calling user's own token for it,
never with a token of the gateway's, and never with the token the client presented to the
gateway.

Each (principal, upstream) pair has its own `OAuthClient`, whose grant is kept in the token
store (sealed with the keyring by the proxy; in memory for the library) under that pair. Until
the user has linked the upstream, listings leave its tools, prompts and resources out for that
user, and a call answers with an error naming the URL to authorize at: the gateway's link URL
(`link_flows`), which shows whose the grant will be and, on the user's confirmation, binds the
flow to their browser and redirects to the authorization server. That redirects to the
gateway's callback (`complete`), which checks the binding, exchanges the code and stores the
grant; from then on the user's calls reach the upstream with their token, refreshed when it
expires. The link URL is only ever told to the principal it was made for.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mcproute.oauth_client import (
    AuthorizationRequired,
    MemoryTokenStore,
    OAuthClient,
    OAuthError,
    OAuthSettings,
    TokenStore,
)
from mcproute.protocol.client.connection import MCPConnection
from mcproute.protocol.gateway.link_flows import Identity, LinkFlows, LinkView, Pending
from mcproute.protocol.gateway.token_exchange import (
    SUBJECT_TOKEN,
    ExchangedAuth,
    TokenExchangeSettings,
    exchange_settings,
)
from mcproute.protocol.jsonrpc import INVALID_REQUEST, Json, MCPError

URL_ELICITATION_REQUIRED = -32042  # 2025-11-25: the client must open a URL first
DEFAULT_CALLBACK = "http://127.0.0.1:8080/oauth/callback"
MAX_CLIENTS = 4096  # (principal, upstream) clients kept per worker
MAX_CONNECTIONS = 1024  # users' open upstream connections per worker (the least used close)
AUTH_KEYS = ("type", "scope", "client_id", "client_secret", "redirect_uri")


UpstreamAuth = OAuthSettings | TokenExchangeSettings


class LinkRequired(AuthorizationRequired):
    """The gateway's link URL for `principal`'s flow: only ever shown to that principal."""

    def __init__(self, url: str, message: str, principal: str) -> None:
        super().__init__(url, message)
        self.principal = principal


def principal_only(principal: str) -> Identity:
    """How a link page names a principal when the gateway knows nothing more of it."""
    return (("principal", principal),)


def upstream_auth(name: str, spec: Mapping[str, Any], url: str, client_name: str) -> UpstreamAuth:
    """How upstream `name` authorizes each user, from its `auth` block: `oauth` (each user
    links it) or `token_exchange` (the caller's token is exchanged for one)."""
    if spec.get("type") == "token_exchange":
        return exchange_settings(name, spec, url, client_name)
    return oauth_settings(name, spec, client_name)


def oauth_settings(name: str, spec: Mapping[str, Any], client_name: str) -> OAuthSettings:
    """The OAuth client settings of upstream `name` from its `auth` block."""
    unknown = sorted(set(spec) - set(AUTH_KEYS))
    if unknown:
        raise ValueError(f"upstream {name!r}: auth.{unknown[0]}: unknown key")
    if spec.get("type") != "oauth":
        raise ValueError(
            f"upstream {name!r}: auth.type: expected 'oauth' or 'token_exchange',"
            f" got {spec.get('type')!r}"
        )
    options = {k: spec[k] for k in AUTH_KEYS[1:] if spec.get(k) is not None}
    for key, value in options.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"upstream {name!r}: auth.{key}: must be a non-empty string")
    return OAuthSettings(client_name=client_name, **options)


class UpstreamLinks:
    """The users' grants for the OAuth upstreams of one gateway. `redirect_uri` is the
    gateway's callback URL (an upstream's own `auth.redirect_uri` wins); the users' link URLs
    are beside it, `…/oauth/link/<id>`. `describe`: how a link page names the principal
    whose call started the flow (called within that call; never a secret)."""

    def __init__(
        self,
        store: TokenStore | None = None,
        redirect_uri: str = DEFAULT_CALLBACK,
        clock: Callable[[], float] = time.time,
        describe: Callable[[str], Identity] = principal_only,
    ) -> None:
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self.describe = describe
        self.redirect_uri = redirect_uri
        self.flows = LinkFlows(self.store, clock)
        self.secure_cookies = redirect_uri.startswith("https:")
        self._clients: OrderedDict[
            tuple[str, str], tuple[tuple[str, UpstreamAuth], OAuthClient | ExchangedAuth]
        ] = OrderedDict()
        # (principal, upstream, era preferred) -> the user's open connection, least used first
        self._connections: OrderedDict[tuple[str, str, str], MCPConnection] = OrderedDict()
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    @staticmethod
    def key(principal: str, upstream: str) -> str:
        return f"upstream-grant:{upstream}:{principal}"

    def client(
        self, url: str, settings: UpstreamAuth, principal: str, upstream: str
    ) -> OAuthClient | ExchangedAuth:
        """The auth hook of `principal` at `upstream` (one per pair): an OAuth client whose
        grant is in the store, or the token exchange for the caller's token."""
        pair = (principal, upstream)
        known = self._clients.get(pair)
        if known is not None and known[0] == (url, settings):
            self._clients.move_to_end(pair)
            return known[1]
        client = (
            ExchangedAuth(settings)
            if isinstance(settings, TokenExchangeSettings)
            else self._oauth_client(url, settings, principal, upstream)
        )
        self._clients[pair] = ((url, settings), client)
        while len(self._clients) > MAX_CLIENTS:
            self._clients.popitem(last=False)
        return client

    def _oauth_client(
        self, url: str, settings: OAuthSettings, principal: str, upstream: str
    ) -> OAuthClient:
        if settings.redirect_uri == OAuthSettings.redirect_uri:  # not configured: ours
            settings = dataclasses.replace(settings, redirect_uri=self.redirect_uri)

        async def pending(authorize_url: str) -> str:
            """No user to ask here: remember whose flow this is, and tell them where to go."""
            state = callback_state(authorize_url)
            identity = self.describe(principal)
            link_id = await self.flows.begin(authorize_url, state, principal, upstream, identity)
            raise LinkRequired(
                self.link_url(link_id), f"MCP server {upstream!r} needs your authorization",
                principal,
            )  # fmt: skip

        return OAuthClient(
            url, settings, store=self.store, key=self.key(principal, upstream),
            on_authorize=pending,
        )  # fmt: skip

    def link_url(self, link_id: str) -> str:
        return f"{self.redirect_uri.removesuffix('/callback')}/link/{link_id}"

    async def view_link(self, link_id: str) -> LinkView:
        """A user opened their link URL: the confirmation page's facts (raises LinkRefused for
        a used or expired one). Changes nothing."""
        return await self.flows.view(link_id)

    async def confirm_link(self, link_id: str, cookies: Mapping[str, str], csrf: str | None) -> str:
        """The user confirmed on the page: the authorization URL to send the browser to."""
        return await self.flows.confirm(link_id, cookies, csrf)

    async def linked(
        self, url: str, settings: UpstreamAuth, principal: str | None, upstream: str
    ) -> bool:
        if principal is None:
            return False
        if isinstance(settings, TokenExchangeSettings):
            return SUBJECT_TOKEN.get() is not None
        client = self.client(url, settings, principal, upstream)
        assert isinstance(client, OAuthClient)
        return await client.is_linked()

    async def connection(
        self, url: str, settings: UpstreamAuth, principal: str | None, upstream: str, prefer: str
    ) -> MCPConnection:
        """The user's own connection to the upstream; raises the "authorize at URL" error
        (`authorization_error`) while they have not linked it."""
        if principal is None:
            raise MCPError(
                INVALID_REQUEST,
                f"MCP server {upstream!r} is called with each user's own authorization: "
                "this request has no authenticated caller",
            )
        client = self.client(url, settings, principal, upstream)
        if isinstance(client, ExchangedAuth):
            subject = SUBJECT_TOKEN.get()
            if subject is None:
                raise MCPError(
                    INVALID_REQUEST,
                    f"MCP server {upstream!r} is called with a token exchanged for the caller's"
                    " OAuth access token: this request did not come with one (an API key"
                    " cannot be exchanged)",
                )
            client.subject = subject
        key = (principal, upstream, prefer)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # one connect per user and upstream at a time
            conn = self._connections.get(key)
            if conn is not None and conn.auth is client:
                if isinstance(client, ExchangedAuth) or await client.is_linked():
                    self._connections.move_to_end(key)
                    return conn
                # The user's grant ended since (revoked, expired): the open connection would
                # only be refused; connecting again starts their new link (and raises it).
                del self._connections[key]
                conn.session_id = None  # no DELETE: without a token it would start a flow
                await conn.close()
            conn = await self._connect(url, settings, client, upstream, prefer)
            old = self._connections.pop(key, None)
            self._connections[key] = conn
        if old is not None:  # its client was replaced (the upstream's settings changed)
            await old.close()
        while len(self._connections) > MAX_CONNECTIONS:
            stale_key, stale = self._connections.popitem(last=False)
            self._locks.pop(stale_key, None)
            await stale.close()
        return conn

    @staticmethod
    async def _connect(
        url: str,
        settings: UpstreamAuth,
        client: OAuthClient | ExchangedAuth,
        upstream: str,
        prefer: str,
    ) -> MCPConnection:
        conn = MCPConnection(
            url, client_name=settings.client_name, prefer=prefer, auth=client,
            capabilities={"sampling": {}, "elicitation": {}, "roots": {}},
        )  # fmt: skip
        try:
            await conn.connect()
        except AuthorizationRequired:
            raise
        except OAuthError as e:
            raise MCPError(
                INVALID_REQUEST, f"MCP server {upstream!r}: authorization failed: {e}"
            ) from None
        return conn

    async def complete(
        self,
        callback_url: str,
        binding: str | None,
        upstreams: Mapping[str, tuple[str, UpstreamAuth]],
    ) -> Pending:
        """The authorization server sent the user's browser back with `callback_url`: finish
        the flow its `state` names, if `binding` is the value of the cookie its link set (once:
        a state is single-use); the client then checks `iss` and sends the PKCE verifier.
        `upstreams`: each OAuth upstream's URL and settings."""
        pending = await self.flows.finish(callback_state(callback_url), binding)
        target = upstreams.get(pending.upstream)
        if target is None or not isinstance(target[1], OAuthSettings):
            raise OAuthError(f"MCP server {pending.upstream!r} is no longer configured")
        client = self.client(*target, pending.principal, pending.upstream)
        assert isinstance(client, OAuthClient)
        await client.complete_authorization(callback_url)
        return pending

    async def unlink(self, principal: str, upstream: str) -> None:
        known = self._clients.pop((principal, upstream), None)
        if known is not None:
            await known[1].forget()
        else:
            await self.store.delete(self.key(principal, upstream))
        for prefer in ("modern", "legacy"):
            conn = self._connections.pop((principal, upstream, prefer), None)
            if conn is not None:
                await conn.close()

    async def close(self) -> None:
        connections = list(self._connections.values())
        self._connections.clear()
        for conn in connections:
            with contextlib.suppress(Exception):
                await conn.close()


def callback_state(callback_url: str) -> str:
    """The `state` parameter of an authorization request or response URL."""
    return (parse_qs(urlsplit(callback_url).query).get("state") or [""])[0]


def authorization_error(
    exc: AuthorizationRequired, upstream: str, supports_url: bool, principal: str | None
) -> MCPError:
    """What a client hears for an upstream the user has not linked: a URL elicitation
    (2025-11-25, SEP-1036) when it can open URLs, else an error naming the URL. Only a link
    made for `principal` is shown: handed to anyone else, it would link their upstream account
    to its owner."""
    if not isinstance(exc, LinkRequired) or exc.principal != principal:
        return MCPError(
            INVALID_REQUEST,
            f"MCP server {upstream!r} needs an authorization this gateway cannot give this"
            " caller a link for",
            {"server": upstream},
        )
    message = f"MCP server {upstream!r} needs your authorization: authorize at {exc.url}"
    if supports_url:
        elicitation: Json = {
            "mode": "url",
            "elicitationId": f"authorize-{upstream}",
            "url": exc.url,
            "message": f"Authorize access to MCP server {upstream!r}",
        }
        return MCPError(URL_ELICITATION_REQUIRED, message, {"elicitations": [elicitation]})
    return MCPError(INVALID_REQUEST, message, {"authorizeUrl": exc.url, "server": upstream})
