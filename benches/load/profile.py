"""Where one mcproute worker's CPU goes on the benchmark's chat completion: py-spy samples of
the worker under `wrk -c32` (zero-delay simulator, API key with per-key limits, metrics on),
each attributed to the innermost frame in a known part of the path, with the worker's CPU
time per request over the same run, so a part's share is also priced in µs per request.

    python -m benches.load.profile [--seconds S] [--rate HZ] [--raw FILE]

Runs in its own network namespace (as `benches.load` does); needs py-spy (requirements-dev).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benches.load import gateways
from benches.load.__main__ import LOAD_CPU, SOLO_CPU, in_own_netns
from benches.load.gateways import BODY
from benches.load.processes import Processes, processes, rss_mib, wait_until_serving
from benches.load.wrk import run_wrk

# (part, path fragments of its files). The first part whose fragment a frame's file holds
# names the frame; a sample goes to the innermost frame that has a part.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "upstream client (framing, pool, timers)",
        (
            "models/upstream_client",
            "models/reply_framing",
            "models/upstream_proxy",
            "models/http.py",
            "models/sse_passthrough",
        ),
    ),
    (
        "Router, key pool, adapter",
        (
            "mcproute/routing/",
            "models/routed",
            "models/target",
            "models/openai",
            "models/key_pool",
            "models/limits",
            "models/registry",
            "models/served",
            "models/provider_keys",
            "mcproute/_core",
        ),
    ),
    (
        "spend ledger rows (on the event loop)",
        ("proxy/spend", "governance/ledger", "store/spend"),
    ),
    ("admission: limits and their store", ("mcproute/governance/", "proxy/governance", "store/")),
    (
        "metrics, request timing, dashboard history",
        (
            "proxy/metrics",
            "proxy/history",
            "proxy/observe",
            "proxy/per_request",
            "proxy/current_request",
        ),
    ),
    ("auth (key check, cached 1 s)", ("proxy/auth", "mcproute/security/")),
    ("body read, JSON parse, contract check", ("proxy/handling", "mcproute/contract/")),
    ("server front: framing, request, reply bytes", ("proxy/front/",)),
    (
        "route handler, other middlewares",
        (
            "proxy/routes",
            "proxy/surface",
            "proxy/contexts",
            "proxy/ensemble",
            "proxy/errors",
            "proxy/malformed",
            "mcproute/tracing",
            "mcproute/",
        ),
    ),
    ("aiohttp server: parse, dispatch, write", ("aiohttp/", "multidict/", "yarl/")),
    (
        "event loop (uvloop, scheduling, timers)",
        ("uvloop/", "asyncio/", "<frozen", "contextlib"),
    ),
)
OTHER = "other"
LOOP, THREADS = "loop", "threads"
THREAD_ROOT = "_bootstrap (threading.py"  # a stack of a thread other than the event loop's


def py_spy() -> str | None:
    """py-spy beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def part_of(stack: str) -> str:
    """The part of one collapsed py-spy stack (`frame;frame;...`, outermost first)."""
    for frame in reversed(stack.split(";")):
        for part, fragments in PARTS:
            if any(fragment in frame for fragment in fragments):
                return part
    return OTHER


def breakdown(raw: str) -> Counter[str]:
    """Samples of the event loop's thread per part, from py-spy's `--format raw` output
    (`stack count` lines). The other threads' samples are left out: py-spy counts a thread
    waiting on the disk (a commit's fsync) as busy, so their CPU is taken from the kernel."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit() and not stack.startswith(THREAD_ROOT):
            counts[part_of(stack)] += int(n)
    return counts


def table(counts: Counter[str], loop_us: float, threads_us: float) -> str:
    """The event loop's parts priced by its CPU per request, then the other threads'."""
    total = sum(counts.values()) or 1
    cpu_us = loop_us + threads_us
    lines = ["| part | share of CPU | µs/req |", "|---|---:|---:|"]
    for part, n in counts.most_common():
        us = loop_us * n / total
        lines.append(f"| {part} | {100 * us / cpu_us:.0f} % | {us:.0f} |")
    lines.append(
        f"| other threads (ledger writer, stores) | {100 * threads_us / cpu_us:.0f} % "
        f"| {threads_us:.0f} |"
    )
    lines.append(f"| all | 100 % | {cpu_us:.0f} |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Profile:
    raw: str  # py-spy's samples
    loop_us: float  # CPU per request of the event loop's thread
    threads_us: float  # and of the worker's other threads
    summary: str


def thread_cpu(pid: int) -> Counter[str]:
    """CPU seconds so far of a process's event loop (its main thread) and its other threads
    (stores' and the ledger's; Python does not name them for the kernel)."""
    seconds: Counter[str] = Counter()
    for task in Path(f"/proc/{pid}/task").iterdir():
        name = LOOP if task.name == str(pid) else THREADS
        try:
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        seconds[name] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def limited_key(data_dir: Path) -> str:
    """A `models` key with per-key limits, in the served data directory."""
    created = subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "keys", "create", "--scope", "models",
         "--rpm", "100000000", "--tpm", "1000000000"],
        env={**os.environ, "MCPROUTE_DATA_DIR": str(data_dir)},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return created.stdout.strip().splitlines()[-1]


def profile(
    group: Processes, work: Path, seconds: float, rate: int, front: bool, sim_port: int, port: int
) -> Profile:
    key = limited_key(work / f"mcproute-{port}")  # before the worker opens the store
    target = gateways.mcproute(group, work, port, sim_port, 1, SOLO_CPU, front=front)
    assert target.proc is not None
    pid = target.proc.pid
    headers = {"Authorization": f"Bearer {key}"}
    wait_until_serving(target.url, BODY, headers, target.proc, 10)  # the limited key works
    run_wrk(target.url, BODY, headers, connections=8, seconds=3, cpu=LOAD_CPU)  # warm up
    out = work / "profile.raw"
    spy = subprocess.Popen(
        [py_spy() or "py-spy", "record", "--format", "raw", "--rate", str(rate), "--nonblocking",
         "--duration", f"{seconds + 1:g}", "--output", str(out), "--pid", str(pid)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(1)
    before = thread_cpu(pid)
    result = run_wrk(target.url, BODY, headers, connections=32, seconds=seconds, cpu=LOAD_CPU)
    used = thread_cpu(pid)
    used.subtract(before)
    _, errors = spy.communicate(timeout=seconds + 60)
    if spy.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed ({spy.returncode}): {errors.decode()[-500:]}")
    c1 = run_wrk(target.url, BODY, headers, connections=1, seconds=seconds, cpu=LOAD_CPU)
    n = max(result.requests, 1)
    loop_us, threads_us = used[LOOP] / n * 1e6, used[THREADS] / n * 1e6
    line = (
        f"c=32 {result.rps:.0f} req/s, errors {result.errors}, "
        f"{loop_us + threads_us:.0f} CPU µs/req ({loop_us:.0f} on the event loop's thread); "
        f"c=1 p50 {c1.p50_ms:.3f} ms p99 {c1.p99_ms:.3f} ms; RSS {rss_mib(pid):.1f} MiB"
    )
    group.stop(target.proc)
    return Profile(out.read_text(), loop_us, threads_us, line)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches.load.profile")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--raw", type=Path, help="also keep py-spy's raw samples here")
    args = parser.parse_args(argv)
    if py_spy() is None:
        sys.exit("benches.load.profile: needs py-spy (pip install -r requirements-dev.txt)")
    in_own_netns(argv, "benches.load.profile")
    found: dict[str, Profile] = {}
    with tempfile.TemporaryDirectory() as tmp, processes(Path(tmp)) as group:
        sim_port = 18431
        gateways.simulator(group, sim_port, 0.0, LOAD_CPU)
        # Back to back in one run: the server front on (the default), then aiohttp alone.
        for port, (name, front) in enumerate((("front on", True), ("front off", False)), 18432):
            found[name] = profile(group, Path(tmp), args.seconds, args.rate, front, sim_port, port)
    if args.raw is not None:
        args.raw.write_text(found["front on"].raw)
    for name, one in found.items():
        print(f"\n{name}: {one.summary}")
        print(table(breakdown(one.raw), one.loop_us, one.threads_us))


if __name__ == "__main__":
    main(sys.argv[1:])
