"""Unpadded base64url, decoded strictly: every byte string has exactly one accepted spelling.

Lenient decoding (padding added, characters outside the alphabet skipped, non-zero trailing
bits ignored) lets one sealed value travel under many strings, and anything keyed on the string
(a list of ended sessions, a cache) then fails to recognise it.
"""

from __future__ import annotations

import base64
import binascii


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode(text: str) -> bytes | None:
    """The bytes `text` spells if it is their canonical spelling (as `encode` writes it)."""
    if not text.isascii():
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if encode(data) == text else None
