"""Load benchmark: mcproute side by side with LiteLLM's proxy, Portkey's gateway and two
reference proxies, the floor of what Python can do (`floor_asyncio`, `floor_aiohttp`): every
figure is also a ratio to them, in the same run. Each target's CPU time per request is
recorded too: on a shared machine it is steadier than requests per second.

    python -m benches.load [--seconds S] [--quick] [--skip-peers] [--stores]

Runs inside its own network namespace with only loopback (`unshare -n`, as root): Portkey
binds every interface and has no host option, and nothing here may reach beyond 127.0.0.1.
The load generator (wrk, one thread), the streaming client and the upstream simulator share
CPU 1; a one-worker gateway gets CPU 0 to itself, two workers get both CPUs. Writes its
section of benches/RESULTS.md and the charts benches/load_*.png.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from benches.load import gateways, mcp_targets
from benches.load.gateways import BODY, Target
from benches.load.processes import Processes, cpu_seconds, processes, rss_mib
from benches.load.report import mcp_table, write_report
from benches.load.stores import store_rows, write_stores
from benches.load.ttft import time_to_first_token
from benches.load.wrk import WrkResult, run_wrk

NETNS_FLAG = "MCPROUTE_BENCH_NETNS"
LOAD_CPU = "1"  # wrk, the streaming client, the simulator
SOLO_CPU = "0"  # a one-worker gateway
BOTH_CPUS = "0,1"


@dataclass
class Row:
    """One target's figures in one upstream setting."""

    name: str
    c1: WrkResult | None = None
    by_connections: dict[int, WrkResult] = field(default_factory=dict)
    ttft_ms: list[float] = field(default_factory=list)
    ttft_error: str | None = None
    rss_mib: float | None = None
    cpu_us: dict[int, float] = field(default_factory=dict)  # the target's CPU per request


@dataclass
class Results:
    zero: list[Row] = field(default_factory=list)  # zero-delay upstream
    delayed: list[Row] = field(default_factory=list)  # 20 ms upstream
    mcp: list[Row] = field(default_factory=list)
    seconds: float = 0.0
    command: str = ""
    versions: dict[str, str] = field(default_factory=dict)


def in_own_netns(argv: list[str], module: str = "benches.load") -> None:
    """Re-run `module` inside a fresh network namespace with loopback up."""
    if os.environ.get(NETNS_FLAG) == "1":
        return
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        sys.exit("benches.load: needs root and unshare(1) for its own network namespace")
    os.environ[NETNS_FLAG] = "1"
    script = 'ip link set lo up && exec "$0" "$@"'
    os.execvp("unshare", ["unshare", "-n", "sh", "-c", script, sys.executable, "-m",
                          module, *argv])  # fmt: skip


def measure(
    target: Target,
    connections: list[int],
    seconds: float,
    *,
    c1: bool,
    streams: int,
    body: bytes = BODY,
) -> Row:
    row = Row(target.name)
    run_wrk(target.url, body, target.headers, connections=8, seconds=2, cpu=LOAD_CPU)  # warm up
    if c1:
        row.c1 = run_wrk(target.url, body, target.headers, connections=1, seconds=seconds,
                         cpu=LOAD_CPU)  # fmt: skip
    for c in connections:
        used = cpu_seconds(target.proc.pid) if target.proc is not None else None
        row.by_connections[c] = result = run_wrk(
            target.url, body, target.headers, connections=c, seconds=seconds, cpu=LOAD_CPU
        )
        if used is not None and target.proc is not None and result.requests:
            row.cpu_us[c] = (cpu_seconds(target.proc.pid) - used) / result.requests * 1e6
    if streams:
        try:
            row.ttft_ms = [s * 1000 for s in time_to_first_token(target, n=streams)]
        except Exception as exc:  # a peer whose streams fail: reported, not fatal
            row.ttft_error = f"{type(exc).__name__}: {exc}"[:120]
    if target.proc is not None:
        row.rss_mib = rss_mib(target.proc.pid)
    print(f"  {target.name}: {summary(row)}", flush=True)
    return row


def summary(row: Row) -> str:
    parts = []
    if row.c1:
        parts.append(f"c=1 p50 {row.c1.p50_ms:.3f} ms")
    for c, r in row.by_connections.items():
        cpu = f", {row.cpu_us[c]:.0f} CPU µs/req" if c in row.cpu_us else ""
        parts.append(f"c={c} {r.rps:.0f} rps (errors {r.errors}{cpu})")
    if row.ttft_ms:
        parts.append(f"TTFT p50 {statistics.median(row.ttft_ms):.3f} ms")
    return ", ".join(parts)


def model_rows(
    group: Processes, work: Path, latency: float, args: argparse.Namespace, ports: Iterator[int]
) -> list[Row]:
    zero = latency == 0
    connections = [32, 128]
    streams = 0 if args.quick or not zero else 200
    sim_port = next(ports)
    direct = gateways.simulator(group, sim_port, latency, LOAD_CPU)
    floor = partial(gateways.floor, group, upstream_port=sim_port, cpu=SOLO_CPU)
    starters: list[tuple[str, Callable[[], Target]]] = [
        ("direct", lambda: direct),
        (gateways.FLOOR_ASYNCIO, lambda: floor(next(ports), bare=True)),
        (gateways.FLOOR_AIOHTTP, lambda: floor(next(ports))),
    ]
    if zero and not args.quick:  # the HTTP machinery piece by piece (docs/architecture.md)
        for flags in ("--lowlevel", "--raw-client", "--lowlevel --raw-client"):
            starters.append((f"aiohttp {flags}", partial(floor, next(ports), flags=flags.split())))
    starters += [
        ("mcproute 1w",
         lambda: gateways.mcproute(group, work, next(ports), sim_port, 1, SOLO_CPU)),
        ("mcproute 1w, front off",  # aiohttp's server for every request (docs/architecture.md)
         lambda: gateways.mcproute(group, work, next(ports), sim_port, 1, SOLO_CPU, front=False)),
        ("mcproute 2w",
         lambda: gateways.mcproute(group, work, next(ports), sim_port, 2, BOTH_CPUS)),
    ]  # fmt: skip
    if not args.skip_peers:
        starters += [
            ("LiteLLM 1w",
             lambda: gateways.litellm(group, work, next(ports), sim_port, 1, SOLO_CPU)),
            ("LiteLLM 2w",
             lambda: gateways.litellm(group, work, next(ports), sim_port, 2, BOTH_CPUS)),
            ("Portkey", lambda: gateways.portkey(group, next(ports), sim_port, SOLO_CPU)),
        ]  # fmt: skip
    rows = []
    for name, start in starters:
        print(f"[upstream {latency * 1000:g} ms] {name}", flush=True)
        target = start()
        try:
            # The aiohttp reference proxies buffer whole replies: no time to first token.
            buffered = name.startswith(("aiohttp", gateways.FLOOR_AIOHTTP))
            rows.append(measure(target, connections, args.seconds, c1=zero,
                                streams=0 if buffered else streams))  # fmt: skip
        finally:
            if target is not direct and target.proc is not None:
                group.stop(target.proc)
    if direct.proc is not None:
        group.stop(direct.proc)
    return rows


def mcp_rows(
    group: Processes, work: Path, args: argparse.Namespace, ports: Iterator[int]
) -> list[Row]:
    rows = []
    ours = mcp_targets.ours(group, next(ports), LOAD_CPU)
    # Each gateway fronts the same upstream server, one at a time, on the same CPU; the floor
    # proxies too, so the gateway's figures are also ratios to them.
    upstream_port = int(ours.url.split(":")[-1].split("/")[0])
    probe = mcp_targets.call_body(mcp_targets.TOOL)
    floor = partial(gateways.floor, group, upstream_port=upstream_port, cpu=SOLO_CPU,
                    path="/mcp", headers=ours.headers, probe=probe)  # fmt: skip
    fronts: list[tuple[Callable[[], Target], str]] = [
        (lambda: floor(next(ports), bare=True), mcp_targets.TOOL),
        (lambda: floor(next(ports)), mcp_targets.TOOL),
        (lambda: mcp_targets.gateway(group, work, next(ports), ours.url, SOLO_CPU),
         f"ev__{mcp_targets.TOOL}"),
        (lambda: mcp_targets.gateway(group, work, next(ports), ours.url, SOLO_CPU, front=False),
         f"ev__{mcp_targets.TOOL}"),
    ]  # fmt: skip
    if not args.skip_peers:
        fronts.append(
            (lambda: mcp_targets.fastmcp_proxy(group, next(ports), ours.url, SOLO_CPU),
             mcp_targets.TOOL)
        )  # fmt: skip
    for start, tool in fronts:
        target = start()
        print(f"[mcp] {target.name}", flush=True)
        rows.append(measure(target, [32], args.seconds, c1=True, streams=0,
                            body=mcp_targets.call_body(tool)))  # fmt: skip
        if target.proc is not None:
            group.stop(target.proc)
    if ours.proc is not None:
        group.stop(ours.proc)
    # The servers alone, on the gateway's CPU, for a like-for-like comparison with each other.
    for start in (mcp_targets.ours, mcp_targets.sdk):
        target = start(group, next(ports), SOLO_CPU)
        print(f"[mcp] {target.name}", flush=True)
        rows.append(measure(target, [32], args.seconds, c1=True, streams=0,
                            body=mcp_targets.call_body(mcp_targets.TOOL)))  # fmt: skip
        if target.proc is not None:
            group.stop(target.proc)
    return rows


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("mcproute", "aiohttp", "mcp"):
        out[name] = metadata.version(name)
    peer = os.environ.get("MCPROUTE_PEER_PYTHON")
    if peer:
        probe = "import importlib.metadata as m; print(m.version('litellm'))"
        out["litellm"] = subprocess.run([peer, "-c", probe], capture_output=True, text=True,
                                        check=False).stdout.strip()  # fmt: skip
    if peer:
        probe = "import importlib.metadata as m; print(m.version('fastmcp'))"
        out["fastmcp"] = subprocess.run([peer, "-c", probe], capture_output=True, text=True,
                                        check=False).stdout.strip()  # fmt: skip
    out["portkey"] = "1.15.2"
    if shutil.which("wrk"):  # the fault benchmark runs without it
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        out["wrk"] = (wrk.stdout or wrk.stderr).split("[")[0].replace("wrk", "").strip()
    node = os.environ.get("MCPROUTE_NODE", "node")
    out["node"] = subprocess.run([node, "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()  # fmt: skip
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches.load", description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="per wrk cell (default 8)")
    parser.add_argument("--quick", action="store_true", help="2 s cells, no streams, no MCP")
    parser.add_argument("--skip-peers", action="store_true", help="mcproute and direct only")
    parser.add_argument("--no-write", action="store_true", help="print only; keep RESULTS.md")
    parser.add_argument(
        "--mcp-only", action="store_true", help="the MCP rows only, printed (RESULTS.md is kept)"
    )
    parser.add_argument(
        "--stores", action="store_true", help="only SQLite vs Redis + PostgreSQL, one worker"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 2.0
    in_own_netns(argv)
    os.sched_setaffinity(0, {int(LOAD_CPU)})
    results = Results(seconds=args.seconds, command=" ".join(["python -m benches.load", *argv]))
    results.versions = versions()
    started = time.monotonic()
    ports = iter(range(21100, 21200))  # below the ephemeral range: no client socket holds them
    with tempfile.TemporaryDirectory() as tmp, processes(Path(tmp)) as group:
        work = Path(tmp)
        try:
            if args.mcp_only:
                print("\n".join(mcp_table(mcp_rows(group, work, args, ports))), flush=True)
                return
            if args.stores:
                rows = store_rows(group, work, args, ports, (LOAD_CPU, SOLO_CPU))
                if not args.no_write:
                    print(write_stores(rows, results.command, args.seconds), flush=True)
                return
            results.zero = model_rows(group, work, 0.0, args, ports)
            if not args.quick:
                results.delayed = model_rows(group, work, 0.02, args, ports)
                results.mcp = mcp_rows(group, work, args, ports)
        except Exception:
            for log in sorted(work.glob("*.log")):
                print(f"--- {log.name} (tail)\n{log.read_text(errors='replace')[-2000:]}",
                      file=sys.stderr)  # fmt: skip
            raise
    print(f"done in {time.monotonic() - started:.0f} s", flush=True)
    if not args.no_write:
        write_report(results)


if __name__ == "__main__":
    main(sys.argv[1:])
