"""The configuration's `security` block: contexts are always sealed, and `api_key_rotation`
brings a maximum API key age, a keyring rotation schedule and provider keys re-read in place."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mcp_support import free_port, serve
from mcproute.config import ConfigError, SecuritySettings, load_security, parse_config
from mcproute.context.sqlite import SqliteContextStore
from mcproute.models import ModelRegistry
from mcproute.proxy import build_app
from mcproute.security import ApiKeyError, ApiKeyManager
from mcproute.security.apikeys import key_state
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.keyring_file import KeyringFile
from mcproute.testing.upstream import Simulator
from models_support import DEVELOPERS_CONFIG, OPENAI_KEY, running_simulator, write
from proxy_support import serve_command

DAY = 86400.0


def security(**block: Any) -> dict[str, Any]:
    return {"mcp": {"security": block, "models": {}}}


def issues(document: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(document, env={})
    return [str(issue) for issue in info.value.issues]


# ----------------------------------------------------------------------------- validation


def test_defaults_and_the_seed_block() -> None:
    assert parse_config({"mcp": {"models": {}}}, env={}).security == SecuritySettings()
    off = SecuritySettings()
    assert off.max_key_age_s is None  # no rotation unless asked for
    assert off.keyring_rotation_s is None
    assert off.provider_key_refresh_s is None
    seed = parse_config(DEVELOPERS_CONFIG, env={"OPENAI_API_KEY": OPENAI_KEY}).security
    assert seed.max_key_age_s == 90 * DAY
    assert seed.keyring_rotation_s == 90 * DAY
    assert seed.provider_key_refresh_s == 10.0
    tuned = parse_config(
        security(api_key_rotation=True, max_key_age_days=30, keyring_rotation_days=None), env={}
    ).security
    assert tuned.max_key_age_s == 30 * DAY
    assert tuned.keyring_rotation_s is None  # null turns one part off


def test_encryption_cannot_be_turned_off() -> None:
    (problem,) = issues(security(encryption_enabled=False))
    assert problem.startswith("mcp.security.encryption_enabled: false is not supported")
    assert "always encrypted" in problem


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"api_key_rotation": "yes"}, "mcp.security.api_key_rotation: must be true or false"),
        ({"encryption_enabled": 1}, "mcp.security.encryption_enabled: must be true or false"),
        ({"max_key_age_days": 0}, "mcp.security.max_key_age_days: must be between 1 and 3650"),
        ({"max_key_age_days": 1e300}, "mcp.security.max_key_age_days: must be between"),
        ({"max_key_age_days": "90"}, "mcp.security.max_key_age_days: must be a number of days"),
        ({"keyring_rotation_days": True}, "mcp.security.keyring_rotation_days: must be a number"),
        (
            {"provider_key_refresh_seconds": 0.5},
            "mcp.security.provider_key_refresh_seconds: must be between 1 and 86400 seconds",
        ),
        ({"rotate": True}, "mcp.security.rotate: unknown key"),
    ],
)
def test_bad_fields_name_their_path(block: dict[str, Any], expected: str) -> None:
    assert any(problem.startswith(expected) for problem in issues(security(**block))), issues(
        security(**block)
    )
    with pytest.raises(ConfigError):
        parse_config({"mcp": {"security": "on"}}, env={})


def test_config_check_and_serve_refuse_encryption_disabled(tmp_path: Path) -> None:
    document = {**DEVELOPERS_CONFIG, "mcp": {**DEVELOPERS_CONFIG["mcp"]}}
    document["mcp"]["security"] = {"encryption_enabled": False, "api_key_rotation": True}
    path = write(tmp_path / "mcproute.json", document)
    env = {**os.environ, "OPENAI_API_KEY": OPENAI_KEY, "MCPROUTE_DATA_DIR": str(tmp_path / "d")}
    for command in (["config", "check", str(path)], ["serve", "--config", str(path)]):
        done = subprocess.run(
            [sys.executable, "-m", "mcproute.cli", *command],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 1, done
        assert "mcp.security.encryption_enabled: false is not supported" in done.stderr
    seed = write(tmp_path / "seed.json", DEVELOPERS_CONFIG)
    done = subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "config", "check", str(seed)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done


# ----------------------------------------------------------------------------- key age


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_keys_past_the_maximum_age_stop_working_until_rotated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    keys = ApiKeyManager(b"p" * 32, clock=clock, max_age=30 * DAY)
    key, record = keys.issue("live", ["models"])
    clock.now += 27.5 * DAY
    assert keys.verify(key).key_id == record.key_id
    assert key_state(record, clock.now, keys.max_age) == "rotation_due"
    clock.now += 3 * DAY
    assert key_state(record, clock.now, keys.max_age) == "too_old"
    for _ in range(3):
        with pytest.raises(ApiKeyError) as info:
            keys.verify(key)
        assert info.value.reason == "too_old"
    logged = [r for r in caplog.records if "maximum key age" in r.getMessage()]
    assert len(logged) == 1  # once per key, not per request
    assert key not in caplog.text
    with pytest.raises(ApiKeyError):
        keys.active(record.key_id)  # sessions opened with the key end too

    new_key, new = keys.rotate(record.key_id, grace=3600)
    assert keys.verify(key).key_id == record.key_id  # the grace period still holds
    assert keys.verify(new_key).key_id == new.key_id  # a new key, with a fresh age
    clock.now += 3601
    with pytest.raises(ApiKeyError) as info:
        keys.verify(key)
    assert info.value.reason == "expired"
    assert keys.verify(new_key).key_id == new.key_id
    assert ApiKeyManager(b"p" * 32, clock=clock).max_age is None


@contextlib.asynccontextmanager
async def proxy_with(tmp_path: Path, block: dict[str, Any]) -> AsyncIterator[tuple[str, DataDir]]:
    data_dir = DataDir(tmp_path / "data")
    config = parse_config({"mcp": {"security": block, "models": {}}}, env={})
    async with serve(build_app(config, data_dir)) as url:
        yield url.removesuffix("/mcp"), data_dir


def backdated_key(data_dir: DataDir, scopes: list[str], days: float) -> tuple[str, str]:
    """A key issued `days` ago."""
    with SqliteApiKeyStore(data_dir) as store:
        then = time.time() - days * DAY
        key, record = ApiKeyManager(data_dir.pepper(), store, clock=lambda: then).issue(
            "live", scopes
        )
    return key, record.key_id


async def test_proxy_refuses_old_keys_and_lists_their_age(tmp_path: Path) -> None:
    block = {"api_key_rotation": True, "max_key_age_days": 10}
    async with proxy_with(tmp_path, block) as (url, data_dir), aiohttp.ClientSession() as http:
        admin, _ = backdated_key(data_dir, ["admin"], 0)
        old, old_id = backdated_key(data_dir, ["models"], 11)
        due, due_id = backdated_key(data_dir, ["models"], 9.5)
        async with http.get(url + "/v1/models", headers={"Authorization": f"Bearer {old}"}) as r:
            assert r.status == 401
            assert old not in await r.text()
        async with http.get(url + "/v1/models", headers={"Authorization": f"Bearer {due}"}) as r:
            assert r.status == 200
        async with http.get(url + "/admin/keys", headers={"Authorization": f"Bearer {admin}"}) as r:
            listed = {k["key_id"]: k for k in (await r.json())["data"]}
        assert listed[old_id]["state"] == "too_old"
        assert listed[old_id]["age_days"] == 11.0
        assert listed[due_id]["state"] == "rotation_due"
        assert abs(listed[due_id]["rotate_by"] - listed[due_id]["created_at"] - 10 * DAY) <= 1
        rotate = f"{url}/admin/keys/{old_id}/rotate"
        async with http.post(rotate, headers={"Authorization": f"Bearer {admin}"}) as r:
            assert r.status == 201
            fresh = (await r.json())["key"]
        for key in (old, fresh):  # the old key works for the grace period once rotated
            async with http.get(
                url + "/v1/models", headers={"Authorization": f"Bearer {key}"}
            ) as r:
                assert r.status == 200


def test_keys_list_shows_age_and_rotation(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path / "data")
    _, old_id = backdated_key(data_dir, ["models"], 100)
    _, new_id = backdated_key(data_dir, ["models"], 1)
    config = write(tmp_path / "mcproute.json", DEVELOPERS_CONFIG)
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(data_dir.path)}
    env.pop("OPENAI_API_KEY", None)  # only the security block is read
    done = subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "keys", "--config", str(config), "list"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done
    rows = {line.split("\t")[0]: line.split("\t") for line in done.stdout.splitlines()}
    assert rows[old_id][2] == "too_old"
    assert rows[old_id][5] == "100d"
    assert rows[old_id][6].startswith("rotate by ")
    assert rows[new_id][2] == "active"
    assert load_security(config).max_key_age_s == 90 * DAY


# ----------------------------------------------------------------------------- keyring


def test_concurrent_scheduled_rotations_add_one_key(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path / "data")
    first = KeyringFile(data_dir)
    (first.path).write_text("# primary since 1\n" + first.path.read_text().split("\n", 1)[1])
    rings = [KeyringFile(data_dir) for _ in range(4)]
    results: list[int | None] = []
    barrier = threading.Barrier(len(rings))

    def race(ring: KeyringFile) -> None:
        barrier.wait()
        results.append(ring.rotate_if_older(DAY))

    threads = [threading.Thread(target=race, args=(ring,)) for ring in rings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    rotated = [r for r in results if r is not None]
    assert len(results) == 4
    assert len(rotated) == 1
    assert len(first.reload().keys()) == 2
    assert first.current().primary == rotated[0]
    since = first.primary_since()
    assert since is not None
    assert since > 1
    assert first.rotate_if_older(DAY) is None  # fresh now


async def test_two_workers_rotate_a_due_keyring_once_and_reencrypt(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path / "data")
    store = SqliteContextStore(data_dir)
    try:
        for n in range(5):
            await store.create("default", "messages", [{"role": "user", "content": f"m{n}"}])
        old_primary = store.keyring.current().primary
        text = store.keyring.path.read_text()
        store.keyring.path.write_text("# primary since 1\n" + text.split("\n", 1)[1])
    finally:
        store.close()
    document = {"mcp": {"security": {"api_key_rotation": True, "keyring_rotation_days": 30}}}
    config = write(tmp_path / "mcproute.json", {"mcp": {**document["mcp"], "models": {}}})
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        *serve_command(config, port, workers=2),
        env={**os.environ, "MCPROUTE_DATA_DIR": str(data_dir.path)},
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        async with asyncio.timeout(60):
            while not any("re-encrypted" in line for line in lines):
                line = (await proc.stderr.readline()).decode()
                assert line, f"the server stopped: {lines}"
                lines.append(line)
    finally:
        proc.terminate()
        rest = await asyncio.wait_for(proc.communicate(), 30)
        lines += rest[1].decode().splitlines()
    assert sum("new primary key" in line for line in lines) == 1, lines
    keyring = KeyringFile(data_dir)
    assert len(keyring.current().keys()) == 2
    assert keyring.current().primary != old_primary
    store = SqliteContextStore(data_dir)
    try:
        assert await store.reencrypt_all() == 0  # everything was under the new key already
        usage = await store.key_usage()
        assert usage[keyring.current().primary] >= 5
    finally:
        store.close()
    with SqliteApiKeyStore(data_dir) as keys:  # the audit events, with the keys
        events = [(e.action, e.subject, e.detail) for e in keys.events()]
    new = str(keyring.current().primary)
    assert events == [
        ("keyring.rotated", new, {"by": "schedule"}),
        ("keyring.reencrypted", new, {"ciphertexts": 5}),
    ]


# ----------------------------------------------------------------------------- provider keys


def key_document(sim: Simulator, api_key: str, refresh: int = 1) -> dict[str, Any]:
    return {
        "mcp": {
            "security": {"api_key_rotation": True, "provider_key_refresh_seconds": refresh},
            "models": {"openai": {"endpoint": sim.url, "api_key": api_key, "models": ["gpt-4"]}},
        }
    }


async def test_provider_key_file_is_read_again_when_it_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = tmp_path / "openai.key"
    key_file.write_text("sk-first-0000000000\n")
    async with running_simulator(tokens=2) as sim:
        path = write(tmp_path / "mcproute.json", key_document(sim, "file:openai.key"))
        registry = ModelRegistry(path)
        try:
            model = await registry.get_model("gpt-4")
            await model.generate("one")
            assert sim.requests[-1].headers["Authorization"] == "Bearer sk-first-0000000000"
            key_file.write_text("sk-second-1111111111\n")
            seen = ""
            async with asyncio.timeout(20):  # checked at most once a second, off the loop
                while seen != "Bearer sk-second-1111111111":
                    await model.generate("again")
                    seen = sim.requests[-1].headers["Authorization"]
                    await asyncio.sleep(0.2)
            key_file.unlink()  # unreadable now: the current key stays in use
            await registry.refresh_provider_keys()
            await model.generate("still")
            assert sim.requests[-1].headers["Authorization"] == "Bearer sk-second-1111111111"
            assert any("cannot read secret file" in r.getMessage() for r in caplog.records)
            assert "sk-second" not in caplog.text
        finally:
            await registry.aclose()


async def test_provider_key_from_the_environment_follows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROTATING_KEY", "sk-env-one-000000")
    async with running_simulator(tokens=2) as sim:
        path = write(tmp_path / "mcproute.json", key_document(sim, "${ROTATING_KEY}", 3600))
        registry = ModelRegistry(path)
        try:
            model = await registry.get_model("gpt-4")
            await model.generate("one")
            assert sim.requests[-1].headers["Authorization"] == "Bearer sk-env-one-000000"
            monkeypatch.setenv("ROTATING_KEY", "sk-env-two-111111")
            await registry.refresh_provider_keys()
            await model.generate("two")
            assert sim.requests[-1].headers["Authorization"] == "Bearer sk-env-two-111111"
        finally:
            await registry.aclose()
