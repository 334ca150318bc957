"""The official `mcp` SDK's server over the 2024-11-05 HTTP+SSE transport, as an OAuth protected
resource of the test authorization server: the SDK's own bearer middleware on both the GET
stream and the message POSTs, its Protected Resource Metadata, and JWT access tokens checked
against the authorization server's JWKS, audience included.

`python tests/sdk_oauth_sse_server.py PORT ISSUER`
"""

from __future__ import annotations

import sys
import time

import aiohttp
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

port, issuer = int(sys.argv[1]), sys.argv[2]
resource = f"http://127.0.0.1:{port}/sse"


class JwtVerifier:
    """JWT access tokens of the issuer (its JWKS): signature, iss, aud = this resource, exp."""

    async def verify_token(self, token: str) -> AccessToken | None:
        async with aiohttp.ClientSession() as http, http.get(f"{issuer}/jwks") as resp:
            keys = KeySet.import_key_set(await resp.json())
        try:
            claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
        except (JoseError, ValueError):
            return None
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != issuer or resource not in audiences:
            return None
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            return None
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id")),
            scopes=str(claims.get("scope") or "").split(),
            expires_at=claims["exp"],
            resource=resource,
        )


server = MCPServer(
    "sdk-sse-oauth",
    token_verifier=JwtVerifier(),
    auth=AuthSettings(
        issuer_url=issuer,  # type: ignore[arg-type]
        resource_server_url=resource,  # type: ignore[arg-type]
        required_scopes=["mcp"],
    ),
)


@server.tool()
def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


if __name__ == "__main__":
    server.run("sse", host="127.0.0.1", port=port)
