"""The redactor: credentials of every shape we know leave no trace; ordinary text is kept."""

from __future__ import annotations

import base64
import logging
import string
import sys

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mcproute.redact import RedactingFilter, redact, redact_credentials, redact_url

TOKEN_CHARS = string.ascii_letters + string.digits
token = st.text(TOKEN_CHARS, min_size=20, max_size=60).filter(
    lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t)
)
password = st.text(TOKEN_CHARS + "._~-!$", min_size=6, max_size=30)
filler = st.text(string.ascii_letters + string.digits + " .,:;()'\"-\n", max_size=80)


def secrets_in(tok: str, pw: str) -> list[tuple[str, str]]:
    """(text that carries a secret, the part that must not survive)."""
    basic = base64.b64encode(f"svc:{pw}".encode()).decode()
    return [
        (f"sk-{tok}", tok),
        (f"sk-proj-{tok}", tok),
        (f"sk-ant-api03-{tok}", tok),
        (f"mcpr_live_{tok[:8]}_{tok}_abcd", tok),
        (f"Bearer {tok}", tok),
        (f"authorization: bearer {pw}{tok}", f"{pw}{tok}"),
        (f"Basic {basic}", basic),
        (f"https://admin:{pw}@internal.example/v1", f"admin:{pw}@"),
        (f"api_key={tok}", tok),
        (f'"api_key": "{tok}"', tok),
        (tok.encode().hex()[:40], tok.encode().hex()[:40]),
    ]


@settings(max_examples=200, deadline=None)
@given(before=filler, after=filler, tok=token, pw=password, which=st.integers(0, 10))
def test_no_secret_survives(before: str, after: str, tok: str, pw: str, which: int) -> None:
    carrier, secret = secrets_in(tok, pw)[which]
    assume(secret not in before and secret not in after)
    text = f"{before} {carrier} {after}"
    out = redact(text)
    assert secret not in out
    assert redact(out) == out  # idempotent: a redacted message can pass through again


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(string.ascii_lowercase, min_size=1, max_size=15), max_size=12))
def test_ordinary_text_is_kept(words: list[str]) -> None:
    text = " ".join(words)
    assert redact(text) == text
    assert redact_credentials(text) == text


def test_provider_messages_stay_readable() -> None:
    kept = [
        "This model's maximum context length is 8192 tokens",
        "Rate limit reached for gpt-4 in organization org-abc on tokens per min",
        "the token limit was exceeded for text-embedding-3-small",
        "Basic authentication is not supported",
        "see https://platform.openai.com/account/api-keys",
    ]
    for text in kept:
        assert redact(text) == text
    leaked = "Incorrect API key provided: sk-proj-abcDEF1234567890xyz. You can find"
    assert redact(leaked) == "Incorrect API key provided: [redacted]. You can find"


def test_redact_url() -> None:
    assert redact_url("https://api.example.com/v1") == "https://api.example.com/v1"
    assert redact_url("http://user:pw@127.0.0.1:8080/v1") == "http://***@127.0.0.1:8080/v1"
    assert redact_url("http://token@host/x") == "http://***@host/x"
    shown = redact_url("https://host/v1?key=AIzaSECRET&alt=json")
    assert "AIzaSECRET" not in shown
    assert "alt=json" in shown


def test_log_filter_redacts_messages_and_tracebacks() -> None:
    record = logging.LogRecord(
        "mcproute.x", logging.WARNING, __file__, 1, "connect to %s failed", ("http://u:pw@h",), None
    )
    try:
        raise OSError("cannot reach http://u:hunter2@h with Bearer abc123")
    except OSError:
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    for secret in ("pw@", "hunter2", "abc123"):
        assert secret not in formatted
    assert "http://***@h" in formatted
