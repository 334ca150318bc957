"""Hostile bodies on the admin API, drawn from each route's contract: every one is a 400
naming the JSON path (unknown fields such as `budget` included, never dropped),
no key is created or rotated by a refused body, scopes are checked here and in
`mcproute keys create`, the proxy keeps serving and repeats no secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import hostile_support as hostile
from contract_strategies import drawn_cases
from hostile_support import Leaks, http, leaks, proxy
from mcproute.contract import admin
from mcproute.contract.scopes import SCOPE_FORMS
from models_support import OPENAI_KEY
from proxy_support import Proxy

__all__ = ["http", "leaks", "proxy"]  # the fixtures
PER_SITE = 3


async def _keys(http: aiohttp.ClientSession, proxy: Proxy, key: str) -> list[dict[str, Any]]:
    status, listing = await hostile.request(http, "GET", f"{proxy.url}/admin/keys", key)
    assert status == 200
    return listing["data"]  # type: ignore[no-any-return]


async def test_hostile_bodies_create_and_rotate_nothing(
    proxy: Proxy,
    http: aiohttp.ClientSession,
    leaks: Leaks,
) -> None:
    key = proxy.key("admin")
    before = await _keys(http, proxy, key)
    target = before[0]["key_id"]
    routes = [
        (f"{proxy.url}/admin/keys", admin.KEY_CREATE),
        (f"{proxy.url}/admin/keys/{target}/rotate", admin.KEY_ROTATE),
        (f"{proxy.url}/admin/keyring/rotate", admin.KEYRING_ROTATE),
    ]
    for url, contract in routes:
        cases = drawn_cases(contract.shape, PER_SITE)
        await hostile.assert_refused(http, "POST", url, key, cases, hostile.PROVIDER_KEYS)
    assert await _keys(http, proxy, key) == before, "a refused body created or rotated a key"
    status, made = await hostile.request(
        http, "POST", f"{proxy.url}/admin/keys", key, {"env": "test"}
    )
    assert status == 201, made
    leaks([key, made["key"], *hostile.PROVIDER_KEYS])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"rpms": 10}, 'rpms: unknown field; expected one of "scopes", "env"'),
        ({"rpm": -1}, "rpm: expected an integer from 0"),
        ({"budget_usd": "ten"}, "budget_usd: expected a number"),
        ({"scopes": ["models"], "budget": 5}, "budget: unknown field"),
        ({"scopes": ["bogus"]}, 'scopes[0]: unknown scope "bogus"; valid forms: models,'),
        ({"scopes": ["models", "mcp:"]}, 'scopes[1]: unknown scope "mcp:"'),
        ({"scopes": ["context:ctx_short"]}, "scopes[0]: unknown scope"),
        ({"scopes": []}, "scopes: expected an array of a scope with 1 to 64 items, got 0 items"),
        ({"scopes": "models"}, "scopes: expected an array"),
        ({"ttl_seconds": 1e300}, "ttl_seconds: expected a number > 0"),
        ({"ttl_seconds": -1}, "ttl_seconds: expected a number > 0"),
        ({"ttl_seconds": None}, "ttl_seconds: expected a number"),
        ({"env": "Prod"}, "env: expected an environment label"),
        ({"require_signature": "yes"}, "require_signature: expected true or false"),
    ],
)
async def test_named_faults(
    body: Any, expected: str, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    key = proxy.key("admin")
    status, error = await hostile.request(http, "POST", f"{proxy.url}/admin/keys", key, body)
    assert status == 400, error
    assert error["error"]["message"].startswith(expected), error


async def test_every_documented_scope_form_is_accepted(
    proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    key = proxy.key("admin")
    scopes = [f.replace("NAME", "n").replace("SERVER", "s").replace("ID", "ctx_" + "a" * 32)
              for f in SCOPE_FORMS]  # fmt: skip
    status, made = await hostile.request(
        http, "POST", f"{proxy.url}/admin/keys", key, {"scopes": scopes}
    )
    assert status == 201, made
    assert sorted(made["scopes"]) == sorted(scopes)


def test_cli_refuses_unknown_scopes_and_unbounded_lifetimes(tmp_path: Path) -> None:
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(tmp_path / "data")}
    cli = [sys.executable, "-m", "mcproute.cli", "keys"]
    bad = subprocess.run(
        [*cli, "create", "--scope", "models", "--scope", "bogus"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert 'unknown scope "bogus"; valid forms: ' + ", ".join(SCOPE_FORMS) in bad.stderr
    listed = subprocess.run(
        [*cli, "list"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert "models" not in listed.stdout, "a key was issued despite the bad scope"
    good = subprocess.run(
        [*cli, "create", "--scope", "mcp:demo:echo", "--scope", "tenant:acme"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "scopes: mcp:demo:echo, tenant:acme" in good.stdout
    for ttl in ("1e300", "nan", "0", "-5"):
        bad_ttl = subprocess.run(
            [*cli, "create", "--ttl", ttl],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert bad_ttl.returncode == 2
        assert "argument --ttl: expected seconds above 0" in bad_ttl.stderr


def test_cli_sets_checks_and_clears_limits(tmp_path: Path) -> None:
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(tmp_path / "data")}
    cli = [sys.executable, "-m", "mcproute.cli", "keys"]

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*cli, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == code, done.stderr
        return done

    bad = [("--rpm", "-1"), ("--tpm", "many"), ("--max-parallel", "1.5"), ("--budget", "-2"),
           ("--budget", "nan"), ("--budget-period", "year")]  # fmt: skip
    for flag, value in bad:
        assert f"argument {flag}:" in run("create", flag, value, code=2).stderr
    assert run("list").stdout == ""  # nothing was issued
    made = run("create", "--rpm", "5", "--budget", "0", "--budget-period", "day").stdout
    assert "limits: rpm=5 budget_usd=0.0 budget_period=day" in made
    key_id = made.split("key id: ")[1].split()[0]
    updated = run("update", key_id, "--tpm", "1000", "--clear", "rpm").stdout
    assert "limits: tpm=1000 budget_usd=0.0 budget_period=day" in updated
    assert "give a limit" in run("update", key_id, code=2).stderr
    assert "tpm=1000" in run("list").stdout


async def test_a_secret_given_as_a_name_is_not_repeated(
    proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    """Field names and scopes are echoed in refusals: one that is a credential is redacted."""
    key = proxy.key("admin")
    cases = [
        (f"{proxy.url}/admin/keys", {"scopes": [key]}, "scopes[0]: unknown scope"),
        (f"{proxy.url}/admin/keys", {key: 1}, '["[redacted]"]: unknown field'),
        (f"{proxy.url}/v1/contexts", {"document": "d", OPENAI_KEY: 1}, '["[redacted]"]: unknown'),
        (
            f"{proxy.url}/v1/chat/completions",
            {"model": "m", "messages": [], "metadata": {OPENAI_KEY: 1}},
            'metadata["[redacted]"]: expected a string',
        ),
    ]
    for url, body, expected in cases:
        async with http.post(url, json=body, headers={"Authorization": f"Bearer {key}"}) as r:
            text = await r.text()
        assert r.status == 400, text
        assert (await r.json())["error"]["message"].startswith(expected), text
        assert key not in text
        assert OPENAI_KEY not in text
