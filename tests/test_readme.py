"""The README's Python snippets run as written: each in a fresh interpreter, the model ones
against the upstream simulator with the demo configuration, the server one answering a real
MCP client. A snippet may opt out only with a marker saying why, and must still compile."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import os
import re
import sys
from pathlib import Path

import aiohttp
import pytest

from conftest import ROOT
from mcp_support import free_port
from mcproute.protocol.client import MCPConnection
from models_support import running_simulator
from test_library_shutdown import run_script
from test_proxy_crash import wait_ready

README = ROOT / "README.md"
NOT_RUN = "<!-- not run by tests/test_readme.py:"
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)```", re.S)


def snippets() -> list[tuple[str, bool]]:
    """(code, whether it runs) for every python block, in order."""
    text = README.read_text()
    return [(m["code"], not m["before"].startswith(NOT_RUN)) for m in BLOCK.finditer(text)]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCPROUTE_")}
    return {**env, **extra}


def test_every_snippet_is_run_or_says_why_not() -> None:
    blocks = snippets()
    assert len(blocks) >= 5
    for code, _ in blocks:  # top-level `async with` is how the skipped ones read
        compile(code, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    assert sum(not runs for _, runs in blocks) <= 2  # each says why (remote servers)


@pytest.mark.parametrize(
    "index", [i for i, (code, runs) in enumerate(snippets()) if runs and "run_app" not in code]
)
async def test_a_snippet_runs(tmp_path: Path, index: int) -> None:
    code = snippets()[index][0]
    async with running_simulator(tokens=3) as sim:
        env = clean_env(
            MCPROUTE_CONFIG=str(ROOT / "examples" / "mcproute.demo.json"),
            MCPROUTE_SIMULATOR_URL=sim.url,
        )
        status, out, err = await run_script(code, env, tmp_path)
    assert status == 0, err
    assert err == ""
    if "MCPClient" in code:
        assert out.startswith("echo: My name")  # the simulator echoes the prompt


async def test_the_server_snippet_serves(tmp_path: Path) -> None:
    [code] = [code for code, runs in snippets() if runs and "run_app" in code]
    port = free_port()
    assert "port=8000" in code
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", code.replace("port=8000", f"port={port}")),
        env=clean_env(),
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.1)
        async with MCPConnection(f"http://127.0.0.1:{port}/mcp") as conn:
            assert [t["name"] for t in await conn.list_tools()] == ["forecast"]
            result = await conn.call_tool("forecast", {"city": "Oslo"})
            assert result["content"][0]["text"] == "Sunny in Oslo"
    finally:
        proc.terminate()
        await proc.wait()


async def test_the_quick_start(tmp_path: Path) -> None:
    """`make serve`'s two commands with other ports: the first bootstrap prints an admin key
    that works on the demo configuration; a second one says how to get another."""
    env = clean_env(MCPROUTE_DATA_DIR=str(tmp_path / "data"), MCPROUTE_RUNTIME_DIR=str(tmp_path))
    cli = (sys.executable, "-m", "mcproute.cli")
    bootstrap = [*cli, "keys", "bootstrap"]
    first = await asyncio.create_subprocess_exec(
        *bootstrap, env=env, stdout=asyncio.subprocess.PIPE
    )
    key = (await first.communicate())[0].decode().splitlines()[-1]
    again = await asyncio.create_subprocess_exec(
        *bootstrap, env=env, stderr=asyncio.subprocess.PIPE
    )
    said = (await again.communicate())[1].decode()
    assert again.returncode == 0
    assert "mcproute keys create --scope admin" in said
    port, simulator_port = free_port(), free_port()
    demo = str(ROOT / "examples" / "mcproute.demo.json")
    proc = await asyncio.create_subprocess_exec(
        *(*cli, "serve", "--config", demo, "--port", str(port)),
        *("--simulator", f"127.0.0.1:{simulator_port}"),
        env=env,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, f"http://127.0.0.1:{port}")
            body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
            for _ in range(100):  # the simulator may still be starting
                async with http.post(
                    f"http://127.0.0.1:{port}/v1/chat/completions",
                    json=body,
                    headers={"Authorization": f"Bearer {key}"},
                ) as r:
                    if r.status == 200:
                        reply = await r.json()
                        break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"no answer through the simulator: {r.status}")
        assert reply["choices"][0]["message"]["content"].startswith("echo: hi")
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 30) == 0
