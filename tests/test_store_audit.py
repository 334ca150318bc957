"""Key changes leave audit events in their own transaction, on SQLite and on PostgreSQL."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.shared import open_database


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_key_changes_are_audited(
    tmp_path: Path, request: pytest.FixtureRequest, engine: str
) -> None:
    url = None
    if engine == "postgres":
        url = request.getfixturevalue("postgres_server").new_database(f"a_{secrets.token_hex(6)}")
    data_dir = DataDir(tmp_path)
    with SqliteApiKeyStore(data_dir, database=open_database(url, data_dir)) as store:
        keys = ApiKeyManager(secrets.token_bytes(32), store)
        key, first = keys.issue("live", ["models"], name="ci")
        _, second = keys.rotate(first.key_id, grace=60)
        keys.revoke(second.key_id)
        events = store.events()
    assert [(e.action, e.subject) for e in events] == [
        ("key.created", first.key_id),
        ("key.created", second.key_id),
        ("key.rotated", first.key_id),
        ("key.revoked", second.key_id),
    ]
    assert events[2].detail["replaced_by"] == second.key_id
    assert events[0].detail == {
        "env": "live", "scopes": ["models"], "name": "ci", "replaced_by": None
    }  # fmt: skip
    assert all(key not in repr(e) for e in events)  # never the key itself
    assert [e.at for e in events] == sorted(e.at for e in events)
