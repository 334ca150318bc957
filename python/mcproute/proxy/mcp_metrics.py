"""MCP monitoring: the gateway's traffic per upstream server and tool, as Prometheus series
named after OpenTelemetry's MCP semantic conventions, and a JSON summary for dashboards.

- `mcp_server_operation_duration_seconds` (histogram): requests the gateway served, by
  `mcp_method_name` and, for failures, `error_type` (the JSON-RPC code);
- `mcp_client_operation_duration_seconds` (histogram): the gateway's requests to upstreams, by
  `upstream`, `mcp_method_name`, `gen_ai_tool_name` (tools/call) and `error_type` (the JSON-RPC
  code, or `tool_error` for a result with `isError`). Calls and errors by code are its counts;
- `mcp_notifications_relayed_total`: upstream notifications passed on to clients, by `upstream`
  and `mcp_method_name`;
- `mcp_sessions_open`: by `era`: `legacy` sessions held by this worker, `modern` open
  `subscriptions/listen` streams (2026-07-28 has no sessions);
- per upstream: `mcp_upstream_state` (1 for the current state: up, down, open, unknown),
  `mcp_upstream_tools`, `mcp_upstream_latency_seconds` (moving average), `mcp_upstream_failures`
  (in a row), `mcp_upstream_calls_in_flight`.

Labels are bounded: upstream names come from the configuration, tool names from the upstreams'
own listings (the gateway only forwards calls to listed tools), methods from those the gateway
serves, notifications from the protocol's own. The numbers are this worker's: the counts
(`server`, `client`, `notifications`; `render_counts`) are plain tables that several workers'
can be summed into, the gauges are one gateway's `readings` (`render_readings`), and
`summarize` builds the dashboard's JSON from both.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mcproute.proxy.mcp_mount import MCP_MOUNT
from mcproute.proxy.metrics import Histogram, Labels, _escape

if TYPE_CHECKING:
    from mcproute.protocol.gateway import Gateway

# OpenTelemetry's MCP semantic conventions' recommended boundaries.
MCP_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
NOTIFICATIONS = frozenset(
    {
        "notifications/message",
        "notifications/progress",
        "notifications/cancelled",
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/resources/updated",
        "notifications/elicitation/complete",
        "notifications/tasks/status",
        "notifications/tasks",
    }
)
STATES = ("up", "down", "open", "unknown")
# Each observation's labels by what they are made of, built once each (as the HTTP metrics'
# routes'); kept apart from `McpMetrics`, whose attributes are the tables workers sum.
_SERVER_LABELS: dict[tuple[str, str | None], Labels] = {}
_CLIENT_LABELS: dict[tuple[str, str, str | None, str | None], Labels] = {}
TOP_TOOLS = 10


class McpMetrics:
    """The gateway's observer (see `GatewayObserver`): this worker's MCP numbers."""

    def __init__(self) -> None:
        self.server = Histogram(
            "mcp_server_operation_duration_seconds",
            "Duration of MCP requests the gateway served.",
            MCP_BUCKETS,
        )
        self.client = Histogram(
            "mcp_client_operation_duration_seconds",
            "Duration of the gateway's MCP requests to upstream servers.",
            MCP_BUCKETS,
        )
        self.notifications: dict[tuple[str, str], int] = defaultdict(int)

    # --- recording (the gateway's hooks) -------------------------------------------------

    def server_operation(self, method: str, seconds: float, error: str | None) -> None:
        key = (method, error)
        labels = _SERVER_LABELS.get(key)
        if labels is None:  # bounded (see the module): built once each
            labels = (("mcp_method_name", method),)
            if error is not None:
                labels += (("error_type", error),)
            _SERVER_LABELS[key] = labels
        self.server.observe(labels, seconds)

    def upstream_operation(
        self, upstream: str, method: str, tool: str | None, seconds: float, error: str | None
    ) -> None:
        key = (upstream, method, tool, error)
        labels = _CLIENT_LABELS.get(key)
        if labels is None:  # bounded (see the module): built once each
            labels = (("upstream", upstream), ("mcp_method_name", method))
            if tool is not None:
                labels += (("gen_ai_tool_name", tool),)
            if error is not None:
                labels += (("error_type", error),)
            _CLIENT_LABELS[key] = labels
        self.client.observe(labels, seconds)

    def notification_relayed(self, upstream: str, method: str) -> None:
        self.notifications[(upstream, method if method in NOTIFICATIONS else "other")] += 1

    # --- reading -------------------------------------------------------------------------

    def render(self, gateway: Gateway | None) -> str:
        """This worker's series and its gateway's readings (None: not built yet)."""
        return self.render_counts() + render_readings(readings(gateway))

    def render_counts(self) -> str:
        """The histograms and counters: plain data in `server`, `client` and `notifications`,
        so several workers' can be summed into one `McpMetrics` before rendering."""
        out: list[str] = []
        self.server.render(out)
        self.client.render(out)
        out.append("# HELP mcp_notifications_relayed_total Upstream notifications relayed.")
        out.append("# TYPE mcp_notifications_relayed_total counter")
        for (upstream, method), n in sorted(self.notifications.items()):
            labels = f'upstream="{_escape(upstream)}",mcp_method_name="{method}"'
            out.append(f"mcp_notifications_relayed_total{{{labels}}} {n}")
        return "\n".join(out) + "\n"

    def summary(self, gateway: Gateway | None) -> dict[str, Any]:
        """What an MCP dashboard panel shows, as JSON (see `summarize`)."""
        return self.summarize(readings(gateway))

    def summarize(self, read: dict[str, Any]) -> dict[str, Any]:
        """The servers with their state, the top tools by calls and by p95 latency, the error
        rate of upstream operations: from these counts and a gateway's `readings`."""
        tools: set[tuple[str, str]] = set()
        calls: dict[tuple[str, str], float] = defaultdict(float)
        errors: dict[tuple[str, str], float] = defaultdict(float)
        total = failed = 0.0
        for labels, series in self.client.series.items():
            found = dict(labels)
            count = sum(series[:-1])
            total += count
            if "error_type" in found:
                failed += count
            if "gen_ai_tool_name" not in found:
                continue
            key = (found["upstream"], found["gen_ai_tool_name"])
            tools.add(key)
            calls[key] += count
            if "error_type" in found:
                errors[key] += count

        def p95(key: tuple[str, str]) -> float | None:
            value = self.client.quantile(
                0.95,
                lambda labels: (
                    (dict(labels).get("upstream"), dict(labels).get("gen_ai_tool_name")) == key
                ),
            )
            return None if value is None else round(value * 1000, 3)

        stats = [(key, int(calls[key]), int(errors[key]), p95(key)) for key in tools]
        by_calls = sorted(stats, key=lambda row: -row[1])[:TOP_TOOLS]
        by_p95 = sorted(stats, key=lambda row: -(row[3] or 0.0))[:TOP_TOOLS]

        def rows(chosen: list[Any]) -> list[dict[str, Any]]:
            return [
                {"server": key[0], "tool": key[1], "calls": n, "errors": e, "p95_ms": ms}
                for key, n, e, ms in chosen
            ]

        return {
            "servers": [{"name": name, **values} for name, values in read["servers"].items()],
            "top_tools_by_calls": rows(by_calls),
            "top_tools_by_p95": rows(by_p95),
            "operations": int(total),
            "error_rate": round(failed / total, 4) if total else 0.0,
            "sessions_open": read["sessions_open"],
            "notifications_relayed": sum(self.notifications.values()),
        }


def readings(gateway: Gateway | None) -> dict[str, Any]:
    """A gateway's live readings as plain data: every upstream's health, the open sessions.
    A gateway not built yet (`mcp_mount`) has neither."""
    if gateway is None:
        return {"servers": {}, "sessions_open": {"legacy": 0, "modern": 0}}
    return {"servers": gateway.upstream_health(), "sessions_open": sessions_open(gateway)}


def render_readings(read: dict[str, Any]) -> str:
    """The gauges of one gateway's `readings`."""
    out = ["# HELP mcp_sessions_open Open legacy sessions; open 2026-07-28 listen streams."]
    out.append("# TYPE mcp_sessions_open gauge")
    for era, n in read["sessions_open"].items():
        out.append(f'mcp_sessions_open{{era="{era}"}} {n}')
    health = read["servers"]
    out.append("# HELP mcp_upstream_state 1 for the upstream's current state.")
    out.append("# TYPE mcp_upstream_state gauge")
    for name, values in sorted(health.items()):
        for state in STATES:
            n = 1 if values["state"] == state else 0
            out.append(f'mcp_upstream_state{{upstream="{_escape(name)}",state="{state}"}} {n}')
    gauges = {
        "mcp_upstream_tools": ("Tools the upstream last listed.", "tools", 1),
        "mcp_upstream_latency_seconds": ("Moving average latency.", "latency_ms", 0.001),
        "mcp_upstream_failures": ("Failures in a row.", "consecutive_failures", 1),
        "mcp_upstream_calls_in_flight": ("Calls in flight.", "calls_in_flight", 1),
    }
    for metric, (help_text, key, scale) in gauges.items():
        out.append(f"# HELP {metric} {help_text}")
        out.append(f"# TYPE {metric} gauge")
        for name, values in sorted(health.items()):
            if values[key] is not None:
                out.append(f'{metric}{{upstream="{_escape(name)}"}} {values[key] * scale:g}')
    return "\n".join(out) + "\n"


def sessions_open(gateway: Gateway) -> dict[str, int]:
    return {"legacy": len(gateway.sessions), "modern": len(gateway.listeners)}


MCP_METRICS = web.AppKey("mcp_metrics", McpMetrics)


def summary(app: web.Application) -> dict[str, Any]:
    """The MCP panel's data for the proxy `app` (a dashboard panel calls this)."""
    return app[MCP_METRICS].summary(app[MCP_MOUNT].gateway)


async def admin_mcp(request: web.Request) -> web.Response:
    """`GET /admin/mcp`: every upstream's state, last error (redacted), tools, latency, and the
    open sessions."""
    return web.json_response(readings(request.app[MCP_MOUNT].gateway))
