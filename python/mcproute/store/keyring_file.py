"""The context-encryption keyring of a data directory.

`MCPROUTE_KEYRING` (see `mcproute.security.keys`) wins when set: the keys then live wherever the
operator keeps that variable and `mcproute keyring rotate` refuses to touch them. Otherwise the
keyring is the file `keyring` in the data directory (mode 0600), created with one random key on
first use. Its entries are `<key id>:<base64 key>`, one per line, the primary first, after a
`# primary since <unix time>` line that dates the primary for scheduled rotation
(`security.keyring_rotation_days`; a file without it is dated by its modification time).
Rotations hold `keyring.lock`, so processes that find the primary due at the same time add
one key between them.

Processes sharing the data directory pick up a rotation by themselves: `KeyringFile.current()`
re-reads the file when it changed, checked at most once per `REFRESH_S`.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator

from mcproute._core import Keyring, KeyringError
from mcproute.security.errors import with_reason
from mcproute.security.keys import DEFAULT_ENV_VAR, keyring_from_env
from mcproute.store.datadir import DataDir, create_once, replace_atomically

REFRESH_S = 1.0
KEY_BYTES = 32
_SINCE = re.compile(r"#\s*primary since (\d+)")


def _since_line(when: float) -> str:
    return f"# primary since {int(when)}"


def _new_entry(taken: set[int]) -> str:
    while True:  # random ids, as Tink does, so keyrings of different deployments differ
        key_id = secrets.randbits(32)
        if key_id and key_id not in taken:
            key = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
            return f"{key_id}:{key}"


class KeyringFile:
    """The data directory's keyring, reloaded when another process rotated it."""

    def __init__(self, data_dir: DataDir) -> None:
        self.path = data_dir.path / "keyring"
        self._lock_path = data_dir.path / "keyring.lock"
        self.from_env = bool(os.environ.get(DEFAULT_ENV_VAR))
        self._lock = threading.Lock()
        self._checked = 0.0
        self._stamp: tuple[int, int] | None = None
        self._keyring: Keyring | None = None
        if not self.from_env:
            create_once(
                data_dir.ensure().path / "keyring",
                lambda: f"{_since_line(time.time())}\n{_new_entry(set())}\n".encode(),
            )

    def __repr__(self) -> str:
        return f"KeyringFile({DEFAULT_ENV_VAR if self.from_env else self.path.name})"

    def current(self) -> Keyring:
        """The keyring as it is now; cheap enough to call for every operation."""
        with self._lock:
            now = time.monotonic()
            if self._keyring is not None and (self.from_env or now - self._checked < REFRESH_S):
                return self._keyring
            self._checked = now
            if self.from_env:
                self._keyring = keyring_from_env()
                return self._keyring
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_ino)
            if self._keyring is None or stamp != self._stamp:
                keyring = Keyring()
                keyring.load_spec("\n".join(self._entries()))
                self._keyring, self._stamp = keyring, stamp
            return self._keyring

    def reload(self) -> Keyring:
        """Re-read now (a ciphertext named a key this process has not seen yet)."""
        with self._lock:
            self._checked = 0.0
            self._stamp = None
        return self.current()

    def _text(self) -> str:
        try:
            return self.path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            message = f"keyring: cannot read {self.path.name!r} in the data directory: {exc}"
            raise with_reason(KeyringError, "missing_spec", message) from None

    def _entries(self) -> list[str]:
        lines = (line.strip() for line in self._text().splitlines())
        return [line for line in lines if line and not line.startswith("#")]

    def primary_since(self) -> float | None:
        """When the primary key became primary (None: the keys come from the environment)."""
        if self.from_env:
            return None
        found = _SINCE.search(self._text())
        return float(found.group(1)) if found else self.path.stat().st_mtime

    @contextlib.contextmanager
    def _rotating(self) -> Iterator[None]:
        if self.from_env:
            message = f"keyring: the keys come from ${DEFAULT_ENV_VAR}; rotate them where it is set"
            raise with_reason(KeyringError, "external_keyring", message)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if this process dies
            yield
        finally:
            os.close(fd)

    def _rewrite(self, entries: list[str], since: float) -> None:
        text = "\n".join([_since_line(since), *entries]) + "\n"
        replace_atomically(self.path, text.encode("ascii"))
        self.reload()

    def _add_primary(self) -> int:
        entries = self._entries()
        new = _new_entry({int(e.split(":", 1)[0]) for e in entries})
        self._rewrite([new, *entries], time.time())
        return int(new.split(":", 1)[0])

    def rotate(self) -> int:
        """Add a new primary key (the old ones stay, for decryption) and return its id."""
        with self._rotating():
            return self._add_primary()

    def rotate_if_older(self, max_age: float) -> int | None:
        """Rotate if the primary key is older than `max_age` seconds; the new key's id, or
        None when it is not due (another process may just have rotated it)."""
        with self._rotating():
            since = self.primary_since()
            if since is not None and time.time() - since < max_age:
                return None
            return self._add_primary()

    def drop_all_but_primary(self) -> list[int]:
        """Remove the old keys; only once every ciphertext is re-encrypted. Returns their ids."""
        with self._rotating():
            entries = self._entries()
            self._rewrite(entries[:1], self.primary_since() or time.time())
            return [int(e.split(":", 1)[0]) for e in entries[1:]]
