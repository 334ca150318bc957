"""The proxy in this event loop, against the upstream simulator and the demo MCP server."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from mcp_support import http_server, serve
from mcproute.config import parse_config
from mcproute.proxy import build_app
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.store.shared import open_database
from models_support import OPENAI_KEY, running_simulator


def issue_key(data_dir: DataDir, *scopes: str, database_url: str | None = None) -> str:
    """A new API key with these scopes in the data directory's key store (or in the
    PostgreSQL database at `database_url`)."""
    database = open_database(database_url, data_dir) if database_url else None
    with SqliteApiKeyStore(data_dir, database=database) as store:
        key, _ = ApiKeyManager(data_dir.pepper(), store).issue("test", scopes)
    return key


@dataclass
class Proxy:
    url: str
    data_dir: DataDir
    sim: Any

    def key(self, *scopes: str) -> str:
        """A new API key with these scopes, written where the running proxy reads keys."""
        return issue_key(self.data_dir, *scopes)


def serve_command(config: Path, port: int, workers: int = 2) -> list[str]:
    """`mcproute serve` as a separate process, for tests that signal or kill it."""
    return [sys.executable, "-m", "mcproute.cli", "serve", "--config", str(config),
            "--port", str(port), "--workers", str(workers)]  # fmt: skip


STOP_TIMEOUT_S = 60.0  # beyond serve's drain (30 s) and shutdown grace (10 s)


async def stop_all(procs: list[asyncio.subprocess.Process]) -> None:
    """Stop the `mcproute serve` processes still running, and wait for every one."""
    for proc in procs:
        if proc.returncode is None:
            proc.terminate()
    stuck = []
    for proc in procs:
        try:  # a worker's shutdown is bounded (drain + grace): longer is a bug, not a wait
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            stuck.append(proc.pid)
            proc.kill()
            await proc.wait()
    assert not stuck, f"mcproute serve {stuck} did not stop on SIGTERM"


def document(sim_url: str, mcp_url: str) -> dict[str, Any]:
    return {
        "mcp": {
            "protocol_version": "1.0",
            "models": {
                "openai": {"endpoint": sim_url, "models": ["gpt-4", "text-embedding-3-small"]},
                "anthropic": {
                    "endpoint": sim_url,
                    "api_key": "sk-ant-test",
                    "models": [{"name": "claude", "model": "claude-sonnet-5-5"}],
                },
            },
            "mcpServers": {"demo": {"url": mcp_url}},
        }
    }


@contextlib.asynccontextmanager
async def running_proxy(
    tmp_path: Path,
    tune: Callable[[web.Application], object] = lambda app: None,
    config_document: Callable[[str, str], dict[str, Any]] = document,
) -> AsyncIterator[Proxy]:
    """The proxy on `config_document(simulator URL, MCP server URL)` and a fresh data directory;
    `tune` may change the app before it serves."""
    data_dir = DataDir(tmp_path / "data")
    async with running_simulator(tokens=4) as sim, http_server() as mcp_url:
        doc = config_document(sim.url, mcp_url)
        config = parse_config(doc, env={"OPENAI_API_KEY": OPENAI_KEY})
        app = build_app(config, data_dir)
        tune(app)
        async with serve(app) as url:
            yield Proxy(url.removesuffix("/mcp"), data_dir, sim)


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Proxy]:
    async with running_proxy(tmp_path) as p:
        yield p


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


INSTANCE_LABEL = re.compile(r'(\{|,)instance="(?:[^"\\]|\\.)*"\} ')


def without_instance(scrape: str) -> str:
    """A `/metrics` scrape with the `instance` label taken off each sample, which must carry it
    (last), so a test can compare series as one replica renders them."""

    def one(line: str) -> str:
        if not line or line.startswith("#"):
            return line
        found = INSTANCE_LABEL.search(line)
        assert found is not None, f"no instance label: {line}"
        return line[: found.start()] + ("}" if found[1] == "," else "") + " " + line[found.end() :]

    return "\n".join(one(line) for line in scrape.split("\n"))


async def output_tokens_counted(http: aiohttp.ClientSession, url: str, admin_key: str) -> float:
    """The output tokens the proxy's token usage metric has summed so far (`/metrics`)."""
    async with http.get(f"{url}/metrics", headers={"Authorization": f"Bearer {admin_key}"}) as r:
        scrape = await r.text()
    output = [
        line
        for line in scrape.splitlines()
        if line.startswith("gen_ai_client_token_usage_sum") and '"output"' in line
    ]
    assert output, scrape
    return float(output[0].rsplit(" ", 1)[1])
