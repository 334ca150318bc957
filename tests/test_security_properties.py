"""Property tests: arbitrary input to the security parsers yields a typed error, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcproute.security import (
    AeadError,
    ApiKeyError,
    Keyring,
    RequestSigner,
    SignatureError,
    SignatureVerifier,
    parse_api_key,
)

KEY = bytes(range(32))
URL = "https://gateway.example.com/v1/chat"
RING = Keyring()
RING.add(1, KEY)
VERIFIER = SignatureVerifier({"k1": KEY}, require_nonce=False)
SIGNED = RequestSigner("k1", KEY, include_nonce=False).sign("POST", URL, {}, b"{}", created=0)

# Structured-field punctuation mixed with ordinary text, so inputs get past the first byte.
sf_text = st.text(alphabet=st.sampled_from('sig1=()";:*?-_.@ abcdkeyidcreated0123456789\\,\t'))


@settings(max_examples=300, deadline=None)
@given(st.one_of(sf_text, st.text(max_size=200)))
def test_any_signature_input_gives_a_signature_error(value: str) -> None:
    headers = {**SIGNED, "Signature-Input": value}
    with pytest.raises(SignatureError) as err:
        VERIFIER.verify("POST", URL, headers, b"{}", now=0)
    assert err.value.reason


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=100))
def test_any_ciphertext_gives_an_aead_error(data: bytes) -> None:
    with pytest.raises(AeadError) as err:
        RING.decrypt(data, "t", "c")
    assert err.value.reason in {
        "truncated",
        "wrong_version",
        "unknown_key_id",
        "authentication_failed",
    }


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_api_key_string_gives_an_api_key_error(value: str) -> None:
    with pytest.raises(ApiKeyError) as err:
        parse_api_key(value)
    assert err.value.reason in {"malformed", "bad_checksum"}
