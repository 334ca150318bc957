"""The spec's own example messages validate as the type their folder names, in every copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SCHEMAS, require
from mcproute import _core
from schema_oracle import valid_as

LATEST = "2026-07-28"


def examples() -> list[Path]:
    require(SCHEMAS.is_dir(), f"{SCHEMAS} not found")
    found = sorted(SCHEMAS.glob("*/examples/*/*.json"))
    require(len(found) > 0, "no example messages found")
    return found


EXAMPLES = examples() if SCHEMAS.is_dir() else []


def test_corpus_is_complete() -> None:
    require(SCHEMAS.is_dir(), f"{SCHEMAS} not found")
    assert len(EXAMPLES) >= 250
    assert {p.parts[-4] for p in EXAMPLES} == {"2026-07-28", "draft"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: "/".join(p.parts[-4:]))
def test_example_validates_as_its_type(path: Path) -> None:
    type_name = path.parent.name
    version = path.parts[-4] if path.parts[-4] != "draft" else LATEST
    data = path.read_bytes()
    _core.validate(version, type_name, data)
    # the oracle agrees, so the corpus really is valid
    assert valid_as(version, type_name, json.loads(data))


def test_validate_reports_unknown_type_and_version() -> None:
    with pytest.raises(_core.ProtocolError, match="not a type of revision"):
        _core.validate(LATEST, "NoSuchType", b"{}")
    with pytest.raises(ValueError, match="not a supported protocol revision"):
        _core.validate("1999-01-01", "Tool", b"{}")
    assert "CallToolRequest" in _core.type_names("2024-11-05")
