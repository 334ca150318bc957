"""`/metrics` over every worker of this replica: one scrape sees them all.

Each worker's snapshot (see `worker_snapshots`) carries its `Metrics` as plain data
(`metrics_state`): every counter table and every histogram's series, found by type, so a
metric added to `Metrics` is merged without a change here. A scrape sums them into a fresh
`Metrics` and renders that, with the deployments' health merged as the dashboard merges it.
Counters never go back between scrapes answered by different workers (see `published`); a
worker that stops takes its counts with it, which Prometheus reads as a counter reset.

The scrape covers this replica only (its `instance`, see `worker_snapshots.instance_id`),
every series labelled `instance="<id>"`, so Prometheus sums replicas without counting one
twice; the dashboard is where the whole deployment is merged. If the snapshot store fails
the scrape holds the answering worker's series alone and `mcproute_snapshot_store_up` is 0.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from aiohttp import web

from mcproute.proxy.mcp_metrics import McpMetrics, render_readings
from mcproute.proxy.metrics import Histogram, Metrics, _escape
from mcproute.proxy.worker_snapshots import PUBLISHER, published


def metrics_state(metrics: object) -> dict[str, Any]:
    """Every counter table and histogram of `metrics` (a `Metrics` or `McpMetrics`) as data."""
    counters: dict[str, list[Any]] = {}
    histograms: dict[str, list[Any]] = {}
    for name, value in vars(metrics).items():
        if isinstance(value, Histogram):
            histograms[name] = [[labels, series] for labels, series in value.series.items()]
        elif isinstance(value, dict):
            counters[name] = [[key, n] for key, n in value.items()]
    return {"counters": counters, "histograms": histograms}


def _key(value: Any) -> Any:
    """A key as it was before JSON made its tuples lists."""
    return tuple(_key(v) for v in value) if isinstance(value, list) else value


def absorb(total: object, state: Mapping[str, Any]) -> None:
    """Add one worker's `metrics_state` into `total` (a `Metrics`, or any object whose
    counter tables and histograms are attributes, such as `McpMetrics`)."""
    for name, rows in state["counters"].items():
        table = getattr(total, name, None)
        if isinstance(table, dict):
            for key, n in rows:
                table[_key(key)] = table.get(_key(key), 0) + n
    for name, rows in state["histograms"].items():
        histogram = getattr(total, name, None)
        if isinstance(histogram, Histogram):
            for labels, series in rows:
                found = histogram.series.setdefault(_key(labels), [0.0] * len(series))
                for i, n in enumerate(series):
                    found[i] += n


def merge_health(workers: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The Router's `stats()` of every worker, per (group, deployment): counts summed, a flag
    (ejected, cooling down) set if it is set in any worker, the latency EWMA the highest, the
    first ejection reason given; `workers` and `ejected_in` count the workers."""
    health: dict[tuple[str, str], dict[str, Any]] = {}
    for worker in workers:
        for group, members in worker["health"].items():
            for name, values in members.items():
                merged = health.setdefault((group, name), {"workers": 0, "ejected_in": 0})
                merged["workers"] += 1
                merged["ejected_in"] += bool(values.get("ejected"))
                for k, v in values.items():
                    if isinstance(v, bool):
                        merged[k] = merged.get(k, False) or v
                    elif k == "latency_ewma":
                        merged[k] = max(merged.get(k, 0.0), float(v))
                    elif isinstance(v, int | float):
                        merged[k] = merged.get(k, 0) + v
                    elif v is not None:
                        merged.setdefault(k, v)
    return health


class MergedRouter:
    """The Router's readings summed over the workers, for `Metrics.render`."""

    def __init__(self, workers: list[dict[str, Any]]) -> None:
        self._stats: dict[str, dict[str, dict[str, object]]] = {}
        for (group, name), values in merge_health(workers).items():
            self._stats.setdefault(group, {})[name] = values
        self.retries: Counter[str] = Counter()
        self.fallbacks: Counter[tuple[str, str]] = Counter()
        for worker in workers:
            self.retries.update(worker["retries"])
            self.fallbacks.update({(a, b): n for a, b, n in worker["fallbacks"]})

    def stats(self) -> dict[str, dict[str, dict[str, object]]]:
        return self._stats


SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? ")


def with_label(text: str, name: str, value: str) -> str:
    """`text` (Prometheus exposition) with `name="value"` last in every sample's labels."""
    label = f'{name}="{_escape(value)}"'

    def one(line: str) -> str:
        found = SAMPLE.match(line)
        if found is None:  # a comment or the final empty line
            return line
        labels = found[2][1:-1] + "," if found[2] and found[2] != "{}" else ""
        return f"{found[1]}{{{labels}{label}}} {line[found.end() :]}"

    return "\n".join(one(line) for line in text.split("\n"))


async def prometheus(request: web.Request) -> web.Response:
    read = published(request.app, deployment=False)
    instance = request.app[PUBLISHER].instance

    def render() -> str:
        collected = read()
        workers = [orjson.loads(snapshot) for snapshot in collected.snapshots]
        total = Metrics()
        for worker in workers:
            absorb(total, worker["metrics"])
        text = total.render(MergedRouter(workers)) + _mcp_series(workers)
        text += (
            "# HELP mcproute_workers Worker processes in this scrape.\n"
            "# TYPE mcproute_workers gauge\n"
            f"mcproute_workers {len(workers)}\n"
            "# HELP mcproute_snapshot_store_up 1 if this scrape read every worker's snapshot"
            " from the snapshot store; 0 if the store failed and only the answering worker's"
            " series are here.\n"
            "# TYPE mcproute_snapshot_store_up gauge\n"
            f"mcproute_snapshot_store_up {int(collected.store_up)}\n"
        )
        return with_label(text, "instance", instance)

    return web.Response(text=await asyncio.to_thread(render), content_type="text/plain")


def merged_mcp(workers: list[dict[str, Any]]) -> tuple[McpMetrics, dict[str, Any]] | None:
    """The MCP counts summed over the workers and their `readings`: open sessions summed, each
    upstream's health as the first worker that knows it reads it (each worker holds its own
    connections, and one that has not used an upstream yet reads it "unknown"). None when no
    worker has a gateway."""
    total = McpMetrics()
    sessions: Counter[str] = Counter()
    servers: dict[str, Any] = {}
    seen = False
    for worker in workers:
        mcp = worker.get("mcp")
        if not mcp:
            continue
        seen = True
        absorb(total, mcp["counts"])
        sessions.update(mcp["readings"]["sessions_open"])
        for name, health in mcp["readings"]["servers"].items():
            known = servers.get(name)
            if known is None or (known["state"] == "unknown" and health["state"] != "unknown"):
                servers[name] = health
    if not seen:
        return None
    return total, {"servers": servers, "sessions_open": dict(sessions)}


def _mcp_series(workers: list[dict[str, Any]]) -> str:
    """The MCP series of every worker (see `merged_mcp`)."""
    merged = merged_mcp(workers)
    if merged is None:
        return ""
    total, read = merged
    return total.render_counts() + render_readings(read)
