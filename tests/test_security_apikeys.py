"""API keys: format and checksum, peppered constant-time verification, scopes, expiry,
revocation and rotation with a grace period."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from mcproute.security import ApiKeyError, ApiKeyHasher, ApiKeyManager, parse_api_key
from mcproute.store import DataDir, SqliteApiKeyStore

PEPPER = b"p" * 32
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY_RE = re.compile(r"mcpr_([a-z0-9]{1,16})_([0-9A-Za-z]{12})_([0-9A-Za-z]{43})_([0-9A-Za-z]{6})")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def base62(n: int, width: int) -> str:
    digits = ""
    for _ in range(width):
        n, r = divmod(n, 62)
        digits = BASE62[r] + digits
    return digits


def test_format_secret_size_and_checksum() -> None:
    key, key_id, secret_hash = ApiKeyHasher(PEPPER).issue("live")
    match = KEY_RE.fullmatch(key)
    assert match is not None
    assert match[2] == key_id
    assert 62 ** len(match[3]) >= 2**256  # at least 256 bits of secret
    body = key.rsplit("_", 1)[0]
    assert match[4] == base62(zlib.crc32(body.encode()), 6)  # independent CRC32
    assert len(secret_hash) == 32
    assert parse_api_key(key) == ("live", key_id)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), "bad_checksum"),
        (lambda k: k[:30] + ("x" if k[30] != "x" else "y") + k[31:], "bad_checksum"),
        (lambda k: k.replace("mcpr_", "mcpx_"), "malformed"),
        (lambda k: k[:-7], "malformed"),
        (lambda k: k + "_extra", "malformed"),
        (lambda k: "", "malformed"),
        (lambda k: k.replace("_live_", "_LIVE_"), "malformed"),
    ],
    ids=["checksum-char", "secret-typo", "prefix", "no-checksum", "extra-part", "empty", "env"],
)
def test_mistyped_keys_fail_before_lookup(mangle: object, reason: str) -> None:
    key, _, _ = ApiKeyHasher(PEPPER).issue("live")
    bad = mangle(key)  # type: ignore[operator]
    with pytest.raises(ApiKeyError) as err:
        parse_api_key(bad)
    assert err.value.reason == reason
    assert key not in str(err.value)


def test_hash_is_peppered_and_compared_in_core() -> None:
    hasher = ApiKeyHasher(PEPPER)
    key, key_id, secret_hash = hasher.issue("test")
    assert hasher.verify(key, "test", secret_hash) == ("test", key_id)
    assert hasher.hash_key(key) == ("test", key_id, secret_hash)
    with pytest.raises(ApiKeyError) as err:
        ApiKeyHasher(b"q" * 32).verify(key, "test", secret_hash)
    assert err.value.reason == "mismatch"
    with pytest.raises(ApiKeyError) as err:
        ApiKeyHasher(b"short")
    assert err.value.reason == "pepper_too_short"
    assert repr(hasher) == "ApiKeyHasher(pepper=<redacted>)"


def test_manager_scopes_expiry_revocation() -> None:
    clock = Clock()
    manager = ApiKeyManager(PEPPER, clock=clock)
    key, record = manager.issue("live", {"chat", "tools"}, ttl=3600)
    assert manager.verify(key, "chat") == record
    assert "secret_hash" not in repr(record)

    def reason(k: str, scope: str | None = None) -> str:
        with pytest.raises(ApiKeyError) as err:
            manager.verify(k, scope)
        return err.value.reason

    assert reason(key, "admin") == "scope_denied"
    other, _ = ApiKeyManager(PEPPER).issue("live")
    assert reason(other) == "unknown_key"
    clock.now += 3600
    assert reason(key) == "expired"
    fresh, fresh_record = manager.issue("live")
    manager.revoke(fresh_record.key_id)
    assert reason(fresh) == "revoked"


def test_rotation_grace_period() -> None:
    clock = Clock()
    manager = ApiKeyManager(PEPPER, clock=clock)
    old_key, old = manager.issue("live", {"chat"})
    new_key, new = manager.rotate(old.key_id, grace=300)
    assert new.scopes == old.scopes
    assert new.key_id != old.key_id
    clock.now += 299
    assert manager.verify(old_key).replaced_by == new.key_id
    assert manager.verify(new_key).key_id == new.key_id
    clock.now += 1
    with pytest.raises(ApiKeyError) as err:
        manager.verify(old_key)
    assert err.value.reason == "expired"
    assert manager.verify(new_key, "chat") == new


def relabelled(key: str, env: str, *, recompute: bool) -> str:
    """The same key id and secret under another label; the checksum recomputed as anyone can
    (CRC32 is public), or left as it was."""
    body, checksum = key.rsplit("_", 1)
    _, _, key_id, secret = body.split("_")
    body = f"mcpr_{env}_{key_id}_{secret}"
    return f"{body}_{base62(zlib.crc32(body.encode()), 6) if recompute else checksum}"


@pytest.mark.parametrize(("issued", "forged"), [("test", "live"), ("live", "test")])
def test_relabelled_key_is_refused(tmp_path: Path, issued: str, forged: str) -> None:
    with SqliteApiKeyStore(DataDir(tmp_path)) as store:
        manager = ApiKeyManager(PEPPER, store)
        key, record = manager.issue(issued, {"models"})
        assert manager.verify(key) == record

        def reason(k: str) -> str:
            with pytest.raises(ApiKeyError) as err:
                manager.verify(k)
            assert k not in str(err.value)
            return err.value.reason

        assert reason(relabelled(key, forged, recompute=False)) == "bad_checksum"
        assert reason(relabelled(key, forged, recompute=True)) == "env_mismatch"
        assert reason(relabelled(key, "staging", recompute=True)) == "env_mismatch"
    # A record written before the label was checked (same table, same columns) still works.
    with SqliteApiKeyStore(DataDir(tmp_path)) as store:
        assert ApiKeyManager(PEPPER, store).verify(key).key_id == record.key_id


def test_unknown_key_id_does_the_same_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown id is hashed against a dummy record: one peppered hash, known id or not."""
    manager = ApiKeyManager(PEPPER)
    key, _ = manager.issue("live")
    stranger, _ = ApiKeyManager(PEPPER).issue("live")
    calls: list[str] = []
    real = ApiKeyHasher.verify

    class Counting:
        def __init__(self, inner: ApiKeyHasher) -> None:
            self.inner = inner

        def verify(self, k: str, env: str, stored: bytes) -> tuple[str, str]:
            calls.append(k)
            return real(self.inner, k, env, stored)

    monkeypatch.setattr(manager, "_hasher", Counting(manager._hasher))
    wrong_secret = key[:30] + ("x" if key[30] != "x" else "y") + key[31:]
    wrong_secret = relabelled(wrong_secret, "live", recompute=True)
    for k, expected in ((stranger, "unknown_key"), (wrong_secret, "mismatch")):
        with pytest.raises(ApiKeyError) as err:
            manager.verify(k)
        assert err.value.reason == expected
    assert calls == [stranger, wrong_secret]


def test_session_tokens_are_canonical() -> None:
    """Only the dashboard session token as issued works: padding, another encoding of the same
    MAC bytes, or other digits for the same expiry make a different, invalid token."""
    clock = Clock()
    manager = ApiKeyManager(PEPPER, clock=clock)
    _, record = manager.issue("live", {"metrics"})
    token = manager.session_token(record.key_id, 3600)
    assert manager.session_record(token) == record
    alphabet = BASE62 + "-_"
    key_id, expires, mac = token.split(".")
    variants = [
        token + "=",
        token + "==",
        *(token[:-1] + c for c in alphabet if c != token[-1]),  # same bytes, other spare bits
        f"{key_id}.0{expires}.{mac}",
        f"{key_id}.{expires.translate(str.maketrans('0123456789', '٠١٢٣٤٥٦٧٨٩'))}.{mac}",
        f"{key_id}.{expires}.{mac}.",
        f"{key_id}.{expires}.{mac[:-1]}é",
    ]
    for variant in variants:
        with pytest.raises(ApiKeyError) as err:
            manager.session_record(variant)
        assert err.value.reason == "invalid_session", variant
    clock.now += 3600
    with pytest.raises(ApiKeyError) as err:
        manager.session_record(token)
    assert err.value.reason == "expired"
