"""The dashboard's panels: each is one provider function over the merged worker snapshots.

`/dashboard/data` answers `{"panels": {name: provider(view)}}` for the panels asked for, and
the page renders each into its `<section data-panel="name">` block. A new panel (the MCP
servers, the spend view) is one `@panel("name")` function here and one template block in
`dashboard.html`; a block of kind `table` needs no script of its own.

A worker's snapshot (`worker_snapshot`) is its `History` plus its deployments' health as
the Router reports it (the same reading `/admin/models` shows). `merge` builds the `View`
the providers read; it runs in a thread, away from the event loop.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from mcproute.proxy.history import LOG_FIELDS, SECOND_FIELDS, History
from mcproute.proxy.mcp_metrics import McpMetrics, readings
from mcproute.proxy.merged_metrics import merge_health, merged_mcp, metrics_state
from mcproute.proxy.metrics import HTTP_BUCKETS, Metrics, bucket_quantile
from mcproute.routing import Router

if TYPE_CHECKING:
    from mcproute.protocol.gateway import Gateway

RANGES = (300, 3600)  # the page's 5 min / 1 h
RECENT_S = 120  # a deployment's state is judged on the last two minutes of attempts
FAILING_BELOW = 0.5  # success rate under which a deployment with enough attempts is failing
MIN_ATTEMPTS = 5
TOP_ERRORS = 20
Provider = Callable[["View"], Any]
PANELS: dict[str, Provider] = {}


def panel(name: str) -> Callable[[Provider], Provider]:
    def register(provider: Provider) -> Provider:
        PANELS[name] = provider
        return provider

    return register


def worker_snapshot(
    history: History,
    metrics: Metrics | None,
    router: Router | None,
    now: float,
    mcp: tuple[McpMetrics, Gateway | None] | None = None,
) -> bytes:
    return orjson.dumps(
        {
            "time": now,
            "mcp": {"counts": metrics_state(mcp[0]), "readings": readings(mcp[1])} if mcp else None,
            "history": history.encodable(now),
            "metrics": metrics_state(metrics or Metrics()),
            "health": router.stats() if router is not None else {},
            "retries": dict(router.retries) if router is not None else {},
            "fallbacks": [[a, b, n] for (a, b), n in router.fallbacks.items()] if router else [],
        }
    )


@dataclass
class View:
    """Every fresh worker's snapshot, over the last `range_s` seconds up to `now`."""

    now: float
    range_s: int
    workers: list[dict[str, Any]]
    key_names: Mapping[str, str] = field(default_factory=dict)
    spend: dict[str, Any] | None = None  # the ledger's spend view (`proxy.spend.SpendView`)

    @property
    def first_second(self) -> int:
        return int(self.now) - self.range_s + 1

    @functools.cached_property
    def _seconds(self) -> dict[int, list[int]]:
        merged: dict[int, list[int]] = {}
        first = self.first_second
        for worker in self.workers:
            for row in worker["history"]["seconds"]:
                if row[0] < first:
                    continue
                found = merged.get(row[0])
                if found is None:
                    merged[row[0]] = list(row)
                else:
                    for i in range(1, len(row)):
                        found[i] += row[i]
        return merged

    def seconds(self) -> dict[int, list[int]]:
        """Every worker's per-second rows in the range, summed (computed once per view)."""
        return self._seconds

    def minutes(self, range_s: int | None = None) -> Iterable[dict[str, Any]]:
        """Minute slots that overlap the range (a minute counts whole)."""
        oldest = int((self.now - (range_s or self.range_s)) // 60) + 1
        for worker in self.workers:
            for minute in worker["history"]["minutes"]:
                if minute["minute"] >= oldest:
                    yield minute


def merge(snapshots: Iterable[bytes], now: float, range_s: int) -> View:
    workers = [orjson.loads(s) for s in snapshots]
    names = {k: v for w in workers for k, v in w["history"]["key_names"].items()}
    return View(now, range_s, workers, names)


def _latency(counts: Sequence[float], q: float) -> float | None:
    value = bucket_quantile(HTTP_BUCKETS, counts, q)
    return None if value is None else round(value * 1000, 2)


# ----------------------------------------------------------------------------- panels


@panel("summary")
def summary(view: View) -> dict[str, Any]:
    rows = list(view.seconds().values())
    totals = [sum(r[i] for r in rows) for i in range(1, SECOND_FIELDS)]
    buckets = [
        sum(r[i] for r in rows) for i in range(SECOND_FIELDS, SECOND_FIELDS + len(HTTP_BUCKETS) + 1)
    ]
    requests, client_errors, server_errors, tokens_in, tokens_out = totals
    return {
        "workers": len(view.workers),
        "range_s": view.range_s,
        "requests": requests,
        "requests_per_s": round(requests / view.range_s, 2),
        "errors": client_errors + server_errors,
        "errors_4xx": client_errors,
        "errors_5xx": server_errors,
        "error_rate": round((client_errors + server_errors) / requests, 4) if requests else None,
        "latency_ms": {f"p{q}": _latency(buckets, q / 100) for q in (50, 95, 99)},
        "tokens": {"input": tokens_in, "output": tokens_out},
        "retries": sum(n for w in view.workers for n in w["retries"].values()),
        "fallbacks": sum(n for w in view.workers for *_, n in w["fallbacks"]),
    }


@panel("history")
def history(view: View) -> dict[str, Any]:
    """One value per second of the range, oldest first; latency is null in idle seconds."""
    merged = view.seconds()
    first = view.first_second
    series: dict[str, list[Any]] = {
        k: [] for k in ("requests", "errors", "p50", "p95", "p99", "tokens")
    }
    for second in range(first, first + view.range_s):
        row = merged.get(second)
        if row is None:
            for name in ("requests", "errors", "tokens"):
                series[name].append(0)
            for name in ("p50", "p95", "p99"):
                series[name].append(None)
            continue
        series["requests"].append(row[1])
        series["errors"].append(row[2] + row[3])
        series["tokens"].append(row[4] + row[5])
        buckets = row[SECOND_FIELDS:]
        for q in (50, 95, 99):
            series[f"p{q}"].append(_latency(buckets, q / 100))
    units = {"requests": "req/s", "errors": "req/s", "tokens": "tokens/s"}
    units.update({f"p{q}": "ms" for q in (50, 95, 99)})
    return {"start": first, "step_s": 1, "units": units, "series": series}


@panel("breakdowns")
def breakdowns(view: View) -> dict[str, list[dict[str, Any]]]:
    merged: dict[tuple[str, str], list[float]] = {}
    for minute in view.minutes():
        for dimension, value, *row in minute["breakdown"]:
            found = merged.setdefault((dimension, value), [0.0] * len(row))
            for i, n in enumerate(row):
                found[i] += n
    out: dict[str, list[dict[str, Any]]] = {"model": [], "key": [], "route": [], "status": []}
    for (dimension, value), (requests, errors, tokens_in, tokens_out, latency_sum) in sorted(
        merged.items(), key=lambda item: -item[1][0]
    ):
        entry: dict[str, Any] = {"name": value}
        if dimension == "key":
            entry = {"name": value, "key_name": view.key_names.get(value)}
        entry.update(
            requests=int(requests),
            errors=int(errors),
            error_rate=round(errors / requests, 4) if requests else None,
            tokens_in=int(tokens_in),
            tokens_out=int(tokens_out),
            latency_avg_ms=round(latency_sum / requests, 2) if requests else None,
        )
        out.setdefault(dimension, []).append(entry)
    return out


@panel("errors")
def errors(view: View) -> list[dict[str, Any]]:
    merged: dict[tuple[int, str, str, str], list[float]] = {}
    for minute in view.minutes():
        for status, route, model, message, count, last in minute["errors"]:
            found = merged.setdefault((status, route, model, message), [0.0, 0.0])
            found[0] += count
            found[1] = max(found[1], last)
    top = heapq.nlargest(TOP_ERRORS, merged.items(), key=lambda item: (item[1][0], item[1][1]))
    return [
        {"status": s, "route": r, "model": m or None, "message": msg, "count": int(n), "last": t}
        for (s, r, m, msg), (n, t) in top
    ]


def deployment_health(values: Mapping[str, Any], recent: Sequence[float]) -> dict[str, Any]:
    """A deployment's state as the dashboard shows it, from the Router's health reading (as
    `/admin/models` reports it, merged over the workers) and its recent attempts
    ([attempts, successes, failures, 401/403s, 429s, ...]).

    `ejected` (with the balancer's reason, when it gives one), `cooling down (429)`,
    `failing` when fewer than half of at least `MIN_ATTEMPTS` recent attempts succeeded
    (a deployment the balancer may not eject, such as the last one of its group, still shows
    it), else `up`."""
    _, successes, failures, auth, rate_limited = recent[:5]
    judged = successes + failures + auth + rate_limited
    rate = successes / judged if judged else None
    reason = values.get("ejected_reason") or values.get("reason")
    if values.get("ejected"):
        state = "ejected"
    elif values.get("cooling_down"):
        state, reason = "cooling down (429)", reason or "rate limited by the upstream"
    elif rate is not None and judged >= MIN_ATTEMPTS and rate < FAILING_BELOW:
        state = "failing"
        reason = reason or f"{successes:.0f} of {judged:.0f} recent attempts succeeded"
    else:
        state = "up"
    return {"state": state, "reason": reason, "recent_success_rate": rate}


@panel("deployments")
def deployments(view: View) -> list[dict[str, Any]]:
    recent: dict[tuple[str, str], list[float]] = {}
    for minute in view.minutes(RECENT_S):
        for group, name, *row in minute["deployments"]:
            found = recent.setdefault((group, name), [0.0] * len(row))
            for i, n in enumerate(row):
                found[i] += n
    out = []
    for (group, name), values in sorted(merge_health(view.workers).items()):
        row = recent.get((group, name), [0.0] * 6)
        out.append(
            {
                "group": group,
                "deployment": name,
                **deployment_health(values, row),
                "ejected_in": f"{values['ejected_in']} of {values['workers']} workers"
                if values["ejected_in"]
                else None,
                "in_flight": values.get("in_flight", 0),
                "successes": values.get("successes", 0),
                "failures": values.get("failures", 0),
                "rate_limited": values.get("rate_limited", 0),
                "recent": {
                    "attempts": int(row[0]),
                    "successes": int(row[1]),
                    "failures": int(row[2]),
                    "auth_errors": int(row[3]),
                    "rate_limited": int(row[4]),
                },
                "latency_ewma_ms": round(float(values.get("latency_ewma", 0.0)) * 1000, 2),
            }
        )
    return out


@panel("spend")
def spend(view: View) -> dict[str, Any]:
    """Today, this week and this month by key, tenant and model, from the spend ledger (all
    replicas on the same database), with each key's budget used and left."""
    found = view.spend or {"available": False, "by_key": [], "by_tenant": [], "by_model": []}
    keys = [{**entry, "key_name": view.key_names.get(entry["name"])} for entry in found["by_key"]]
    return {**found, "by_key": keys}  # the view is shared by answers: never changed in place


@panel("mcp")
def mcp(view: View) -> dict[str, Any]:
    """The MCP gateway's upstream servers with their state, its top tools by calls and by p95
    latency, and the error rate of upstream operations, over every worker (`McpMetrics`
    summarizes; empty lists where no worker runs a gateway)."""
    merged = merged_mcp(view.workers)
    total, read = merged or (McpMetrics(), {"servers": {}, "sessions_open": {}})
    out = total.summarize(read)
    out["error_rate_pct"] = round(out["error_rate"] * 100, 2)
    return out


# ----------------------------------------------------------------------------- request log


@dataclass(frozen=True)
class LogFilter:
    key: str | None = None
    model: str | None = None
    status: str | None = None  # "200", "4xx", "5xx" or "error" (any 4xx or 5xx)
    limit: int = 200

    def keeps(self, entry: Mapping[str, Any]) -> bool:
        if self.key is not None and entry["key_id"] != self.key:
            return False
        if self.model is not None and entry["model"] != self.model:
            return False
        status = int(entry["status"])
        if self.status is None:
            return True
        if self.status == "error":
            return status >= 400
        if self.status.endswith("xx"):
            return str(status)[0] == self.status[0]
        return str(status) == self.status


def request_log(view: View, wanted: LogFilter) -> list[dict[str, Any]]:
    """The newest requests of every worker first, filtered."""
    rows = (
        dict(zip(LOG_FIELDS, row, strict=True)) for w in view.workers for row in w["history"]["log"]
    )
    kept = [entry for entry in rows if wanted.keeps(entry)]
    kept.sort(key=lambda entry: -entry["time"])
    for entry in kept[: wanted.limit]:
        if entry["key_id"] is not None:
            entry["key_name"] = view.key_names.get(entry["key_id"])
    return kept[: wanted.limit]
