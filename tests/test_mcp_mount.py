"""The proxy's MCP gateway is built when it is first needed (`proxy/mcp_mount.py`): a worker
serving only model calls has none of the MCP modules loaded; its first `/mcp` request builds the
gateway and is served like any later one; the readers that only look (`/admin/mcp`, `/metrics`)
see a gateway not built yet as one with no upstreams and no sessions; and a configuration, or a
reload, with `mcpServers` builds it at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from conftest import ROOT
from mcproute.config import parse_config
from mcproute.protocol.client.connection import MCPConnection
from mcproute.proxy import reload
from mcproute.proxy.mcp_mount import MCP_MOUNT, McpMount
from proxy_support import OPENAI_KEY, document, running_proxy

BUILD = """
import json, sys
from pathlib import Path
from mcproute.config import load_config
from mcproute.proxy.app import build_app
from mcproute.store import DataDir

data = Path(sys.argv[1])
app = build_app(load_config(data / "mcproute.json"), DataDir(data))
print(json.dumps(sorted(sys.modules)))
"""
MCP_MODULES = ("mcproute.protocol", "mcproute.oauth_client", "mcproute.proxy.mcp_service")
EMPTY = {"servers": {}, "sessions_open": {"legacy": 0, "modern": 0}}


def models_only(sim_url: str, mcp_url: str) -> dict[str, Any]:
    doc = document(sim_url, mcp_url)
    del doc["mcp"]["mcpServers"]
    return doc


def loaded_by_build_app(tmp_path: Path, doc: dict[str, Any]) -> list[str]:
    (tmp_path / "mcproute.json").write_text(json.dumps(doc))
    out = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "MCPROUTE_DATA_DIR": str(tmp_path), "OPENAI_API_KEY": OPENAI_KEY},
        timeout=60,
    )
    modules: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return [m for m in modules if m.startswith(MCP_MODULES)]


def test_a_models_only_worker_loads_no_mcp_module(tmp_path: Path) -> None:
    assert loaded_by_build_app(tmp_path, models_only("http://127.0.0.1:9", "")) == []


def test_a_worker_with_mcp_servers_builds_its_gateway_at_start(tmp_path: Path) -> None:
    loaded = loaded_by_build_app(tmp_path, document("http://127.0.0.1:9", "http://127.0.0.1:9"))
    assert "mcproute.proxy.mcp_service" in loaded


def mount_of(apps: list[web.Application]) -> McpMount:
    return apps[0][MCP_MOUNT]


async def readings(http: aiohttp.ClientSession, url: str, admin: str) -> Any:
    async with http.get(f"{url}/admin/mcp", headers={"Authorization": f"Bearer {admin}"}) as r:
        assert r.status == 200
        return await r.json()


async def test_the_first_mcp_request_builds_the_gateway(tmp_path: Path) -> None:
    apps: list[web.Application] = []
    async with (
        running_proxy(tmp_path, apps.append, models_only) as proxy,
        aiohttp.ClientSession() as http,
    ):
        mount, admin = mount_of(apps), proxy.key("admin")
        assert mount.built is None
        assert await readings(http, proxy.url, admin) == EMPTY
        scrape = {"Authorization": f"Bearer {proxy.key('metrics')}"}
        async with http.get(f"{proxy.url}/metrics", headers=scrape) as r:
            assert r.status == 200
            assert 'mcp_sessions_open{era="legacy",instance=' in await r.text()
        assert mount.built is None  # looking builds nothing

        # Refused before the gateway has anything to say: the same answer as a built one's.
        async with http.post(f"{proxy.url}/mcp", json={}) as r:
            assert r.status == 401
        headers = {"Authorization": f"Bearer {proxy.key('mcp')}"}
        async with MCPConnection(f"{proxy.url}/mcp", headers=headers) as client:
            assert await client.list_tools() == []
            assert mount.built is not None
            gateway = mount.built.gateway
            assert await client.list_resources() == []  # the key's contexts: none yet
        async with MCPConnection(f"{proxy.url}/mcp", headers=headers, prefer="legacy") as client:
            assert await client.list_tools() == []
            read = await readings(http, proxy.url, admin)
            assert read["servers"] == {}
            assert read["sessions_open"]["legacy"] == 1
        assert mount.built.gateway is gateway  # built once


@pytest.mark.parametrize("prefer", ["legacy", "modern"])
async def test_a_reload_that_adds_mcp_servers_builds_the_gateway(
    tmp_path: Path, prefer: str
) -> None:
    apps: list[web.Application] = []
    urls: list[str] = []

    def models_first(sim_url: str, mcp_url: str) -> dict[str, Any]:
        urls.extend((sim_url, mcp_url))
        return models_only(sim_url, mcp_url)

    async with running_proxy(tmp_path, apps.append, models_first) as proxy:
        mount, reloader = mount_of(apps), apps[0][reload.RELOADER]
        reloader.apply(parse_config(models_only(*urls), env={"OPENAI_API_KEY": OPENAI_KEY}))
        assert mount.built is None  # still no servers
        reloader.apply(parse_config(document(*urls), env={"OPENAI_API_KEY": OPENAI_KEY}))
        assert mount.built is not None
        assert set(mount.built.gateway.upstreams) == {"demo"}
        headers = {"Authorization": f"Bearer {proxy.key('mcp')}"}
        async with MCPConnection(f"{proxy.url}/mcp", headers=headers, prefer=prefer) as client:
            names = {tool["name"] for tool in await client.list_tools()}
            assert "demo__add" in names
