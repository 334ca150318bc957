"""The event loop's CPU per request at one connection through what a request of a key with
limits does besides HTTP: admission (a lease of headroom from the data directory's SQLite
counters), settlement, and a spend ledger row, with the upstream's wait modelled by a sleep.
Lease turnovers and ledger flushes land on the request in flight, so the tail of this
distribution prices them (p99, p99.9), without the HTTP machinery's noise.

    python -m benches.turnover_stalls [--seconds S] [--baseline REV]

Per request: the loop thread's CPU from the start of one request to the start of the next
(what ran on the loop meanwhile, background tasks included; a sleep costs none) and the wall
time of the request's own steps (waits for the GIL included). `--baseline REV` runs REV's
`python/` beside this tree, rounds alternating.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UPSTREAM_S = 0.0007  # about the simulator's answer through the proxy at one connection


async def _measure(seconds: float, data: Path) -> dict[str, list[float]]:
    from mcproute.governance.counters import Charge
    from mcproute.governance.ledger import new_row_id
    from mcproute.governance.limits import Limits
    from mcproute.governance.reservation import Bound, Governor
    from mcproute.store import DataDir
    from mcproute.store.database import SqliteDatabase
    from mcproute.store.spend import SpendRow
    from mcproute.store.spend_ledger import open_ledger
    from mcproute.store.usage_sqlite import SqliteUsage

    data_dir = DataDir(data).ensure()
    counter = SqliteUsage(data_dir)
    governor = Governor(counter)
    ledger = open_ledger(data_dir, SqliteDatabase(data_dir))
    ledger.start()
    keeper = asyncio.create_task(governor.keep_leases())
    charges = [Charge("key:bench", Limits(rpm=100_000_000, tpm=1_000_000_000))]
    bound = Bound(20, 100, None)
    loop_us: list[float] = []
    wall_us: list[float] = []
    end = time.monotonic() + seconds
    cpu_at = time.thread_time()
    while time.monotonic() < end:
        started = time.perf_counter()
        reservation = await governor.reserve(charges, bound)
        reservation.record(20, 10, None)
        await reservation.finish()
        ledger.record(
            SpendRow(new_row_id(), time.time(), "r", "k", None, "gpt-4", "d", 20, 10, 0, None, 200)
        )
        wall_us.append((time.perf_counter() - started) * 1e6)
        await asyncio.sleep(UPSTREAM_S)
        now = time.thread_time()
        loop_us.append((now - cpu_at) * 1e6)
        cpu_at = now
    keeper.cancel()
    await governor.close()
    await ledger.close()
    counter.close()
    return {"loop_us": loop_us, "wall_us": wall_us}


def _quantiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    p50, p99, p999 = cuts[499], cuts[989], cuts[998]
    return f"p50 {p50:7.1f}  p99 {p99:7.1f}  p99.9 {p999:7.1f}  max {max(values):7.1f}"


def _one(seconds: float, pythonpath: str | None) -> dict[str, list[float]]:
    env = {**os.environ}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    with tempfile.TemporaryDirectory() as data:
        out = subprocess.run(
            [sys.executable, "-m", "benches.turnover_stalls", "--child", str(seconds), data],
            env=env, capture_output=True, check=True,
        )  # fmt: skip
    result: dict[str, list[float]] = json.loads(out.stdout)
    return result


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        print(json.dumps(asyncio.run(_measure(float(argv[1]), Path(argv[2])))))
        return
    parser = argparse.ArgumentParser(prog="python -m benches.turnover_stalls")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", help="a git revision to run beside this tree")
    args = parser.parse_args(argv)
    trees: list[tuple[str, str | None]] = [("this tree", None)]
    with tempfile.TemporaryDirectory() as work:
        if args.baseline:
            from benches.load.tail import export_revision

            exported = export_revision(args.baseline, Path(work) / "baseline")
            trees.insert(0, (args.baseline, str(exported)))
        runs: dict[str, dict[str, list[float]]] = {name: {} for name, _ in trees}
        for _ in range(args.rounds):
            for name, path in trees:
                for kind, values in _one(args.seconds, path).items():
                    runs[name].setdefault(kind, []).extend(values)
    for name, found in runs.items():
        print(f"{name}: {len(found['loop_us'])} requests")
        print(f"  loop CPU µs/request   {_quantiles(found['loop_us'])}")
        print(f"  request wall µs       {_quantiles(found['wall_us'])}")


if __name__ == "__main__":
    main(sys.argv[1:])
