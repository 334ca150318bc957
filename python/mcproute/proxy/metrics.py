"""Metrics in the Prometheus text format, named after the OpenTelemetry GenAI conventions.

- `gen_ai_client_operation_duration_seconds` (histogram): model calls by operation, provider
  (`gen_ai_provider_name`, of the last attempt's deployment), model and
  `error_type` when they failed;
- `gen_ai_server_time_to_first_token_seconds` (histogram): streams;
- `gen_ai_client_token_usage` (histogram): tokens per call, `gen_ai_token_type` input/output;
- `mcproute_spend_usd_total` (counter): the cost of calls at their configured or default
  price, by requested `model` and the key's `tenant` (never a key);
- `mcproute_overhead_seconds` (histogram): time spent in the gateway (the request's time minus
  the time it waited on upstreams; for streams, up to the first byte);
- `http_server_request_duration_seconds` and `mcproute_requests_total`: every route;
- `mcproute_stream_endings_total`: started streams by model and how they ended (`reason`:
  `completed`, `client_disconnected`, `idle_timeout`, `total_timeout`, `upstream_cut`,
  `upstream_error`, `shutdown`);
- per deployment: up, in flight, successes, failures, ejections, 429s, latency EWMA; retries by
  group and fallbacks by (from, to) from the Router.

Labels come from the route table and the configuration (models are counted once the registry
knew them), never from free request input, so the series stay bounded. The numbers are this
worker's; `/metrics` and the dashboard sum every worker's (see `merged_metrics` and
`worker_snapshots`).
"""

from __future__ import annotations

import bisect
import functools
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from aiohttp import web

from mcproute.models import served
from mcproute.proxy.current_request import note_tokens

ROUTES = frozenset(
    {
        "/v1/chat/completions",
        "/v1/messages",
        "/v1/messages/count_tokens",
        "/v1/completions",
        "/v1/embeddings",
        "/v1/models",
        "/v1/contexts",
        "/mcp",
        "/metrics",
        "/dashboard/data",
    }
)
# The OpenTelemetry GenAI semantic conventions' recommended boundaries.
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92)  # fmt: skip
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
                7.5, 10.0)  # fmt: skip
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                 16777216, 67108864)  # fmt: skip
# The gateway's own time is sub-millisecond when all is well: finer boundaries down there.
OVERHEAD_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                    0.1, 0.25)  # fmt: skip
HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0)  # fmt: skip

Labels = tuple[tuple[str, str], ...]
# Token type -> its field in an OpenAI- or Anthropic-shaped `usage` object.
TOKEN_KEYS = (
    ("input", ("prompt_tokens", "input_tokens")),
    ("output", ("completion_tokens", "output_tokens")),
)
INF = 'le="+Inf"'
_ROUTE_LABELS: dict[str, Labels] = {}  # not on `Metrics`: its dicts are its counter tables


def route_label(path: str) -> str:
    if path in ROUTES:
        return path
    if path.startswith("/v1/contexts/"):
        return "/v1/contexts/{id}"
    if path.startswith("/v1/models/"):
        return "/v1/models/{id}"
    if path.startswith("/admin/"):
        return "/admin"
    return "other"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class RouterReadings(Protocol):
    """What the deployment metrics read: a `Router`, or the readings of several merged."""

    @property
    def retries(self) -> Mapping[str, int]: ...
    @property
    def fallbacks(self) -> Mapping[tuple[str, str], int]: ...
    def stats(self) -> dict[str, dict[str, dict[str, object]]]: ...


FOLD_AT = 1024  # observations kept as they came before they are folded into the series


class Histogram:
    """Cumulative-bucket histogram per label set. An observation is appended as it came and
    folded into its series (a bisect and two adds) in batches: when `FOLD_AT` are waiting,
    or when the series are read (a scrape, the dashboard's snapshot), so a request pays one
    append per observation."""

    def __init__(self, name: str, help_text: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.help = help_text
        self.buckets = tuple(buckets)
        self._series: dict[Labels, list[float]] = {}  # counts per bucket + [+Inf, sum]
        self._pending: list[tuple[Labels, float]] = []

    def observe(self, labels: Labels, value: float) -> None:
        pending = self._pending
        pending.append((labels, value))
        if len(pending) >= FOLD_AT:
            self._fold()

    @property
    def series(self) -> dict[Labels, list[float]]:
        """Counts per bucket, then +Inf and the sum, per label set (every observation in)."""
        if self._pending:
            self._fold()
        return self._series

    def _fold(self) -> None:
        pending, self._pending = self._pending, []
        all_series, buckets, size = self._series, self.buckets, len(self.buckets) + 2
        where = bisect.bisect_left
        for labels, value in pending:
            series = all_series.get(labels)
            if series is None:
                series = all_series[labels] = [0.0] * size
            series[where(buckets, value)] += 1
            series[-1] += value

    def render(self, out: list[str]) -> None:
        out.append(f"# HELP {self.name} {self.help}")
        out.append(f"# TYPE {self.name} histogram")
        for labels, series in sorted(self.series.items()):
            running = 0.0
            for bound, n in zip(self.buckets, series, strict=False):
                running += n
                le = f'le="{bound:g}"'
                out.append(f"{self.name}_bucket{_labels(labels, le)} {running:g}")
            running += series[len(self.buckets)]
            out.append(f"{self.name}_bucket{_labels(labels, INF)} {running:g}")
            out.append(f"{self.name}_sum{_labels(labels)} {series[-1]:.6f}")
            out.append(f"{self.name}_count{_labels(labels)} {running:g}")

    def merged(self, keep: Any = None) -> list[float]:
        """Counts summed over the label sets `keep(labels)` accepts (all by default)."""
        total = [0.0] * (len(self.buckets) + 2)
        for labels, series in self.series.items():
            if keep is None or keep(labels):
                for i, n in enumerate(series):
                    total[i] += n
        return total

    def quantile(self, q: float, keep: Any = None) -> float | None:
        """Estimated by linear interpolation inside the bucket, as Prometheus does."""
        return bucket_quantile(self.buckets, self.merged(keep)[:-1], q)


def bucket_quantile(bounds: Sequence[float], counts: Sequence[float], q: float) -> float | None:
    """The `q` quantile of bucket `counts` (one per bound, then +Inf), interpolated linearly
    inside its bucket as Prometheus does; None when there are no observations."""
    count = sum(counts)
    if count == 0:
        return None
    rank = q * count
    running = 0.0
    lower = 0.0
    for bound, n in zip(bounds, counts, strict=False):
        if running + n >= rank and n > 0:
            return lower + (bound - lower) * (rank - running) / n
        running += n
        lower = bound
    return bounds[-1]  # in the +Inf bucket: the largest finite bound


class Metrics:
    """This worker's counters and histograms."""

    def __init__(self) -> None:
        self.started = time.time()
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.stream_endings: dict[tuple[str, str], int] = defaultdict(int)
        self.spend_nusd: dict[tuple[str, str], int] = defaultdict(int)  # (model, tenant)
        self.http = Histogram(
            "http_server_request_duration_seconds", "Duration of HTTP requests.", HTTP_BUCKETS
        )
        self.operation = Histogram(
            "gen_ai_client_operation_duration_seconds",
            "GenAI operation duration.",
            DURATION_BUCKETS,
        )
        self.ttft = Histogram(
            "gen_ai_server_time_to_first_token_seconds",
            "Time to generate the first token, for streams.",
            TTFT_BUCKETS,
        )
        self.tokens = Histogram(
            "gen_ai_client_token_usage", "Number of input and output tokens used.", TOKEN_BUCKETS
        )
        self.overhead = Histogram(
            "mcproute_overhead_seconds",
            "Time spent in the gateway itself: request time minus upstream wait.",
            OVERHEAD_BUCKETS,
        )

    # --- recording -----------------------------------------------------------------------

    def request_done(
        self, route: str, status: int, seconds: float, overhead: float | None = None
    ) -> None:
        """A request's end; `overhead` for the model routes (see `observe`)."""
        self.requests[(route, status)] += 1
        labels = _ROUTE_LABELS.get(route)
        if labels is None:  # route labels are bounded (`route_label`): built once each
            labels = _ROUTE_LABELS[route] = (("http_route", route),)
        self.http.observe(labels, seconds)
        if overhead is not None:
            self.overhead.observe(labels, overhead)

    def operation_done(
        self,
        operation: str,
        model: str,
        seconds: float,
        error_type: str | None = None,
        usage: Any = None,
    ) -> None:
        """A model call's end: its duration and, when given, the tokens of its `usage`
        object (`usage`), from one lookup of the labels."""
        label_sets = _gen_ai_labels(operation, model)
        labels = label_sets[0]
        if error_type is not None:
            labels += (("error_type", error_type),)
        self.operation.observe(labels, seconds)
        if usage is not None:
            self._tokens(label_sets, usage)

    def spent(self, model: str, tenant: str, nanodollars: int) -> None:
        self.spend_nusd[(model, tenant)] += nanodollars

    def stream_ended(self, model: str, reason: str) -> None:
        self.stream_endings[(model, reason)] += 1

    def first_token(self, operation: str, model: str, seconds: float) -> None:
        self.ttft.observe(_gen_ai_labels(operation, model)[0], seconds)

    def usage(self, operation: str, model: str, usage: Any) -> None:
        """Token counts from an OpenAI- or Anthropic-shaped `usage` object."""
        self._tokens(_gen_ai_labels(operation, model), usage)

    def _tokens(self, label_sets: tuple[Labels, Labels, Labels], usage: Any) -> None:
        if not isinstance(usage, dict):
            return
        _, input_labels, output_labels = label_sets
        counts = [0, 0]
        for i, labels in enumerate((input_labels, output_labels)):
            for key in TOKEN_KEYS[i][1]:
                value = usage.get(key)
                if isinstance(value, int):
                    counts[i] = value
                    self.tokens.observe(labels, value)
                    break
        note_tokens(*counts)

    # --- reading -------------------------------------------------------------------------

    def render(self, router: RouterReadings | None) -> str:
        out = [
            "# HELP mcproute_requests_total HTTP requests by route and status.",
            "# TYPE mcproute_requests_total counter",
        ]
        for (route, status), n in sorted(self.requests.items()):
            out.append(f'mcproute_requests_total{{route="{route}",status="{status}"}} {n}')
        out.append("# HELP mcproute_stream_endings_total Started streams by how they ended.")
        out.append("# TYPE mcproute_stream_endings_total counter")
        for (model, reason), n in sorted(self.stream_endings.items()):
            labels = f'model="{_escape(model)}",reason="{reason}"'
            out.append(f"mcproute_stream_endings_total{{{labels}}} {n}")
        out.append("# HELP mcproute_spend_usd_total Cost of model calls in US dollars.")
        out.append("# TYPE mcproute_spend_usd_total counter")
        for (model, tenant), nusd in sorted(self.spend_nusd.items()):
            labels = f'model="{_escape(model)}",tenant="{_escape(tenant)}"'
            out.append(f"mcproute_spend_usd_total{{{labels}}} {nusd / 1e9:.9f}")
        for histogram in (self.http, self.operation, self.ttft, self.tokens, self.overhead):
            histogram.render(out)
        if router is not None:
            self._render_router(router, out)
        return "\n".join(out) + "\n"

    @staticmethod
    def _render_router(router: RouterReadings, out: list[str]) -> None:
        fields = {
            "up": "gauge",
            "in_flight": "gauge",
            "successes": "counter",
            "failures": "counter",
            "ejections": "counter",
            "rate_limited": "counter",
            "latency_ewma": "gauge",
        }
        stats = router.stats()
        for field, kind in fields.items():
            name = f"mcproute_deployment_{field}"
            out.append(f"# TYPE {name} {kind}")
            for group, deployments in stats.items():
                for deployment, values in deployments.items():
                    value = _deployment_value(values, field)
                    labels = f'group="{_escape(group)}",deployment="{_escape(deployment)}"'
                    out.append(f"{name}{{{labels}}} {value}")
        out.append("# TYPE mcproute_retries_total counter")
        for group, n in sorted(router.retries.items()):
            out.append(f'mcproute_retries_total{{group="{_escape(group)}"}} {n}')
        out.append("# TYPE mcproute_fallbacks_total counter")
        for (source, target), n in sorted(router.fallbacks.items()):
            labels = f'from_group="{_escape(source)}",to_group="{_escape(target)}"'
            out.append(f"mcproute_fallbacks_total{{{labels}}} {n}")


def _gen_ai_labels(operation: str, model: str) -> tuple[Labels, Labels, Labels]:
    """Operation, provider (of the request's last attempt: a configured provider, so bounded;
    "unknown" when no attempt was made) and requested model; then the same with each token
    type."""
    return _label_sets(operation, served.current() or "unknown", model)


@functools.lru_cache(maxsize=4096)  # bounded labels: built once each, not per request
def _label_sets(operation: str, provider: str, model: str) -> tuple[Labels, Labels, Labels]:
    labels = (
        ("gen_ai_operation_name", operation),
        ("gen_ai_provider_name", provider),
        ("gen_ai_request_model", model),
    )
    return (
        labels,
        (*labels, ("gen_ai_token_type", "input")),
        (*labels, ("gen_ai_token_type", "output")),
    )


def deployment_state(values: Mapping[str, object]) -> str:
    """ "up", "cooling down", or "ejected: failures" / "ejected: latency" (why it is out)."""
    if values.get("ejected"):
        return f"ejected: {values.get('ejected_reason') or 'failures'}"
    if values.get("cooling_down"):
        return "cooling down"
    return "up"


def _deployment_value(values: dict[str, object], field: str) -> float:
    if field == "up":
        return 0.0 if deployment_state(values) != "up" else 1.0
    return float(values[field])  # type: ignore[arg-type]


METRICS = web.AppKey("metrics", Metrics)
