"""`mcproute serve --workers 2` in front of MCP upstreams, with one API key per named caller, its
stderr kept in a file (tests read it for secrets)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_support import free_port
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from proxy_support import serve_command


@dataclass
class McpProxy:
    url: str  # the proxy's base URL; the gateway is at /mcp
    keys: dict[str, str]  # caller name -> its API key
    stderr: Path

    def auth(self, caller: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[caller]}"}


@contextlib.asynccontextmanager
async def mcp_proxy(
    tmp_path: Path,
    upstreams: Mapping[str, Any],
    callers: Mapping[str, Sequence[str]],
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[McpProxy]:
    """The proxy with `upstreams` as its mcpServers and a key per caller (name -> scopes);
    not yet ready when this yields (wait on /healthz)."""
    data = DataDir(tmp_path / "data")
    with SqliteApiKeyStore(data) as store:
        manager = ApiKeyManager(data.pepper(), store)
        keys = {name: manager.issue("test", list(scopes))[0] for name, scopes in callers.items()}
    config = tmp_path / "mcproute.json"
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
    config.write_text(json.dumps({"mcp": {"models": models, "mcpServers": dict(upstreams)}}))
    port = free_port()
    stderr = tmp_path / "stderr"
    with stderr.open("wb") as err:  # the child keeps its own descriptor
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port),
            env={**os.environ, "MCPROUTE_DATA_DIR": str(data.path), **(env or {})},
            stderr=err,
        )
    try:
        yield McpProxy(f"http://127.0.0.1:{port}", keys, stderr)
    finally:
        proc.terminate()
        await proc.wait()
