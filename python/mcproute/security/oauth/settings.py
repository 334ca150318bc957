"""The ``auth.oauth`` block of the configuration: `/mcp` as an OAuth 2.1 protected resource.

``{"issuer": "https://login.example.com" | [...], "audience": "https://gw.example.com/mcp",
"scopes_supported": ["mcp", ...], "scope_map": {"tools.read": ["mcp:github"]},
"tenant_claim": "org", "algorithms": ["RS256", "ES256"], "leeway_s": 30,
"jwks_refresh_min_s": 30, "introspection_endpoint": "https://.../introspect",
"client_id": "...", "client_secret": "${SECRET}"}``

``audience`` is this resource's URI, the `/mcp` URL clients use: tokens must name it in ``aud``
(RFC 8707). Token scopes of our own form (``mcp``, ``mcp:SERVER``, ``mcp:SERVER:NAME``) count as
they are; ``scope_map`` maps the authorization server's other scopes onto ours.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcproute.contract.scopes import scope_problem
from mcproute.secret import Secret

if TYPE_CHECKING:
    from mcproute.config import _Checker

# Asymmetric signatures only: no `none`, no HMAC (a public key must never verify as a secret).
ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",
)
DEFAULT_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA", "Ed25519")


def is_mcp_scope(scope: str) -> bool:
    """`mcp`, `mcp:SERVER` or `mcp:SERVER:NAME`, in the grammar API key scopes follow."""
    return (scope == "mcp" or scope.startswith("mcp:")) and scope_problem(scope) is None


def grantable(scope: str) -> bool:
    """What scope_map may grant: access to MCP servers and the tenant's contexts, never admin."""
    return is_mcp_scope(scope) or scope in ("contexts", "contexts:read")


_KEYS = (
    "issuer",
    "audience",
    "scopes_supported",
    "scope_map",
    "tenant_claim",
    "algorithms",
    "leeway_s",
    "jwks_refresh_min_s",
    "introspection_endpoint",
    "client_id",
    "client_secret",
)
MAX_LEEWAY_S = 300


@dataclass(frozen=True)
class OAuthSettings:
    issuers: tuple[str, ...]
    audience: str
    scopes_supported: tuple[str, ...] = ("mcp",)
    scope_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tenant_claim: str | None = None  # None: every token's caller is in tenant `default`
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    leeway_s: int = 30  # clock skew allowed on exp, nbf and iat
    jwks_refresh_min_s: float = 30.0  # unknown kids refetch the JWKS at most this often
    introspection_endpoint: str | None = None  # RFC 7662, for tokens that are not JWTs
    client_id: str | None = None
    client_secret: Secret | None = field(default=None, repr=False)


def parse_oauth(value: Any, check: _Checker) -> OAuthSettings | None:
    """``mcp.auth``: only ``oauth`` so far; None when absent."""
    auth = check.mapping(value, "mcp.auth")
    if auth is None:
        return None
    check.known_keys(auth, "mcp.auth", ("oauth",))
    path = "mcp.auth.oauth"
    block = check.mapping(auth.get("oauth"), path)
    if block is None:
        return None
    check.known_keys(block, path, _KEYS)
    if importlib.util.find_spec("joserfc") is None:
        check.fail(path, "needs joserfc to check tokens: pip install 'mcproute[oauth]'")
    raw = block.get("issuer")
    issuers = [raw] if isinstance(raw, str) else raw
    if not isinstance(issuers, list) or not issuers:
        check.fail(f"{path}.issuer", "is required: the authorization server's issuer URL(s)")
        issuers = []
    found = [check.url(issuer, f"{path}.issuer") for issuer in issuers]
    audience = check.url(block.get("audience"), f"{path}.audience")
    if "audience" not in block:
        check.fail(f"{path}.audience", "is required: this resource's URI (the /mcp URL)")
    scopes = check.string_list(block.get("scopes_supported"), f"{path}.scopes_supported")
    scope_map = _scope_map(block.get("scope_map"), f"{path}.scope_map", check)
    tenant_claim = check.string(block.get("tenant_claim"), f"{path}.tenant_claim")
    algorithms = _algorithms(block.get("algorithms"), f"{path}.algorithms", check)
    leeway = _bounded(block.get("leeway_s", 30), f"{path}.leeway_s", MAX_LEEWAY_S, check)
    refresh = _bounded(
        block.get("jwks_refresh_min_s", 30), f"{path}.jwks_refresh_min_s", 3600, check
    )
    endpoint = check.url(block.get("introspection_endpoint"), f"{path}.introspection_endpoint")
    client_id = check.string(block.get("client_id"), f"{path}.client_id")
    secret = None
    if "client_secret" in block:
        secret, _ = check.secret(block["client_secret"], f"{path}.client_secret")
    if endpoint is not None and (client_id is None or secret is None):
        check.fail(path, "introspection_endpoint needs client_id and client_secret")
    if audience is None or None in found:
        return None
    return OAuthSettings(
        issuers=tuple(str(issuer) for issuer in found),
        audience=audience,
        scopes_supported=tuple(scopes or _default_scopes(scope_map)),
        scope_map=scope_map,
        tenant_claim=tenant_claim,
        algorithms=algorithms,
        leeway_s=int(leeway),
        jwks_refresh_min_s=float(refresh),
        introspection_endpoint=endpoint,
        client_id=client_id,
        client_secret=secret,
    )


def _default_scopes(scope_map: Mapping[str, tuple[str, ...]]) -> list[str]:
    return ["mcp", *(scope for scope in scope_map if scope != "mcp")]


def _scope_map(value: Any, path: str, check: _Checker) -> dict[str, tuple[str, ...]]:
    block = check.mapping(value, path) or {}
    out: dict[str, tuple[str, ...]] = {}
    for theirs, ours in block.items():
        targets = check.string_list([ours] if isinstance(ours, str) else ours, f"{path}.{theirs}")
        bad = [target for target in targets if not grantable(target)]
        for target in bad:
            check.fail(
                f"{path}.{theirs}",
                f"{target!r} is not a scope a token may grant (mcp, mcp:SERVER[:NAME],"
                " contexts, contexts:read)",
            )
        if not bad:
            out[str(theirs)] = tuple(targets)
    return out


def _algorithms(value: Any, path: str, check: _Checker) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_ALGORITHMS
    names = check.string_list(value, path)
    for name in names:
        if name not in ASYMMETRIC_ALGORITHMS:
            check.fail(
                path,
                f"{name!r} is not allowed (asymmetric signatures only: "
                f"{', '.join(ASYMMETRIC_ALGORITHMS)})",
            )
    if not names:
        check.fail(path, "must name at least one algorithm")
    return tuple(names) or DEFAULT_ALGORITHMS


def _bounded(value: Any, path: str, high: float, check: _Checker) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= high:
        check.fail(path, f"must be a number of seconds between 0 and {high:g}")
        return 0.0
    return float(value)
