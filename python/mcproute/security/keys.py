"""Loading a keyring from an environment variable or a file.

Both hold the same text: `<key id>:<base64 32-byte key>` entries separated by commas or
newlines, the primary first; blank lines and `#` comments are ignored. Parsing and base64
decoding happen in the core so decoded key bytes are zeroized there.
"""

from __future__ import annotations

import os
from pathlib import Path

from mcproute._core import Keyring, KeyringError
from mcproute.security.errors import with_reason

DEFAULT_ENV_VAR = "MCPROUTE_KEYRING"


def keyring_from_env(name: str = DEFAULT_ENV_VAR, **limits: int) -> Keyring:
    """A keyring from the environment variable `name` (`limits`: see `Keyring`)."""
    spec = os.environ.get(name)
    if not spec:
        message = f"keyring: environment variable {name} is not set"
        raise with_reason(KeyringError, "missing_spec", message)
    keyring = Keyring(**limits)
    keyring.load_spec(spec)
    return keyring


def keyring_from_file(path: str | os.PathLike[str], **limits: int) -> Keyring:
    """A keyring from a file; the error names the file, never its content."""
    try:
        spec = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        message = f"keyring: cannot read {os.fspath(path)!r}: {type(exc).__name__}"
        raise with_reason(KeyringError, "missing_spec", message) from None
    keyring = Keyring(**limits)
    keyring.load_spec(spec)
    return keyring
