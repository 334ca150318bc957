"""Differential tests against the `mcp-types` pydantic models (2025-11-25 and 2026-07-28).

On schema-valid generated messages both accept. pydantic runs in lax mode with extra fields
ignored, so it accepts some messages the schema rejects; the check on mutations is therefore
one-sided: whatever mcp-types rejects, we reject too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mcp_types import methods
from pydantic import BaseModel, ValidationError

from mcproute import _core
from schema_oracle import message_is_valid
from test_codec_differential import mutated, ours_accepts, request_messages

VERSIONS = ["2025-11-25", "2026-07-28"]
MAPS = (
    methods.CLIENT_REQUESTS,
    methods.SERVER_REQUESTS,
    methods.CLIENT_NOTIFICATIONS,
    methods.SERVER_NOTIFICATIONS,
)
SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def model_for(method: Any, version: str) -> type[BaseModel] | None:
    if not isinstance(method, str):
        return None
    for table in MAPS:
        model = table.get((method, version))
        if model is not None:
            return model
    return None


def mcp_types_accepts(version: str, msg: dict[str, Any]) -> bool | None:
    model = model_for(msg.get("method"), version)
    if model is None:
        return None
    try:
        model.model_validate_json(json.dumps(msg))
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(data=st.data())
def test_valid_messages_accepted_by_both(version: str, data: st.DataObject) -> None:
    msg = data.draw(request_messages(version))
    assume(message_is_valid(version, msg))
    theirs = mcp_types_accepts(version, msg)
    assume(theirs is not None)
    ok, why = ours_accepts(version, msg)
    assert ok, why
    assert theirs, f"mcp-types rejected a schema-valid message: {msg}"


@pytest.mark.parametrize("version", VERSIONS)
@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_what_mcp_types_rejects_we_reject(version: str, data: st.DataObject) -> None:
    msg = data.draw(mutated(request_messages(version)))
    assume(isinstance(msg, dict))
    theirs = mcp_types_accepts(version, msg)
    assume(theirs is False)
    ok, _ = ours_accepts(version, msg)
    assert not ok, f"mcp-types rejects, we accept: {msg}"


def test_mcp_types_coverage() -> None:
    """Every method mcp-types knows for these revisions is one we validate."""
    codes: list[tuple[str, str, int | None]] = []
    for version in VERSIONS:
        for table in MAPS:
            for method, v in table:
                if v != version:
                    continue
                msg = {"jsonrpc": "2.0", "method": method}
                codes.append((version, method, code_of(json.dumps(msg).encode(), version)))
    unknown = [(v, m) for v, m, code in codes if code == -32601]
    assert codes
    assert not unknown, f"methods mcp-types knows that we call unknown: {unknown}"


def code_of(data: bytes, version: str) -> int | None:
    try:
        _core.parse(data, version=version)
    except _core.ProtocolError as e:
        return e.code
    return None
