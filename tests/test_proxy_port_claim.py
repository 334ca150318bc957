"""A busy port is refused: a second `mcproute serve` on the same host and port, or a serve on a
port another program listens on (with or without SO_REUSEPORT), exits non-zero saying why;
after the first serve is killed with SIGKILL, a new one takes the port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from mcp_support import free_port
from proxy_support import serve_command


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MCPROUTE_DATA_DIR": str(tmp_path / "data"),
        "MCPROUTE_RUNTIME_DIR": str(tmp_path / "run"),
    }


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "mcproute.json"
    models = {"openai": {"endpoint": "http://127.0.0.1:9", "api_key": "k", "models": ["gpt-4"]}}
    path.write_text(json.dumps({"mcp": {"models": models}}))
    return path


async def start(tmp_path: Path, port: int, workers: int = 2) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *serve_command(config_file(tmp_path), port, workers),
        env=environment(tmp_path),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def refused(tmp_path: Path, port: int) -> str:
    """Run a serve that must exit by itself; its exit status must be non-zero."""
    proc = await start(tmp_path, port)
    _, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode != 0
    return stderr.decode()


async def healthy(url: str) -> bool:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{url}/healthz") as r:
                    if r.status == 200:
                        return True
            await asyncio.sleep(0.1)
    return False


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await start(tmp_path, port)
    try:
        assert await healthy(f"http://127.0.0.1:{port}")
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 60)


async def test_a_second_serve_on_the_same_port_is_refused(tmp_path: Path) -> None:
    port = free_port()
    async with serving(tmp_path, port) as first:
        message = await refused(tmp_path, port)
        assert f"port {port} is already served by mcproute (pid {first.pid})" in message
        assert first.returncode is None
        assert await healthy(f"http://127.0.0.1:{port}")
    assert first.returncode == 0


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_after_sigkill_a_new_serve_takes_the_port(tmp_path: Path) -> None:
    port = free_port()
    async with serving(tmp_path, port) as first:
        workers = children(first.pid)
        assert len(workers) == 2
        first.send_signal(signal.SIGKILL)  # no cleanup: the lock file stays behind
        await first.wait()
        for _ in range(600):  # the orphaned workers get SIGTERM, drain and exit by themselves
            if not any(alive(pid) for pid in workers):
                break
            await asyncio.sleep(0.1)
        async with serving(tmp_path, port) as second:
            assert second.returncode is None
    assert list((tmp_path / "run").glob(f"serve-*-{port}.lock"))  # a stale file is no obstacle


async def test_a_port_another_program_listens_on_is_refused(tmp_path: Path) -> None:
    for reuse_port in (False, True):
        with socket.socket() as other:
            if reuse_port:  # the kernel would let a serve of this user share it
                other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            other.bind(("127.0.0.1", 0))
            other.listen()
            port = other.getsockname()[1]
            message = await refused(tmp_path, port)
            assert f"port {port} on 127.0.0.1: Address already in use" in message
            assert "mcproute (pid" not in message
