"""Token endpoint requests (RFC 6749 §3.2, OAuth 2.1): the client authenticates as it was
registered (`client_secret_basic`, `client_secret_post`, `private_key_jwt` per RFC 7523 §2.2,
or `none` for a public client), a DPoP proof goes with every request when the grant is
sender-constrained, and one `use_dpop_nonce` answer is retried with the server's nonce."""

from __future__ import annotations

import base64
import contextlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import aiohttp
import orjson

from mcproute.oauth_client.dpop import DPoPKey
from mcproute.oauth_client.errors import OAuthError
from mcproute.oauth_client.metadata import FETCH_TIMEOUT, MAX_DOCUMENT, ServerMetadata
from mcproute.protocol.b64url import encode as b64url
from mcproute.redact import redact, redact_url

Json = dict[str, Any]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 300
EXPIRY_MARGIN_S = 30  # refresh a token this long before it expires
KEY_TYPES = {"ES": "EC", "RS": "RSA", "PS": "RSA", "Ed": "OKP"}  # by the algorithm's prefix
# An access token travels as `Bearer <b64token>` or `DPoP <token68>` (RFC 6750 §2.1, RFC 9449
# §7.1): anything else could not be sent as it is, and control characters would be a header
# injection. A refresh token travels in a form body: visible ASCII (RFC 6749 A.17).
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
VSCHARS = re.compile(r"[\x20-\x7e]+")
SECRET_FIELDS = (
    "client_secret", "client_assertion", "code", "code_verifier", "refresh_token", "assertion",
    "subject_token", "actor_token", "password",
)  # fmt: skip


@dataclass(frozen=True)
class RegisteredClient:
    """A client identity at one authorization server (never reused at another: SEP-2352)."""

    issuer: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    auth_method: str = "none"
    private_key_pem: str | None = field(default=None, repr=False)
    signing_alg: str = "ES256"

    def to_json(self) -> Json:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: Json) -> RegisteredClient:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    scope: str | None = None

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and time.time() > self.expires_at - EXPIRY_MARGIN_S

    @property
    def is_dpop(self) -> bool:
        return self.token_type.lower() == "dpop"

    def to_json(self) -> Json:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: Json) -> TokenSet:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _form_encoded(value: str) -> str:
    return quote_plus(value, safe="")  # RFC 6749 §2.3.1: encoded before Basic


def client_assertion(client: RegisteredClient, audience: str) -> str:
    """A `private_key_jwt` assertion (RFC 7523 §3): iss = sub = client_id, aud = the issuer."""
    from joserfc import jwt
    from joserfc.jwk import JWKRegistry

    if client.private_key_pem is None:
        raise OAuthError("private_key_jwt: the client has no private key")
    key_type = KEY_TYPES.get(client.signing_alg[:2])
    if key_type is None:
        raise OAuthError(f"private_key_jwt: unsupported signing algorithm {client.signing_alg!r}")
    key = JWKRegistry.import_key(client.private_key_pem.encode(), key_type)
    now = int(time.time())
    claims = {
        "iss": client.client_id, "sub": client.client_id, "aud": audience,
        "iat": now, "exp": now + ASSERTION_LIFETIME_S, "jti": b64url(secrets.token_bytes(16)),
    }  # fmt: skip
    return jwt.encode({"alg": client.signing_alg, "typ": "JWT"}, claims, key)


def authenticate(client: RegisteredClient, form: dict[str, str], issuer: str) -> dict[str, str]:
    """Add the client's authentication to a token request: returns the extra headers."""
    method = client.auth_method
    if method == "client_secret_basic":
        pair = f"{_form_encoded(client.client_id)}:{_form_encoded(client.client_secret or '')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}
    form["client_id"] = client.client_id
    if method == "client_secret_post":
        form["client_secret"] = client.client_secret or ""
    elif method == "private_key_jwt":
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = client_assertion(client, issuer)
    return {}


def _token_set(document: Json, previous_refresh: str | None) -> TokenSet:
    access = document.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuthError("the token response has no access_token")
    if not B64TOKEN.fullmatch(access):
        raise OAuthError("the token response's access_token is not a token (RFC 6750 b64token)")
    expires_in = document.get("expires_in")
    scope = document.get("scope")
    refresh = document.get("refresh_token")
    if isinstance(refresh, str) and not VSCHARS.fullmatch(refresh):
        raise OAuthError("the token response's refresh_token is not visible ASCII (RFC 6749)")
    return TokenSet(
        access,
        str(document.get("token_type") or "Bearer"),
        refresh if isinstance(refresh, str) else previous_refresh,
        time.time() + float(expires_in) if isinstance(expires_in, int | float) else None,
        scope if isinstance(scope, str) else None,
    )


def sent_secrets(body: dict[str, str] | bytes, headers: dict[str, str]) -> list[str]:
    """What a token request carried that must not come back in an error message: the secret
    form fields and the Basic credentials' password."""
    found = [body[name] for name in SECRET_FIELDS if isinstance(body, dict) and body.get(name)]
    basic = headers.get("Authorization", "")
    if basic.startswith("Basic "):
        with contextlib.suppress(ValueError):
            _, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            found += [password, unquote_plus(password)]
    return [value for value in found if value]


def without(text: str, secrets_sent: list[str]) -> str:
    for value in sorted(secrets_sent, key=len, reverse=True):
        text = text.replace(value, "[redacted]")
    return text


async def post_form(
    http: aiohttp.ClientSession,
    url: str,
    form: Callable[[], tuple[dict[str, str] | bytes, dict[str, str]]],
    dpop: DPoPKey | None,
    what: str,
) -> Json:
    """POST a form to an authorization server endpoint and return its JSON answer. `form`
    builds (body, headers) afresh for each attempt: a retry after `use_dpop_nonce` needs a new
    proof and, for private_key_jwt, a new assertion (its `jti` is single-use)."""
    for attempt in range(2):
        body, headers = form()
        headers = {**headers, "Accept": "application/json"}
        if dpop is not None:
            headers["DPoP"] = dpop.proof("POST", url)
        try:
            async with http.post(
                url, data=body, headers=headers, timeout=FETCH_TIMEOUT, allow_redirects=False
            ) as resp:
                raw = await resp.content.read(MAX_DOCUMENT + 1)
                status, nonce = resp.status, resp.headers.get("DPoP-Nonce")
        except (aiohttp.ClientError, TimeoutError) as e:
            raise OAuthError(f"{what} at {redact_url(url)}: {type(e).__name__}") from None
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            document = None
        if not isinstance(document, dict):
            raise OAuthError(f"{what} at {redact_url(url)}: HTTP {status}, not a JSON object")
        fresh_nonce = dpop is not None and dpop.remember_nonce(url, nonce)
        if fresh_nonce and attempt == 0 and document.get("error") == "use_dpop_nonce":
            continue  # RFC 9449 §8: again, with the server's nonce
        if status >= 400 or "error" in document:
            # Relayed from the server: redacted like every upstream error (it may echo a grant),
            # and without any secret this request sent, whatever its shape.
            sent = sent_secrets(body, headers)
            error = redact(without(str(document.get("error") or ""), sent))[:100]
            described = redact(without(str(document.get("error_description") or ""), sent))[:200]
            detail = f": {described}" if described else ""
            raise OAuthError(f"{what} refused: HTTP {status} {error}{detail}", error or None)
        return document
    raise OAuthError(f"{what} at {redact_url(url)}: the DPoP nonce was refused twice")


async def request_token(
    http: aiohttp.ClientSession,
    server: ServerMetadata,
    client: RegisteredClient | None,
    params: dict[str, str],
    dpop: DPoPKey | None,
    previous_refresh: str | None = None,
) -> TokenSet:
    """One token request with `params` (grant_type and the grant's own parameters)."""

    def form() -> tuple[dict[str, str] | bytes, dict[str, str]]:
        body = dict(params)
        headers = authenticate(client, body, server.issuer) if client is not None else {}
        return body, headers

    grant = params.get("grant_type", "token")
    document = await post_form(http, server.token_endpoint, form, dpop, f"{grant} request")
    return _token_set(document, previous_refresh)


async def token_at(
    http: aiohttp.ClientSession,
    token_endpoint: str,
    client: RegisteredClient,
    params: dict[str, str],
) -> TokenSet:
    """One token request to an endpoint known without discovery (a configured exchange)."""

    def form() -> tuple[dict[str, str] | bytes, dict[str, str]]:
        body = dict(params)
        return body, authenticate(client, body, token_endpoint)

    grant = params.get("grant_type", "token").rsplit(":", 1)[-1]
    return _token_set(await post_form(http, token_endpoint, form, None, f"{grant} request"), None)
