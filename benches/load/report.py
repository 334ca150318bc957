"""The load section of benches/RESULTS.md and its charts."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from benches.run import machine, replace_section

if TYPE_CHECKING:
    from benches.load.__main__ import Results, Row

HERE = Path(__file__).resolve().parent
BENCHES = HERE.parent


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.1f}×" if theirs else "n/a"


def _find(rows: list[Row], prefix: str) -> Row | None:
    return next((r for r in rows if r.name.startswith(prefix)), None)


def _best(rows: list[Row], prefix: str, connections: int) -> float:
    found = [r.by_connections[connections].rps for r in rows
             if r.name.startswith(prefix) and connections in r.by_connections]  # fmt: skip
    return max(found, default=0.0)


FLOOR = "floor: bare asyncio"
AIOHTTP_FLOOR = "floor: minimal aiohttp"


def _added_p50(row: Row | None, base: Row | None) -> float | None:
    if row is None or base is None or row.c1 is None or base.c1 is None:
        return None
    return row.c1.p50_ms - base.c1.p50_ms


def _rps(row: Row | None, connections: int) -> float:
    found = row.by_connections.get(connections) if row is not None else None
    return found.rps if found is not None else 0.0


def _cpu(row: Row | None, connections: int) -> float | None:
    return row.cpu_us.get(connections) if row is not None else None


def model_table(rows: list[Row], *, with_c1: bool) -> list[str]:
    direct = _find(rows, "direct")
    floors = [_find(rows, FLOOR), _find(rows, AIOHTTP_FLOOR)]
    head = "| target |"
    rule = "|---|"
    if with_c1:
        head += " c=1 p50 / p99 (ms) | added p50 / p99 (ms) | added p50 ÷ floor's |"
        rule += "---|---|---|"
    for c in (32, 128):
        head += f" c={c} req/s | c={c} p99 (ms) | c={c} errors |"
        rule += "---|---|---|"
    head += " c=32 req/s ÷ bare floor | ÷ aiohttp floor |"
    head += " c=32 CPU µs/req | bare floor's CPU/req ÷ this |"
    rule += "---|---|---|---|"
    if with_c1:
        head += " TTFT p50 (ms) | added TTFT p50 (ms) |"
        rule += "---|---|"
    head += " RSS after (MiB) |"
    rule += "---|"
    out = [head, rule]
    for row in rows:
        cells = [row.name]
        if with_c1 and row.c1 is not None:
            cells.append(f"{row.c1.p50_ms:.3f} / {row.c1.p99_ms:.3f}")
            if direct is not None and direct.c1 is not None and row is not direct:
                cells.append(
                    f"{row.c1.p50_ms - direct.c1.p50_ms:+.3f} / "
                    f"{row.c1.p99_ms - direct.c1.p99_ms:+.3f}"
                )
            else:
                cells.append("n/a")
            added, floor_added = _added_p50(row, direct), _added_p50(floors[0], direct)
            good = row is not direct and added is not None and floor_added
            cells.append(f"{added / floor_added:.1f}×" if good else "n/a")  # type: ignore[operator]
        for c in (32, 128):
            r = row.by_connections.get(c)
            if r is None:
                cells += ["n/a", "n/a", "n/a"]
            else:
                cells += [f"{r.rps:,.0f}", f"{r.p99_ms:.2f}", f"{r.errors} ({r.error_rate:.1%})"]
        cells += [
            f"{_rps(row, 32) / _rps(floor, 32):.2f}×" if _rps(floor, 32) else "n/a"
            for floor in floors
        ]
        cpu, floor_cpu = row.cpu_us.get(32), _cpu(floors[0], 32)
        cells.append(f"{cpu:.0f}" if cpu is not None else "n/a")
        cells.append(f"{floor_cpu / cpu:.2f}×" if cpu and floor_cpu else "n/a")
        if with_c1:
            ttft = statistics.median(row.ttft_ms) if row.ttft_ms else None
            base = statistics.median(direct.ttft_ms) if direct and direct.ttft_ms else None
            cells.append("failed" if row.ttft_error else _ms(ttft))
            added = None if ttft is None or base is None or row is direct else ttft - base
            cells.append("n/a" if added is None else f"{added:+.3f}")
        cells.append("n/a" if row.rss_mib is None else f"{row.rss_mib:.0f}")
        out.append("| " + " | ".join(cells) + " |")
    return out


def headline(results: Results) -> list[str]:
    """mcproute's best against each peer's best, per upstream setting and concurrency."""
    out = [
        "| upstream | connections | mcproute req/s | vs LiteLLM | vs Portkey |",
        "|---|---|---|---|---|",
    ]
    for label, rows in (("zero delay", results.zero), ("20 ms", results.delayed)):
        for c in (32, 128):
            ours = _best(rows, "mcproute", c)
            if not ours:
                continue
            out.append(
                f"| {label} | {c} | {ours:,.0f} | {_ratio(ours, _best(rows, 'LiteLLM', c))} | "
                f"{_ratio(ours, _best(rows, 'Portkey', c))} |"
            )
    return out


def goals(results: Results) -> list[str]:
    """The hot path's goals, each as measured in this run (ratios to the floor of this run)."""
    rows = results.zero
    direct, floor = _find(rows, "direct"), _find(rows, FLOOR)
    one, two = _find(rows, "mcproute 1w"), _find(rows, "mcproute 2w")
    added = _added_p50(one, direct)
    p99 = (
        one.c1.p99_ms - direct.c1.p99_ms
        if one is not None and direct is not None and one.c1 and direct.c1
        else None
    )
    rss = one.rss_mib if one is not None else None
    ours_cpu, floor_cpu = _cpu(one, 32), _cpu(floor, 32)
    one_cpu, two_cpu = _cpu(one, 128), _cpu(two, 128)
    cells = [
        ("1 worker c=32 req/s ÷ bare asyncio floor", "≥ 0.7×",
         f"{_rps(one, 32) / _rps(floor, 32):.2f}×" if _rps(floor, 32) else "n/a"),
        ("the same as CPU per request: floor's ÷ 1 worker's, c=32 (steady on a shared machine)",
         "≥ 0.7×", f"{floor_cpu / ours_cpu:.2f}×" if ours_cpu and floor_cpu else "n/a"),
        ("added p50 at c=1 (ms)", "≤ 0.2", "n/a" if added is None else f"{added:.3f}"),
        ("added p99 at c=1 (ms)", "≤ 0.5", "n/a" if p99 is None else f"{p99:.3f}"),
        ("2 workers ÷ 1 worker, c=128 req/s (wrk and the simulator share CPU 1 with the "
         "second worker here; measured with a CPU of its own for the load generator in "
         "\"one worker vs two\" below)", "≥ 1.7× (needs a CPU for the load generator)",
         f"{_rps(two, 128) / _rps(one, 128):.2f}×" if _rps(one, 128) else "n/a"),
        ("2 workers: CPU per request ÷ 1 worker's, c=128 (1.0: no cost to sharing the port; "
         "scaling is then bounded by free CPUs only)", "≈ 1.0",
         f"{two_cpu / one_cpu:.2f}" if two_cpu and one_cpu else "n/a"),
        ("RSS of the 1-worker process after its run (MiB)", "≤ 60",
         "n/a" if rss is None else f"{rss:.0f}"),
    ]  # fmt: skip
    return [
        "| goal | target | this run |",
        "|---|---|---|",
        *(f"| {what} | {target} | {value} |" for what, target, value in cells),
    ]


# Gateways (and the floor proxies) in front of "mcproute MCPServer".
FRONTS = (FLOOR, AIOHTTP_FLOOR, "mcproute gateway", "mcproute gateway, front off", "FastMCP proxy")
SERVERS = ("mcproute MCPServer", "mcp SDK server")


def _cpu_cell(row: Row) -> str:
    cpu = row.cpu_us.get(32)
    return "n/a" if cpu is None else f"{cpu:.0f}"


def mcp_table(rows: list[Row]) -> list[str]:
    """Gateways against each other (added latency over the upstream alone, throughput ratio),
    then the servers against each other."""
    by_name = {row.name: row for row in rows}
    upstream = by_name.get("mcproute MCPServer")
    floor = by_name.get(FLOOR)
    out = [
        "| target | c=1 p50 / p99 (ms) | added p50 over the upstream (ms) | c=32 req/s "
        "| c=32 p99 (ms) | mcproute's req/s, relative | c=32 req/s ÷ bare floor "
        "| c=32 CPU µs/req | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for group in (FRONTS, SERVERS):
        present = [by_name[name] for name in group if name in by_name]
        first = next((r for r in present if r.name.startswith("mcproute")), None)
        ours = first.by_connections.get(32) if first else None
        for row in present:
            c1, r = row.c1, row.by_connections.get(32)
            added = (
                _ms(c1.p50_ms - upstream.c1.p50_ms)
                if group is FRONTS and c1 and upstream and upstream.c1
                else ""
            )
            if r is None:
                out.append(f"| {row.name} | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |")
                continue
            ratio = _ratio(ours.rps, r.rps) if ours else "n/a"
            to_floor = (
                f"{r.rps / _rps(floor, 32):.2f}×" if group is FRONTS and _rps(floor, 32) else ""
            )
            out.append(
                f"| {row.name} | {_ms(c1.p50_ms if c1 else None)} / "
                f"{_ms(c1.p99_ms if c1 else None)} | {added} | {r.rps:,.0f} | {r.p99_ms:.2f} "
                f"| {ratio} | {to_floor} | {_cpu_cell(row)} | {r.errors} |"
            )
    return out


def charts(results: Results) -> list[str]:
    """PNG charts drawn by matplotlib in the peers' venv (where it is installed)."""
    python = os.environ.get("MCPROUTE_PEER_PYTHON", sys.executable)
    data = {
        "zero": {
            r.name: {str(c): w.rps for c, w in r.by_connections.items()} for r in results.zero
        },
        "delayed": {
            r.name: {str(c): w.rps for c, w in r.by_connections.items()} for r in results.delayed
        },
        "c1": {r.name: [r.c1.p50_ms, r.c1.p99_ms] for r in results.zero if r.c1 is not None},
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(data, f)
        f.flush()
        subprocess.run([python, "-m", "benches.load.charts", f.name, str(BENCHES)], check=True)
    return ["load_rps.png", "load_latency.png"]


PROFILE = [
    "| part, µs per request (share) | before | after |",
    "|---|---:|---:|",
    "| server front: framing, request, reply bytes | 34 (13 %) | 36 (16 %) |",
    "| upstream client (framing, pool, timers) | 38 (14 %) | 34 (15 %) |",
    "| metrics, request timing, dashboard history | 33 (12 %) | 32 (14 %) |",
    "| event loop (uvloop, scheduling, timers) | 31 (11 %) | 27 (12 %) |",
    "| Router, key pool, adapter | 35 (13 %) | 24 (10 %) |",
    "| admission: limits and their store | 26 (10 %) | 21 (9 %) |",
    "| route handler, other middlewares | 11 (4 %) | 15 (6 %) |",
    "| auth (key check, cached 1 s) | 12 (4 %) | 11 (5 %) |",
    "| body read, JSON parse, contract check | 12 (4 %) | 8 (3 %) |",
    "| aiohttp server: parse, dispatch, write | 7 (3 %) | 6 (3 %) |",
    "| spend ledger rows (on the event loop) | 4 (1 %) | 4 (2 %) |",
    "| other threads (ledger writer, stores) | 26 (10 %) | 13 (6 %) |",
    "| **CPU µs per request, all** | **270** | **232** |",
]


def write_report(results: Results) -> None:
    lines = [
        "## Load: mcproute vs LiteLLM's proxy vs Portkey's gateway",
        "",
        f"`{results.command}` (part of `make bench`), {results.seconds:g} s per cell, {machine()}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in results.versions.items()) + ".",
        "Everything runs in one network namespace with only loopback; wrk (one thread), the "
        "streaming client and the upstream simulator (`mcproute.testing.upstream`, 8-token "
        "completions) share CPU 1; a one-worker gateway has CPU 0, two workers use both CPUs, so "
        "2-worker figures compete with the load generator. Same request body (a 90-byte chat "
        "completion), same upstream, same run for every target.",
        "",
        "### Headline (best configuration of each)",
        "",
        *headline(results),
        "",
        "### The hot path against the floor (one worker, API key, limits and metrics on)",
        "",
        "The floor is `benches/load/floor_asyncio.py`: a pass-through proxy on raw uvloop "
        "protocols (request bytes to a pooled keep-alive upstream connection, reply bytes back, "
        "nothing parsed but message ends). `benches/load/floor_aiohttp.py` is the minimal aiohttp "
        "proxy (one handler: `read()`, `session.post`, `Response`); its `--lowlevel` and "
        "`--raw-client` rows swap in aiohttp's low-level server and a raw-transport upstream "
        "client, to price each piece of the HTTP machinery. Every proxy runs on CPU 0 with wrk and "
        "the simulator on CPU 1, in the same run.",
        "",
        *goals(results),
        "",
        "### Zero-delay upstream",
        "",
        *model_table(results.zero, with_c1=True),
        "",
        *(f"TTFT of {r.name} failed: `{r.ttft_error}`." for r in results.zero if r.ttft_error),
        "",
    ]
    if results.delayed:
        lines += ["### 20 ms upstream", "", *model_table(results.delayed, with_c1=False), ""]
    if results.mcp:
        lines += [
            "### MCP `tools/call` (stateless 2026-07-28 POSTs)",
            "",
            "The two gateway rows front the same upstream, our MCP server: `mcproute serve` "
            "(`/mcp`, API key, namespacing) and FastMCP's proxy (`create_proxy`), one at a time "
            "on the same CPU. The two server rows are the servers alone on that CPU. "
            "\"Relative\" is mcproute's req/s over the row's (gateway vs gateway, server vs "
            "server). FastMCP 4.1.6's proxy sends one upstream `tools/call` per call, as ours "
            "does, but over a new upstream connection each time (seen with strace), and spends "
            "tens of milliseconds per call inside the proxy, with the SDK's server as upstream "
            "too.",
            "",
            *mcp_table(results.mcp),
            "",
        ]
    lines += [
        "### Where the time goes",
        "",
        "`make profile` (`python -m benches.load.profile`): py-spy on one worker under "
        "`wrk -c32`, zero-delay upstream, a key with per-key limits, metrics on; each part of "
        "the event loop's samples priced at that thread's CPU per request, the other threads "
        "(the ledger's writer, the stores') at theirs. µs per request before and after the "
        'latest hot-path changes of docs/architecture.md ("Chat path: fewer hops and layers", '
        "the spend ledger's clock-ordered row ids), two runs on the same quiet machine 90 "
        "minutes apart (A/B runs side by side, tree against tree, measured the chat path's "
        "cuts at -5.5 % of CPU per request at 32 connections and -7 % at one).",
        "",
        *PROFILE,
        "",
        "The reference rows price the HTTP machinery: aiohttp's low-level server saves a few "
        "per cent of the minimal aiohttp proxy's CPU, a raw-transport upstream client more than "
        'half of it; docs/architecture.md ("Hot path") has the choice made on those figures.',
        "",
    ]
    images = charts(results)
    lines += [f"![{name}]({name})" for name in images]
    replace_section("load", "\n".join(lines))
