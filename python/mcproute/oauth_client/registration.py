"""How the client gets a client_id at an authorization server, in the MCP specification's order
of preference: credentials registered beforehand, a Client ID Metadata Document (the client_id
is the URL of a document describing the client) when the server supports them, else Dynamic
Client Registration (RFC 7591)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from mcproute.oauth_client.errors import OAuthError
from mcproute.oauth_client.metadata import ServerMetadata
from mcproute.oauth_client.tokens import RegisteredClient, post_form

Json = dict[str, Any]
DEFAULT_AUTH_METHODS = ["client_secret_basic"]  # RFC 8414 §2: when the server names none
LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def secret_method(server: ServerMetadata) -> str:
    """How to send a client secret to this server: Basic if it takes it, else in the body."""
    supported = server.get("token_endpoint_auth_methods_supported") or DEFAULT_AUTH_METHODS
    if "client_secret_basic" in supported or "client_secret_post" not in supported:
        return "client_secret_basic"
    return "client_secret_post"


def preregistered(
    server: ServerMetadata,
    client_id: str,
    client_secret: str | None,
    private_key_pem: str | None,
    signing_alg: str,
    auth_method: str | None,
) -> RegisteredClient:
    if auth_method is None:
        if private_key_pem is not None:
            auth_method = "private_key_jwt"
        elif client_secret is not None:
            auth_method = secret_method(server)
        else:
            auth_method = "none"
    return RegisteredClient(
        server.issuer, client_id, client_secret, auth_method, private_key_pem, signing_alg
    )


def application_type(redirect_uri: str) -> str:
    """OIDC `application_type` (SEP-837): a loopback redirect is a native app's."""
    return "native" if (urlsplit(redirect_uri).hostname or "") in LOOPBACK else "web"


async def register(
    http: aiohttp.ClientSession,
    server: ServerMetadata,
    client_name: str,
    redirect_uri: str,
    grant_types: list[str],
) -> RegisteredClient:
    """Dynamic Client Registration: a public client when the server accepts one (PKCE protects
    the code), else a confidential one with whatever method the server prefers."""
    endpoint = server.get("registration_endpoint")
    if not isinstance(endpoint, str):
        raise OAuthError(
            f"authorization server {server.issuer} offers no dynamic client registration: "
            "configure a client_id registered there"
        )
    supported = server.get("token_endpoint_auth_methods_supported") or DEFAULT_AUTH_METHODS
    wanted = "none" if "none" in supported else secret_method(server)
    metadata = {
        "client_name": client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": wanted,
        "application_type": application_type(redirect_uri),
    }

    body = orjson.dumps(metadata)
    document = await post_form(
        http, endpoint, lambda: (body, {"Content-Type": "application/json"}), None,
        "client registration",
    )  # fmt: skip
    client_id = document.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise OAuthError("the registration response has no client_id")
    secret = document.get("client_secret")
    method = document.get("token_endpoint_auth_method")
    if not isinstance(method, str):
        method = secret_method(server) if isinstance(secret, str) else "none"
    return RegisteredClient(
        server.issuer, client_id, secret if isinstance(secret, str) else None, method
    )
