"""What checking an access token yields: the caller's principal, or why the token is refused."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


class TokenRefused(Exception):
    """The token cannot be used (401 invalid_token). `reason` is safe to show the caller: it
    never holds the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VerificationUnavailable(Exception):
    """The token could not be checked: the authorization server's keys or introspection endpoint
    are out of reach (503: the token may well be good)."""


@dataclass(frozen=True)
class TokenPrincipal:
    issuer: str
    subject: str
    scopes: frozenset[str]  # ours, after scope_map
    tenant: str
    expires_at: float | None

    @property
    def principal_id(self) -> str:
        """Stable and opaque: who the caller is (issuer and subject) without spelling it out in
        logs and metric labels."""
        digest = hashlib.sha256(f"{self.issuer}\0{self.subject}".encode()).hexdigest()
        return f"oauth-{digest[:24]}"
