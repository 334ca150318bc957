"""The OAuth 2.1 client of MCP authorization: how `MCPConnection` reaches servers that require
a token. See `client.OAuthClient` for the flows and `store` for where grants are kept."""

from mcproute.oauth_client.client import (
    AssertionRequest,
    OAuthClient,
    OAuthSettings,
    authorization_code,
)
from mcproute.oauth_client.errors import AuthorizationRequired, OAuthError
from mcproute.oauth_client.exchange import IdJagExchange
from mcproute.oauth_client.headless import headless_authorize
from mcproute.oauth_client.store import (
    MemoryBlobStore,
    MemoryTokenStore,
    SealedTokenStore,
    TokenStore,
)

__all__ = [
    "AssertionRequest",
    "AuthorizationRequired",
    "IdJagExchange",
    "MemoryBlobStore",
    "MemoryTokenStore",
    "OAuthClient",
    "OAuthError",
    "OAuthSettings",
    "SealedTokenStore",
    "TokenStore",
    "authorization_code",
    "headless_authorize",
]
