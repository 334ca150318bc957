"""Shared fixtures: where the reference data lives, and CI's rule for missing dependencies."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCHEMAS = SHARED / "mcp-schema"
REVISIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a test prerequisite is missing; in CI a missing prerequisite fails."""
    if not condition:
        if IN_CI:
            pytest.fail(f"missing prerequisite in CI: {reason}")
        pytest.skip(reason)


@cache
def official_schema(version: str) -> dict[str, Any]:
    path = SCHEMAS / version / "schema.json"
    require(path.is_file(), f"{path} not found (reference data beside the project root)")
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def definitions(version: str) -> dict[str, Any]:
    schema = official_schema(version)
    defs: dict[str, Any] = schema.get("$defs") or schema["definitions"]
    return defs


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Any]:
    """A real Redis of the test session's own (see `stores_support`)."""
    from stores_support import running_redis

    with running_redis() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL cluster of the test session's own (see `stores_support`)."""
    from stores_support import running_postgres

    with running_postgres() as server:
        yield server
