"""The cost of the shared state on the request path: one mcproute worker with the embedded
store (the data directory's SQLite) against the same worker on Redis + PostgreSQL, side by
side in one run, with a configuration that puts the shared state on every request: API key
auth (the key's record, cached per worker for 1 s and read from the database when stale) and a
deployment `rpm` limit (one admission per request: SQLite's window, or one Lua script on
Redis). A row without the limit shows what the admission itself costs.

    python -m benches.load --stores      (part of `make bench`)

Redis and PostgreSQL are real servers started for the run (`mcproute.testing.engines`), on
the load CPU with wrk and the simulator; the worker has CPU 0 to itself. Signed requests are
left out: each needs a fresh nonce and HMAC, which wrk's script cannot make at load.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from benches.load.gateways import Target, serve_mcproute, simulator
from benches.load.processes import Processes, wait_until_serving
from benches.load.wrk import WrkResult, run_wrk
from benches.run import machine, replace_section
from mcproute.testing.engines import running_postgres, running_redis

RPM = 100_000_000  # never refuses: the limit is there to be checked, not to bite
CONNECTIONS = 32


def _document(sim_port: int, limited: bool) -> dict[str, object]:
    model: dict[str, object] = {"name": "gpt-4", "model": "gpt-4"}
    if limited:
        model["rpm"] = RPM
    provider = {
        "type": "openai",
        "endpoint": f"http://127.0.0.1:{sim_port}",
        "api_key": "sk-bench-upstream",
        "models": [model],
    }
    return {"mcp": {"models": {"sim": provider}}}


def _measure(target: Target, seconds: float, load_cpu: str) -> tuple[WrkResult, WrkResult]:
    body = b'{"model": "gpt-4", "messages": [{"role": "user", "content": "Say hello."}]}'
    wait_until_serving(target.url, body, target.headers, target.proc, 60)
    run_wrk(target.url, body, target.headers, connections=8, seconds=2, cpu=load_cpu)  # warm up
    c1 = run_wrk(target.url, body, target.headers, connections=1, seconds=seconds, cpu=load_cpu)
    many = run_wrk(
        target.url, body, target.headers, connections=CONNECTIONS, seconds=seconds, cpu=load_cpu
    )
    return c1, many


def store_rows(
    group: Processes,
    work: Path,
    args: argparse.Namespace,
    ports: Iterator[int],
    cpus: tuple[str, str],
) -> list[tuple[str, WrkResult, WrkResult]]:
    """(name, c=1, c=32) for each store setting; `cpus` = (load CPU, the worker's CPU)."""
    load_cpu, solo_cpu = cpus
    sim_port = next(ports)
    sim = simulator(group, sim_port, 0.0, load_cpu)
    rows = []
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(running_redis())
        postgres = stack.enter_context(running_postgres())
        shared = {
            "MCPROUTE_REDIS_URL": redis.url,
            "MCPROUTE_DATABASE_URL": postgres.new_database("bench"),
        }
        settings = [
            ("SQLite, no rpm limit", False, {}),
            ("SQLite (data directory)", True, {}),
            ("Redis + PostgreSQL", True, shared),
        ]
        for name, limited, env in settings:
            port = next(ports)
            proc, key = serve_mcproute(
                group, work, port, _document(sim_port, limited),
                scope="models", workers=1, cpu=solo_cpu, env=env,
            )  # fmt: skip
            target = Target(name, f"http://127.0.0.1:{port}/v1/chat/completions",
                            {"Authorization": f"Bearer {key}"}, proc)  # fmt: skip
            print(f"[stores] {name}", flush=True)
            try:
                c1, many = _measure(target, args.seconds, load_cpu)
            finally:
                group.stop(proc)
            print(f"  c=1 p50 {c1.p50_ms:.3f} ms, c={CONNECTIONS} {many.rps:.0f} rps"
                  f" p50 {many.p50_ms:.3f} ms (errors {many.errors})", flush=True)  # fmt: skip
            rows.append((name, c1, many))
    if sim.proc is not None:
        group.stop(sim.proc)
    return rows


def write_stores(rows: list[tuple[str, WrkResult, WrkResult]], command: str, seconds: float) -> str:
    base = next(r for r in rows if r[0].startswith("SQLite (data"))
    lines = [
        "## shared state on the request path: SQLite vs Redis + PostgreSQL",
        "",
        f"Machine: {machine()}.",
        "",
        f"Command: `{command}` (part of `make bench`; {seconds:g} s per cell after a 2 s warm-up;"
        " one mcproute worker on CPU 0; wrk, the zero-delay simulator, Redis and PostgreSQL on"
        " CPU 1; every request carries an API key, and the deployment has an `rpm` limit except"
        " in the first row).",
        "",
        f"| store | c=1 p50 / p99 (ms) | c=1 p50 added vs SQLite (ms) | c={CONNECTIONS} req/s"
        f" | c={CONNECTIONS} p50 / p99 (ms) | c={CONNECTIONS} p50 added vs SQLite (ms)"
        " | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, c1, many in rows:
        lines.append(
            f"| {name} | {c1.p50_ms:.3f} / {c1.p99_ms:.3f} | {c1.p50_ms - base[1].p50_ms:+.3f}"
            f" | {many.rps:,.0f} | {many.p50_ms:.3f} / {many.p99_ms:.3f}"
            f" | {many.p50_ms - base[2].p50_ms:+.3f} | {c1.errors + many.errors} |"
        )
    redis = next(r for r in rows if r[0].startswith("Redis"))
    added = redis[2].p50_ms - base[2].p50_ms
    lines += [
        "",
        f"The machine's 1-minute load average at the end of the run: {os.getloadavg()[0]:.1f}"
        f" on {os.cpu_count()} CPUs (other work on a shared machine widens every figure).",
        "",
        f"Redis + PostgreSQL adds {added:+.3f} ms at c={CONNECTIONS} p50 over SQLite"
        f" ({redis[1].p50_ms - base[1].p50_ms:+.3f} ms at c=1). Goal: at most 0.1 ms:"
        f" {'met' if added <= 0.1 else 'not met'}. PostgreSQL is off the per-request path"
        " here: the key's record is read at most once a second per worker.",
    ]
    body = "\n".join(lines)
    replace_section("load_stores", body)
    return body
