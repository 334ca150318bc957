"""`mcpServers` blocks as desktop clients write them: accepted keys, clear errors, and what
`mcproute config check` verifies (the command can be found, the transport is known)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mcproute.config import ConfigError, parse_config
from mcproute.proxy.reload import mcp_upstreams

MODELS = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}


def config(document: dict[str, Any]) -> Any:
    return parse_config({"mcp": {"models": MODELS}, **document}, env={"TOKEN": "t0k"})


def issues(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        config(document)
    return [str(issue) for issue in raised.value.issues]


def check(tmp_path: Path, document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "mcproute.json"
    path.write_text(json.dumps({"mcp": {"models": MODELS}, **document}))
    return subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_blocks_from_other_clients_are_accepted() -> None:
    claude_cline = {
        "mcpServers": {
            "files": {
                "command": sys.executable,
                "args": ["-m", "files"],
                "env": {"TOKEN": "${TOKEN}"},
                "disabled": False,
                "autoApprove": ["read"],
                "alwaysAllow": ["list"],
                "timeout": 30,
                "breaker_failures": 5,
                "breaker_cooldown_s": 10,
                "type": "stdio",
            },
            "off": {"command": "absent-program", "disabled": True},
            "windsurf": {"serverUrl": "https://mcp.example.com/mcp"},
        }
    }
    vscode = {
        "servers": {"remote": {"type": "http", "url": "https://mcp.example.com/mcp"}},
        "inputs": [{"type": "promptString", "id": "key", "description": "API key"}],
    }
    parsed = config({**claude_cline, **vscode})
    assert {s.name for s in parsed.mcp_servers} == {"files", "off", "windsurf", "remote"}
    upstreams = mcp_upstreams(parsed)
    assert set(upstreams) == {"files", "windsurf", "remote"}  # a disabled server is not started
    assert upstreams["files"]["timeout"] == 30.0
    assert upstreams["files"]["breaker_failures"] == 5
    assert upstreams["files"]["breaker_cooldown_s"] == 10.0
    assert upstreams["files"]["env"] == {"TOKEN": "t0k"}
    assert upstreams["windsurf"]["url"] == "https://mcp.example.com/mcp"
    # VS Code's settings.json puts the same under "mcp".
    nested = parse_config({"mcp": {"models": MODELS, **vscode}})
    assert [s.name for s in nested.mcp_servers] == ["remote"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"type": "websocket", "url": "https://x/mcp"}, "type: unknown transport 'websocket'"),
        ({"type": "stdio", "url": "https://x/mcp"}, "type: 'stdio' needs command"),
        ({"type": "http", "command": "x"}, "type: 'http' needs url"),
        ({"url": "ftp://x/mcp"}, "url: must be an http(s) URL"),
        ({"command": "x", "envFile": ".env"}, "envFile: is not supported"),
        ({"command": "x", "env": {"K": "${input:key}"}}, "env.K: refers to the VS Code input"),
        ({"command": "x", "call_timeout_s": 0}, "call_timeout_s: must be greater than 0"),
        ({"command": "x", "breaker_failures": 2.5}, "breaker_failures: must be a whole number"),
        ({"command": "x", "breaker_cooldown_s": 0}, "breaker_cooldown_s: must be greater than 0"),
        ({"command": "x", "disabled": "yes"}, "disabled: must be true or false"),
        ({"command": "x", "autoApprove": "all"}, "autoApprove: must be a list of strings"),
        ({"command": "x", "transport": "stdio"}, "transport: unknown key"),
        ({"url": "https://x/mcp", "auth": {"type": "basic"}}, "auth.type: must be 'oauth'"),
        ({"url": "https://x/mcp", "auth": {"type": "oauth", "scop": "x"}}, "auth.scop: unknown"),
        ({"command": "x", "auth": {"type": "oauth"}}, "auth: needs a url"),
        ({"url": "https://x/mcp", "auth": "oauth"}, "auth: must be an object"),
    ],
)
def test_bad_entries_fail_with_a_clear_message(entry: dict[str, Any], expected: str) -> None:
    found = issues({"mcpServers": {"s": entry}})
    assert any(f"mcpServers.s.{expected}" in issue for issue in found), found


def test_a_per_user_oauth_upstream_reaches_the_gateway() -> None:
    entry = {
        "url": "https://mcp.example.com/mcp",
        "auth": {"type": "oauth", "scope": "repo", "client_id": "gw", "client_secret": "${TOKEN}"},
    }
    parsed = config({"mcpServers": {"gh": entry}})
    assert "t0k" not in repr(parsed.mcp_servers[0])  # the secret stays wrapped
    assert mcp_upstreams(parsed)["gh"]["auth"] == {
        "type": "oauth", "scope": "repo", "client_id": "gw", "client_secret": "t0k",
    }  # fmt: skip


def test_config_check_finds_missing_commands(tmp_path: Path) -> None:
    good = check(tmp_path, {"mcpServers": {"py": {"command": Path(sys.executable).name}}})
    assert good.returncode == 0, good.stderr
    assert "1 MCP server(s)" in good.stdout
    bad = check(
        tmp_path,
        {
            "mcpServers": {
                "gone": {"command": "no-such-mcp-server-program"},
                "off": {"command": "no-such-mcp-server-program", "disabled": True},
            }
        },
    )
    assert bad.returncode == 1
    assert "mcpServers.gone.command: 'no-such-mcp-server-program' is not found on PATH" in (
        bad.stderr
    )
    assert "mcpServers.off" not in bad.stderr  # disabled: not started, not checked
