"""The official MCP conformance suite in server mode: `--suite all` (active, pending, draft and
extension scenarios: JSON Schema 2020-12, Mcp-Param-* header validation, the tasks and skills
extensions, SEP-2322 input rounds) of harnesses 0.1.16, 0.2.0-alpha.11 and 0.2.0-alpha.12, each
alpha also at every revision it offers, with no failures, against
- our everything server (`python -m mcproute.testing.everything_server`),
- the gateway in front of our everything server, over HTTP and as a stdio child,
- the gateway in front of the official Python SDK's everything-server (mcp 2.3.0 sdist), where
  it may fail only what that server fails alone.
Scenarios whose warnings matter (SSE polling, `server-stateless`) also run on their own, where a
warning fails them."""

from __future__ import annotations

import contextlib
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT, require
from mcp_support import HARNESSES, NODE, free_port, process

SDK_EVERYTHING = ROOT / ".peers" / "mcp-2.3.0" / "examples" / "servers" / "everything-server"
VARIANTS = ["everything-server", "gateway", "gateway-to-stdio", "gateway-to-sdk"]
PARALLEL_RUNS = 4  # harness runs at once against one server (each mostly waits on it)
# One at a time through a stdio upstream: it is one session shared by the gateway's clients, and
# a server request (sampling, elicitation) there names no call, so with several calls in flight
# it cannot be told whose it is.
SERIAL = {"gateway-to-stdio"}
SDK_LACKS = "tasks-"  # the SDK's everything-server fails these scenarios alone (no tasks)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def everything_server() -> list[str]:
    return [sys.executable, "-m", "mcproute.testing.everything_server"]


def gateway(upstream: str, port: int, option: str = "--upstream") -> list[str]:
    return [
        sys.executable,
        "-m",
        "mcproute.testing.gateway_server",
        "--port",
        str(port),
        option,
        f"everything={upstream}",
        "--no-namespacing",
    ]


@contextlib.contextmanager
def serving(variant: str) -> Iterator[str]:
    """The URL of `variant`, served while the context lasts."""
    port = free_port()
    if variant == "everything-server":
        with process([*everything_server(), "--port", str(port)], port) as url:
            yield url
        return
    if variant == "gateway-to-stdio":
        command = shlex.join([*everything_server(), "--stdio"])
        with process(gateway(command, port, "--stdio-upstream"), port) as url:
            yield url
        return
    upstream_port = free_port()
    if variant == "gateway":
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


@pytest.fixture(scope="module", params=VARIANTS)
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with serving(request.param) as url:
        yield url


def suite(harness: str, url: str, out: Path) -> dict[str, int]:
    """`--suite all` of one harness run against `url`: failed checks by scenario (0: passed)."""
    script, extra = HARNESSES[harness]
    require(NODE.is_file() and script.is_file(), "conformance harness not installed (make test)")
    done = subprocess.run(
        [str(NODE), str(script), "server", "--url", url, "--suite", "all", "-o", str(out),
         *extra],
        capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip
    stdout = ANSI.sub("", done.stdout)
    summary = stdout[stdout.rfind("=== SUMMARY ===") :]
    scenarios = {
        name: int(failed)
        for name, failed in re.findall(r"^[✓✗] (\S+): \d+ passed, (\d+) failed", summary, re.M)
    }
    assert re.search(r"^Total: \d+ passed, \d+ failed", summary, re.M), stdout[-3000:]
    assert (done.returncode != 0) == any(scenarios.values()), summary
    return scenarios


def failures(url: str, out: Path, parallel: int) -> dict[str, dict[str, int]]:
    """Every harness run against `url`, `parallel` at once: the failed scenarios of each."""
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        runs = {h: pool.submit(suite, h, url, out / h.replace("@", "-")) for h in HARNESSES}
        return {h: {s: n for s, n in run.result().items() if n} for h, run in runs.items()}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_server_suite_passes(variant: str, tmp_path: Path) -> None:
    """`--suite all` (active, pending, draft and extension scenarios) of every harness, at
    every revision it offers, with no failure. In front of the SDK's server the gateway may
    fail only what that server fails alone: the tasks extension, which it lacks."""
    with serving(variant) as url:
        failed = failures(url, tmp_path, 1 if variant in SERIAL else PARALLEL_RUNS)
    if variant == "gateway-to-sdk":
        failed = {
            h: {s: n for s, n in run.items() if not s.startswith(SDK_LACKS)}
            for h, run in failed.items()
        }
    assert not any(failed.values()), failed


def run_scenario(harness: str, url: str, out: Path, scenario: str) -> str:
    """One scenario of `harness` against `url`, results under `out`; the harness's stdout."""
    script, extra = HARNESSES[harness]
    require(NODE.is_file() and script.is_file(), "conformance harness not installed (make test)")
    return subprocess.run(
        [str(NODE), str(script), "server", "--url", url, "-o", str(out),
         "--scenario", scenario, *extra],
        capture_output=True, text=True, timeout=100, check=False,
    ).stdout  # fmt: skip


def check_counts(stdout: str) -> tuple[str, ...] | None:
    """(passed, total, failed, warnings) from a scenario's summary line."""
    counts = re.search(r"Passed: (\d+)/(\d+), (\d+) failed, (\d+) warnings", stdout)
    return counts.groups() if counts else None


@pytest.fixture(scope="module")
def everything_url() -> Iterator[str]:
    port = free_port()
    with process([*everything_server(), "--port", str(port)], port) as url:
        yield url


@pytest.mark.timeout(120)
@pytest.mark.parametrize("harness", ["0.1.16", "alpha.11@2025-11-25", "alpha.12@2025-11-25"])
def test_sse_polling_scenario_passes(harness: str, everything_url: str, tmp_path: Path) -> None:
    """SEP-1699 (pending in both harnesses): a priming event with `retry`, the stream closed
    mid-call, the result fetched by GET with Last-Event-ID; warnings count as failures here."""
    stdout = run_scenario(harness, everything_url, tmp_path, "server-sse-polling")
    assert check_counts(stdout) == ("3", "3", "0", "0"), stdout[-3000:]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("harness", ["alpha.11@2026-07-28", "alpha.12@2026-07-28"])
def test_stateless_scenario_passes(harness: str, server_url: str, tmp_path: Path) -> None:
    """alpha.11's `server-stateless` (not in the default suite): request `_meta` validation,
    version and header errors with their HTTP statuses, -32021 for an undeclared capability,
    no logs without a logLevel, and listen streams; warnings count as failures here."""
    stdout = run_scenario(harness, server_url, tmp_path, "server-stateless")
    counts = check_counts(stdout)
    assert counts is not None, stdout[-3000:]
    passed, total, failed, warnings = counts
    assert (passed, failed, warnings) == (total, "0", "0"), stdout[-3000:]
