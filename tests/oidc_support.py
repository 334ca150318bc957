"""A real authorization server for the OAuth tests: tests/oidc/provider.mjs (panva's oidc-provider)
on a free 127.0.0.1 port, with helpers to obtain tokens the way clients do (authorization code +
PKCE with resource indicators, client credentials, refresh) and to steer it (tenant claims, minted
tokens with chosen lifetimes, signing-key rotation, opaque tokens, DPoP-bound tokens).

    async with authorization_server(tmp_path) as auth:
        tokens = await auth.token("http://127.0.0.1:4000/mcp", ["mcp"], subject="bob", tenant="t1")

or the `auth_server` fixture (one server per test)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import aiohttp
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from conftest import ROOT, require
from mcp_support import NODE, NODE_MODULES, free_port

PROVIDER = ROOT / "tests" / "oidc" / "provider.mjs"
SETTINGS = ROOT / "tests" / "oidc" / "provider.json"
# Pre-registered clients of provider.json.
PUBLIC_CLIENT = "test-tokens"
PUBLIC_REDIRECT = "http://127.0.0.1/callback"
MACHINE_CLIENT = ("test-machine", "machine-secret-for-tests-only")
EXCHANGE_CLIENT = ("gateway-exchanger", "exchanger-secret-for-tests-only")  # RFC 8693
INTROSPECTION_CLIENT = ("mcproute-introspector", "introspector-secret-for-tests-only")


class AuthorizationError(Exception):
    """The authorization server refused a request (its OAuth error in the message)."""


def dpop_proof(key: ECKey, method: str, url: str, nonce: str | None = None) -> str:
    """An RFC 9449 proof of possession of `key` for one request."""
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    claims = {"jti": secrets.token_urlsafe(12), "htm": method, "htu": url, "iat": int(time.time())}
    if nonce is not None:
        claims["nonce"] = nonce
    return jwt.encode(header, claims, key)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def browser_session() -> aiohttp.ClientSession:
    """A client that keeps cookies like a browser, IP-address hosts included."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@dataclass
class AuthorizationServer:
    issuer: str
    log_path: Path

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, f"{self.issuer}/_test/{path}", json=body) as resp,
        ):
            answer = await resp.json()
            if resp.status != 200:
                raise AuthorizationError(f"control {path}: {answer}")
            return answer

    async def account(
        self, subject: str, tenant: str | None = None, *, default: bool = False
    ) -> None:
        """Set `subject`'s tenant claim; `default` makes it the subject of later headless logins
        (the SDK clients' flows, which carry no login_hint)."""
        await self._control(
            "POST", "account", {"subject": subject, "tenant": tenant, "default": default}
        )

    async def rotate(self, *, retire: bool = False) -> str:
        """A new signing key signs tokens from now on; returns its kid. `retire` drops the old
        keys from the JWKS (tokens they signed stop verifying)."""
        answer = await self._control("POST", "rotate", {"retire": retire})
        return str(answer["kid"])

    async def exchanges(self) -> list[dict[str, str]]:
        """The token exchanges made so far: client, subject, resource, scope."""
        return list((await self._control("GET", "exchanges"))["exchanges"])

    async def kids(self) -> list[str]:
        return list((await self._control("GET", "keys"))["kids"])

    async def opaque(self, resource: str) -> None:
        """Tokens for `resource` are opaque from now on (only introspection can read them)."""
        await self._control("POST", "resource", {"resource": resource, "format": "opaque"})

    async def mint(
        self,
        resource: str,
        scopes: Sequence[str],
        *,
        subject: str = "alice",
        tenant: str | None = None,
        expires_in: int | None = None,
        iat_offset: int = 0,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """An access token made by the provider's own token model and signing key, with a chosen
        lifetime: `iat_offset=-3600, expires_in=60` is one that expired 59 minutes ago. `claims`
        are set in its payload last (None removes one): `{"nbf": time.time() + 600}`."""
        body: dict[str, Any] = {
            "resource": resource,
            "scope": " ".join(scopes),
            "subject": subject,
            "iat_offset": iat_offset,
            "claims": claims or {},
        }
        if tenant is not None:
            body["tenant"] = tenant
        if expires_in is not None:
            body["expires_in"] = expires_in
        return str((await self._control("POST", "mint", body))["access_token"])

    async def follow_authorization(
        self, url: str, redirect_uri: str, browser: aiohttp.ClientSession | None = None
    ) -> dict[str, str]:
        """What a browser would do with an authorization URL: follow the redirects through the
        headless login and consent until the redirect URI; returns its query (code, state, iss or
        error). `browser`: a session whose cookies to use and keep (else a fresh one)."""
        async with contextlib.AsyncExitStack() as stack:
            http = browser or await stack.enter_async_context(browser_session())
            for _ in range(10):
                async with http.get(url, allow_redirects=False) as resp:
                    location = resp.headers.get("Location")
                    if location is None:
                        raise AuthorizationError(
                            f"{resp.status} without redirect: {await resp.text()}"
                        )
                url = urljoin(url, location)
                if url.startswith(redirect_uri):
                    query = parse_qs(urlsplit(url).query)
                    return {name: values[0] for name, values in query.items()}
        raise AuthorizationError("too many redirects")

    async def token(
        self,
        resource: str,
        scopes: Sequence[str],
        *,
        subject: str = "alice",
        tenant: str | None = None,
        client_id: str = PUBLIC_CLIENT,
        redirect_uri: str = PUBLIC_REDIRECT,
    ) -> dict[str, Any]:
        """The token response of an authorization code + PKCE flow for `subject` (logged in
        through login_hint) with `resource` on both requests."""
        if tenant is not None:
            await self.account(subject, tenant)
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(8)
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "resource": resource,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "login_hint": subject,
            "prompt": "consent",
        }
        answer = await self.follow_authorization(
            f"{self.issuer}/auth?{urlencode(query)}", redirect_uri
        )
        if "code" not in answer or answer.get("state") != state:
            raise AuthorizationError(f"authorization refused: {answer}")
        form = {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": verifier,
            "resource": resource,
        }
        return await self._token_request(form)

    async def refresh(
        self, refresh_token: str, resource: str, client_id: str = PUBLIC_CLIENT
    ) -> dict[str, Any]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "resource": resource,
        }
        return await self._token_request(form)

    async def client_credentials(
        self, resource: str, scopes: Sequence[str], client: tuple[str, str] = MACHINE_CLIENT
    ) -> dict[str, Any]:
        form = {"grant_type": "client_credentials", "scope": " ".join(scopes), "resource": resource}
        return await self._token_request(form, client)

    async def dpop_token(
        self, resource: str, scopes: Sequence[str], client: tuple[str, str] = MACHINE_CLIENT
    ) -> str:
        """A client-credentials access token bound (`cnf.jkt`) to a fresh DPoP key."""
        key = ECKey.generate_key("P-256")
        form = {"grant_type": "client_credentials", "scope": " ".join(scopes), "resource": resource}
        headers = {"DPoP": dpop_proof(key, "POST", self.token_endpoint)}
        answer = await self._token_request(form, client, headers)
        assert answer["token_type"] == "DPoP", answer
        return str(answer["access_token"])

    async def _token_request(
        self,
        form: dict[str, str],
        client: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        headers = dict(headers or {})
        if client:
            headers["Authorization"] = aiohttp.encode_basic_auth(*client)
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.token_endpoint, data=form, headers=headers) as resp,
        ):
            answer: dict[str, Any] = await resp.json()
            if resp.status != 200:
                raise AuthorizationError(f"token endpoint: {answer}")
            return answer


@contextlib.asynccontextmanager
async def authorization_server(tmp_path: Path) -> AsyncIterator[AuthorizationServer]:
    """oidc-provider on a free port, its log in `tmp_path`; stopped on exit."""
    require(
        NODE.is_file() and (NODE_MODULES / "oidc-provider").is_dir(),
        "oidc-provider not installed (make test)",
    )
    port = free_port()
    log_path = tmp_path / f"oidc-provider-{port}.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            str(NODE),
            str(PROVIDER),
            str(SETTINGS),
            str(port),
            env={**os.environ, "NODE_MODULES": str(NODE_MODULES)},
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=tmp_path,
        )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if not line.startswith(b"ready "):
            raise AuthorizationError(
                f"oidc-provider did not start: {log_path.read_text(errors='replace')}"
            )
        yield AuthorizationServer(line.decode().split()[1], log_path)
    finally:
        if proc.returncode is None:
            proc.terminate()
        with contextlib.suppress(ProcessLookupError):
            await asyncio.wait_for(proc.wait(), 10)


@pytest.fixture
async def auth_server(tmp_path: Path) -> AsyncIterator[AuthorizationServer]:
    async with authorization_server(tmp_path) as server:
        yield server
