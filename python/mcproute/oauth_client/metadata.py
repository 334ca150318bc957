"""Discovery: from an MCP server's URL (and its 401) to the authorization server's metadata.

1. Protected Resource Metadata (RFC 9728): the `resource_metadata` URL of the challenge, else
   the path-based well-known URL (`/.well-known/oauth-protected-resource/<path>`), else the root
   one. Its `resource` must name this server (same origin, a prefix of its path): a document
   that names another resource is refused, so no token for one server is ever asked for on
   behalf of another.
2. Authorization server metadata (RFC 8414, then OpenID Connect Discovery): for an issuer with a
   path, `/.well-known/oauth-authorization-server/<path>`, `/.well-known/openid-configuration/
   <path>` and `<path>/.well-known/openid-configuration`, in that order; for one without, the
   two root documents. The document's `issuer` must equal the issuer it was looked up for
   (RFC 8414 §3.3), or it is refused.
3. A server without protected resource metadata is a 2025-03-26 server: its origin is the
   authorization base URL, metadata at the root, else the default `/authorize`, `/token` and
   `/register` endpoints. That revision's servers publish issuers that differ from where the
   document lives, so there a mismatch is logged, not refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from mcproute.oauth_client.errors import OAuthError
from mcproute.redact import redact_url

Json = dict[str, Any]
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10)
MAX_DOCUMENT = 256 * 1024
log = logging.getLogger("mcproute.oauth.client")


@dataclass(frozen=True)
class ResourceInfo:
    """What the client learned about the protected resource."""

    resource: str  # the `resource` parameter: exactly as the metadata wrote it
    authorization_servers: list[str]
    scopes_supported: list[str] | None = None
    from_metadata: bool = True  # False: a 2025-03-26 server, no protected resource metadata
    dpop: bool = False  # the resource takes DPoP-bound tokens (RFC 9728 §2 dpop_* fields)


@dataclass(frozen=True)
class ServerMetadata:
    """An authorization server's metadata, with the issuer it was looked up for."""

    issuer: str
    document: Json = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.document.get(key, default)

    @property
    def token_endpoint(self) -> str:
        endpoint = self.document.get("token_endpoint")
        if not isinstance(endpoint, str):
            raise OAuthError(f"authorization server {self.issuer}: no token_endpoint")
        return endpoint


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


async def get_json(http: aiohttp.ClientSession, url: str) -> Json | None:
    """A JSON object from `url`; None when the server has none there (any non-200 answer or a
    body that is not a JSON object), so that discovery tries its next location."""
    try:
        async with http.get(url, timeout=FETCH_TIMEOUT, allow_redirects=False) as resp:
            if resp.status != 200:
                return None
            body = await resp.content.read(MAX_DOCUMENT + 1)
    except (aiohttp.ClientError, TimeoutError) as e:
        raise OAuthError(f"fetching {redact_url(url)}: {type(e).__name__}") from None
    if len(body) > MAX_DOCUMENT:
        return None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def resource_matches(resource: str, server_url: str) -> bool:
    """RFC 9728 §3.3 / RFC 8707: the metadata's resource is this server, or a prefix of it on
    path-segment boundaries, at the same origin."""
    if origin(resource).lower() != origin(server_url).lower():
        return False
    prefix, path = _path(resource), _path(server_url)
    return path == prefix or path.startswith(prefix + "/")


async def discover_resource(
    http: aiohttp.ClientSession, server_url: str, metadata_url: str | None
) -> ResourceInfo:
    base, path = origin(server_url), _path(server_url)
    candidates = [metadata_url] if metadata_url else []
    if path:
        candidates.append(f"{base}/.well-known/oauth-protected-resource{path}")
    candidates.append(f"{base}/.well-known/oauth-protected-resource")
    for url in candidates:
        document = await get_json(http, url)
        if document is None:
            continue
        resource = document.get("resource")
        servers = document.get("authorization_servers")
        if not isinstance(resource, str) or not resource_matches(resource, server_url):
            raise OAuthError(
                f"protected resource metadata at {redact_url(url)} names another resource "
                f"({redact_url(str(resource))}), not {redact_url(server_url)}"
            )
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], str):
            raise OAuthError(
                f"protected resource metadata at {redact_url(url)}: no authorization_servers"
            )
        scopes = document.get("scopes_supported")
        dpop = bool(document.get("dpop_bound_access_tokens_required")) or isinstance(
            document.get("dpop_signing_alg_values_supported"), list
        )
        return ResourceInfo(
            resource, [s for s in servers if isinstance(s, str)],
            [s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else None,
            dpop=dpop,
        )  # fmt: skip
    # No protected resource metadata: the 2025-03-26 rules.
    return ResourceInfo(server_url, [base], None, from_metadata=False)


def metadata_urls(issuer: str) -> list[str]:
    base, path = origin(issuer), _path(issuer)
    if not path:
        return [
            f"{base}/.well-known/oauth-authorization-server",
            f"{base}/.well-known/openid-configuration",
        ]
    return [
        f"{base}/.well-known/oauth-authorization-server{path}",
        f"{base}/.well-known/openid-configuration{path}",
        f"{base}{path}/.well-known/openid-configuration",
    ]


async def discover_server(
    http: aiohttp.ClientSession, issuer: str, *, legacy: bool = False
) -> ServerMetadata:
    """The metadata of the authorization server `issuer`. `legacy` (a 2025-03-26 server):
    the root document only, else the default endpoints under `issuer`."""
    urls = metadata_urls(issuer)[:1] if legacy else metadata_urls(issuer)
    for url in urls:
        document = await get_json(http, url)
        if document is None:
            continue
        published = document.get("issuer")
        if published != issuer:
            if not legacy:
                raise OAuthError(
                    f"authorization server metadata at {redact_url(url)} names issuer "
                    f"{redact_url(str(published))}, not {redact_url(issuer)} (RFC 8414 §3.3)"
                )
            log.warning("%s: metadata names issuer %s (2025-03-26 server)", redact_url(url),
                        redact_url(str(published)))  # fmt: skip
            issuer = published if isinstance(published, str) else issuer
        return ServerMetadata(issuer, document)
    if legacy:
        return ServerMetadata(
            issuer,
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "registration_endpoint": f"{issuer}/register",
            },
        )
    raise OAuthError(f"no authorization server metadata for {redact_url(issuer)}")
