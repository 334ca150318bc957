"""RFC 9421 request signatures: interop both ways with `http-message-signatures`, the RFC's
B.2.5 example, and a typed, named error for every bad input."""

from __future__ import annotations

import base64
import datetime as dt
import time

import pytest
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

from mcproute.security import RequestSigner, SignatureError, SignatureVerifier, content_digest
from security_support import Message

KEY = bytes(range(32))
URL = "https://gateway.example.com/v1/chat/completions?stream=false"
BODY = b'{"model":"gpt","messages":[]}'
RESOLVER = MappingKeyResolver(public_keys={"k1": KEY}, private_keys={"k1": KEY})

B25_KEY = base64.b64decode(
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="
)
B25_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYll"
    "u7BNNyealdVLvRwEmTHWXvJwew==:",
    "Content-Length": "18",
}
B25_URL = "https://example.com/foo?param=Value&Pet=dog"
B25_INPUT = (
    'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"'
)
B25_SIGNATURE = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"
B25_CREATED = 1618884473


def request() -> Message:
    return Message("POST", URL, {"Content-Type": "application/json"})


def test_peer_signs_we_verify() -> None:
    msg = request()
    HTTPMessageSigner(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=RESOLVER).sign(
        msg,
        key_id="k1",
        label="sig1",
        nonce="peer-nonce-1",
        tag="mcproute",
        covered_component_ids=("@method", "@target-uri", "content-type"),
        body=BODY,
    )
    assert "content-digest" in msg.headers["Signature-Input"]
    verifier = SignatureVerifier({"k1": KEY}, expected_tag="mcproute")
    ok = verifier.verify("POST", URL, msg.headers, BODY)
    assert ok.key_id == "k1"
    assert ok.nonce == "peer-nonce-1"
    assert ok.components == ["@method", "@target-uri", "content-type", "content-digest"]
    with pytest.raises(SignatureError) as err:
        verifier.verify("POST", URL, msg.headers, BODY)
    assert err.value.reason == "replayed_nonce"


def test_we_sign_peer_verifies() -> None:
    signer = RequestSigner("k1", KEY, tag="mcproute")
    msg = request()
    msg.headers.update(signer.sign(msg.method, msg.url, msg.headers, BODY))
    peer = HTTPMessageVerifier(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=RESOLVER)
    (result,) = peer.verify(
        msg, max_age=dt.timedelta(seconds=300), expect_tag="mcproute", body=BODY
    )
    assert result.parameters["keyid"] == "k1"
    assert result.parameters["alg"] == "hmac-sha256"
    assert list(result.covered_components)[:4] == [
        '"@method"',
        '"@target-uri"',
        '"content-type"',
        '"content-digest"',
    ]
    # The peer rejects what we would reject: a changed body no longer matches the digest.
    with pytest.raises(InvalidSignature):
        peer.verify(msg, max_age=dt.timedelta(seconds=300), expect_tag="mcproute", body=b"{}")


def test_rfc9421_b25_both_implementations() -> None:
    headers = {**B25_HEADERS, "Signature-Input": B25_INPUT, "Signature": B25_SIGNATURE}
    # The peer: the example is from 2021, so the age limit is switched off explicitly, and the
    # algorithm is fixed by the verifier's configuration (the example sends no `alg`).
    peer = HTTPMessageVerifier(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={"test-shared-secret": B25_KEY}, private_keys={}
        ),
    )
    (peer_result,) = peer.verify(Message("POST", B25_URL, headers), max_age=None)
    assert peer_result.label == "sig-b25"
    # Ours: this example covers neither @method nor a nonce, so the policy is relaxed explicitly.
    ours = SignatureVerifier(
        {"test-shared-secret": B25_KEY}, require_nonce=False, required_components=[]
    )
    ok = ours.verify("POST", B25_URL, headers, now=B25_CREATED + 60)
    assert ok.components == ["date", "@authority", "content-type"]
    # And our signer reproduces the RFC's signature exactly.
    signer = RequestSigner(
        "test-shared-secret",
        B25_KEY,
        label="sig-b25",
        components=["date", "@authority", "content-type"],
        include_alg=False,
        include_nonce=False,
    )
    out = signer.sign("POST", B25_URL, B25_HEADERS, created=B25_CREATED)
    assert out == {"Signature-Input": B25_INPUT, "Signature": B25_SIGNATURE}


def test_default_profile_round_trip_and_window() -> None:
    now = int(time.time())
    signer = RequestSigner("k1", KEY, expires_in=60)
    headers = {"Content-Type": "application/json"}
    headers.update(signer.sign("POST", URL, headers, BODY, created=now))
    assert headers["Content-Digest"] == content_digest(BODY)
    verifier = SignatureVerifier({"k1": KEY})
    ok = verifier.verify("POST", URL, list(headers.items()), BODY, now=now + 30)
    assert (ok.created, ok.expires) == (now, now + 60)
    assert repr(verifier) == 'SignatureVerifier(key_ids=["k1"])'
    assert KEY.hex() not in repr(signer)


def signed(created: int, **kw: object) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    signer = RequestSigner("k1", KEY, **kw)  # type: ignore[arg-type]
    headers.update(signer.sign("POST", URL, headers, BODY, created=created))
    return headers


def reason_of(
    headers: dict[str, str],
    *,
    body: bytes | None = BODY,
    now: int = 10_000,
    label: str | None = None,
    **policy: object,
) -> str:
    verifier = SignatureVerifier({"k1": KEY}, **policy)  # type: ignore[arg-type]
    with pytest.raises(SignatureError) as err:
        verifier.verify("POST", URL, headers, body, now=now, label=label)
    assert KEY.hex() not in str(err.value)
    return err.value.reason


def test_every_bad_input_names_its_reason() -> None:
    good = signed(10_000)
    assert reason_of(good, now=10_301) == "expired"
    assert reason_of(good, now=9_699) == "not_yet_valid"
    assert reason_of(signed(10_000, expires_in=5), now=10_006) == "expired"
    unterminated = {**good, "Signature-Input": 'sig1=("@method"'}
    assert reason_of(unterminated) == "malformed_signature_input"
    assert reason_of({**good, "Signature-Input": "sig1=@@"}) == "malformed_signature_input"
    assert reason_of({**good, "Signature": "sig1=:%%%:"}) == "malformed_signature"
    assert reason_of({k: v for k, v in good.items() if k != "Signature"}) == "missing_signature"
    mac = bytearray(base64.b64decode(good["Signature"][6:-1]))
    mac[-1] ^= 1
    tampered_mac = f"sig1=:{base64.b64encode(bytes(mac)).decode()}:"
    assert reason_of({**good, "Signature": tampered_mac}) == "bad_signature"
    assert reason_of({**good, "Content-Type": "text/plain"}) == "bad_signature"
    swapped = good["Signature-Input"].replace('keyid="k1"', 'keyid="k9"')
    assert reason_of({**good, "Signature-Input": swapped}) == "unknown_key_id"
    wrong_alg = good["Signature-Input"].replace('alg="hmac-sha256"', 'alg="ed25519"')
    assert reason_of({**good, "Signature-Input": wrong_alg}) == "algorithm_mismatch"
    assert reason_of(good, body=b"{}") == "content_digest_mismatch"
    assert reason_of(good, body=None) == "content_digest_required"
    assert reason_of(good, expected_tag="other") == "tag_mismatch"
    assert reason_of(good, label="sig2") == "label_not_found"
    no_nonce = signed(10_000, include_nonce=False)
    assert reason_of(no_nonce) == "missing_parameter"
    thin = signed(10_000, components=["@method", "content-digest"])
    assert reason_of(thin) == "component_not_covered"


def test_replayed_nonce_is_rejected() -> None:
    verifier = SignatureVerifier({"k1": KEY})
    headers = signed(10_000)
    verifier.verify("POST", URL, headers, BODY, now=10_000)
    with pytest.raises(SignatureError) as err:
        verifier.verify("POST", URL, headers, BODY, now=10_001)
    assert err.value.reason == "replayed_nonce"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "sig1",
        "sig1=(",
        "sig1=()",
        'sig1=("\\q")',
        "sig1=(1);created=1.5",
        'sig1=("@x");a=?3',
        'sig1=("@method";req)',
        "x" * 9000,
        'sig1=("\u00e9")',
    ],
)
def test_garbled_signature_input_never_crashes(value: str) -> None:
    reason = reason_of({**signed(10_000), "Signature-Input": value})
    assert reason in {
        "malformed_signature_input",
        "missing_signature",
        "unsupported_component",
        "missing_parameter",
        "component_not_covered",
        "label_not_found",
    }


def test_bad_construction_arguments() -> None:
    with pytest.raises(SignatureError) as err:
        RequestSigner("k1", b"short")
    assert err.value.reason == "key_too_short"
    with pytest.raises(SignatureError) as err:
        SignatureVerifier({"k1": KEY}, window=0)
    assert err.value.reason == "invalid_parameter"
    with pytest.raises(SignatureError) as err:
        RequestSigner("k1", KEY).sign("post", URL, {})
    assert err.value.reason == "invalid_request"
    with pytest.raises(SignatureError) as err:
        RequestSigner("k1", KEY).sign("GET", "/relative", {})
    assert err.value.reason == "invalid_request"
