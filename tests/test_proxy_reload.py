"""Configuration reload of a running `mcproute serve --workers 2`, each case under load: SIGHUP,
`--watch-config`, `POST /admin/reload`, and an invalid file (rejected, the old configuration
kept). No request of the load may fail, a stream on a model the reload removes finishes, and an
MCP session with an unchanged server goes on while a server is added and another removed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from mcp_support import free_port, http_server
from mcproute.protocol.client import MCPConnection
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from models_support import running_simulator
from proxy_support import serve_command
from test_proxy_crash import wait_ready

LOAD_CLIENTS = 4
PROBES = 12  # requests on new connections that must all see a change (both workers)


@dataclass
class Proxy:
    url: str
    key: str
    config: Path
    proc: asyncio.subprocess.Process
    stderr: Path
    document: dict[str, Any]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def write(self, document: dict[str, Any]) -> None:
        self.document = document
        tmp = self.config.with_suffix(".tmp")
        tmp.write_text(json.dumps(document))
        tmp.replace(self.config)  # atomically: a watcher never reads half a file


def base_document(sim_url: str, mcp_url: str) -> dict[str, Any]:
    provider = {"endpoint": sim_url, "api_key": "sim-key"}
    return {
        "mcp": {
            "models": {
                "openai": {**provider, "models": ["gpt-4", "gpt-old"]},
                "anthropic": {**provider, "models": [{"name": "claude", "model": "claude-x"}]},
            },
            "aliases": {"smart": "claude"},
            "mcpServers": {"first": {"url": mcp_url}, "doomed": {"url": mcp_url}},
        }
    }


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path, document: dict[str, Any], *flags: str, workers: int = 2
) -> AsyncIterator[Proxy]:
    data = DataDir(tmp_path / "data")
    with SqliteApiKeyStore(data) as store:
        key, _ = ApiKeyManager(data.pepper(), store).issue("test", ["admin"])
    config = tmp_path / "mcproute.json"
    config.write_text(json.dumps(document))
    port = free_port()
    stderr_path = tmp_path / "stderr"
    with stderr_path.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port, workers),
            *flags,
            env={
                **os.environ,
                "MCPROUTE_DATA_DIR": str(data.path),
                "MCPROUTE_RUNTIME_DIR": str(tmp_path),
            },
            stderr=stderr,
        )
    proxy = Proxy(f"http://127.0.0.1:{port}", key, config, proc, stderr_path, document)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, proxy.url)
        yield proxy
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 60)


@dataclass
class Load:
    """Chat completions on a model every configuration keeps, from a few clients at once."""

    proxy: Proxy
    done: int = 0
    failures: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def client(self, http: aiohttp.ClientSession, n: int) -> None:
        body = {"model": "gpt-4", "messages": [{"role": "user", "content": f"load {n}"}]}
        while not self.stop.is_set():
            try:
                async with http.post(
                    f"{self.proxy.url}/v1/chat/completions", json=body, headers=self.proxy.auth
                ) as r:
                    text = await r.text()
                    if r.status != 200:
                        self.failures.append(f"{r.status}: {text}")
            except aiohttp.ClientError as exc:
                self.failures.append(repr(exc))
            self.done += 1

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Load]:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            tasks = [asyncio.create_task(self.client(http, n)) for n in range(LOAD_CLIENTS)]
            try:
                yield self
            finally:
                self.stop.set()
                await asyncio.gather(*tasks)


async def everywhere(
    proxy: Proxy, check: Callable[[aiohttp.ClientSession], Awaitable[bool]]
) -> None:
    """Until PROBES requests in a row, each on a new connection (so both workers answer),
    pass `check`; bounded."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        passed = 0
        for _ in range(600):
            passed = passed + 1 if await check(http) else 0
            if passed >= PROBES:
                return
            if not passed:
                await asyncio.sleep(0.05)
    raise AssertionError("the change did not reach every worker")


ALIASES = ("smart", "fresh")  # the listing has the aliases too


def models_are(
    proxy: Proxy, expected: set[str]
) -> Callable[[aiohttp.ClientSession], Awaitable[bool]]:
    async def check(http: aiohttp.ClientSession) -> bool:
        async with http.get(f"{proxy.url}/v1/models", headers=proxy.auth) as r:
            return {m["id"] for m in (await r.json())["data"]} == expected

    return check


async def test_reload_under_load(tmp_path: Path) -> None:
    async with (
        running_simulator(tokens=10, token_interval=0.1) as sim,
        http_server() as mcp_url,
        http_server() as second_url,
    ):
        async with (
            running(tmp_path, base_document(sim.url, mcp_url)) as proxy,
            Load(proxy).running() as load,
        ):
            await everywhere(proxy, models_are(proxy, {"gpt-4", "gpt-old", "claude", "smart"}))
            async with (
                aiohttp.ClientSession() as http,
                MCPConnection(
                    f"{proxy.url}/mcp", http=http, headers=proxy.auth, prefer="legacy"
                ) as mcp,
            ):
                session = mcp.session_id
                assert await mcp.call_tool("first__add", {"a": 1, "b": 2})

                # 1. SIGHUP: a model and an alias added, one removed while a stream on it runs.
                stream = asyncio.create_task(stream_text(http, proxy, "gpt-old"))
                await asyncio.sleep(0.3)  # under way
                document = json.loads(json.dumps(proxy.document))
                models = document["mcp"]["models"]
                models["openai"]["models"] = ["gpt-4", "gpt-new"]
                document["mcp"]["aliases"] = {"smart": "claude", "fresh": "gpt-new"}
                proxy.write(document)
                os.kill(proxy.proc.pid, signal.SIGHUP)
                await everywhere(proxy, models_are(proxy, {"gpt-4", "gpt-new", "claude", *ALIASES}))
                assert (await stream).split()[-1] == "w9"  # finished on the old configuration
                reply = await chat(http, proxy, "fresh")
                assert reply["model"] == "gpt-new"
                async with http.post(
                    f"{proxy.url}/v1/chat/completions",
                    json={"model": "gpt-old", "messages": [{"role": "user", "content": "x"}]},
                    headers=proxy.auth,
                ) as r:
                    assert r.status == 404

                # 3. POST /admin/reload: an MCP server added, one removed, one kept with its
                # session; the answer is the diff, and every worker follows.
                document = json.loads(json.dumps(proxy.document))
                document["mcp"]["mcpServers"] = {
                    "first": {"url": mcp_url},
                    "second": {"url": second_url},
                }
                proxy.write(document)
                async with http.post(f"{proxy.url}/admin/reload", headers=proxy.auth) as r:
                    assert r.status == 200
                    answer = await r.json()
                assert answer["reloaded"] is True
                assert answer["diff"]["mcp_servers"] == {
                    "added": ["second"],
                    "removed": ["doomed"],
                    "changed": [],
                }
                assert answer["diff"]["models"] == {"added": [], "removed": [], "changed": []}

                async def tools_follow(http: aiohttp.ClientSession) -> bool:
                    async with MCPConnection(
                        f"{proxy.url}/mcp", http=http, headers=proxy.auth
                    ) as c:
                        names = {t["name"] for t in await c.list_tools()}
                    return "second__add" in names and not any(
                        n.startswith("doomed__") for n in names
                    )

                await everywhere(proxy, tools_follow)
                assert mcp.session_id == session
                result = await mcp.call_tool("first__add", {"a": 2, "b": 3})
                assert result["content"][0]["text"] == "5"
                result = await mcp.call_tool("second__add", {"a": 4, "b": 3})
                assert result["content"][0]["text"] == "7"

                # 4. An invalid file: rejected by the admin reload (422, every error named) and
                # by SIGHUP (logged); the configuration in force stays.
                proxy.config.write_text(
                    json.dumps({"mcp": {"models": {"openai": {"weight": "heavy"}}}})
                )
                async with http.post(f"{proxy.url}/admin/reload", headers=proxy.auth) as r:
                    assert r.status == 422
                    message = (await r.json())["error"]["message"]
                assert "the current one stays" in message
                assert "mcp.models.openai.weight: unknown key" in message
                assert "mcp.models.openai.models: missing" in message
                os.kill(proxy.proc.pid, signal.SIGHUP)
                await everywhere(proxy, models_are(proxy, {"gpt-4", "gpt-new", "claude", *ALIASES}))
                assert (await chat(http, proxy, "fresh"))["model"] == "gpt-new"
            await asyncio.sleep(0.5)  # the load goes on a little after the last reload
        assert load.failures == []
        assert load.done > 0
    logged = proxy.stderr.read_text()
    assert "configuration reloaded from" in logged
    assert "configuration reload rejected, keeping the current one" in logged
    assert proxy.proc.returncode == 0  # SIGHUP never ended it


async def test_watch_config_under_load(tmp_path: Path) -> None:
    """With --watch-config a changed weight, rate limit and routing policy reach every worker
    with no signal."""
    async with running_simulator(tokens=3) as sim, http_server() as mcp_url:
        document = base_document(sim.url, mcp_url)
        async with (
            running(tmp_path, document, "--watch-config") as proxy,
            Load(proxy).running() as load,
            aiohttp.ClientSession() as http,
        ):
            document = json.loads(json.dumps(proxy.document))
            document["mcp"]["models"]["anthropic"]["models"][0].update({"weight": 3, "rpm": 6000})
            document["mcp"]["routing"] = {"num_retries": 1}
            proxy.write(document)

            async def claude_weight_is_3(http: aiohttp.ClientSession) -> bool:
                async with http.get(f"{proxy.url}/admin/models", headers=proxy.auth) as r:
                    text = await r.text()
                return '"weight":3' in text.replace(" ", "")

            await everywhere(proxy, claude_weight_is_3)
            assert (await chat(http, proxy, "smart"))["model"] == "claude-x"

            await asyncio.sleep(0.5)
        assert load.failures == []
        assert load.done > 0


async def chat(http: aiohttp.ClientSession, proxy: Proxy, model: str) -> dict[str, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    async with http.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.auth) as r:
        assert r.status == 200, await r.text()
        reply: dict[str, Any] = await r.json()
        return reply


async def stream_text(http: aiohttp.ClientSession, proxy: Proxy, model: str) -> str:
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": "s"}]}
    pieces = []
    async with http.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.auth) as r:
        assert r.status == 200
        async for line in r.content:
            if line.startswith(b"data: {"):
                for choice in json.loads(line[6:])["choices"]:
                    pieces.append(choice["delta"].get("content") or "")
    return "".join(pieces)


async def test_sighup_reloads_a_single_worker_serve(tmp_path: Path) -> None:
    async with running_simulator(tokens=3) as sim, http_server() as mcp_url:
        document = base_document(sim.url, mcp_url)
        async with running(tmp_path, document, workers=1) as proxy, Load(proxy).running() as load:
            document = json.loads(json.dumps(proxy.document))
            document["mcp"]["models"]["openai"]["models"] = ["gpt-4", "gpt-new"]
            proxy.write(document)
            os.kill(proxy.proc.pid, signal.SIGHUP)
            await everywhere(proxy, models_are(proxy, {"gpt-4", "gpt-new", "claude", "smart"}))
        assert load.failures == []
    assert proxy.proc.returncode == 0
