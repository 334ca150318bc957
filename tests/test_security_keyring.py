"""AES-256-GCM keyring: layout, rotation, usage limits, loading, bad ciphertexts, and
cross-decryption with Google Tink (which uses the same versioned layout)."""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path

import pytest
import tink
from tink import aead as tink_aead
from tink import secret_key_access

from mcproute.security import (
    AeadError,
    Keyring,
    KeyringError,
    associated_data,
    keyring_from_env,
    keyring_from_file,
)

K1, K2 = bytes(range(32)), bytes(range(32, 64))


def keyring(*ids: int) -> Keyring:
    ring = Keyring()
    for key_id in ids:
        ring.add(key_id, bytes([key_id]) * 32)
    return ring


def test_layout_and_round_trip() -> None:
    ring = Keyring()
    ring.add(0x0A0B0C0D, K1)
    ct = ring.encrypt(b"context", "tenant-a", "ctx-1")
    assert len(ct) == 1 + 4 + 12 + len(b"context") + 16
    assert ct[:5] == b"\x01\x0a\x0b\x0c\x0d"
    assert ring.decrypt(ct, "tenant-a", "ctx-1") == b"context"
    # Random nonces: the same plaintext never encrypts to the same bytes.
    assert ring.encrypt(b"context", "tenant-a", "ctx-1") != ct
    big = os.urandom(1 << 20)  # large enough to run without the GIL
    assert ring.decrypt(ring.encrypt(big, "t", "c"), "t", "c") == big


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda ct: ct[:20], "truncated"),
        (lambda ct: b"", "truncated"),
        (lambda ct: b"\x02" + ct[1:], "wrong_version"),
        (lambda ct: ct[:1] + b"\x00\x00\x00\x63" + ct[5:], "unknown_key_id"),
        (lambda ct: ct[:-1] + bytes([ct[-1] ^ 1]), "authentication_failed"),
        (lambda ct: ct[:20] + bytes([ct[20] ^ 0x80]) + ct[21:], "authentication_failed"),
        (lambda ct: ct[:-3], "authentication_failed"),
    ],
    ids=["truncated", "empty", "version", "unknown-key", "tag", "garbled-body", "short-tag"],
)
def test_bad_ciphertext_names_its_reason(mutate: object, reason: str) -> None:
    ring = keyring(1)
    ct = ring.encrypt(b"some context bytes", "t", "c")
    with pytest.raises(AeadError) as err:
        ring.decrypt(mutate(ct), "t", "c")  # type: ignore[operator]
    assert err.value.reason == reason


def test_wrong_associated_data_is_rejected() -> None:
    ring = keyring(1)
    ct = ring.encrypt(b"x", "tenant-a", "ctx-1")
    for tenant, ctx in [("tenant-b", "ctx-1"), ("tenant-a", "ctx-2"), ("tenant-actx-", "1")]:
        with pytest.raises(AeadError) as err:
            ring.decrypt(ct, tenant, ctx)
        assert err.value.reason == "authentication_failed"
    assert associated_data("ab", "c") != associated_data("a", "bc")


def test_rotation_add_promote_reencrypt_retire() -> None:
    ring = keyring(1)
    old = ring.encrypt(b"payload", "t", "c")
    ring.add(2, bytes([2]) * 32)
    assert ring.primary == 1
    ring.promote(2)
    assert ring.decrypt(old, "t", "c") == b"payload"
    new = ring.reencrypt(old, "t", "c")
    assert new is not None
    assert new[1:5] == (2).to_bytes(4, "big")
    assert ring.reencrypt(new, "t", "c") is None
    ring.retire(1)
    with pytest.raises(AeadError) as err:
        ring.decrypt(old, "t", "c")
    assert err.value.reason == "retired_key"
    assert ring.keys() == [(1, "retired", 1), (2, "primary", 1)]
    with pytest.raises(KeyringError) as kerr:
        ring.retire(2)
    assert kerr.value.reason == "retire_primary"
    with pytest.raises(KeyringError) as kerr:
        ring.promote(7)
    assert kerr.value.reason == "unknown_key_id"
    with pytest.raises(KeyringError) as kerr:
        ring.add(2, K1)
    assert kerr.value.reason == "duplicate_key_id"


def test_usage_limit_warns_once_then_stops(caplog: pytest.LogCaptureFixture) -> None:
    ring = Keyring(max_encryptions=4, warn_encryptions=2)
    ring.add(5, K1)
    with caplog.at_level(logging.WARNING, logger="mcproute.security"):
        for _ in range(4):
            ring.encrypt(b"x", "t", "c")
    warnings = [r for r in caplog.records if r.name == "mcproute.security"]
    assert len(warnings) == 1
    assert "key 5" in warnings[0].getMessage()
    with pytest.raises(KeyringError) as err:
        ring.encrypt(b"x", "t", "c")
    assert err.value.reason == "usage_limit_reached"
    # Rotating restores service; the old key still decrypts.
    ring.add(6, K2)
    ring.promote(6)
    assert ring.decrypt(ring.encrypt(b"y", "t", "c"), "t", "c") == b"y"
    with pytest.raises(KeyringError) as err:
        Keyring(max_encryptions=(1 << 32) + 1)
    assert err.value.reason == "invalid_limits"


def test_empty_keyring_and_bad_keys() -> None:
    with pytest.raises(KeyringError) as kerr:
        Keyring().encrypt(b"x", "t", "c")
    assert kerr.value.reason == "no_primary"
    with pytest.raises(AeadError) as err:
        Keyring().add(1, b"short")
    assert err.value.reason == "invalid_key_length"


def spec() -> str:
    k1, k2 = (base64.b64encode(k).decode() for k in (K1, K2))
    return f"# rotated 2026-01\n2:{k2}\n1:{k1}\n"


def test_load_from_env_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MCPROUTE_KEYRING", spec())
    ring = keyring_from_env()
    assert ring.primary == 2
    path = tmp_path / "keyring"
    path.write_text(spec().replace("\n", ","))
    from_file = keyring_from_file(path)
    assert from_file.decrypt(ring.encrypt(b"shared", "t", "c"), "t", "c") == b"shared"
    # Neither repr nor errors show key material.
    for text in (repr(ring), repr(from_file)):
        assert text == "Keyring(keys=[2:primary, 1:active])"
        assert base64.b64encode(K1).decode() not in text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1:not-base64!", "invalid_spec"),
        ("1:" + base64.b64encode(b"short").decode(), "invalid_spec"),
        ("one:" + base64.b64encode(K1).decode(), "invalid_spec"),
        ("", "invalid_spec"),
        ("# nothing", "invalid_spec"),
    ],
)
def test_bad_specs(text: str, reason: str) -> None:
    with pytest.raises(KeyringError) as err:
        Keyring().load_spec(text)
    assert err.value.reason == reason
    assert base64.b64encode(K1).decode() not in str(err.value)


def test_missing_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MCPROUTE_KEYRING", raising=False)
    with pytest.raises(KeyringError) as err:
        keyring_from_env()
    assert err.value.reason == "missing_spec"
    with pytest.raises(KeyringError) as err:
        keyring_from_file(tmp_path / "absent")
    assert err.value.reason == "missing_spec"


def tink_aead_for(key_id: int, key: bytes) -> tink_aead.Aead:
    tink_aead.register()
    keyset = {
        "primaryKeyId": key_id,
        "key": [
            {
                "keyData": {
                    "typeUrl": "type.googleapis.com/google.crypto.tink.AesGcmKey",
                    # AesGcmKey proto: field 3 (key_value), 32 bytes.
                    "value": base64.b64encode(b"\x1a\x20" + key).decode(),
                    "keyMaterialType": "SYMMETRIC",
                },
                "status": "ENABLED",
                "keyId": key_id,
                "outputPrefixType": "TINK",
            }
        ],
    }
    handle = tink.json_proto_keyset_format.parse(json.dumps(keyset), secret_key_access.TOKEN)
    primitive: tink_aead.Aead = handle.primitive(tink_aead.Aead)
    return primitive


def test_cross_decrypt_with_tink() -> None:
    key_id = 0x7F000001
    ring = Keyring()
    ring.add(key_id, K1)
    theirs = tink_aead_for(key_id, K1)
    ad = associated_data("tenant", "ctx")
    from_tink = theirs.encrypt(b"sealed by tink", ad)
    assert ring.decrypt(from_tink, "tenant", "ctx") == b"sealed by tink"
    assert theirs.decrypt(ring.encrypt(b"sealed by us", "tenant", "ctx"), ad) == b"sealed by us"
    with pytest.raises(tink.TinkError):
        theirs.decrypt(ring.encrypt(b"x", "tenant", "other"), ad)
