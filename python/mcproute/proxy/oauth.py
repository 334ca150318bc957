"""`/mcp` as an OAuth 2.1 protected resource (the MCP authorization spec), beside API keys.

- `GET /.well-known/oauth-protected-resource` and the same with the resource's path appended
  (RFC 9728) answer without auth: the resource URI, its authorization servers, its scopes.
- A request to `/mcp` with no credential, or with a bearer token that fails, gets a 401 with
  `WWW-Authenticate: Bearer resource_metadata="…", scope="…"` (and `error="invalid_token"` when
  a token was presented). A token without any `mcp` scope, or calling a tool or prompt its
  scopes do not reach, gets a 403 `insufficient_scope` naming the scope to ask for (step-up).
- API keys (`mcpr_…`) keep working exactly as before; anything else presented as a bearer is an
  access token, checked locally (`mcproute.security.oauth.validator`). Its caller becomes an
  `ApiKeyRecord` for the rest of the proxy: id `oauth-<digest of issuer and subject>`, the scopes
  the token maps to and its tenant, so sessions, access policy and contexts treat both alike.

Tokens are never logged or echoed; the reasons shown name the failed check only."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
import orjson
from aiohttp import web

from mcproute.proxy.auth import OAUTH_ENV, allows, mcp_allows, presented_key
from mcproute.proxy.errors import error_response
from mcproute.proxy.handling import BodyError, read_body
from mcproute.security import ApiKeyRecord
from mcproute.security.oauth.metadata import (
    PRM_WELL_KNOWN,
    MetadataError,
    protected_resource_metadata,
    resource_metadata_path,
    resource_metadata_url,
)
from mcproute.security.oauth.settings import OAuthSettings
from mcproute.security.oauth.tokens import TokenPrincipal, TokenRefused, VerificationUnavailable
from mcproute.security.oauth.validator import TokenValidator

if TYPE_CHECKING:
    from mcproute.protocol.gateway import Gateway
    from mcproute.proxy.auth import Authenticator

log = logging.getLogger("mcproute.auth")
API_KEY_PREFIX = "mcpr_"
NAMED_CALLS = {"tools/call": "tool", "prompts/get": "prompt"}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET",
    "Access-Control-Allow-Headers": "MCP-Protocol-Version",
    "Access-Control-Max-Age": "86400",
}


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def principal_record(principal: TokenPrincipal) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=principal.principal_id,
        env=OAUTH_ENV,
        secret_hash=b"",
        scopes=principal.scopes | {f"tenant:{principal.tenant}"},
        expires_at=principal.expires_at,
        name=principal.subject,
    )


class OAuthResource:
    """One per worker: the validator (metadata and key caches) and its HTTP client."""

    def __init__(self, settings: OAuthSettings) -> None:
        self.settings = settings
        self.validator = TokenValidator(settings)
        self.metadata_url = resource_metadata_url(settings.audience)
        self._scope = " ".join(settings.scopes_supported)
        self._http: aiohttp.ClientSession | None = None
        self.gateway: Gateway | None = None  # set when it is built: step-up needs upstream names

    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    async def start(self, _: web.Application) -> None:
        """Read the authorization servers' metadata now; `serve` has checked they answer, so a
        failure here is transient: logged, and retried on the first token."""
        try:
            await self.validator.discover(self.http())
        except MetadataError as exc:
            log.warning("auth.oauth: %s (retried on the first token)", exc)

    async def close(self, _: web.Application) -> None:
        if self._http is not None:
            await self._http.close()

    def add_routes(self, app: web.Application) -> None:
        paths = {PRM_WELL_KNOWN, resource_metadata_path(self.settings.audience)}
        for path in sorted(paths):
            app.router.add_get(path, self.resource_metadata)
            app.router.add_route("OPTIONS", path, self.resource_metadata_preflight)
        app.on_startup.append(self.start)
        app.on_cleanup.append(self.close)

    async def resource_metadata(self, _: web.Request) -> web.Response:
        document = protected_resource_metadata(self.settings)
        return web.json_response(document, headers={"Access-Control-Allow-Origin": "*"})

    async def resource_metadata_preflight(self, _: web.Request) -> web.Response:
        """CORS preflight: browser clients fetch the metadata with an `MCP-Protocol-Version`
        header, which makes the browser ask first. A public document: any origin, GET only."""
        return web.Response(status=204, headers=PREFLIGHT_HEADERS)

    def challenge_header(
        self, error: str | None = None, message: str = "", scope: str | None = None
    ) -> str:
        """RFC 6750 / RFC 9728: where the metadata is and which scope to ask for."""
        params = [
            f"resource_metadata={_quoted(self.metadata_url)}",
            f"scope={_quoted(scope or self._scope)}",
        ]
        if error is not None:
            params = [f"error={_quoted(error)}", *params, f"error_description={_quoted(message)}"]
        return "Bearer " + ", ".join(params)

    def challenge(
        self,
        request: web.Request,
        status: int,
        message: str,
        error: str | None = None,
        scope: str | None = None,
    ) -> web.Response:
        """An error with the challenge MCP clients start their authorization flow from."""
        response = error_response(request, status, message, error or "missing_credentials")
        response.headers["WWW-Authenticate"] = self.challenge_header(error, message, scope)
        return response

    async def authenticate(
        self, request: web.Request, authenticator: Authenticator
    ) -> ApiKeyRecord | web.Response:
        """The caller of an `/mcp` request: by API key as always, else by access token."""
        credential = presented_key(request)
        if not credential:
            return self.challenge(
                request, 401, "missing credentials: an OAuth access token or API key"
            )
        if credential.startswith(API_KEY_PREFIX):
            record = await authenticator.record(request, credential)
            if isinstance(record, web.Response) and record.status == 401:
                record.headers["WWW-Authenticate"] = self.challenge_header()
            return record
        try:
            principal = await self.validator.validate(self.http(), credential)
        except TokenRefused as exc:
            log.info("access token refused: %s (%s %s)", exc.reason, request.method, request.path)
            return self.challenge(request, 401, exc.reason, "invalid_token")
        except VerificationUnavailable as exc:
            log.warning("access token not checked: %s", exc)
            return error_response(request, 503, str(exc), "auth_unavailable")
        record = principal_record(principal)
        if not allows(record, "mcp"):
            return self.challenge(
                request, 403, "the access token grants no mcp scope", "insufficient_scope"
            )
        needed = await self.needed_scope(request, record)
        if needed is not None:
            message = f"the access token lacks the {needed!r} scope"
            return self.challenge(request, 403, message, "insufficient_scope", needed)
        return record

    async def needed_scope(self, request: web.Request, record: ApiKeyRecord) -> str | None:
        """For a `tools/call` or `prompts/get` of a namespaced name the token's scopes do not
        reach: the scope to ask for (ours, or the authorization server's that `scope_map` turns
        into it). Anything else is left to the gateway, which refuses it as for API keys."""
        gateway = self.gateway
        if gateway is None or not gateway.namespace.enabled or request.method != "POST":
            return None
        try:
            body = await read_body(request)
        except BodyError:
            return None  # the transport answers for the body
        if b'"tools/call"' not in body and b'"prompts/get"' not in body:
            return None  # most requests: no parse here
        try:
            message = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(message, dict) or message.get("method") not in NAMED_CALLS:
            return None
        params = message.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        if not isinstance(name, str):
            return None
        upstream, separator, original = name.partition(gateway.namespace.separator)
        kind = NAMED_CALLS[message["method"]]
        if not separator or upstream not in gateway.upstreams:
            return None
        if mcp_allows(record, kind, upstream, original):
            return None
        ours = f"mcp:{upstream}:{original}"
        granting = {"mcp", f"mcp:{upstream}", ours}
        theirs = [
            scope for scope, targets in self.settings.scope_map.items() if granting & set(targets)
        ]
        return theirs[0] if theirs else ours


def check_authorization_servers(settings: OAuthSettings) -> str | None:
    """Before serving: every authorization server's metadata and JWKS can be read; else why not."""

    async def discover() -> None:
        validator = TokenValidator(settings)
        async with aiohttp.ClientSession() as http:
            await validator.discover(http, keys=True)

    try:
        asyncio.run(discover())
    except MetadataError as exc:
        return f"auth.oauth: cannot reach the authorization server: {exc}"
    return None
