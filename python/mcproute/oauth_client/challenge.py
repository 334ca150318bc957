"""`WWW-Authenticate` challenges (RFC 9110 §11.6.1): the scheme and its auth-params, as a
protected resource sends them (RFC 6750 §3, RFC 9728 §5.1, RFC 9449 §7.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# One auth-param: name = token or quoted-string (with backslash escapes).
_PARAM = re.compile(r'\s*([!#$%&\'*+\-.^_`|~\w]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*,?')
_SCHEME = re.compile(r"\s*([!#$%&'*+\-.^_`|~\w]+)(?:\s+|$)")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-cased: "bearer", "dpop"
    params: dict[str, str] = field(default_factory=dict)
    schemes: tuple[str, ...] = ()  # of every challenge of the response (`merged`)

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    @property
    def scopes(self) -> list[str]:
        return self.params.get("scope", "").split()

    @property
    def resource_metadata(self) -> str | None:
        return self.params.get("resource_metadata")


def parse_challenges(headers: list[str]) -> list[Challenge]:
    """Every challenge in the given `WWW-Authenticate` header values; what cannot be parsed is
    skipped (a server's odd header must not stop the flow: discovery has fallbacks)."""
    found: list[Challenge] = []
    for value in headers:
        rest = value
        while rest.strip():
            scheme = _SCHEME.match(rest)
            if scheme is None:
                break
            rest = rest[scheme.end() :]
            params: dict[str, str] = {}
            while (param := _PARAM.match(rest)) is not None and param.group(0):
                raw = param.group(2)
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                params[param.group(1).lower()] = raw
                rest = rest[param.end() :]
            found.append(Challenge(scheme.group(1).lower(), params))
            rest = rest.lstrip(", ")
    return found


def merged(challenges: list[Challenge]) -> Challenge:
    """One view of a response's challenges: the first one's scheme, every parameter (the first
    occurrence wins), so `resource_metadata` is found whichever scheme carried it."""
    params: dict[str, str] = {}
    for challenge in challenges:
        for key, value in challenge.params.items():
            params.setdefault(key, value)
    schemes = tuple(c.scheme for c in challenges)
    return Challenge(schemes[0] if schemes else "", params, schemes)
