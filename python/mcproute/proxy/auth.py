"""API key middleware: every route but the health checks needs a key with the route's scope.

Keys come in `Authorization: Bearer <key>` or `x-api-key: <key>`. Scopes (`admin` grants all):

- `models` (every model) or `model:<name>`;
- `mcp` (every upstream MCP server), `mcp:<server>` (one server's tools, prompts and resources),
  `mcp:<server>:<name>` (one tool or prompt, or a resource URI);
- `contexts` (create, read, append and delete the tenant's shared contexts), `contexts:read`,
  `context:<id>` (read and append one context); `tenant:<name>` puts the key in a tenant
  (default `default`), whose contexts it shares with the tenant's other keys;
- `metrics`, `admin`.

A key created with `require_signature` must also sign every request (RFC 9421, `hmac-sha256`,
`keyid` = the API key's id, covering the method, target URI, content type and Content-Digest);
its HMAC key is `ApiKeyManager.signing_secret(key_id)`, handed out once when the key is made.
The dashboard checks keys with the same `Authenticator`, so this holds there too.

Every refusal of a key (malformed, bad checksum, unknown id, wrong secret, relabelled, revoked,
expired) gets the same 401, `invalid_key`: a caller cannot tell a key id that exists from one
that does not. The precise reason goes to the `mcproute.auth` log at INFO, never the key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from mcproute.proxy.errors import error_response
from mcproute.proxy.handling import BodyError, read_body
from mcproute.proxy.observe import TIMING
from mcproute.security import (
    ApiKeyError,
    ApiKeyManager,
    ApiKeyRecord,
    SignatureError,
    SignatureVerifier,
)
from mcproute.store.nonces import NoncesLostError, NonceStore, StoreUnavailableError

if TYPE_CHECKING:
    from mcproute.proxy.oauth import OAuthResource

log = logging.getLogger("mcproute.auth")
# /oauth/callback and /oauth/link/: a browser linking an upstream; the single-use link id and
# the cookie it sets are the credentials (`proxy.user_links`).
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/oauth/callback"})
# The dashboard signs in by itself; discovery documents are public (404 where not configured).
OPEN_PREFIXES = ("/dashboard", "/.well-known/", "/oauth/link/")
INVALID_KEY = "invalid_key"
# ApiKeyRecord.env of a caller who came with an OAuth access token (`proxy.oauth`, imported only
# where OAuth is configured: it needs joserfc and cryptography).
OAUTH_ENV = "oauth"
SIGNATURE_WINDOW_S = 300  # how far `created` may be from now, either way
RECORD = web.RequestKey("api_key_record", ApiKeyRecord)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_scope(path: str) -> str | None:
    """The scope a route needs before its handler runs; None: the handler checks finer scopes."""
    if path.startswith("/mcp"):
        return "mcp"
    if path == "/metrics":
        return "metrics"
    if path.startswith("/admin"):
        return "admin"
    if path.startswith("/v1/contexts") or path == "/v1/usage":  # any key reads its own usage
        return None
    return "models"


def presented_key(request: web.Request) -> str | None:
    return key_in(request.headers)


def key_in(headers: Mapping[str, str]) -> str | None:
    """The credential in `Authorization: Bearer ...`, else in `x-api-key`."""
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return headers.get("x-api-key")


def allows(record: ApiKeyRecord, scope: str, model: str | None = None) -> bool:
    scopes = record.scopes
    if "admin" in scopes or scope in scopes:
        return True
    if scope == "mcp":
        return any(s.startswith("mcp:") for s in scopes)
    return scope == "models" and model is not None and f"model:{model}" in scopes


_MCP_ALLOWED: dict[tuple[frozenset[str], str, str], bool] = {}  # (scopes, upstream, name)


def mcp_allows(record: Any, kind: str, upstream: str, name: str) -> bool:
    """The gateway's access policy: may this key see and use `name` of MCP server `upstream`?
    Asked on every call and for every listed item, so kept per set of scopes."""
    if not isinstance(record, ApiKeyRecord):
        return False
    scopes = record.scopes
    key = (scopes, upstream, name)
    allowed = _MCP_ALLOWED.get(key)
    if allowed is None:
        wanted = {"admin", "mcp", f"mcp:{upstream}", f"mcp:{upstream}:{name}"}
        allowed = not wanted.isdisjoint(scopes)
        if len(_MCP_ALLOWED) > 10_000:  # names or sets of scopes no longer in use: start over
            _MCP_ALLOWED.clear()
        _MCP_ALLOWED[key] = allowed
    return allowed


_TENANTS: dict[frozenset[str], str] = {}  # scopes -> tenant (a frozenset keeps its hash)


def tenant_of(record: ApiKeyRecord) -> str:
    """The key's tenant (`tenant:<name>` among its scopes, else "default"); asked a few times
    per request, so kept per set of scopes."""
    scopes = record.scopes
    found = _TENANTS.get(scopes)
    if found is None:
        found = next((s[len("tenant:") :] for s in scopes if s.startswith("tenant:")), "default")
        if len(_TENANTS) > 10_000:  # sets of scopes no key has any more: start over
            _TENANTS.clear()
        _TENANTS[scopes] = found
    return found


def context_tenant(record: ApiKeyRecord, context_id: str | None, action: str) -> str | None:
    """The tenant whose contexts this key may reach for `action` ("read", "append", "create",
    "delete"); None means every tenant (admin keys). Raises PermissionError when it may not.
    `context_id` is None for operations on the collection (create, list)."""
    scopes = record.scopes
    if "admin" in scopes:
        return None
    if "contexts" in scopes or ("contexts:read" in scopes and action == "read"):
        return tenant_of(record)
    if action in ("read", "append") and f"context:{context_id}" in scopes:
        return tenant_of(record)
    target = f"context {context_id!r}" if context_id else "contexts"
    raise PermissionError(f"this API key may not {action} {target}")


def log_refusal(request: web.Request, exc: ApiKeyError) -> None:
    """The precise reason a key was refused, for the operator; never the key."""
    reason = getattr(exc, "reason", "invalid")
    log.info("api key refused: %s (%s %s)", reason, request.method, request.path)


def key_refused(request: web.Request, exc: ApiKeyError) -> web.Response:
    """The one 401 for every refused key; the precise reason goes to the log only."""
    log_refusal(request, exc)
    return error_response(request, 401, "invalid API key", INVALID_KEY)


class Authenticator:
    """Checks a request's API key and, for keys that require it, its RFC 9421 signature.

    One per process: its verifier's replay cache sees every signed request this worker serves;
    `nonces` (`mcproute.store.nonces`) extends that to every worker and replica sharing it, so
    a request replayed to another one is refused too."""

    def __init__(self, keys: ApiKeyManager, nonces: NonceStore | None = None) -> None:
        self.keys = keys
        self._verifier = SignatureVerifier({}, window=SIGNATURE_WINDOW_S)
        self._verifier_keys: set[str] = set()
        self._nonces = nonces

    async def signature_problem(self, request: web.Request, record: ApiKeyRecord) -> str | None:
        """Why the request's signature does not prove `record`'s key, or None if it does."""
        if record.key_id not in self._verifier_keys:
            self._verifier.set_key(record.key_id, self.keys.signing_secret(record.key_id))
            self._verifier_keys.add(record.key_id)
        try:
            body = await read_body(request)
        except BodyError as exc:
            return str(exc)
        try:
            signature = self._verifier.verify(
                request.method, str(request.url), request.headers.items(), body
            )
        except SignatureError as exc:
            return str(exc)
        if signature.key_id != record.key_id:
            return "signature: keyid does not name the presented API key"
        if self._nonces is not None and signature.nonce is not None:
            # Remembered for as long as the signature could still pass the window.
            ttl = signature.created + SIGNATURE_WINDOW_S - time.time() + 1
            try:
                claimed = await self._nonces.claim(
                    record.key_id, signature.nonce, max(ttl, 1.0), signature.created
                )
            except NoncesLostError as exc:
                return str(exc)
            if not claimed:
                return "signature parameter 'nonce': already used (replay)"
        return None

    async def record(self, request: web.Request, key: str) -> ApiKeyRecord | web.Response:
        """The record of `key` presented with `request`, or the 401 to answer with."""
        try:
            record = await self.keys.averify(key)
        except ApiKeyError as exc:
            return key_refused(request, exc)
        except StoreUnavailableError as exc:  # the key store's database is down: fail closed
            return error_response(request, 503, str(exc), "store_unavailable")
        if record.require_signature:
            try:
                problem = await self.signature_problem(request, record)
            except StoreUnavailableError as exc:  # fail closed: no replay check, no request
                return error_response(request, 503, str(exc), "store_unavailable")
            if problem is not None:
                message = f"this API key requires an RFC 9421 request signature: {problem}"
                return error_response(request, 401, message, "invalid_signature")
        return record

    def record_now(self, request: web.Request, key: str) -> ApiKeyRecord | web.Response | None:
        """`record` without a coroutine: the record of a cached key that needs no signature,
        or the 401 of a refused one; None: await `record` (not cached, or signed)."""
        try:
            record = self.keys.verify_now(key)
        except ApiKeyError as exc:
            return key_refused(request, exc)
        if record is None or record.require_signature:
            return None
        return record

    async def authenticate(self, request: web.Request) -> ApiKeyRecord | web.Response:
        """The record of the key in the request's headers, or the 401 to answer with."""
        key = presented_key(request)
        if not key:
            return error_response(
                request, 401, "missing API key (Authorization: Bearer ...)", "missing_api_key"
            )
        return await self.record(request, key)


Refused = Callable[[web.Request, ApiKeyRecord, web.Response], Awaitable[None]]


def middleware(
    authenticator: Authenticator,
    oauth: OAuthResource | None = None,
    refused: Refused | None = None,
) -> Middleware:
    """`oauth` (`auth.oauth` configured): `/mcp` also takes OAuth access tokens. `refused` is
    told of each call a valid key makes outside its scopes (the admin API's audit trail)."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS or request.path.startswith(OPEN_PREFIXES):
            return await handler(request)  # health checks, dashboard, discovery documents
        if oauth is not None and request.path.startswith("/mcp"):
            record = await oauth.authenticate(request, authenticator)
        else:
            record = await authenticator.authenticate(request)
        admitted = await admit(request, record, refused)
        if isinstance(admitted, web.Response):
            return admitted
        return await handler(request)

    return authenticate


async def admit(
    request: web.Request, record: ApiKeyRecord | web.Response, refused: Refused | None = None
) -> ApiKeyRecord | web.Response:
    """The caller `record` on the request if its key has the route's scope; else the refusal
    to answer with (`record` itself when it is one), `refused` told of a valid key's."""
    if isinstance(record, web.Response):
        return record
    scope = route_scope(request.path)
    if scope is not None and scope != "models" and not allows(record, scope):
        forbidden = error_response(
            request, 403, f"this API key lacks the {scope!r} scope", "forbidden"
        )
        if refused is not None:
            await refused(request, record, forbidden)
        return forbidden
    request[RECORD] = record
    request[TIMING].key_id = record.key_id
    return record
