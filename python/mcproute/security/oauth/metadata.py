"""Discovery documents: the authorization servers' metadata we read (RFC 8414, OpenID Connect
Discovery) and the Protected Resource Metadata we publish (RFC 9728)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from mcproute.security.oauth.settings import OAuthSettings

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"
FETCH_TIMEOUT_S = 10.0
MAX_DOCUMENT = 512 * 1024


class MetadataError(Exception):
    """An authorization server's metadata or keys could not be had; the message names the URL
    and why, never a credential."""


def resource_metadata_path(audience: str) -> str:
    """RFC 9728 section 3.1: the well-known prefix inserted before the resource's path."""
    path = urlsplit(audience).path.rstrip("/")
    return PRM_WELL_KNOWN + path


def resource_metadata_url(audience: str) -> str:
    parts = urlsplit(audience)
    return f"{parts.scheme}://{parts.netloc}{resource_metadata_path(audience)}"


def protected_resource_metadata(settings: OAuthSettings) -> dict[str, Any]:
    return {
        "resource": settings.audience,
        "authorization_servers": list(settings.issuers),
        "scopes_supported": list(settings.scopes_supported),
        "bearer_methods_supported": ["header"],
        "resource_name": "mcproute",
    }


def metadata_urls(issuer: str) -> list[str]:
    """Where an issuer's metadata may live, in the order MCP clients try them: RFC 8414 (path
    inserted), OpenID Connect with the path inserted, then appended."""
    parts = urlsplit(issuer)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    urls = [f"{origin}/.well-known/oauth-authorization-server{path}"]
    urls.append(f"{origin}/.well-known/openid-configuration{path}")
    if path:
        urls.append(f"{origin}{path}/.well-known/openid-configuration")
    return urls


async def fetch_json(http: aiohttp.ClientSession, url: str) -> Mapping[str, Any]:
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    try:
        async with http.get(url, timeout=timeout, allow_redirects=False) as resp:
            if resp.status != 200:
                raise MetadataError(f"{url}: HTTP {resp.status}")
            body = await resp.content.read(MAX_DOCUMENT + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise MetadataError(f"{url}: unreachable ({type(exc).__name__})") from None
    if len(body) > MAX_DOCUMENT:
        raise MetadataError(f"{url}: document larger than {MAX_DOCUMENT} bytes")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MetadataError(f"{url}: not JSON") from None
    if not isinstance(document, dict):
        raise MetadataError(f"{url}: not a JSON object")
    return document


async def authorization_server_metadata(
    http: aiohttp.ClientSession, issuer: str
) -> Mapping[str, Any]:
    """The first metadata document found for `issuer`; its `issuer` must be `issuer` exactly
    (RFC 8414 section 3.3: a mismatch is a document for another server)."""
    problems = []
    for url in metadata_urls(issuer):
        try:
            document = await fetch_json(http, url)
        except MetadataError as exc:
            problems.append(str(exc))
            continue
        if document.get("issuer") != issuer:
            raise MetadataError(f"{url}: its issuer is {document.get('issuer')!r}, not {issuer!r}")
        return document
    raise MetadataError(f"no metadata for issuer {issuer}: " + "; ".join(problems))
