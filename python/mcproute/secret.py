"""A secret string that never shows itself in reprs, logs or error messages, and where it is
read from (a file or the environment), to read it again when it changes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class Secret:
    """Wraps a credential; only ``reveal()`` gives the value (to build a request header)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str:
        raise TypeError("a Secret cannot be pickled")


ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


FileStamp = tuple[int, int, int, bytes]


def file_stamp(path: Path) -> FileStamp | None:
    """What changes when a small file (a secret, a credentials file) is replaced or rewritten:
    its mtime, size and inode, and a digest of its bytes, since a rewrite within the file
    system's timestamp granularity keeps the first three. None when it cannot be read."""
    try:
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino, digest


class SecretSourceError(ValueError):
    """A secret could not be read from its source; the message never holds a secret value."""


@dataclass(frozen=True)
class SecretSource:
    """Where a secret is read from, so it can be read again when it is rotated: a file, or
    text with ``${VAR}`` references to the environment."""

    file: Path | None = None
    template: str | None = None

    def __repr__(self) -> str:
        return f"SecretSource({'file' if self.file is not None else self.template!r})"

    def stamp(self) -> FileStamp | None:
        """What changes when the file is replaced or rewritten (None for the environment)."""
        return None if self.file is None else file_stamp(self.file)

    def read(self, env: Mapping[str, str]) -> Secret:
        """The secret as it is now; raises `SecretSourceError` naming the problem."""
        if self.file is not None:
            try:
                text = self.file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SecretSourceError(
                    f"cannot read secret file {self.file}: {exc.strerror or exc}"
                ) from None
            if not text:
                raise SecretSourceError(f"secret file {self.file} is empty")
            return Secret(text)
        template = self.template or ""
        missing = [name for name in ENV_REF.findall(template) if name not in env]
        if missing:
            raise SecretSourceError(
                "; ".join(f"environment variable {name} is not set" for name in missing)
            )
        value = ENV_REF.sub(lambda m: env[m.group(1)], template)
        if not value:
            match = ENV_REF.fullmatch(template)
            raise SecretSourceError(
                f"environment variable {match.group(1)} is empty" if match else "is empty"
            )
        return Secret(value)
