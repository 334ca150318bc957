"""The wheel: built by maturin for the stable ABI, installed in a fresh virtual environment by
the same script the container image runs (packaging/install-and-run.sh), then started from an
empty directory with the bundled demo configuration against the upstream simulator. Nothing
from the repository is needed at run time, nor a Rust toolchain."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import zipfile
from pathlib import Path

import aiohttp
import pytest
import yaml

from conftest import ROOT, require
from mcp_support import free_port
from test_proxy_crash import wait_ready

SCRIPT = ROOT / "packaging" / "install-and-run.sh"


async def run(*args: str, env: dict[str, str], cwd: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out = (await asyncio.wait_for(proc.communicate(), 540))[0].decode()
    assert proc.returncode == 0, out
    return out


def outside_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no virtual environment, no project paths."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("MCPROUTE_")}
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir)
    return {**env, **extra}


@pytest.mark.timeout(600)  # a release build after a Rust change takes minutes
async def test_the_wheel_installs_and_serves(tmp_path: Path) -> None:
    maturin = shutil.which("maturin", path=str(Path(sys.executable).parent))
    require(maturin is not None, "maturin (requirements-dev.txt)")
    assert maturin is not None
    wheels = tmp_path / "wheels"
    # cargo's target directory is the project's: an unchanged core is not rebuilt.
    await run(
        maturin, "build", "--release", "--locked", "-o", str(wheels), env={**os.environ}, cwd=ROOT
    )
    [wheel] = wheels.glob("*.whl")
    assert "-abi3-" in wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    assert "mcproute/proxy/dashboard.html" in names
    assert "mcproute/examples/mcproute.demo.json" in names

    venv, data, empty = tmp_path / "venv", tmp_path / "data", tmp_path / "cwd"
    empty.mkdir()
    env = outside_env(MCPROUTE_VENV=str(venv), MCPROUTE_DATA_DIR=str(data))
    await run(
        "sh", str(SCRIPT), "install", f"{wheel}[tracing,gcp,oauth]", env=env, cwd=empty
    )  # as the image
    where = await run(
        str(venv / "bin" / "python"),
        "-c",
        "import mcproute._core as c; print(c.__file__)",
        env=env,
        cwd=empty,
    )
    assert where.strip().startswith(str(venv))

    port, sim_port = free_port(), free_port()
    serve_env = {**env, "MCPROUTE_HOST": "127.0.0.1", "MCPROUTE_PORT": str(port)}
    proc = await asyncio.create_subprocess_exec(
        *("sh", str(SCRIPT), "run", "--demo", "--simulator", f"127.0.0.1:{sim_port}"),
        env={**serve_env, "MCPROUTE_RUNTIME_DIR": str(tmp_path)},
        cwd=empty,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert first.startswith("admin key id:")
        key = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            await wait_ready(http, url)
            auth = {"Authorization": f"Bearer {key}"}
            body = {"model": "gpt-4", "messages": [{"role": "user", "content": "packaged"}]}
            for _ in range(100):  # the simulator may still be starting
                async with http.post(f"{url}/v1/chat/completions", json=body, headers=auth) as r:
                    status = r.status
                    if status == 200:
                        reply = await r.json()
                        break
                await asyncio.sleep(0.1)
            assert status == 200
            assert reply["choices"][0]["message"]["content"].startswith("echo: packaged")
            async with http.get(f"{url}/dashboard") as r:
                assert r.status == 200
                assert "<html" in (await r.text()).lower()
    finally:
        proc.send_signal(signal.SIGTERM)  # `exec`: the signal reaches mcproute itself
        code = await asyncio.wait_for(proc.wait(), 60)
    assert code == 0


def test_the_image_runs_what_the_test_runs() -> None:
    """No image can be built here: the Dockerfile must hand its install and start steps to the
    script above, run as a non-root user with the data directory a volume and a health check."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2
    assert "-slim" in stages[1]
    assert (
        'RUN install-and-run.sh install "$(echo /tmp/wheels/*.whl)[tracing,gcp,oauth]"'
        in dockerfile
    )
    assert 'ENTRYPOINT ["install-and-run.sh", "run"]' in dockerfile
    assert "COPY packaging/install-and-run.sh /usr/local/bin/install-and-run.sh" in dockerfile
    assert "USER mcproute" in dockerfile
    assert "VOLUME /data" in dockerfile
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
    compose = yaml.safe_load((ROOT / "packaging" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"mcproute", "postgres", "redis"} <= set(services)
    proxy = services["mcproute"]
    assert proxy["deploy"]["replicas"] >= 2
    assert proxy["environment"]["MCPROUTE_DATABASE_URL"].startswith("postgresql://")
    assert proxy["environment"]["MCPROUTE_REDIS_URL"].startswith("redis://redis:")
