"""Spend reports from the ledger, for `GET /admin/spend` and `mcproute spend report`: billed calls
summed by key, tenant, model or UTC day over a window, and the dashboard's spend view.

Times are unix seconds, ISO 8601 dates (``2026-12-01``: `from` is that day's start, `to` its
end, so ``from=D&to=D`` is the day D) or date-times with a zone (``2026-12-01T10:00:00Z``),
all UTC. `from` is inclusive, `to` exclusive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from mcproute.governance.prices import nusd_to_usd
from mcproute.store.spend import GROUPS, SpendStore

DAY_S = 86_400


class ReportError(ValueError):
    """A bad report parameter; `param` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.reason = message


def parse_time(text: str, param: str, *, end_of_day: bool = False) -> float:
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else _iso(text, end_of_day)
    except ValueError:
        raise ReportError(
            param,
            "expected unix seconds, a date (YYYY-MM-DD) or a date-time with a zone"
            " (2026-12-01T10:00:00Z)",
        ) from None


def _iso(text: str, end_of_day: bool) -> float:
    if len(text) == 10:  # a date
        day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
        return day.timestamp() + (DAY_S if end_of_day else 0)
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no zone")
    return moment.timestamp()


def parse_query(query: Mapping[str, str]) -> tuple[str, float | None, float | None]:
    """(group_by, from, to) from a report's parameters; raises `ReportError`."""
    unknown = sorted(set(query) - {"group_by", "from", "to"})
    if unknown:
        raise ReportError(unknown[0], "unknown parameter (expected group_by, from, to)")
    group_by = query.get("group_by", "model")
    if group_by not in GROUPS:
        raise ReportError("group_by", f"expected one of {', '.join(GROUPS)}, got {group_by!r}")
    start = parse_time(query["from"], "from") if query.get("from") else None
    end = parse_time(query["to"], "to", end_of_day=True) if query.get("to") else None
    if start is not None and end is not None and end <= start:
        raise ReportError("to", "must be after from")
    return group_by, start, end


def spend_report(
    store: SpendStore, group_by: str, start: float | None, end: float | None
) -> dict[str, Any]:
    """The report's JSON (blocking: run it on the ledger's thread)."""
    groups = store.report(group_by, start, end)
    for entry in groups:
        entry["cost_usd"] = nusd_to_usd(entry["cost_nusd"])
    total = sum(entry["cost_nusd"] for entry in groups)
    return {
        "object": "spend_report",
        "group_by": group_by,
        "from": start,
        "to": end,
        "groups": groups,
        "total": {
            "calls": sum(entry["calls"] for entry in groups),
            "input_tokens": sum(entry["input_tokens"] for entry in groups),
            "output_tokens": sum(entry["output_tokens"] for entry in groups),
            "cost_nusd": total,
            "cost_usd": nusd_to_usd(total),
        },
    }


def format_table(report: Mapping[str, Any]) -> str:
    """The report as a text table, dearest first."""
    name = report["group_by"]
    lines = [f"{name:<32} {'calls':>8} {'input':>12} {'output':>12} {'cost (USD)':>14}"]
    for entry in [*report["groups"], {name: "total", **report["total"]}]:
        label = "-" if entry[name] is None else str(entry[name])
        lines.append(
            f"{label[:32]:<32} {entry['calls']:>8} {entry['input_tokens']:>12}"
            f" {entry['output_tokens']:>12} {entry['cost_usd']:>14.6f}"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- dashboard

PERIODS = ("day", "week", "month")  # calendar periods in UTC: today, since Monday, this month


def period_starts(now: float) -> dict[str, float]:
    """Where each calendar period began (UTC), and "total" (the epoch)."""
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    today = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "day": today.timestamp(),
        "week": (today - dt.timedelta(days=today.weekday())).timestamp(),
        "month": today.replace(day=1).timestamp(),
        "total": 0.0,
    }


def _day(start: float) -> str:
    return dt.datetime.fromtimestamp(start, dt.UTC).strftime("%Y-%m-%d")


def dashboard_spend(
    rows: list[tuple[Any, ...]],
    all_time: Mapping[str, int],
    budgets: Mapping[str, tuple[float, str, float | None]],
    now: float,
) -> dict[str, list[dict[str, Any]]]:
    """The spend view: by key, tenant and model, what today, this week and this month cost.
    `rows` are `SpendStore.by_key_tenant_model_day` since the earliest period's start;
    `all_time` each key's whole spend (nanodollars); `budgets` the keys that have one:
    (USD, period, USD used as the limits count it, or None to count it here)."""
    starts = {name: _day(start) for name, start in period_starts(now).items() if name in PERIODS}
    tables: dict[str, dict[Any, dict[str, Any]]] = {"key": {}, "tenant": {}, "model": {}}
    for key_id, tenant, model, day, calls, cost, tokens in rows:
        for dimension, name in (("key", key_id), ("tenant", tenant), ("model", model)):
            entry = tables[dimension].setdefault(
                name, {"name": name, "calls": 0, "tokens": 0, **{p: 0 for p in PERIODS}}
            )
            for period, first in starts.items():
                if str(day) >= first:
                    entry[period] += int(cost)
            if str(day) >= starts["month"]:
                entry["calls"] += int(calls)
                entry["tokens"] += int(tokens)
    out: dict[str, list[dict[str, Any]]] = {}
    for dimension, entries in tables.items():
        listed = []
        for entry in entries.values():
            shown = {
                "name": entry["name"],
                "calls": entry["calls"],
                "tokens": entry["tokens"],
                **{f"{p}_usd": nusd_to_usd(entry[p]) for p in PERIODS},
            }
            if dimension == "key":
                shown |= _budget(entry, budgets.get(entry["name"]), all_time)
            listed.append(shown)
        listed.sort(key=lambda e: (-e["month_usd"], str(e["name"])))
        out[f"by_{dimension}"] = listed
    return out


def _budget(
    entry: Mapping[str, Any],
    budget: tuple[float, str, float | None] | None,
    all_time: Mapping[str, int],
) -> dict[str, Any]:
    if budget is None:
        return {"budget_usd": None, "budget_period": None, "budget_used_usd": None,
                "budget_left_usd": None}  # fmt: skip
    limit, period, used = budget
    if used is None:
        spent = all_time.get(entry["name"], 0) if period == "total" else entry.get(period, 0)
        used = nusd_to_usd(spent)
    return {
        "budget_usd": limit,
        "budget_period": period,
        "budget_used_usd": used,
        "budget_left_usd": max(limit - used, 0.0),
    }
