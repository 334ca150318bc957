"""Key changes leave audit events in their own transaction, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

import aiohttp
import orjson
import pytest

from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.keyring_file import KeyringFile
from mcproute.store.shared import open_database
from proxy_support import running_proxy


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
        asyncio.run(store.audit("keyring.rotated", "7", by="cli"))  # an event of its own
        events = store.events()
        assert asyncio.run(store.aevents(2)) == events[-2:]
    assert [(e.action, e.subject) for e in events] == [
        ("key.created", first.key_id),
        ("key.created", second.key_id),
        ("key.rotated", first.key_id),
        ("key.revoked", second.key_id),
        ("keyring.rotated", "7"),
    ]
    assert events[-1].detail == {"by": "cli"}
    assert events[2].detail["replaced_by"] == second.key_id
    assert events[0].detail == {
        "env": "live", "scopes": ["models"], "name": "ci", "replaced_by": None
    }  # fmt: skip
    assert all(key not in repr(e) for e in events)  # never the key itself
    assert [e.at for e in events] == sorted(e.at for e in events)


async def test_admin_calls_and_keyring_rotations_are_audited(tmp_path: Path) -> None:
    """Every admin call but a read leaves an `admin.call` event naming its caller, method,
    path and status (a refused one too); a keyring rotation leaves its own; none holds a
    secret; `GET /admin/audit` reads them, for admin keys only, its limit checked."""
    async with running_proxy(tmp_path) as proxy, aiohttp.ClientSession() as http:
        admin = proxy.key("admin")
        headers = {"Authorization": f"Bearer {admin}"}
        base = f"{proxy.url}/admin"
        async with http.post(f"{base}/keys", json={"scopes": ["models"]}, headers=headers) as r:
            assert r.status == 201
            made = await r.json()
        async with http.post(f"{base}/keys", json={"scopes": "models"}, headers=headers) as r:
            assert r.status == 400  # refused, and audited all the same
        async with http.get(f"{base}/keys", headers=headers) as r:
            assert r.status == 200  # a read: not audited
        async with http.put(f"{base}/tenants/acme", json={"rpm": 5}, headers=headers) as r:
            assert r.status == 200
        async with http.delete(f"{base}/keys/{made['key_id']}", headers=headers) as r:
            assert r.status == 200
        async with http.post(f"{base}/keyring/rotate", headers=headers) as r:
            assert r.status == 200
            primary = (await r.json())["primary"]
        async with http.get(f"{base}/audit?limit=1000", headers=headers) as r:
            assert r.status == 200
            text = await r.text()
        events = orjson.loads(text)["data"]
        calls = [e for e in events if e["action"] == "admin.call"]
        admin_id = calls[0]["subject"]
        assert admin_id is not None
        assert admin_id in admin  # the caller's key id
        revoked = f"/admin/keys/{made['key_id']}"
        assert [(e["subject"], e["detail"]) for e in calls] == [
            (admin_id, {"method": "POST", "path": "/admin/keys", "status": 201}),
            (admin_id, {"method": "POST", "path": "/admin/keys", "status": 400}),
            (admin_id, {"method": "PUT", "path": "/admin/tenants/acme", "status": 200}),
            (admin_id, {"method": "DELETE", "path": revoked, "status": 200}),
            (admin_id, {"method": "POST", "path": "/admin/keyring/rotate", "status": 200}),
        ]
        actions = [e["action"] for e in events if e["action"] != "admin.call"]
        assert actions[-5:] == [
            "key.created", "tenant.updated", "key.revoked", "keyring.rotated", "keyring.reencrypted"
        ]  # fmt: skip
        rotated = next(e for e in events if e["action"] == "keyring.rotated")
        assert (rotated["subject"], rotated["detail"]) == (str(primary), {"by": "admin"})
        assert made["key"] not in text  # never a key itself
        assert admin not in text
        assert [e["id"] for e in events] == sorted(e["id"] for e in events)

        for query in ("limit=0", "limit=1001", "limit=x"):
            async with http.get(f"{base}/audit?{query}", headers=headers) as r:
                assert r.status == 400, query
                assert "limit" in (await r.json())["error"]["message"]
        async with http.get(f"{base}/audit?limit=2", headers=headers) as r:
            assert [e["action"] for e in (await r.json())["data"]] == [
                "keyring.reencrypted", "admin.call"
            ]  # fmt: skip
        models_key = proxy.key("models")
        viewer = {"Authorization": f"Bearer {models_key}"}
        async with http.get(f"{base}/audit", headers=viewer) as r:
            assert r.status == 403  # a read: refused, not audited
        async with http.post(f"{base}/keys", json={"scopes": ["admin"]}, headers=viewer) as r:
            assert r.status == 403  # refused by the auth middleware: audited
        async with http.get(f"{base}/audit?limit=1", headers=headers) as r:
            [event] = (await r.json())["data"]
        viewer_id = event["subject"]
        assert viewer_id != admin_id
        assert viewer_id in models_key
        assert (event["action"], event["detail"]) == (
            "admin.call", {"method": "POST", "path": "/admin/keys", "status": 403}
        )  # fmt: skip


def test_the_keyring_commands_rotation_is_audited(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path)
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(tmp_path)}
    env.pop("MCPROUTE_KEYRING", None)
    for _ in range(2):  # the second one drops the first one's old key
        command = [sys.executable, "-m", "mcproute.cli", "keyring", "rotate", "--drop-old"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    primary = str(KeyringFile(data_dir).current().primary)
    with SqliteApiKeyStore(data_dir) as store:
        events = [(e.action, e.subject, e.detail) for e in store.events()]
    assert [action for action, _, _ in events] == [
        "keyring.rotated", "keyring.reencrypted", "keyring.dropped"
    ] * 2  # fmt: skip
    assert events[-3:] == [
        ("keyring.rotated", primary, {"by": "cli"}),
        ("keyring.reencrypted", primary, {"ciphertexts": 0}),
        ("keyring.dropped", primary, {"key_ids": [int(events[0][1])]}),
    ]
