"""Security primitives: mcproute vs what a Python user would otherwise call.

AES-256-GCM against pyca `cryptography`'s AESGCM, HMAC-SHA256 against the standard library,
RFC 9421 signing/verification against `http-message-signatures`. Run with `make bench` (or
`python -m benches.run security`). Never part of `make test`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)

from mcproute.security import (
    Keyring,
    RequestSigner,
    SignatureVerifier,
    associated_data,
    hmac_sha256,
)

KEY = bytes(range(32))
TENANT, CONTEXT = "tenant-7", "ctx-0193"
AD = associated_data(TENANT, CONTEXT)
SIZES = {"64 B": 64, "1 KiB": 1024, "64 KiB": 64 * 1024, "1 MiB": 1024 * 1024}

KEYRING = Keyring()
KEYRING.add(1, KEY)
PEER = AESGCM(KEY)
FIXED_NONCE = bytes(12)


def peer_encrypt_framed(pt: bytes) -> bytes:
    # What a user writes without a keyring: a random nonce stored in front of the ciphertext.
    nonce = os.urandom(12)
    return nonce + PEER.encrypt(nonce, pt, AD)


ENCRYPT: dict[str, tuple[str, Callable[[bytes], Any]]] = {
    "mcproute Keyring.encrypt (random nonce, versioned)": (
        "ours",
        lambda pt: KEYRING.encrypt(pt, TENANT, CONTEXT),
    ),
    "cryptography AESGCM.encrypt + random nonce prefix": ("peer", peer_encrypt_framed),
    "cryptography AESGCM.encrypt (fixed nonce, no framing)": (
        "peer",
        lambda pt: PEER.encrypt(FIXED_NONCE, pt, AD),
    ),
}


def by_size(cases: list[str], sizes: list[str]) -> Any:
    # One id per row, so the result tables read "<implementation> (<size>)".
    pairs = [(case, size) for size in sizes for case in cases]
    return pytest.mark.parametrize(("case", "size"), pairs, ids=[f"{c} ({s})" for c, s in pairs])


@by_size(list(ENCRYPT), list(SIZES))
def test_aes256gcm_encrypt(benchmark: Any, case: str, size: str) -> None:
    role, fn = ENCRYPT[case]
    pt = os.urandom(SIZES[size])
    benchmark.group = f"security: AES-256-GCM encrypt, {size}"
    benchmark.extra_info.update(role=role, bytes=len(pt))
    benchmark(fn, pt)


@by_size(["mcproute Keyring.decrypt", "cryptography AESGCM.decrypt"], list(SIZES))
def test_aes256gcm_decrypt(benchmark: Any, case: str, size: str) -> None:
    pt = os.urandom(SIZES[size])
    if case.startswith("mcproute"):
        ct = KEYRING.encrypt(pt, TENANT, CONTEXT)
        assert KEYRING.decrypt(ct, TENANT, CONTEXT) == pt
        role, fn, arg = "ours", lambda c: KEYRING.decrypt(c, TENANT, CONTEXT), ct
    else:
        nonce = os.urandom(12)
        ct = PEER.encrypt(nonce, pt, AD)
        role, fn, arg = "peer", lambda c: PEER.decrypt(nonce, c, AD), ct
    benchmark.group = f"security: AES-256-GCM decrypt, {size}"
    benchmark.extra_info.update(role=role, bytes=len(pt))
    benchmark(fn, arg)


HMAC: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "mcproute hmac_sha256": ("ours", lambda m: hmac_sha256(KEY, m)),
    "hmac.new(key, msg, 'sha256').digest()": (
        "peer",
        lambda m: hmac.new(KEY, m, "sha256").digest(),
    ),
    "hmac.digest(key, msg, 'sha256') (one-shot)": (
        "peer",
        lambda m: hmac.digest(KEY, m, "sha256"),
    ),
    "hmac.new(key, msg, hashlib.sha256).digest()": (
        "peer",
        lambda m: hmac.new(KEY, m, hashlib.sha256).digest(),
    ),
}


@by_size(list(HMAC), ["64 B", "1 KiB"])
def test_hmac_sha256(benchmark: Any, case: str, size: str) -> None:
    role, fn = HMAC[case]
    msg = os.urandom(SIZES[size])
    assert fn(msg) == hmac.digest(KEY, msg, "sha256")
    benchmark.group = f"security: HMAC-SHA256, {size}"
    benchmark.extra_info.update(role=role, bytes=len(msg))
    benchmark(fn, msg)


# --- RFC 9421: a JSON POST signed over method, target URI, content type and content digest.

URL = "https://gateway.example.com/v1/chat/completions?stream=false"
BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'
COMPONENTS = ("@method", "@target-uri", "content-type")
RESOLVER = MappingKeyResolver(public_keys={"k1": KEY}, private_keys={"k1": KEY})
PEER_SIGNER = HTTPMessageSigner(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=RESOLVER)
PEER_VERIFIER = HTTPMessageVerifier(
    signature_algorithm=algorithms.HMAC_SHA256, key_resolver=RESOLVER
)
MAX_AGE = dt.timedelta(seconds=300)
OUR_SIGNER = RequestSigner("k1", KEY)
OUR_VERIFIER = SignatureVerifier({"k1": KEY}, replay_capacity=50_000_000)


@dataclass
class Message:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def fresh() -> Message:
    return Message("POST", URL, {"Content-Type": "application/json"})


def ours_sign_verify() -> None:
    msg = fresh()
    msg.headers.update(OUR_SIGNER.sign(msg.method, msg.url, msg.headers, BODY))
    OUR_VERIFIER.verify(msg.method, msg.url, msg.headers, BODY)


def peer_sign_verify() -> None:
    msg = fresh()
    PEER_SIGNER.sign(
        msg, key_id="k1", nonce=os.urandom(16).hex(), covered_component_ids=COMPONENTS, body=BODY
    )
    PEER_VERIFIER.verify(msg, max_age=MAX_AGE, body=BODY)


@pytest.mark.parametrize(
    "case",
    [
        "mcproute RequestSigner.sign + SignatureVerifier.verify (incl. replay cache)",
        "http-message-signatures sign + verify",
    ],
)
def test_rfc9421_sign_and_verify(benchmark: Any, case: str) -> None:
    ours = case.startswith("mcproute")
    fn = ours_sign_verify if ours else peer_sign_verify
    fn()
    benchmark.group = "security: RFC 9421 hmac-sha256 sign + verify (JSON POST, 4 components)"
    benchmark.extra_info.update(role="ours" if ours else "peer")
    benchmark(fn)


@pytest.mark.parametrize(
    "case", ["mcproute SignatureVerifier.verify", "http-message-signatures verify"]
)
def test_rfc9421_verify_only(benchmark: Any, case: str) -> None:
    # One signed request verified repeatedly: without a nonce, so a replay cache does not reject
    # the repeats (the peer keeps no replay cache at all).
    msg = fresh()
    benchmark.group = "security: RFC 9421 hmac-sha256 verify (JSON POST, 4 components)"
    if case.startswith("mcproute"):
        signer = RequestSigner("k1", KEY, include_nonce=False)
        msg.headers.update(signer.sign(msg.method, msg.url, msg.headers, BODY))
        verifier = SignatureVerifier({"k1": KEY}, require_nonce=False)
        verifier.verify(msg.method, msg.url, msg.headers, BODY)
        benchmark.extra_info.update(role="ours")
        benchmark(verifier.verify, msg.method, msg.url, msg.headers, BODY)
    else:
        PEER_SIGNER.sign(msg, key_id="k1", covered_component_ids=COMPONENTS, body=BODY)
        PEER_VERIFIER.verify(msg, max_age=MAX_AGE, body=BODY)
        benchmark.extra_info.update(role="peer")
        benchmark(PEER_VERIFIER.verify, msg, max_age=MAX_AGE, body=BODY)
