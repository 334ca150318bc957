"""OpenTelemetry traces, exported over OTLP/HTTP by the official SDK.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (and
`OTEL_TRACES_EXPORTER` is not `none`, `OTEL_SDK_DISABLED` not `true`); the exporter reads the
other standard `OTEL_EXPORTER_OTLP_*` variables itself, the resource `OTEL_SERVICE_NAME` and
`OTEL_RESOURCE_ATTRIBUTES`. When off, every helper here is a no-op that allocates nothing.

Spans: one SERVER span per proxy request (a caller's W3C `traceparent` is its parent), one
CLIENT span per upstream model attempt (retries, fallbacks and hedges are siblings under it;
`traceparent` goes to the upstream), one CLIENT span per MCP call forwarded to an upstream
server. Attributes follow the GenAI and MCP semantic conventions; no body, header value or
credential is recorded, and an MCP session id only as a hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span as Span  # the SDK is optional: only when tracing is on
    from opentelemetry.trace import Tracer

log = logging.getLogger("mcproute.tracing")
NO_SPAN: contextlib.nullcontext[None] = contextlib.nullcontext()  # reusable: tracing is off
_provider: TracerProvider | None = None
_tracer: Tracer | None = None


def wanted(env: Mapping[str, str] = os.environ) -> bool:
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    disabled = env.get("OTEL_SDK_DISABLED", "").lower() == "true"
    return bool(endpoint) and not disabled and env.get("OTEL_TRACES_EXPORTER") != "none"


def configure(env: Mapping[str, str] = os.environ) -> bool:
    """Start exporting in this process (after a fork: the exporter's thread is per process)."""
    global _provider, _tracer
    if not wanted(env):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("tracing: OTLP is configured but opentelemetry-sdk is not installed")
        return False
    from mcproute import __version__

    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "mcproute")})
    _provider = TracerProvider(resource=resource)
    _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _tracer = _provider.get_tracer("mcproute", __version__)
    return True


def shutdown() -> None:
    """Export what is left (blocking: call from a thread when a loop runs)."""
    global _provider, _tracer
    if _provider is not None:
        _provider.shutdown()
    _provider = _tracer = None


def enabled() -> bool:
    return _tracer is not None


@contextlib.contextmanager
def server_span(
    name: str, headers: Mapping[str, str], attributes: Mapping[str, Any]
) -> Iterator[Span | None]:
    """The current span for a request handled here, child of the caller's `traceparent`."""
    if _tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    parent = TraceContextTextMapPropagator().extract(headers)
    with _tracer.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind.SERVER,
        attributes=_clean(attributes),
        record_exception=False,  # its message could carry what a span must not
        set_status_on_exception=True,
    ) as span:
        yield span


@contextlib.contextmanager
def client_span(
    name: str, attributes: Mapping[str, Any], inject_into: MutableMapping[str, str] | None = None
) -> Iterator[Span | None]:
    """A call to an upstream, under the current span; `traceparent` is put in `inject_into`.
    An exception marks the span failed (its `error.type`, never its message) and propagates."""
    if _tracer is None:
        yield None
        return
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    span = _tracer.start_span(name, kind=SpanKind.CLIENT, attributes=_clean(attributes))
    if inject_into is not None:
        TraceContextTextMapPropagator().inject(inject_into, context=trace.set_span_in_context(span))
    # Not made current: nothing nests under an attempt, and a stream's span is left from
    # whichever task finishes the stream.
    try:
        yield span
    except BaseException as exc:
        kind = getattr(exc, "kind", None)
        span.set_attribute("error.type", getattr(kind, "value", None) or type(exc).__name__)
        span.set_status(StatusCode.ERROR)
        raise
    finally:
        span.end()


def set_attributes(span: Span | None, attributes: Mapping[str, Any], failed: bool = False) -> None:
    if span is None:
        return
    span.set_attributes(_clean(attributes))
    if failed:
        from opentelemetry.trace import StatusCode

        span.set_status(StatusCode.ERROR)


def hashed(value: str) -> str:
    """An identifier spans may carry without exposing it (an MCP session id)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if v is not None}
