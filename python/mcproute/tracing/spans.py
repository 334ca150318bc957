"""The spans: one server span per HTTP request, one client span per upstream attempt, MCP
server spans per method and client spans per MCP upstream call, named and attributed after the
OpenTelemetry HTTP, GenAI and MCP semantic conventions.

Exported over OTLP/HTTP (protobuf) by a BatchSpanProcessor. W3C `traceparent`/`tracestate`
from a caller is continued and sent on to upstreams. Attributes carry names, ids, counts and
redacted messages only: never a header value, a body, a key or a raw session id.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from mcproute.errors import UpstreamError
from mcproute.models.served import SERVED_BY, provider_name
from mcproute.models.target import ProviderTarget
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server import RequestContext
from mcproute.protocol.server.input_required import InputRequired
from mcproute.proxy.metrics import TOKEN_KEYS, route_label
from mcproute.proxy.observe import MODEL_ROUTES, TIMING
from mcproute.redact import redact
from mcproute.routing.types import AttemptContext, Deployment
from mcproute.tracing import TracingSettings

T = TypeVar("T")
Json = dict[str, Any]
MESSAGE_CHARS = 300  # of a redacted error message in a span status
TIMEOUT_SLACK_S = 0.005  # a cancellation this close to a timeout's expiry is that timeout

_PROPAGATOR = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_tracer: trace.Tracer = trace.NoOpTracer()
# The GenAI operation of the request being served (`chat`, `embeddings`), from its route.
_OPERATION: ContextVar[str] = ContextVar("mcproute_gen_ai_operation", default="chat")
_OPERATIONS = {"/v1/embeddings": "embeddings"}
_PROBES = frozenset({"/healthz", "/readyz"})  # a span per liveness probe would be noise


# --- setup ---------------------------------------------------------------------------------


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a collector base URL (as OTEL_EXPORTER_OTLP_ENDPOINT)."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


def _resource(settings: TracingSettings, environ: Mapping[str, str]) -> Resource:
    attributes: dict[str, Any] = {"process.pid": os.getpid()}
    if settings.service_name is not None:
        attributes["service.name"] = settings.service_name
    elif not environ.get("OTEL_SERVICE_NAME") and "service.name=" not in environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    ):
        attributes["service.name"] = "mcproute"
    return Resource.create(attributes)  # merged over OTEL_SERVICE_NAME / _RESOURCE_ATTRIBUTES


def install(settings: TracingSettings, environ: Mapping[str, str]) -> None:
    """A provider with an OTLP/HTTP exporter behind a BatchSpanProcessor. Unset settings are
    left to the SDK, which reads the standard OTEL_* variables (endpoint, headers, timeout,
    compression, sampler, batch sizes)."""
    global _provider, _tracer
    sampler = None
    if settings.sample_ratio is not None:
        sampler = ParentBased(TraceIdRatioBased(settings.sample_ratio))
    provider = TracerProvider(
        sampler=sampler,
        resource=_resource(settings, environ),
        shutdown_on_exit=False,  # `uninstall` flushes; no second, slow try at exit
    )
    exporter = OTLPSpanExporter(
        endpoint=None if settings.endpoint is None else traces_url(settings.endpoint),
        headers={k: v.reveal() for k, v in settings.headers.items()} or None,
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _provider = provider
    _tracer = provider.get_tracer("mcproute")


def uninstall() -> None:
    """Export what is buffered, then stop the exporter's thread. A collector that is down
    delays this by at most the export timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s)."""
    global _provider, _tracer
    provider, _provider = _provider, None
    _tracer = trace.NoOpTracer()
    if provider is not None:
        provider.shutdown()


def _current(
    name: str, kind: SpanKind, attributes: dict[str, Any], parent: Context | None = None
) -> AbstractContextManager[Span]:
    """A span current while the block runs; its status and errors are set here, redacted,
    never by the SDK (which would record an exception's message and stack as they are)."""
    return _tracer.start_as_current_span(
        name,
        context=parent,
        kind=kind,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    )


def inject(headers: dict[str, str]) -> None:
    _PROPAGATOR.inject(headers)


# --- failures ------------------------------------------------------------------------------


def _failed(span: Span, exc: BaseException, timeout: str | None = None) -> None:
    """Error status with a redacted message; a cancellation (a hedge that lost, a caller that
    left) or an MCP input round is recorded as such, not as an error. `timeout`: the Router's
    timeout that caused the cancellation, which is an error."""
    if isinstance(exc, asyncio.CancelledError | GeneratorExit):
        if timeout is None:
            span.set_attribute("mcproute.cancelled", True)
            return
        span.set_attribute("error.type", "timeout")
        span.set_status(Status(StatusCode.ERROR, timeout))
        return
    if isinstance(exc, InputRequired):  # an MCP round of input for the client, not a failure
        span.set_attribute("mcp.result.type", "input_required")
        return
    if isinstance(exc, UpstreamError):
        kind = exc.kind.value
        if exc.status is not None:
            span.set_attribute("http.response.status_code", exc.status)
    elif isinstance(exc, MCPError):
        kind = str(exc.code)
        span.set_attribute("rpc.response.status_code", kind)
    else:
        kind = type(exc).__qualname__
    span.set_attribute("error.type", kind)
    span.set_status(Status(StatusCode.ERROR, _message(exc)))


def _message(exc: BaseException) -> str:
    text = " ".join(redact(str(exc)[: 8 * MESSAGE_CHARS]).split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


# --- the server span -----------------------------------------------------------------------


def server_middleware() -> Middleware:
    """The request's server span, continuing the caller's trace when it sends `traceparent`."""

    @web.middleware
    async def trace_request(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path in _PROBES:
            return await handler(request)
        route = route_label(request.path)
        attributes: dict[str, Any] = {
            "http.request.method": request.method,
            "http.route": route,
            "url.scheme": request.scheme,
            "network.protocol.version": f"{request.version.major}.{request.version.minor}",
        }
        if route == request.path:  # a path with ids in it (contexts, admin) is not recorded
            attributes["url.path"] = request.path
        if request.host:
            host, _, port = request.host[:256].rpartition(":")
            if host and port.isdigit():
                attributes["server.address"] = host
                attributes["server.port"] = int(port)
            else:
                attributes["server.address"] = request.host[:256]
        if request.remote:
            attributes["client.address"] = request.remote
        agent = request.headers.get("User-Agent")
        if agent:
            attributes["user_agent.original"] = agent[:256]
        operation = _OPERATIONS.get(route, "chat")
        if route in MODEL_ROUTES:
            attributes["gen_ai.operation.name"] = operation
        parent = _PROPAGATOR.extract(request.headers)
        served = [""]
        tokens = (_OPERATION.set(operation), SERVED_BY.set(served))
        status = 500
        with _current(f"{request.method} {route}", SpanKind.SERVER, attributes, parent) as span:
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            except BaseException as exc:
                _failed(span, exc)
                raise
            finally:
                _OPERATION.reset(tokens[0])
                SERVED_BY.reset(tokens[1])
                ended: dict[str, Any] = {"http.response.status_code": status}
                if status >= 500:
                    ended["error.type"] = str(status)
                    span.set_status(Status(StatusCode.ERROR))
                if route in MODEL_ROUTES:
                    _model_attributes(ended, request, served[0])
                span.set_attributes(ended)  # one call: each takes the span's lock

    return trace_request


def _model_attributes(attributes: dict[str, Any], request: web.Request, provider: str) -> None:
    timing = request.get(TIMING)
    if timing is not None:
        if timing.model is not None:
            attributes["gen_ai.request.model"] = timing.model
        if timing.key_id is not None:
            attributes["mcproute.key.id"] = timing.key_id
    if provider:
        attributes["gen_ai.provider.name"] = provider


# --- attempt spans -------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _server(endpoint: str) -> tuple[str | None, int | None]:
    """Host and port of an endpoint (never its credentials or path)."""
    try:
        parts = urlsplit(endpoint)
        return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None, None


def _attempt_span(deployment: Deployment, ctx: AttemptContext) -> tuple[str, dict[str, Any]]:
    operation = _OPERATION.get()
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "mcproute.deployment": deployment.name,
        "mcproute.model_group": deployment.group,
        "mcproute.attempt": ctx.attempt,
    }
    if ctx.hedge:
        attributes["mcproute.hedge"] = True
    model = deployment.group
    target = deployment.target
    if isinstance(target, ProviderTarget):
        config = target.config
        model = config.model
        attributes["gen_ai.provider.name"] = provider_name(config)
        host, port = _server(config.endpoint)
        if host is not None:
            attributes["server.address"] = host
            attributes["server.port"] = port
    attributes["gen_ai.request.model"] = model
    return f"{operation} {model}", attributes


def _now() -> float:
    return asyncio.get_running_loop().time()  # the clock of the Router's asyncio.timeout


def _expired(since: float, limit: float | None, what: str) -> str | None:
    """The Router cancels an attempt when one of its timeouts expires, and the attempt sees
    only the cancellation: one that comes as `limit` runs out is that timeout."""
    if limit is not None and _now() - since >= limit - TIMEOUT_SLACK_S:
        return f"no answer within the {limit:g} s {what}"
    return None


class _Response:
    """What a response or its stream events say about the model and usage."""

    __slots__ = ("chunks", "finish", "id", "input", "model", "output")

    def __init__(self) -> None:
        self.chunks = 0
        self.model: str | None = None
        self.id: str | None = None
        self.input: int | None = None
        self.output: int | None = None
        self.finish: list[str] = []

    def feed(self, item: Any) -> None:
        self.chunks += 1
        if not isinstance(item, dict):
            return
        message = item.get("message")
        source = message if isinstance(message, dict) else item  # Anthropic message_start
        if self.model is None and isinstance(source.get("model"), str):
            self.model = source["model"]
        if self.id is None and isinstance(source.get("id"), str):
            self.id = source["id"]
        for usage in (source.get("usage"), item.get("usage")):
            if isinstance(usage, dict):
                self._usage(usage)
        for choice in item.get("choices") or ():
            reason = choice.get("finish_reason") if isinstance(choice, dict) else None
            if isinstance(reason, str):
                self.finish.append(reason)
        delta = item.get("delta")
        for holder in (source, delta if isinstance(delta, dict) else {}):
            reason = holder.get("stop_reason")
            if isinstance(reason, str):
                self.finish.append(reason)

    def _usage(self, usage: Mapping[str, Any]) -> None:
        for attr, keys in TOKEN_KEYS:
            for key in keys:
                value = usage.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    setattr(self, attr, value)

    def record(self, span: Span) -> None:
        found = {
            "gen_ai.response.model": self.model,
            "gen_ai.response.id": self.id,
            "gen_ai.usage.input_tokens": self.input,
            "gen_ai.usage.output_tokens": self.output,
            "gen_ai.response.finish_reasons": self.finish or None,
        }
        span.set_attributes({k: v for k, v in found.items() if v is not None})


def traced_attempt(
    call: Callable[[Deployment, AttemptContext], Awaitable[T]],
) -> Callable[[Deployment, AttemptContext], Awaitable[T]]:
    async def attempt(deployment: Deployment, ctx: AttemptContext) -> T:
        name, attributes = _attempt_span(deployment, ctx)
        started = _now()
        with _current(name, SpanKind.CLIENT, attributes) as span:
            try:
                result = await call(deployment, ctx)
            except BaseException as exc:
                _failed(span, exc, _expired(started, ctx.total_timeout, "total timeout"))
                raise
            seen = _Response()
            seen.feed(result)
            seen.record(span)
            return result

    return attempt


def traced_stream_attempt(
    call: Callable[[Deployment, AttemptContext], AsyncIterator[T]],
) -> Callable[[Deployment, AttemptContext], AsyncIterator[T]]:
    def attempt(deployment: Deployment, ctx: AttemptContext) -> AsyncIterator[T]:
        return _traced_stream(call, deployment, ctx)

    return attempt


async def _traced_stream(
    call: Callable[[Deployment, AttemptContext], AsyncIterator[T]],
    deployment: Deployment,
    ctx: AttemptContext,
) -> AsyncIterator[T]:
    """The span is current only while the upstream is awaited (never across a yield, where
    the consumer runs in its own span), and ends with the stream."""
    name, attributes = _attempt_span(deployment, ctx)
    span = _tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
    active = trace.set_span_in_context(span)
    seen = _Response()
    inner: AsyncIterator[T] | None = None
    started = waiting = _now()
    try:
        while True:
            token = otel_context.attach(active)
            waiting = _now()
            try:
                if inner is None:
                    inner = aiter(call(deployment, ctx))
                chunk = await anext(inner)
            except StopAsyncIteration:
                break
            finally:
                otel_context.detach(token)
            seen.feed(chunk)
            yield chunk
    except BaseException as exc:
        expired = _expired(started, ctx.total_timeout, "total timeout")
        if seen.chunks == 0:
            expired = expired or _expired(started, ctx.first_byte_timeout, "first-byte timeout")
        else:
            expired = expired or _expired(waiting, ctx.stream_idle_timeout, "idle timeout")
        _failed(span, exc, expired)
        raise
    finally:
        close = getattr(inner, "aclose", None)
        if close is not None:
            await close()
        seen.record(span)
        span.end()


# --- MCP -----------------------------------------------------------------------------------

McpHandler = Callable[[Json, RequestContext, Any], Awaitable[Json]]
_NAMED = {"tools/call": "name", "prompts/get": "name"}


def session_hash(session_id: str) -> str:
    """What a span says of an MCP session: a digest, never the id (a bearer of the session)."""
    return hashlib.sha256(b"mcproute mcp.session.id\0" + session_id.encode()).hexdigest()[:32]


def _mcp_attributes(method: str, name: str | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"mcp.method.name": method}
    if method == "tools/call":
        attributes["gen_ai.operation.name"] = "execute_tool"
        if name is not None:
            attributes["gen_ai.tool.name"] = name
    elif method == "prompts/get" and name is not None:
        attributes["gen_ai.prompt.name"] = name
    return attributes


def mcp_server_handler(method: str, handler: McpHandler) -> McpHandler:
    key = _NAMED.get(method)

    async def traced(params: Json, ctx: RequestContext, msg: Any) -> Json:
        name = params.get(key) if key is not None else None
        name = name if isinstance(name, str) else None
        attributes = _mcp_attributes(method, name)
        if ctx.session is not None:
            attributes["mcp.session.id"] = session_hash(ctx.session.id)
            if ctx.session.version is not None:
                attributes["mcp.protocol.version"] = ctx.session.version
        request_id = getattr(msg, "id", None)
        if isinstance(request_id, str | int) and not isinstance(request_id, bool):
            attributes["jsonrpc.request.id"] = str(request_id)
        with _current(
            method if name is None else f"{method} {name}", SpanKind.SERVER, attributes
        ) as span:
            try:
                return await handler(params, ctx, msg)
            except BaseException as exc:
                _failed(span, exc)
                raise

    return traced


class mcp_client_span:
    """A client span for one call to an MCP upstream, current while it runs (so the
    upstream request carries its `traceparent`)."""

    __slots__ = ("_cm", "_span", "attributes", "name")

    def __init__(self, upstream: str, method: str, name: str | None) -> None:
        self.attributes = _mcp_attributes(method, name)
        self.attributes["mcproute.mcp.upstream"] = upstream
        self.name = method if name is None else f"{method} {name}"
        self._cm = _current(self.name, SpanKind.CLIENT, self.attributes)

    def __enter__(self) -> Span:
        self._span = self._cm.__enter__()
        return self._span

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is not None:
            _failed(self._span, exc)
        self._cm.__exit__(kind, exc, tb)
