"""What the OAuth client raises. Messages name the step and the server's error code, never a
token, secret, code or verifier."""

from __future__ import annotations


class OAuthError(Exception):
    """An authorization step failed: discovery, registration, the authorization response or a
    token request. `error` is the OAuth error code when the server sent one."""

    def __init__(self, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.error = error


class AuthorizationRequired(OAuthError):
    """A user must approve access in a browser first: `url` is where. Raised by an `on_authorize`
    hook that cannot wait for the user (a gateway answering a tool call, say); the flow goes on
    when the authorization server redirects to the client's callback."""

    def __init__(self, url: str, message: str = "authorization required") -> None:
        super().__init__(f"{message}: authorize at {url}", "authorization_required")
        self.url = url
