"""Redaction of credentials in text the gateway shows: upstream error messages, URLs, log lines.

``redact`` is for text that came from outside (an upstream's error message): it removes
credentials in any form we can recognise and also every long opaque token, since a provider may
echo a key we do not know the shape of. ``redact_url`` is for URLs we show (configured endpoints,
MCP servers): it keeps the URL readable and removes only its credentials.
"""

from __future__ import annotations

import base64
import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

MARK = "[redacted]"
URL_MARK = "***"

# Query parameters that carry credentials (Google's `key=`, signed URLs, tokens).
_SECRET_PARAMS = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "api-key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "code",
    }
)

# Bounded repeats: every start position is tried, so an unbounded scheme would make long runs
# such as "a.a.a..." quadratic.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,31}://)[^\s/?#@]{0,512}@")
_BEARER = re.compile(r"(?i)\b(bearer)(?:\s+|%20)[A-Za-z0-9\-._~+/=%]+")
_BASIC = re.compile(r"(?i)\b(basic)(?:\s+|%20)([A-Za-z0-9+/]{4,}={0,2})")
_SECRET_ASSIGN = re.compile(
    r"(?i)\b(api[_-]?key|x-api-key|access[_-]?token|secret|password|passwd|token|key)"
    r"(\s*[=:]\s*|\"\s*:\s*\"|'\s*:\s*')([^\s\"'&,;]{4,})"
)
_KNOWN_KEYS = re.compile(
    r"\b(?:"
    r"sk-[A-Za-z0-9_\-]{6,}"  # OpenAI, Anthropic (sk-ant-...), many compatible providers
    r"|mcpr_[A-Za-z0-9_\-]+"  # our own API keys
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key ids
    r"|AIza[0-9A-Za-z_\-]{30,}"  # Google API keys
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
    r"|xox[abprs]-[A-Za-z0-9\-]{10,}"  # Slack tokens
    r"|eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"  # JWTs
    r")"
)
_HEX = re.compile(r"\b[0-9a-fA-F]{32,}\b")
# Base64 / base64url runs of 24+ characters with digits and both cases: random tokens almost
# always have all three, words and identifiers rarely do.
_OPAQUE = re.compile(r"[A-Za-z0-9+/_\-]{24,}={0,2}")


def _opaque(match: re.Match[str]) -> str:
    token = match.group(0)
    has_digit = any(c.isdigit() for c in token)
    has_lower = any(c.islower() for c in token)
    has_upper = any(c.isupper() for c in token)
    return MARK if has_digit and has_lower and has_upper else token


def _basic(match: re.Match[str]) -> str:
    """Basic credentials are base64 of ``user:password``: only what decodes so is replaced."""
    try:
        decoded = base64.b64decode(match.group(2) + "=" * (-len(match.group(2)) % 4))
    except ValueError:
        return match.group(0)
    return match.group(1) + " " + MARK if b":" in decoded else match.group(0)


def redact_credentials(text: str) -> str:
    """`text` with credentials of a recognisable shape replaced: URL userinfo, bearer and
    Basic credentials, and keys (``sk-...``, ``mcpr_...`` and other known prefixes). Ids and
    digests stay, so it suits our own log lines."""
    text = _URL_USERINFO.sub(lambda m: m.group(1) + URL_MARK + "@", text)
    text = _BEARER.sub(lambda m: m.group(1) + " " + MARK, text)
    text = _BASIC.sub(_basic, text)
    return _KNOWN_KEYS.sub(MARK, text)


def redact(text: str) -> str:
    """`text` from outside (a provider's error message) with anything that looks like a
    credential replaced by ``[redacted]``: what ``redact_credentials`` removes, ``key=value``
    assignments, and long hex or base64 tokens."""
    text = redact_credentials(text)
    text = _SECRET_ASSIGN.sub(lambda m: m.group(1) + m.group(2) + MARK, text)
    text = _HEX.sub(MARK, text)
    return _OPAQUE.sub(_opaque, text)


def redact_url(url: str) -> str:
    """The URL with its user:password part and any credential query parameters replaced by
    ``***``; the scheme, host, port and path stay readable."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL we can take apart: treat it as text
        return redact(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = URL_MARK + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in _SECRET_PARAMS for name, _ in pairs):
            query = urlencode(
                [(n, URL_MARK if n.lower() in _SECRET_PARAMS else v) for n, v in pairs], safe="*"
            )
    if netloc == parts.netloc and query == parts.query:
        return url
    return parts._replace(netloc=netloc, query=query).geturl()


class RedactingFilter(logging.Filter):
    """A handler filter: every record's message leaves with its credentials redacted (an
    exception's text can carry a URL with userinfo, for example)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging reports it when formatting
            return True
        cleaned = redact_credentials(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_credentials(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
