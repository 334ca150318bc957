"""Published vectors through the bindings: Wycheproof AES-GCM and HMAC-SHA256, RFC 4231."""

from __future__ import annotations

import pytest

from mcproute._core import aes256gcm_open
from mcproute.security import AeadError, hmac_sha256, hmac_sha256_verify
from security_support import wycheproof


def test_wycheproof_aes_gcm_every_case() -> None:
    doc = wycheproof("aes_gcm_test.json")
    outcomes = {"opened": 0, "rejected_tampered": 0, "rejected_parameters": 0}
    for group in doc["testGroups"]:
        for t in group["tests"]:
            key, iv, aad, msg, ct, tag = (
                bytes.fromhex(t[k]) for k in ("key", "iv", "aad", "msg", "ct", "tag")
            )
            if len(key) == 32 and len(iv) == 12 and len(tag) == 16:
                if t["result"] == "valid":
                    assert aes256gcm_open(key, iv, aad, ct, tag) == msg, t["tcId"]
                    outcomes["opened"] += 1
                else:
                    with pytest.raises(AeadError) as err:
                        aes256gcm_open(key, iv, aad, ct, tag)
                    assert err.value.reason == "authentication_failed", t["tcId"]
                    outcomes["rejected_tampered"] += 1
                continue
            # AES-128/192 keys and non-96-bit nonces are outside our AEAD: refused up front.
            with pytest.raises(AeadError) as err:
                aes256gcm_open(key, iv, aad, ct, tag)
            expected = "invalid_key_length" if len(key) != 32 else "invalid_nonce_length"
            assert err.value.reason == expected, t["tcId"]
            outcomes["rejected_parameters"] += 1
    assert sum(outcomes.values()) == doc["numberOfTests"]
    assert outcomes["opened"] > 0
    assert outcomes["rejected_tampered"] > 0


def test_wycheproof_hmac_sha256_every_case() -> None:
    doc = wycheproof("hmac_sha256_test.json")
    seen = 0
    for group in doc["testGroups"]:
        for t in group["tests"]:
            key, msg, tag = (bytes.fromhex(t[k]) for k in ("key", "msg", "tag"))
            valid = t["result"] == "valid"
            assert hmac_sha256_verify(key, msg, tag) is valid, (t["tcId"], t["comment"])
            if valid:
                assert hmac_sha256(key, msg)[: len(tag)] == tag
            seen += 1
    assert seen == doc["numberOfTests"]


RFC4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        b"\xaa" * 20,
        b"\xdd" * 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        bytes(range(1, 26)),
        b"\xcd" * 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
    (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        b"\xaa" * 131,
        b"This is a test using a larger than block-size key and a larger than block-size data. "
        b"The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
]


@pytest.mark.parametrize(("key", "msg", "expected"), RFC4231, ids=[f"case{i}" for i in range(1, 8)])
def test_rfc4231(key: bytes, msg: bytes, expected: str) -> None:
    want = bytes.fromhex(expected)
    assert hmac_sha256(key, msg)[: len(want)] == want
    assert hmac_sha256_verify(key, msg, want)
    assert not hmac_sha256_verify(key, msg, bytes([want[0] ^ 1]) + want[1:])
