"""One connection's latency distribution (p50, p90, p99, p99.9, max) through one mcproute
worker, with its CPU per request and RSS (after the c=1 run, after 5 s at 128 connections,
and 2 s after that), for this tree and optionally an earlier revision,
side by side in one run: rounds alternate between the trees (and the simulator alone, for
the added latency, and two calibrations of the host: the bare asyncio floor, and that floor
made to spend this tree's CPU per request with nothing that can stall), so a busy spell of
a shared machine falls on all of them.

    python -m benches.load.tail [--seconds S] [--rounds N] [--baseline REV]

`--baseline REV` runs `python/` of git revision REV (exported to a temporary directory, with
this tree's compiled `_core`, so REV must have the same Rust code). At one connection a p99
far above the p50 prices the worker's periodic stalls (background tasks, collections, threads
holding the GIL), which requests per second at many connections average away. Runs in its own
network namespace, CPUs as in `benches.load`: the worker on CPU 0, wrk and the simulator on 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benches.load import gateways
from benches.load.__main__ import LOAD_CPU, SOLO_CPU, in_own_netns
from benches.load.gateways import BODY, ROOT, Target
from benches.load.processes import Processes, cpu_seconds, processes, rss_mib
from benches.load.wrk import WrkResult, run_wrk
from benches.run import machine, replace_section

PERCENTILES = ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")
SETTLE_S = 2.0


@dataclass
class Runs:
    """Every round of one target: wrk's figures, CPU µs per request, RSS after."""

    name: str
    wrk: list[WrkResult] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)  # after the c=1 run, then after c=128
    rss_loaded_mib: list[float] = field(default_factory=list)
    rss_settled_mib: list[float] = field(default_factory=list)  # 2 s later

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in self.wrk)


def export_revision(revision: str, into: Path, added_only: bool = False) -> Path:
    """`python/` of `revision`, runnable with this tree's compiled extension: the same Rust
    code, or (`added_only`) Rust code this tree only added lines to."""
    numstat = subprocess.run(
        ["git", "-C", str(ROOT), "diff", "--numstat", revision, "--", "rust"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    removed = any(line.split("\t")[1] != "0" for line in numstat)
    if removed or (numstat and not added_only):
        sys.exit(f"benches.load.tail: {revision} has other Rust code; build it to compare")
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "python"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    for built in (ROOT / "python/mcproute").glob("_core*.so"):
        shutil.copy2(built, into / "python/mcproute" / built.name)
    return into / "python"


def one_run(
    target: Target, runs: Runs, seconds: float, warm_up: bool = True, memory: bool = True
) -> None:
    if warm_up:
        run_wrk(target.url, BODY, target.headers, connections=8, seconds=2, cpu=LOAD_CPU)
    used = cpu_seconds(target.proc.pid) if target.proc is not None else 0.0
    result = run_wrk(target.url, BODY, target.headers, connections=1, seconds=seconds,
                     cpu=LOAD_CPU)  # fmt: skip
    runs.wrk.append(result)
    if target.proc is not None and result.requests:
        runs.cpu_us.append((cpu_seconds(target.proc.pid) - used) / result.requests * 1e6)
        runs.rss_mib.append(rss_mib(target.proc.pid))
    if target.proc is not None and result.requests and memory:
        # Memory after many connections at once, and once the worker has been quiet a while.
        run_wrk(target.url, BODY, target.headers, connections=128, seconds=5, cpu=LOAD_CPU)
        runs.rss_loaded_mib.append(rss_mib(target.proc.pid))
        time.sleep(SETTLE_S)
        runs.rss_settled_mib.append(rss_mib(target.proc.pid))
    print(f"  {runs.name}: " + ", ".join(f"{p[:-3]} {getattr(result, p):.3f}"
                                          for p in PERCENTILES), flush=True)  # fmt: skip


def table(direct: Runs, trees: list[Runs]) -> list[str]:
    lines = [
        "| target | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | added p50 / p99 ms "
        "| p99 over p50 ms | CPU µs/req | RSS MiB after c=1 / c=128 / 2 s later |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for runs in (direct, *trees):
        cells = [f"{runs.median(p):.3f}" for p in PERCENTILES]
        width = f"{runs.median('p99_ms') - runs.median('p50_ms'):.3f}"
        if runs is direct:
            added, cpu, rss = "—", "—", "—"
        else:
            added = (f"{runs.median('p50_ms') - direct.median('p50_ms'):+.3f} / "
                     f"{runs.median('p99_ms') - direct.median('p99_ms'):+.3f}")  # fmt: skip
            cpu = f"{statistics.median(runs.cpu_us):.0f}"
            memory = (runs.rss_mib, runs.rss_loaded_mib, runs.rss_settled_mib)
            rss = " / ".join(f"{max(r):.1f}" for r in memory) if runs.rss_loaded_mib else "—"
        lines.append(f"| {runs.name} | {' | '.join(cells)} | {added} | {width} | {cpu} | {rss} |")
    return lines


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches.load.tail", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per wrk run (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each target (default 3)")
    parser.add_argument("--baseline", help="a git revision to run beside this tree")
    parser.add_argument(
        "--rust-added",
        action="store_true",
        help="the baseline's Rust code may lack lines this tree added (its Python runs on this "
        "tree's extension, which only has more)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; keep RESULTS.md")
    args = parser.parse_args(argv)
    in_own_netns(argv, "benches.load.tail")
    with tempfile.TemporaryDirectory() as tmp, processes(Path(tmp)) as group:
        work = Path(tmp)
        trees: list[tuple[str, dict[str, str]]] = [("this tree", {})]
        if args.baseline:
            exported = export_revision(args.baseline, work / "baseline", args.rust_added)
            trees.insert(0, (args.baseline, {"PYTHONPATH": str(exported)}))
        ports: Iterator[int] = iter(range(21300, 21400))
        sim_port = next(ports)
        direct = gateways.simulator(group, sim_port, 0.0, LOAD_CPU)
        direct_runs = Runs("simulator alone")
        floor = gateways.floor(group, next(ports), sim_port, SOLO_CPU, bare=True)
        floor_runs = Runs(floor.name)
        busy: tuple[Target, Runs] | None = None
        tree_runs = [Runs(f"mcproute 1w, {name}") for name, _ in trees]
        for round_ in range(args.rounds):
            print(f"[round {round_ + 1}/{args.rounds}]", flush=True)
            one_run(direct, direct_runs, args.seconds)
            one_run(floor, floor_runs, args.seconds, memory=False)
            for (_, env), runs in zip(trees, tree_runs, strict=True):
                target = gateways.mcproute(group, work, next(ports), sim_port, 1, SOLO_CPU,
                                           env=env)  # fmt: skip
                try:
                    one_run(target, runs, args.seconds)
                finally:
                    _stop(group, target)
            if busy is None:  # calibrated on this tree's first round
                busy = busy_floor(group, next(ports), sim_port, floor_runs, tree_runs[-1])
            one_run(*busy, args.seconds, memory=False)
        assert busy is not None
        lines = table(direct_runs, [floor_runs, busy[1], *tree_runs])
        print("\n".join(lines), flush=True)
    if not args.no_write:
        command = " ".join(["python -m benches.load.tail", *argv])
        replace_section("load_tail", section(lines, command, args))


def section(lines: list[str], command: str, args: argparse.Namespace) -> str:
    return "\n".join([
        "## Load: one connection's latency distribution",
        "",
        f"Machine: {machine()}. Command: `{command}` ({args.seconds:g} s per run, {args.rounds} "
        "rounds alternating the targets, medians of each column; one worker on CPU 0, wrk and "
        "the zero-delay simulator on CPU 1; API key with limits, metrics on).",
        "",
        "Method: at one connection every stall of the worker (a background task's turn of the "
        "event loop, a collection, a thread holding the GIL or the CPU) lands on the one request "
        "in flight, so the p99 and p99.9 over the p50 price them; requests per second at many "
        "connections average them away. CPU per request is the c=1 run's. RSS: after the c=1 "
        "run, after 5 s at 128 connections, and 2 s after that (freed heap given back).",
        "",
        "The two floors calibrate the host: the bare asyncio pass-through proxy, and the same "
        "proxy computing (a clock-reading loop) before each of its two writes for as long as "
        "makes its CPU per request at one connection this tree's (set from this tree's first "
        "round). That one has no threads, timers, collections or allocations to stall on, so "
        "its p99 over its p50 is what the host gives any process that spends that much CPU per "
        "request; what mcproute's tail has beyond it is its own.",
        "",
        *lines,
        "",
        f"The machine's 1-minute load average at the end: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (a shared machine widens every tail).",
    ])  # fmt: skip


def busy_floor(
    group: Processes, port: int, sim_port: int, floor: Runs, tree: Runs
) -> tuple[Target, Runs]:
    """The bare floor computing before each of its two writes for as long as makes its CPU per
    request at one connection this tree's: the same CPU, all on the request's path, no stall."""
    extra = max(0.0, statistics.median(tree.cpu_us) - statistics.median(floor.cpu_us))
    target = gateways.floor(group, port, sim_port, SOLO_CPU, bare=True, busy_us=extra / 2)
    return target, Runs(target.name)


def _stop(group: Processes, target: Target) -> None:
    if target.proc is not None:
        group.stop(target.proc)


if __name__ == "__main__":
    main(sys.argv[1:])
