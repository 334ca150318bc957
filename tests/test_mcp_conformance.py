"""The official MCP conformance suite: harness 0.1.16 (default suite) and 0.2.0-alpha.11 at
2025-11-25 and 2026-07-28, with no failures, against
- our everything server (`python -m mcproute.testing.everything_server`),
- the gateway in front of our everything server, over HTTP and as a stdio child,
- the gateway in front of the official Python SDK's everything-server (mcp 2.3.0 sdist).
All four pass alpha.11's `server-stateless` scenario; our everything server also passes the
pending `server-sse-polling` scenario on both harnesses."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, require
from mcp_support import HARNESSES, NODE, free_port, process

SDK_EVERYTHING = ROOT / ".peers" / "mcp-2.3.0" / "examples" / "servers" / "everything-server"


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


@pytest.fixture(
    scope="module", params=["everything-server", "gateway", "gateway-to-stdio", "gateway-to-sdk"]
)
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    if request.param == "everything-server":
        with process([*everything_server(), "--port", str(port)], port) as url:
            yield url
        return
    if request.param == "gateway-to-stdio":
        command = shlex.join([*everything_server(), "--stdio"])
        with process(gateway(command, port, "--stdio-upstream"), port) as url:
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


INPUT_REQUIRED_SCENARIOS = [
    "basic-elicitation",
    "basic-sampling",
    "basic-list-roots",
    "request-state",
    "multiple-input-requests",
    "multi-round",
    "missing-input-response",
    "non-tool-request",
    "result-type",
    "unsupported-methods",
    "tampered-state",
    "capability-check",
    "ignore-extra-params",
    "validate-input",
]


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


@pytest.mark.timeout(300)
def test_input_required_scenarios_pass(server_url: str, tmp_path: Path) -> None:
    """The 2026-07-28 multi round-trip scenarios (not in the harness's default suite)."""
    outcomes: dict[str, tuple[str, ...] | str] = {}
    for scenario in INPUT_REQUIRED_SCENARIOS:
        stdout = run_scenario(
            "alpha.11@2026-07-28", server_url, tmp_path, f"input-required-result-{scenario}"
        )
        outcomes[scenario] = check_counts(stdout) or stdout[-1500:]
    bad = {s: o for s, o in outcomes.items() if not (isinstance(o, tuple) and o[0] == o[1])}
    assert not bad, bad


@pytest.fixture(scope="module")
def everything_url() -> Iterator[str]:
    port = free_port()
    with process([*everything_server(), "--port", str(port)], port) as url:
        yield url


@pytest.mark.timeout(120)
@pytest.mark.parametrize("harness", ["0.1.16", "alpha.11@2025-11-25"])
def test_sse_polling_scenario_passes(harness: str, everything_url: str, tmp_path: Path) -> None:
    """SEP-1699 (pending in both harnesses): a priming event with `retry`, the stream closed
    mid-call, the result fetched by GET with Last-Event-ID; warnings count as failures here."""
    stdout = run_scenario(harness, everything_url, tmp_path, "server-sse-polling")
    assert check_counts(stdout) == ("3", "3", "0", "0"), stdout[-3000:]


@pytest.mark.timeout(120)
def test_stateless_scenario_passes(server_url: str, tmp_path: Path) -> None:
    """alpha.11's `server-stateless` (not in the default suite): request `_meta` validation,
    version and header errors with their HTTP statuses, -32021 for an undeclared capability,
    no logs without a logLevel, and listen streams; warnings count as failures here."""
    stdout = run_scenario("alpha.11@2026-07-28", server_url, tmp_path, "server-stateless")
    counts = check_counts(stdout)
    assert counts is not None, stdout[-3000:]
    passed, total, failed, warnings = counts
    assert (passed, failed, warnings) == (total, "0", "0"), stdout[-3000:]
