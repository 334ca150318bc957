"""Raising the core's security exceptions from Python with the same `reason` codes."""

from __future__ import annotations

from typing import TypeVar

from mcproute._core import ApiKeyError, KeyringError

E = TypeVar("E", ApiKeyError, KeyringError)


def with_reason(kind: type[E], reason: str, message: str) -> E:
    """An exception of `kind` whose `reason` is a stable code, like those raised by the core."""
    err = kind(message)
    err.reason = reason
    return err
