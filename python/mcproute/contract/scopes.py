"""API key scopes: the forms a scope string may take (see `mcproute.proxy.auth`)."""

from __future__ import annotations

import re

import orjson

from mcproute.context import is_context_id
from mcproute.redact import redact

SCOPE_FORMS = (
    "models",
    "model:NAME",
    "mcp",
    "mcp:SERVER",
    "mcp:SERVER:NAME",
    "contexts",
    "contexts:read",
    "context:ID",
    "tenant:NAME",
    "metrics",
    "admin",
)
PLAIN = frozenset({"models", "mcp", "contexts", "contexts:read", "metrics", "admin"})
MAX_SCOPE = 512
# Names are printable and free of whitespace; a tool name or resource URI may hold colons.
_NAME = re.compile(r"[^\s\x00-\x1f\x7f]+")
_SERVER = re.compile(r"[^\s\x00-\x1f\x7f:]+")
EXAMPLES = (
    *sorted(PLAIN),
    "model:gpt-4",
    "mcp:demo",
    "mcp:demo:echo",
    "context:ctx_" + "0" * 32,
    "tenant:acme",
)


def scope_problem(scope: str) -> str | None:
    """None for a valid scope, else what is wrong with it, listing the valid forms."""
    if scope in PLAIN:
        return None
    kind, _, rest = scope.partition(":")
    ok = len(scope) <= MAX_SCOPE and (
        (kind in ("model", "tenant") and _NAME.fullmatch(rest) is not None)
        or (kind == "context" and is_context_id(rest))
        or (kind == "mcp" and _mcp_target(rest))
    )
    if ok:
        return None
    shown = orjson.dumps(redact(scope[:64])).decode()  # a key pasted as a scope stays unshown
    return f"unknown scope {shown}; valid forms: {', '.join(SCOPE_FORMS)}"


def _mcp_target(rest: str) -> bool:
    server, colon, name = rest.partition(":")
    return _SERVER.fullmatch(server) is not None and (
        not colon or _NAME.fullmatch(name) is not None
    )
