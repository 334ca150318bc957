"""Enterprise-managed authorization (SEP-990): the user's identity provider exchanges their ID
token for an ID-JAG (Identity Assertion JWT Authorization Grant) by token exchange (RFC 8693),
which the MCP server's authorization server then takes as a JWT-bearer assertion (RFC 7523).
`IdJagExchange` is the assertion source of `OAuthSettings(grant="jwt_bearer")` for that."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcproute.oauth_client.client import AssertionRequest
from mcproute.oauth_client.errors import OAuthError
from mcproute.oauth_client.tokens import post_form

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
ID_JAG = "urn:ietf:params:oauth:token-type:id-jag"


@dataclass(frozen=True)
class IdJagExchange:
    """The identity provider's token endpoint, the user's ID token, and this client there."""

    token_endpoint: str
    id_token: str = field(repr=False)
    client_id: str
    client_secret: str | None = field(default=None, repr=False)

    async def __call__(self, request: AssertionRequest) -> str:
        body = {
            "grant_type": TOKEN_EXCHANGE,
            "requested_token_type": ID_JAG,
            "audience": request.issuer,
            "resource": request.resource,
            "subject_token": self.id_token,
            "subject_token_type": ID_TOKEN,
            "client_id": self.client_id,
        }
        if self.client_secret is not None:
            body["client_secret"] = self.client_secret
        if request.scope:
            body["scope"] = request.scope
        document = await post_form(
            request.http, self.token_endpoint, lambda: (body, {}), None, "token exchange"
        )
        assertion = document.get("access_token")
        if document.get("issued_token_type") != ID_JAG or not isinstance(assertion, str):
            raise OAuthError("the token exchange did not issue an ID-JAG")
        return assertion
