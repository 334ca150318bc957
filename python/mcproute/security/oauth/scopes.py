"""From an access token's scopes and claims to the caller's scopes here (`mcp`, `mcp:SERVER`,
`mcp:SERVER:NAME`, `contexts`, `tenant:NAME`), the same words API keys carry."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mcproute.security.oauth.settings import OAuthSettings, is_mcp_scope

TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")


class ClaimProblem(ValueError):
    """A claim the token carries (or lacks) makes it unusable here."""


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """`scope` (RFC 9068: space-separated) or `scp` (a list, as some servers write it)."""
    scope = claims.get("scope", claims.get("scp"))
    if scope is None:
        return []
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list) and all(isinstance(item, str) for item in scope):
        return list(scope)
    raise ClaimProblem("the token's scope claim is neither a string nor a list of strings")


def mapped_scopes(settings: OAuthSettings, scopes: Iterable[str]) -> frozenset[str]:
    """Ours as they are, the authorization server's through `scope_map`; the rest is dropped."""
    out: set[str] = set()
    for scope in scopes:
        if is_mcp_scope(scope):
            out.add(scope)
        out.update(settings.scope_map.get(scope, ()))
    return frozenset(out)


def tenant(settings: OAuthSettings, claims: Mapping[str, Any]) -> str:
    """The caller's tenant from the configured claim; `default` when none is configured."""
    if settings.tenant_claim is None:
        return "default"
    value = claims.get(settings.tenant_claim)
    if not isinstance(value, str) or not TENANT.fullmatch(value):
        raise ClaimProblem(f"the token lacks a usable {settings.tenant_claim!r} claim (the tenant)")
    return value
