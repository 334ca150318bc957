"""Helpers shared by the security tests: the shared vector directory and a minimal HTTP message
type the `http-message-signatures` peer accepts (method, url, headers)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
WYCHEPROOF = SHARED / "vectors" / "wycheproof"


def wycheproof(name: str) -> dict[str, Any]:
    path = WYCHEPROOF / name
    assert path.is_file(), f"reference vectors missing: {path} (shared/ must sit beside the repo)"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@dataclass
class Message:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
