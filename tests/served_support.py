"""`mcproute serve` as a separate process on 127.0.0.1, its stderr kept for the test to read."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from mcp_support import free_port
from mcproute.store import DataDir
from proxy_support import issue_key, serve_command
from test_proxy_crash import wait_ready


@dataclass
class Served:
    url: str
    port: int
    data_dir: DataDir
    stderr_path: Path

    def key(self, *scopes: str) -> str:
        return issue_key(self.data_dir, *scopes)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@contextlib.asynccontextmanager
async def served(
    tmp_path: Path,
    *,
    workers: int = 1,
    document: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> AsyncIterator[Served]:
    """The proxy with `document` as its configuration; by default one model on a closed port
    (for tests that never reach an upstream), on `port` or a free one. Its data directory is
    `tmp_path / "data"`."""
    data_dir = DataDir(tmp_path / "data")
    data_dir.pepper()
    config = tmp_path / "mcproute.json"
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
    config.write_text(json.dumps(document or {"mcp": {"models": models}}))
    port = port or free_port()
    stderr_path = tmp_path / "stderr"
    with stderr_path.open("wb") as stderr:  # the child keeps its own descriptor
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port, workers),
            env={**os.environ, **(env or {}), "MCPROUTE_DATA_DIR": str(data_dir.path)},
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, url)
        yield Served(url, port, data_dir, stderr_path)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
