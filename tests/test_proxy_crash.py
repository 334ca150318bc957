"""`kill -9` of `mcproute serve` in the middle of context writes: every write the proxy
acknowledged is there afterwards, and the database is intact."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
from pathlib import Path

import aiohttp

from mcp_support import free_port
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from proxy_support import serve_command

WRITERS = 6
KILL_AFTER_ACKS = 240  # acknowledged appends across all writers before the kill


async def start_server(data_dir: Path, config: Path, port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *serve_command(config, port),
        env={**os.environ, "MCPROUTE_DATA_DIR": str(data_dir)},
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches every worker at once
    )


async def wait_ready(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with http.get(f"{url}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the proxy did not start")


async def create_context(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> str:
    async with http.post(f"{url}/v1/contexts", json={"messages": []}, headers=headers) as r:
        assert r.status == 201, await r.text()
        ident: str = (await r.json())["id"]
        return ident


async def writer(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], ident: str, acked: list[int]
) -> None:
    n = 0
    while True:
        message = {"role": "user", "content": f"message {n}"}
        try:
            async with http.post(
                f"{url}/v1/contexts/{ident}/append", json={"messages": [message]}, headers=headers
            ) as r:
                if r.status != 200:
                    raise AssertionError(await r.text())
                await r.read()
        except (aiohttp.ClientError, ConnectionError):
            return  # the server is gone: this write was never acknowledged
        acked.append(n)
        n += 1


async def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with SqliteApiKeyStore(DataDir(data)) as store:
        key, _ = ApiKeyManager(DataDir(data).pepper(), store).issue("test", ["contexts"])
    config = tmp_path / "mcproute.json"
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
    config.write_text(json.dumps({"mcp": {"models": models}}))
    headers = {"Authorization": f"Bearer {key}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    acked: dict[str, list[int]] = {}
    proc = await start_server(data, config, port)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, url)
            # Every context exists before the appends start, so the kill only ever interrupts
            # appends: a create is not what this test is about.
            idents = [await create_context(http, url, headers) for _ in range(WRITERS)]
            acked.update({ident: [] for ident in idents})
            tasks = [
                asyncio.create_task(writer(http, url, headers, ident, acked[ident]))
                for ident in idents
            ]
            while sum(map(len, acked.values())) < KILL_AFTER_ACKS:
                done = [t for t in tasks if t.done()]
                for t in done:
                    t.result()  # a writer that failed early fails the test
                await asyncio.sleep(0.005)
            os.killpg(proc.pid, signal.SIGKILL)
            await asyncio.wait_for(asyncio.gather(*tasks), 30)
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with sqlite3.connect(data / "mcproute.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # A restarted proxy serves every acknowledged message, in order.
    proc = await start_server(data, config, port)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, url)
            for ident, numbers in acked.items():
                async with http.get(f"{url}/v1/contexts/{ident}", headers=headers) as r:
                    assert r.status == 200
                    stored = [m["content"] for m in (await r.json())["messages"]]
                expected = [f"message {n}" for n in numbers]
                # The write in flight at the kill may have landed too; nothing acknowledged is lost.
                assert stored[: len(expected)] == expected
                assert len(stored) - len(expected) in (0, 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    """Running (a zombie awaiting its reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


async def test_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    config = tmp_path / "mcproute.json"
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["m"]}}
    config.write_text(json.dumps({"mcp": {"models": models}}))
    port = free_port()
    proc = await start_server(tmp_path / "data", config, port)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, f"http://127.0.0.1:{port}")
        workers = children(proc.pid)
        for _ in range(300):  # the second fork may come after the first worker answers
            if len(workers) == 2:
                break
            await asyncio.sleep(0.1)
            workers = children(proc.pid)
        assert len(workers) == 2
        proc.kill()  # the parent only: SIGKILL cannot be forwarded
        await proc.wait()
        for _ in range(300):
            if not any(map(alive, workers)):
                break
            await asyncio.sleep(0.1)
        assert not any(map(alive, workers))
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
