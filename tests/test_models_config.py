"""Configuration: the platform's file loads unchanged, YAML, secret references, errors, reload."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from mcproute.config import (
    Config,
    ConfigError,
    ConfigWatcher,
    SecuritySettings,
    find_config_path,
    load_config,
    parse_config,
)
from models_support import DEVELOPERS_CONFIG, OPENAI_KEY, write

ENV = {"OPENAI_API_KEY": OPENAI_KEY}


def issues_of(document: object, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(document, env=ENV if env is None else env)
    return [str(issue) for issue in info.value.issues]


def test_developers_config_loads_unchanged(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "mcproute.json", DEVELOPERS_CONFIG), env=ENV)
    assert config.protocol_version == "1.0"
    assert config.security == SecuritySettings(encryption_enabled=True, api_key_rotation=True)
    assert config.security.max_key_age_s == 90 * 86400
    assert config.security.keyring_rotation_s == 90 * 86400
    assert config.security.provider_key_refresh_s == 10
    assert [d.name for d in config.deployments] == ["openai/gpt-4#0", "openai/gpt-3.5-turbo#0"]
    gpt4 = config.deployments[0]
    assert gpt4.endpoint == "https://api.openai.com"
    assert gpt4.provider_type == "openai"
    assert gpt4.api_key is not None
    assert gpt4.api_key.reveal() == OPENAI_KEY
    assert gpt4.api_key_source == "OPENAI_API_KEY"
    assert "text-generation" in config.capabilities_of("gpt-4")


def test_developers_config_loads_without_a_key_in_the_environment() -> None:
    config = parse_config(DEVELOPERS_CONFIG, env={})
    assert config.deployments[0].api_key is None


def test_yaml_equals_json(tmp_path: Path) -> None:
    from_json = load_config(write(tmp_path / "a.json", DEVELOPERS_CONFIG), env=ENV)
    from_yaml = load_config(write(tmp_path / "a.yaml", DEVELOPERS_CONFIG), env=ENV)
    assert from_json.deployments == from_yaml.deployments


def test_full_shape_with_secret_references(tmp_path: Path) -> None:
    (tmp_path / "anthropic.key").write_text("sk-ant-from-file\n")
    document = {
        "mcp": {
            "protocol_version": "1.0",
            "models": {
                "openai": {
                    "api_key": "${MY_OPENAI}",
                    "timeout": 30,
                    "models": [
                        "gpt-4",
                        {"name": "gpt-4o", "weight": 3, "rpm": 60, "tpm": 1000, "timeout": 5},
                    ],
                },
                "anthropic": {
                    "api_key": "file:anthropic.key",
                    "models": {"claude": {"model": "claude-sonnet-5-5", "aliases": ["smart"]}},
                },
                "local": {
                    "type": "openai_compatible",
                    "endpoint": "http://${LLM_HOST}:8000/v1",
                    "models": [{"name": "gpt-4", "model": "llama", "max_concurrency": 4}],
                },
                "groq": {"models": ["llama-3-70b"]},
            },
            "groups": {"fast": ["gpt-4o", "claude"]},
            "aliases": {"default": "gpt-4"},
            "defaults": {"text-generation": "smart"},
            "routing": {"num_retries": 2},
            "mcpServers": {"files": {"command": "npx", "args": ["-y", "server-files"]}},
        },
        "mcpServers": {
            "remote": {"url": "https://mcp.example.com/mcp", "headers": {"X-Token": "${TOKEN}"}},
            "db": {"command": "db-mcp", "env": {"DB_PASSWORD": "file:anthropic.key"}},
        },
    }
    env = {"MY_OPENAI": "sk-mine", "LLM_HOST": "10.0.0.5", "TOKEN": "tok-secret"}
    config = load_config(write(tmp_path / "c.yaml", document), env=env)
    by_name = {d.name: d for d in config.deployments}
    assert by_name["openai/gpt-4o#0"].weight == 3
    assert by_name["openai/gpt-4o#0"].rpm == 60
    assert by_name["openai/gpt-4o#0"].timeout == 5
    assert by_name["openai/gpt-4#0"].timeout == 30  # the provider's default
    assert by_name["anthropic/claude#0"].api_key == _secret("sk-ant-from-file")
    assert by_name["anthropic/claude#0"].model == "claude-sonnet-5-5"
    assert by_name["local/gpt-4#0"].endpoint == "http://10.0.0.5:8000/v1"
    assert by_name["groq/llama-3-70b#0"].endpoint == "https://api.groq.com/openai/v1"
    groups = config.model_groups()
    assert [d.name for d in groups["gpt-4"]] == ["openai/gpt-4#0", "local/gpt-4#0"]
    assert [d.name for d in groups["fast"]] == ["openai/gpt-4o#0", "anthropic/claude#0"]
    assert config.aliases == {"smart": "claude", "default": "gpt-4"}
    assert config.routing == {"num_retries": 2}
    servers = {s.name: s for s in config.mcp_servers}
    assert servers["remote"].headers["X-Token"].reveal() == "tok-secret"
    assert servers["db"].env["DB_PASSWORD"].reveal() == "sk-ant-from-file"
    assert servers["files"].args == ("-y", "server-files")
    shown = repr(config)
    for secret in ("sk-mine", "sk-ant-from-file", "tok-secret"):
        assert secret not in shown


def _secret(value: str) -> object:
    from mcproute.secret import Secret

    return Secret(value)


def test_every_error_is_listed_with_its_path(tmp_path: Path) -> None:
    document = {
        "mcp": {
            "protocol_version": "2.0",
            "modles": {},
            "models": {
                "openai": {
                    "api_key": "${MISSING_VAR}",
                    "models": ["gpt-4", {"name": "x", "weight": -1, "rpm": 1.5}, 7],
                },
                "anthropic": {"api_key": "file:/nonexistent/key", "models": []},
                "mystery": {"models": ["m"]},
                "local": {"type": "openai_compatible", "endpoint": "ftp://x", "models": ["m"]},
            },
            "aliases": {"smart": "nope"},
            "groups": {"fast": ["gpt-4", "ghost"]},
            "mcpServers": {"bad": {"command": "x", "url": "http://y"}},
        }
    }
    issues = issues_of(document, env={})
    expected = [
        "mcp.modles: unknown key",
        "mcp.protocol_version: unsupported configuration schema version '2.0'",
        "mcp.models.openai.api_key: environment variable MISSING_VAR is not set",
        "mcp.models.openai.models[1].weight: must be greater than 0, got -1",
        "mcp.models.openai.models[1].rpm: must be a whole number",
        "mcp.models.openai.models[2]: must be an object",
        "mcp.models.anthropic.api_key: cannot read secret file /nonexistent/key",
        "mcp.models.anthropic.models: is empty",
        "mcp.models.mystery.type: missing: cannot tell the provider from its name",
        "mcp.models.local.endpoint: must be an http(s) URL with a host",
        "mcp.aliases.smart: points to unknown model or group 'nope'",
        "mcp.groups.fast[1]: unknown model 'ghost'",
        "mcp.mcpServers.bad: needs exactly one of command (stdio) or url (HTTP)",
    ]
    for fragment in expected:
        assert any(issue.startswith(fragment) for issue in issues), (fragment, issues)
    assert len(issues) == len(expected)


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ([], "$: must be an object, got list"),
        (None, "$: the configuration is empty"),
        ({"mcp": {"models": {"openai": {}}}}, "mcp.models.openai.models: missing"),
        ({"mcp": {"defaults": {"reasoning": "gpt-4"}}}, "mcp.defaults.reasoning: unknown"),
        (
            {"mcp": {"models": {"openai": {"models": [{"name": "m", "capabilities": ["fly"]}]}}}},
            "mcp.models.openai.models[0].capabilities[0]: unknown capability 'fly'",
        ),
        ({"mcpServers": {"s": {"url": "http://h", "env": []}}}, "mcpServers.s.env: must be"),
    ],
)
def test_single_errors(document: object, fragment: str) -> None:
    issues = issues_of(document)
    assert any(issue.startswith(fragment) for issue in issues), issues


def test_syntax_errors_name_the_line(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"mcp": {\n  "models": }\n}')
    with pytest.raises(ConfigError, match=r"\$ \(line 2, column \d+\): invalid JSON"):
        load_config(bad_json)
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("mcp:\n  models: [a\n  b: c\n")
    with pytest.raises(ConfigError, match=r"invalid YAML"):
        load_config(bad_yaml)
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(tmp_path / "missing.json")


def test_secrets_never_in_errors(tmp_path: Path) -> None:
    document = {"mcp": {"models": {"openai": {"api_key": OPENAI_KEY, "models": [{"weight": 0}]}}}}
    with pytest.raises(ConfigError) as info:
        parse_config(document, env={})
    assert OPENAI_KEY not in str(info.value)
    assert OPENAI_KEY not in repr(info.value.issues)


def test_config_file_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MCPROUTE_CONFIG", raising=False)
    assert find_config_path() is None
    assert load_config().source == "<built-in default>"
    write(tmp_path / "mcproute.yaml", DEVELOPERS_CONFIG)
    assert find_config_path() == Path("mcproute.yaml")
    write(tmp_path / "mcproute.json", DEVELOPERS_CONFIG)
    assert find_config_path() == Path("mcproute.json")
    named = write(tmp_path / "elsewhere.json", DEVELOPERS_CONFIG)
    monkeypatch.setenv("MCPROUTE_CONFIG", str(named))
    assert load_config().source == str(named)


async def test_watcher_reloads_on_change_and_sighup_and_keeps_old_on_error(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "live.json", DEVELOPERS_CONFIG)
    seen: list[Config] = []
    watcher = ConfigWatcher(path, seen.append, interval=0.05)
    watcher.start()
    try:
        changed = json.loads(json.dumps(DEVELOPERS_CONFIG))
        changed["mcp"]["models"]["openai"]["models"].append("gpt-4o")
        write(path, changed)
        for _ in range(200):  # bounded wait for the poll to notice
            if seen:
                break
            await asyncio.sleep(0.02)
        assert [d.group for d in seen[-1].deployments] == ["gpt-4", "gpt-3.5-turbo", "gpt-4o"]

        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(200):
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.02)
        assert len(seen) == 2

        path.write_text('{"mcp": {"models": 3}}')
        assert watcher.reload() is False
        assert watcher.last_error is not None
        assert "mcp.models: must be an object" in str(watcher.last_error)
        assert len(seen) == 2
    finally:
        await watcher.stop()
