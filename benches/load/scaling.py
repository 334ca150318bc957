"""How one mcproute scales from one worker to two on a machine whose two CPUs it shares with
the load generator (wrk) and the upstream simulator.

    python -m benches.load.scaling [--seconds S] [--rounds N] [--share F]

Giving the gateway both CPUs starves the load generator, so the requests per second of two
workers over one's measure the machine, not the gateway. Two figures that do not depend on
that, side by side in one run, rounds alternating between one and two workers:

- **CPU per request.** The workers' CPU time (user + system, every process of the gateway)
  over the requests served, at 32 connections. Were each worker given a core of its own,
  N workers would serve N / (CPU per request at N) requests per CPU-second: the projected
  scaling is N × (CPU per request at 1) / (CPU per request at N). Anything that makes more
  workers cost more per request (shared SQLite writes, lock waits, snapshots) shows here. One
  worker is also measured at 16 connections, what each of two sees at 32: an event loop
  spends more per request the fewer requests each turn of it serves.
- **Requests per second under a CPU quota.** The gateway's processes together are held to
  `--share` × N CPUs (a CPU controller cgroup, v2 or v1, that every process of the gateway
  joins once it serves), which leaves the load generator and a simulator of their own more
  than a CPU: the load generator is not the limit, and two workers' req/s over one's is
  measured throughput, not a projection. Skipped (and said so) where no CPU cgroup can be
  made.

Runs in its own network namespace (as `benches.load` does). The pinned rows place processes as
`benches.load` does (one worker on CPU 0, two on both; wrk and the simulator on CPU 1); in the
quota rows everything floats, the gateway held to its quota, wrk and a simulator of their own
taking what is left (more than a CPU).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from benches.load import gateways
from benches.load.__main__ import BOTH_CPUS, LOAD_CPU, SOLO_CPU, in_own_netns
from benches.load.gateways import BODY, Target
from benches.load.processes import Processes, cpu_seconds, processes, tree
from benches.load.wrk import run_wrk
from benches.run import machine, replace_section

CONNECTIONS = 32
PERIOD_US = 100_000


@dataclass
class Cell:
    rps: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    # One worker at half the connections: what each of two workers sees at `CONNECTIONS`.
    half_cpu_us: list[float] = field(default_factory=list)


class CpuQuota:
    """A cgroup of the CPU controller whose processes together get at most `cpus` CPUs."""

    def __init__(self, cpus: float) -> None:
        name = f"mcproute-bench-{uuid.uuid4().hex[:8]}"
        unified = Path("/sys/fs/cgroup")
        if (unified / "cgroup.controllers").exists():  # v2: the root is the unified hierarchy
            self.path = unified / name
            self.path.mkdir()
            (self.path / "cpu.max").write_text(f"{int(cpus * PERIOD_US)} {PERIOD_US}")
        else:
            self.path = unified / "cpu" / name
            self.path.mkdir()
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(int(cpus * PERIOD_US)))

    def join(self, pid: int) -> None:
        """Move the process `pid` (all its threads) into the cgroup."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()


def quota_available() -> str | None:
    """None if a CPU cgroup can be made here, else why not."""
    try:
        CpuQuota(1.0).remove()
    except OSError as exc:
        return f"no CPU cgroup ({type(exc).__name__}: {exc})"
    return None


def measure(
    target: Target, cell: Cell, seconds: float, cpu: str | None, *, half: bool = False
) -> None:
    """wrk (pinned to `cpu`, if given) at `CONNECTIONS` against `target` (and with `half`,
    at half as many)."""
    run_wrk(target.url, BODY, target.headers, connections=8, seconds=2, cpu=cpu)
    assert target.proc is not None
    for connections in (CONNECTIONS, CONNECTIONS // 2) if half else (CONNECTIONS,):
        used = cpu_seconds(target.proc.pid)
        result = run_wrk(target.url, BODY, target.headers, connections=connections,
                         seconds=seconds, cpu=cpu)  # fmt: skip
        cpu_us = (cpu_seconds(target.proc.pid) - used) / max(result.requests, 1) * 1e6
        if connections == CONNECTIONS:
            cell.rps.append(result.rps)
            cell.cpu_us.append(cpu_us)
        else:
            cell.half_cpu_us.append(cpu_us)
        errors = f", errors {result.errors}" if result.errors else ""
        print(f"  c={connections}: {result.rps:,.0f} req/s, {cpu_us:.0f} CPU µs/req{errors}",
              flush=True)  # fmt: skip


def start(
    group: Processes, work: Path, port: int, sim_port: int, workers: int, quota: CpuQuota | None
) -> Target:
    """The gateway: pinned as in `benches.load`, or floating with all its processes (the
    workers have forked once it serves) moved into `quota`."""
    if quota is None:
        cpus = SOLO_CPU if workers == 1 else BOTH_CPUS
        return gateways.mcproute(group, work, port, sim_port, workers, cpus)
    target = gateways.mcproute(group, work, port, sim_port, workers, None)
    assert target.proc is not None
    for pid in tree(target.proc.pid):
        quota.join(pid)
    return target


def report(cells: dict[tuple[str, int], Cell], share: float, skipped: str | None) -> list[str]:
    lines = [
        "| mode | 1 worker req/s | 2 workers req/s | 2w ÷ 1w | CPU µs/req 1w | 2w "
        "| projected scaling 2 × cpu(1w) ÷ cpu(2w) | CPU µs/req 1w at c=16 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    modes = [("pinned", "1w on CPU 0, 2w on both; wrk and simulator on CPU 1")]
    if skipped is None:
        modes.append(("quota", f"{share:g} CPU per worker; all floating"))
    for mode, what in modes:
        one, two = cells[(mode, 1)], cells[(mode, 2)]
        r1, r2 = statistics.median(one.rps), statistics.median(two.rps)
        c1, c2 = statistics.median(one.cpu_us), statistics.median(two.cpu_us)
        half = f"{statistics.median(one.half_cpu_us):.0f}" if one.half_cpu_us else "—"
        lines.append(f"| {mode} ({what}) | {r1:,.0f} | {r2:,.0f} | {r2 / r1:.2f}× | {c1:.0f} "
                     f"| {c2:.0f} | {2 * c1 / c2:.2f}× | {half} |")  # fmt: skip
    if skipped is None:
        one, two = cells[("quota", 1)], cells[("quota", 2)]
        used = [statistics.median(r * c / 1e6 for r, c in zip(cell.rps, cell.cpu_us, strict=True))
                / (share * n) for n, cell in ((1, one), (2, two))]  # fmt: skip
        note = (
            " Under 90 %, something else (the machine's other load, the simulator) was "
            "a limit too, and the req/s ratio understates."
            if min(used) < 0.9
            else ""
        )
        lines.append(f"\nQuota rows: the gateway used {used[0]:.0%} (1w) and {used[1]:.0%} (2w) "
                     f"of its quota.{note}")  # fmt: skip
    else:
        lines.append(f"\nQuota rows skipped: {skipped}.")
    return lines


def section(table: list[str], command: str, args: argparse.Namespace) -> str:
    return "\n".join([
        "## Load: one worker vs two on two shared CPUs",
        "",
        f"Machine: {machine()}. Command: `{command}` (part of `make bench`; {args.seconds:g} s "
        f"per cell, {args.rounds} rounds alternating 1 and 2 workers, medians; wrk at "
        f"{CONNECTIONS} connections, zero-delay simulator, API key with limits, metrics on).",
        "",
        "Method: the machine has two CPUs, so the load generator and the simulator share a CPU "
        "with the second worker and two workers' req/s over one's measures the machine. Two "
        "figures that do not: the workers' **CPU per request** (every process of the gateway, "
        "user + system), whose ratio projects the scaling were each worker given a core of its "
        "own (2 × cpu(1w) ÷ cpu(2w); 2.0 means sharing the port costs nothing), and **req/s under "
        f"a CPU quota** of {args.share:g} CPU per worker (a cgroup), which leaves wrk and the "
        "simulator more than a CPU: there the req/s ratio is measured, not projected. One worker "
        "at half the connections is what each of two sees: an event loop spends more per "
        "request the fewer requests each of its turns serves.",
        "",
        *table,
        "",
        f"The machine's 1-minute load average at the end: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs.",
    ])  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches.load.scaling", description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="per wrk run (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each cell (default 3)")
    parser.add_argument("--no-write", action="store_true", help="print only; keep RESULTS.md")
    parser.add_argument("--share", type=float, default=0.3,
                        help="CPU quota per worker in the quota rows (default 0.3)")  # fmt: skip
    args = parser.parse_args(argv)
    in_own_netns(argv, "benches.load.scaling")
    skipped = quota_available()
    modes = ["pinned"] + (["quota"] if skipped is None else [])
    cells = {(mode, w): Cell() for mode in modes for w in (1, 2)}
    ports = iter(range(21400, 21500))
    with tempfile.TemporaryDirectory() as tmp, processes(Path(tmp)) as group:
        work = Path(tmp)
        # The pinned rows' simulator shares CPU 1 with wrk, as in `benches.load`; the quota
        # rows' floats with wrk over what the quota leaves of both CPUs.
        simulators = {"pinned": next(ports), "quota": next(ports)}
        for mode in modes:
            gateways.simulator(group, simulators[mode], 0.0, LOAD_CPU if mode == "pinned" else None)
        for round_ in range(args.rounds):
            for mode in modes:
                for workers in (1, 2):
                    print(f"[round {round_ + 1}/{args.rounds}] {mode}, {workers}w", flush=True)
                    quota = CpuQuota(args.share * workers) if mode == "quota" else None
                    try:
                        target = start(group, work, next(ports), simulators[mode], workers, quota)
                        try:
                            wrk_cpu = LOAD_CPU if quota is None else None
                            measure(target, cells[(mode, workers)], args.seconds, wrk_cpu,
                                    half=mode == "pinned" and workers == 1)  # fmt: skip
                        finally:
                            if target.proc is not None:
                                group.stop(target.proc)
                    finally:
                        if quota is not None:
                            quota.remove()
    table = report(cells, args.share, skipped)
    print("\n".join(table), flush=True)
    if not args.no_write:
        command = " ".join(["python -m benches.load.scaling", *argv])
        replace_section("load_scaling", section(table, command, args))


if __name__ == "__main__":
    main(sys.argv[1:])
