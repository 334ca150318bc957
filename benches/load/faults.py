"""Fault benchmark: a group of three deployments under load with the default routing policy.

    python -m benches.load.faults [--requests N] [--connections C] [--deadline S] [--skip-peers]

One deployment is healthy, one answers a third of its requests with a 500, one stalls 20 s
before answering (slow, never failing). Each gateway (mcproute with its defaults, LiteLLM's
proxy with its default cooldowns) runs N requests at C connections against that group, and the
same N requests with the healthy deployment alone. Reported: success rate, p50/p99 latency and
the stalled deployment's share of the requests the upstreams received (retries included).

Every upstream answers in 20 ms. A run stops at its deadline; requests still unanswered then
count as failures, with their time so far as their latency (a lower bound). Runs in its own
network namespace, like the load benchmark; writes its section of benches/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benches.load import gateways
from benches.load.__main__ import LOAD_CPU, SOLO_CPU, in_own_netns, versions
from benches.load.gateways import BODY, Target
from benches.load.processes import Processes, processes
from benches.run import replace_section

LATENCY_S = 0.02
STALL_S = 20.0
HEALTHY, FAILING, STALLED = "healthy", "failing", "stalled"
FAULTS = {
    HEALTHY: [],
    FAILING: ["--fault", "500", "--fault-every", "3"],
    STALLED: ["--fault", "stall_start", "--stall", f"{STALL_S:g}"],
}


@dataclass
class Run:
    gateway: str
    group: str  # "three deployments" or "healthy alone"
    requests: int
    ok: int
    unfinished: int
    p50_ms: float
    p99_ms: float
    seconds: float
    stalled_share: float | None  # of the requests the upstreams received

    @property
    def success(self) -> float:
        return self.ok / self.requests


async def load(target: Target, requests: int, connections: int, deadline_s: float) -> Run:
    """`requests` chat completions over `connections` connections, stopped at the deadline."""
    latencies: list[float] = []
    ok = 0
    todo = iter(range(requests))
    started = time.perf_counter()
    in_flight: dict[int, float] = {}

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal ok
        for n in todo:
            t0 = in_flight[n] = time.perf_counter()
            try:
                async with http.post(target.url, data=BODY, headers=target.headers) as r:
                    await r.read()
                    ok += r.status == 200
            except aiohttp.ClientError:
                pass
            del in_flight[n]
            latencies.append(time.perf_counter() - t0)

    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as http:
        tasks = [asyncio.ensure_future(worker(http)) for _ in range(connections)]
        await asyncio.wait(tasks, timeout=deadline_s)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - started
    now = time.perf_counter()
    latencies += [now - t0 for t0 in in_flight.values()]  # unanswered at the deadline
    unfinished = requests - len(latencies)  # never sent
    latencies += [elapsed] * unfinished
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return Run(
        target.name.split()[0],
        "",
        requests,
        ok,
        len(in_flight) + unfinished,
        q[49] * 1000,
        q[98] * 1000,
        elapsed,
        None,
    )


def served(sims: dict[str, Target]) -> dict[str, int]:
    out = {}
    for name, sim in sims.items():
        url = sim.url.replace("/v1/chat/completions", "/_sim/stats")
        with urllib.request.urlopen(url, timeout=5) as r:
            out[name] = int(json.loads(r.read())["served"])
    return out


def measure(
    group: Processes,
    start: Callable[[], Target],
    sims: dict[str, Target],
    label: str,
    args: argparse.Namespace,
) -> Run:
    target = start()
    try:
        before = served(sims)
        run = asyncio.run(load(target, args.requests, args.connections, args.deadline))
        after = served(sims)
    finally:
        if target.proc is not None:
            group.stop(target.proc)
    run.group = label
    received = {k: after[k] - before[k] for k in sims}
    if len(sims) > 1:
        run.stalled_share = received[STALLED] / max(1, sum(received.values()))
    print(
        f"  {run.gateway} / {label}: success {run.success:.2%}, p50 {run.p50_ms:.1f} ms, "
        f"p99 {run.p99_ms:.1f} ms, {run.seconds:.1f} s, upstream requests {received}",
        flush=True,
    )
    return run


def table(runs: list[Run]) -> list[str]:
    alone = {r.gateway: r for r in runs if r.group == "healthy alone"}
    lines = [
        "| gateway | group | success | unanswered at deadline | p50 | p99 | p99 vs healthy alone "
        "| stalled deployment's share | wall time |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        base = alone.get(r.gateway)
        ratio = f"{r.p99_ms / base.p99_ms:.2f}×" if base and r is not base else "—"
        share = "—" if r.stalled_share is None else f"{r.stalled_share:.2%}"
        bound = "≥ " if r.unfinished else ""
        lines.append(
            f"| {r.gateway} | {r.group} | {r.success:.2%} ({r.ok}/{r.requests}) | {r.unfinished} "
            f"| {bound}{r.p50_ms:,.1f} ms | {bound}{r.p99_ms:,.1f} ms | {ratio} | {share} "
            f"| {r.seconds:.1f} s |"
        )
    return lines


def write(runs: list[Run], command: str, args: argparse.Namespace) -> None:
    v = versions()
    body = "\n".join(
        [
            "## routing under faults",
            "",
            f"Machine: {os.cpu_count()} vCPU, Python {v['python']}, mcproute {v['mcproute']}, "
            f"litellm {v.get('litellm', 'n/a')}, aiohttp {v['aiohttp']}.",
            "",
            f"Command: `{command}` (all rows in one run). {args.requests} requests at "
            f"{args.connections} connections per row, each gateway with one worker on its own "
            f"CPU; the client and the simulators share the other. Every simulator answers in "
            f"{LATENCY_S * 1000:g} ms; the group: one healthy deployment, one answering every "
            f"third request with a 500, one stalling {STALL_S:g} s before answering. Both "
            "gateways run with their defaults (mcproute's routing policy; LiteLLM's router "
            "settings, cooldowns included). The stalled share is of the requests the "
            f"simulators received, retries included. A row stops at {args.deadline:g} s: "
            "requests unanswered then count as failures, their time so far as their latency.",
            "",
            *table(runs),
        ]
    )
    replace_section("faults", body)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches.load.faults", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--deadline", type=float, default=90.0, help="seconds per row")
    parser.add_argument("--skip-peers", action="store_true", help="mcproute only")
    parser.add_argument("--no-write", action="store_true", help="print only; keep RESULTS.md")
    args = parser.parse_args(argv)
    in_own_netns(argv, "benches.load.faults")
    os.sched_setaffinity(0, {int(LOAD_CPU)})
    command = " ".join(["python -m benches.load.faults", *argv])
    ports = iter(range(21200, 21300))
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp, processes(Path(tmp)) as group:
        work = Path(tmp)
        sims = {
            name: gateways.simulator(group, next(ports), LATENCY_S, LOAD_CPU, faults)
            for name, faults in FAULTS.items()
        }
        sim_ports = {name: int(t.url.split(":")[2].split("/")[0]) for name, t in sims.items()}
        starts: list[tuple[str, Callable[..., Target]]] = [("mcproute", gateways.mcproute)]
        if not args.skip_peers:
            starts.append(("LiteLLM", gateways.litellm))
        try:
            for name, start in starts:
                for label, members in (
                    ("healthy alone", {HEALTHY: sims[HEALTHY]}),
                    ("three deployments", sims),
                ):
                    print(f"[faults] {name} / {label}", flush=True)
                    upstreams = [sim_ports[m] for m in members]
                    starter = functools.partial(
                        start, group, work, next(ports), upstreams, 1, SOLO_CPU, probe=False
                    )
                    runs.append(measure(group, starter, members, label, args))
        except Exception:
            for log in sorted(work.glob("*.log")):
                print(f"--- {log.name} (tail)\n{log.read_text(errors='replace')[-2000:]}",
                      file=sys.stderr)  # fmt: skip
            raise
    print("\n".join(table(runs)), flush=True)
    if not args.no_write:
        write(runs, command, args)


if __name__ == "__main__":
    main(sys.argv[1:])
