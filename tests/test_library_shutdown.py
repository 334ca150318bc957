"""The library used as a script uses it: no explicit close, `async with`, or `aclose()`, on
asyncio and on uvloop. The process must exit with nothing on stderr (aiohttp's "Unclosed client
session" / "Unclosed connector" included), in Python's development mode, which shows every
ResourceWarning."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import pytest

from models_support import running_simulator

CONTEXT = '[{"role": "user", "content": "Hi"}]'
SNIPPETS = {
    "send_request, no close": f"""
import asyncio
from mcproute.client import MCPClient

async def main():
    response = await MCPClient().send_request(model="gpt-4", context={CONTEXT})
    print(response.text)

asyncio.run(main())
""",
    "get_model and generate, no close": f"""
import asyncio
from mcproute.models import ModelRegistry

async def main():
    model = await ModelRegistry().get_model("text-generation")
    result = await model.generate("Summarise this.", {CONTEXT})
    print(result.text)

asyncio.run(main())
""",
    "async with": f"""
import asyncio
from mcproute.client import MCPClient

async def main():
    async with MCPClient() as client:
        response = await client.send_request(model="gpt-4", context={CONTEXT})
        print(response.text)

asyncio.run(main())
""",
    "aclose on uvloop, streamed": f"""
import uvloop
from mcproute.models import ModelRegistry

async def main():
    registry = ModelRegistry()
    model = await registry.get_model("claude")
    async for chunk in model.stream("Tell me more.", {CONTEXT}):
        print(chunk.text, end="")
    await registry.aclose()

uvloop.run(main())
""",
    "two loops in a row": f"""
import asyncio
from mcproute.client import MCPClient

client = MCPClient()

async def main():
    print((await client.send_request(model="gpt-4", context={CONTEXT})).text)

asyncio.run(main())
asyncio.run(main())
""",
}


SLOW_CALLBACK = re.compile(r"^Executing <.*> took \d+\.\d+ seconds\n", re.M)


async def run_script(
    code: str, env: dict[str, str], cwd: Path | None = None
) -> tuple[int, str, str]:
    """Python code in a fresh interpreter in development mode: (status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-X", "dev", "-c", code),
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    # Development mode also reports callbacks slower than 0.1 s: a loaded machine's timing,
    # not something the code printed.
    shown = SLOW_CALLBACK.sub("", err.decode())
    return proc.returncode, out.decode(), shown


def library_env(tmp_path: Path, sim_url: str) -> dict[str, str]:
    provider = {"endpoint": sim_url, "api_key": "sim-key"}
    document = {
        "mcp": {
            "models": {
                "openai": {**provider, "models": ["gpt-4"]},
                "anthropic": {**provider, "models": [{"name": "claude", "model": "claude-x"}]},
            }
        }
    }
    config = tmp_path / "mcproute.json"
    config.write_text(json.dumps(document))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCPROUTE_")}
    return {**env, "MCPROUTE_CONFIG": str(config)}


@pytest.mark.parametrize("name", list(SNIPPETS))
async def test_the_library_exits_cleanly(tmp_path: Path, name: str) -> None:
    async with running_simulator(tokens=3) as sim:
        code, out, err = await run_script(SNIPPETS[name], library_env(tmp_path, sim.url))
    assert code == 0, err
    assert "echo:" in out
    assert err == ""
