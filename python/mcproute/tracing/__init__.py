"""OpenTelemetry traces: off unless configured, and then no cost beyond a branch.

`start` turns tracing on in this process (each `serve` worker calls it after the fork, since
the exporter's thread does not survive one) when the ``mcp.tracing`` block or the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` variables name a
collector; `shutdown` flushes what is buffered. The hooks the rest of the code calls check
`ACTIVE` (a module attribute, read as ``tracing.ACTIVE``) first; the span logic itself lives
in `mcproute.tracing.spans`, which imports the OpenTelemetry SDK and is only loaded when on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcproute.secret import Secret

if TYPE_CHECKING:
    from aiohttp.typedefs import Middleware

ACTIVE = False  # true between `start` (with a collector configured) and `shutdown`

ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_NULL = contextlib.nullcontext()


@dataclass(frozen=True)
class TracingSettings:
    """The ``mcp.tracing`` block. What it leaves unset comes from the ``OTEL_*`` variables."""

    enabled: bool = True  # false: no traces even when OTEL_EXPORTER_OTLP_ENDPOINT is set
    endpoint: str | None = None  # OTLP/HTTP collector base URL ("/v1/traces" is appended)
    service_name: str | None = None
    sample_ratio: float | None = None  # of new traces; a caller's sampled flag is followed
    headers: Mapping[str, Secret] = field(default_factory=dict, repr=False)

    def wanted(self, environ: Mapping[str, str]) -> bool:
        """Whether these settings and the environment ask for traces."""
        if not self.enabled or environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
            return False
        if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
            return False
        return self.endpoint is not None or any(environ.get(name) for name in ENDPOINT_VARS)


class TracingUnavailable(RuntimeError):
    """Tracing is configured but the OpenTelemetry packages are not installed."""


def check(settings: TracingSettings, environ: Mapping[str, str] | None = None) -> None:
    """Raise `TracingUnavailable` if tracing is asked for but cannot run (before a fork)."""
    if settings.wanted(os.environ if environ is None else environ):
        _spans()


def _spans() -> Any:
    try:
        from mcproute.tracing import spans
    except ImportError as exc:
        raise TracingUnavailable(
            "tracing is configured (mcp.tracing or OTEL_EXPORTER_OTLP_ENDPOINT) but the"
            " OpenTelemetry packages are missing: pip install 'mcproute[tracing]'"
            f" (no module {exc.name!r})"
        ) from None
    return spans


def start(settings: TracingSettings, environ: Mapping[str, str] | None = None) -> bool:
    """Turn tracing on in this process if `settings` and the environment ask for it."""
    global ACTIVE
    env = os.environ if environ is None else environ
    if ACTIVE or not settings.wanted(env):
        return ACTIVE
    _spans().install(settings, env)
    ACTIVE = True
    return True


def shutdown() -> None:
    """Export what is buffered and stop (blocking: run it off the event loop)."""
    global ACTIVE
    if not ACTIVE:
        return
    ACTIVE = False
    from mcproute.tracing import spans

    spans.uninstall()


# --- hooks (each is called only when ACTIVE, or checks it first) ------------------------------


def middlewares() -> list[Middleware]:
    """The server-span middleware when tracing is on; none at all when off."""
    if not ACTIVE:
        return []
    from mcproute.tracing import spans

    return [spans.server_middleware()]


def with_trace_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """`headers` plus `traceparent`/`tracestate` of the current span (a copy; only when on)."""
    from mcproute.tracing import spans

    out = dict(headers)
    spans.inject(out)
    return out


def inject(headers: dict[str, str]) -> None:
    """Add `traceparent`/`tracestate` of the current span to `headers` (only when on)."""
    from mcproute.tracing import spans

    spans.inject(headers)


def attempt(call: Any) -> Any:
    """A Router attempt wrapped in a client span (one per attempt: retries, fallbacks and
    hedges are siblings under the request's span)."""
    from mcproute.tracing import spans

    return spans.traced_attempt(call)


def stream_attempt(call: Any) -> Any:
    """A Router stream attempt wrapped in a client span that lasts as long as the stream."""
    from mcproute.tracing import spans

    return spans.traced_stream_attempt(call)


def trace_mcp_methods(server: Any) -> None:
    """Wrap an MCP server's method handlers (in place) in MCP server spans."""
    from mcproute.tracing import spans

    for method in sorted(server.methods):
        server.set_handler(method, spans.mcp_server_handler(method, server.handler(method)))


def mcp_upstream(upstream: str, method: str, name: str | None = None) -> Any:
    """A context manager: a client span for one call to an MCP upstream (a no-op when off)."""
    if not ACTIVE:
        return _NULL
    from mcproute.tracing import spans

    return spans.mcp_client_span(upstream, method, name)
