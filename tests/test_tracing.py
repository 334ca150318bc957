"""OpenTelemetry traces of a real `mcproute serve` (one worker and two), exported over OTLP/HTTP
to a real receiver that decodes the protobuf: span trees per request (server span -> one
client span per attempt), the caller's trace continued and propagated to model and MCP
upstreams, the GenAI and MCP attributes, and nothing secret in any attribute."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from mcp_demo_server import server as demo_server
from mcp_support import free_port, serve
from mcproute import tracing
from mcproute.config import ConfigError, parse_config
from mcproute.errors import FailureKind, UpstreamError
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.routing import AttemptContext, Deployment, Router, RouterPolicy
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.testing.upstream import Simulator, SimulatorSettings
from mcproute.tracing import TracingSettings
from models_support import OPENAI_KEY
from otlp_receiver import Receiver, Span, otlp_receiver
from proxy_support import running_proxy, serve_command
from test_proxy_crash import wait_ready

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
ANTHROPIC_KEY = "sk-ant-test-tracing-SECRET-0123456789"
DEAD_KEY = "sk-dead-provider-SECRET-0123456789"
COLLECTOR_TOKEN = "collector-token-SECRET-0123456789"
LEAKED = "sk-proj-LEAKEDINANERROR0123456789"  # an upstream echoes a key in its error message


def _document(flaky: str, good: str, slow: str, mcp: str) -> dict[str, Any]:
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: connection refused
    return {
        "mcp": {
            "models": {
                "openai": {"endpoint": flaky, "models": ["gpt-4"]},
                "anthropic": {
                    "endpoint": good,
                    "api_key": ANTHROPIC_KEY,
                    "models": [{"name": "claude", "model": "claude-sonnet-5-5"}],
                },
                "dead": {
                    "type": "openai_compatible",
                    "endpoint": dead,
                    "api_key": DEAD_KEY,
                    "models": [{"name": "flaky", "model": "gpt-4"}],
                },
                # "hedged": the slow deployment is picked first (its weight), the fast one is
                # the hedge, which wins.
                "slow": {
                    "type": "openai_compatible",
                    "endpoint": slow,
                    "api_key": DEAD_KEY,
                    "models": [
                        {"name": "hedged", "model": "gpt-4", "weight": 100},
                        {"name": "slowonly", "model": "gpt-4"},  # times out
                    ],
                },
                "fast": {
                    "type": "openai_compatible",
                    "endpoint": good,
                    "api_key": DEAD_KEY,
                    "models": [{"name": "hedged", "model": "gpt-4", "weight": 1}],
                },
            },
            "routing": {
                "num_retries": 1,
                "backoff_base_s": 0.001,
                "fallbacks": {"flaky": ["claude"]},
                "strategy": "round_robin",
                "hedge": True,
                "hedge_default_delay_s": 0.1,
                "groups": {"slowonly": {"total_timeout_s": 0.3}},
            },
            "mcpServers": {"demo": {"url": mcp}},
        }
    }


def _recording_mcp_server(seen: list[tuple[str, dict[str, str]]]) -> web.Application:
    """The demo MCP server, keeping the method and headers of every request it gets."""
    app = StreamableHTTP(demo_server).app()

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body = await request.read() if request.method == "POST" else b"{}"
        method = json.loads(body or b"{}").get("method", "") if body[:1] == b"{" else ""
        seen.append((method, dict(request.headers)))
        return await handler(request)

    app.middlewares.append(record)
    return app


def _traceparent(headers: dict[str, str]) -> tuple[str, str]:
    version, trace_id, parent, flags = headers["traceparent"].split("-")
    assert version == "00"
    assert int(flags, 16) & 1  # sampled
    return trace_id, parent


def _attempts(receiver: Receiver, server: Span) -> list[Span]:
    return [s for s in receiver.children(server) if s.kind == "client"]


async def _post(
    http: aiohttp.ClientSession, url: str, key: str, body: dict[str, Any], **headers: str
) -> tuple[int, bytes]:
    auth = {"Authorization": f"Bearer {key}", **headers}
    async with http.post(f"{url}/v1/chat/completions", json=body, headers=auth) as r:
        return r.status, await r.read()


@pytest.mark.parametrize(("workers", "configured_by"), [(1, "block"), (2, "environment")])
async def test_span_trees_of_a_served_proxy(
    tmp_path: Path, workers: int, configured_by: str
) -> None:
    """The collector is named by the `tracing` block, or by the standard variables."""
    mcp_seen: list[tuple[str, dict[str, str]]] = []
    flaky = Simulator(
        SimulatorSettings(fault="500", fault_every=2, tokens=4, error_detail=f" (key {LEAKED})")
    )
    good = Simulator(SimulatorSettings(tokens=4))
    slow = Simulator(SimulatorSettings(latency=20.0))
    async with (
        otlp_receiver() as receiver,
        flaky,
        good,
        slow,
        serve(_recording_mcp_server(mcp_seen)) as mcp_url,
    ):
        data = DataDir(tmp_path / "data")
        with SqliteApiKeyStore(data) as store:
            key, _ = ApiKeyManager(data.pepper(), store).issue("test", ["models", "mcp"])
        config = tmp_path / "mcproute.json"
        urls = (flaky.url, good.url, slow.url + "/v1", mcp_url)
        document = _document(*urls)
        collector = {
            "OTEL_SERVICE_NAME": "mcproute-under-test",
            "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer {COLLECTOR_TOKEN}",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        }
        if configured_by == "block":
            document["mcp"]["tracing"] = {
                "endpoint": receiver.url,
                "service_name": "mcproute-under-test",
                "headers": {"Authorization": f"Bearer {COLLECTOR_TOKEN}"},
            }
            collector = {"OTEL_SERVICE_NAME": "not-this-one"}  # the block's settings win
        config.write_text(json.dumps(document))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "MCPROUTE_DATA_DIR": str(data.path),
            "OPENAI_API_KEY": OPENAI_KEY,
            # Nothing is exported before the stop: what arrives was flushed by the shutdown.
            "OTEL_BSP_SCHEDULE_DELAY": "600000",
            **collector,
        }
        proc = await asyncio.create_subprocess_exec(
            *serve_command(config, port, workers), env=env, stderr=asyncio.subprocess.DEVNULL
        )
        session_id = None
        try:
            async with aiohttp.ClientSession() as http:
                await wait_ready(http, url)
                chat = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
                # gpt-4: the first attempt gets a 500, the retry succeeds.
                status, _ = await _post(http, url, key, chat, traceparent=TRACEPARENT)
                assert status == 200
                # flaky: its deployment refuses connections; the call falls back to claude.
                status, _ = await _post(http, url, key, {**chat, "model": "flaky"})
                assert status == 200
                # claude, streamed: one attempt span for the whole stream.
                stream = {**chat, "model": "claude", "stream": True}
                status, _ = await _post(http, url, key, stream)
                assert status == 200
                status, _ = await _post(http, url, key, {**chat, "model": "hedged"})
                assert status == 200
                status, _ = await _post(http, url, key, {**chat, "model": "slowonly"})
                assert status == 504
                async with MCPConnection(
                    f"{url}/mcp",
                    http=http,
                    headers={"Authorization": f"Bearer {key}"},
                    prefer="legacy",
                ) as conn:
                    session_id = conn.session_id
                    result = await conn.call_tool("demo__add", {"a": 2, "b": 3})
                    assert result["content"][0]["text"] == "5"
        finally:
            proc.terminate()
            assert await proc.wait() == 0
        assert session_id is not None
        for _ in range(50):  # the export is sent before the worker exits; the receiver may lag
            if receiver.named("tools/call demo__add"):
                break
            await asyncio.sleep(0.1)

        # Every export carried the configured collector header; resource names the service.
        assert receiver.headers
        assert all(h["Authorization"] == f"Bearer {COLLECTOR_TOKEN}" for h in receiver.headers)
        assert all(s.resource["service.name"] == "mcproute-under-test" for s in receiver.spans)

        chats = receiver.named("POST /v1/chat/completions")
        assert len(chats) == 5, [s.name for s in receiver.spans]
        retry, fallback, streamed, hedged, timed_out = sorted(chats, key=lambda s: s.start_ns)

        # The caller's trace goes on: same trace id, the caller's span as parent.
        assert (retry.trace_id, retry.parent_id) == (TRACE_ID, CALLER_SPAN)
        assert retry.kind == "server"
        assert retry.attributes["http.request.method"] == "POST"
        assert retry.attributes["http.route"] == "/v1/chat/completions"
        assert retry.attributes["http.response.status_code"] == 200
        assert retry.attributes["gen_ai.request.model"] == "gpt-4"
        assert retry.attributes["gen_ai.provider.name"] == "openai"
        first, second = _attempts(receiver, retry)
        for attempt in (first, second):
            assert attempt.name == "chat gpt-4"
            assert attempt.trace_id == TRACE_ID
            assert attempt.attributes["gen_ai.operation.name"] == "chat"
            assert attempt.attributes["gen_ai.provider.name"] == "openai"
            assert attempt.attributes["gen_ai.request.model"] == "gpt-4"
            assert attempt.attributes["server.address"] == "127.0.0.1"
            assert attempt.attributes["server.port"] == flaky.port
        assert (first.attributes["mcproute.attempt"], second.attributes["mcproute.attempt"]) == (
            0,
            1,
        )
        assert first.status == "error"
        assert first.attributes["error.type"] == "server"
        assert first.attributes["http.response.status_code"] == 500
        assert "HTTP 500" in first.message
        assert "[redacted]" in first.message
        assert second.status == "unset"
        assert second.attributes["gen_ai.response.model"] == "gpt-4"
        assert second.attributes["gen_ai.usage.input_tokens"] > 0
        assert second.attributes["gen_ai.usage.output_tokens"] == 4
        # Each upstream request carried the traceparent of its own attempt span.
        sent = [r.headers for r in flaky.requests if r.path == "/v1/chat/completions"]
        assert [_traceparent(h) for h in sent] == [
            (TRACE_ID, first.span_id),
            (TRACE_ID, second.span_id),
        ]

        # A fallback: the failed attempts on the dead deployment, then claude's, all siblings.
        assert fallback.trace_id != TRACE_ID
        assert fallback.parent_id == ""
        attempts = _attempts(receiver, fallback)
        assert {a.attributes["mcproute.model_group"] for a in attempts} == {"flaky", "claude"}
        assert attempts[0].attributes["gen_ai.provider.name"] == "dead"
        assert attempts[0].status == "error"
        assert attempts[0].attributes["error.type"] == "connection"
        last = attempts[-1]
        assert last.attributes["gen_ai.provider.name"] == "anthropic"
        assert last.attributes["gen_ai.request.model"] == "claude-sonnet-5-5"
        assert last.attributes["mcproute.deployment"].startswith("anthropic/")
        assert last.status == "unset"
        assert fallback.attributes["gen_ai.provider.name"] == "anthropic"

        # The stream's attempt span lasts the stream and reports its usage.
        (stream_attempt,) = _attempts(receiver, streamed)
        assert stream_attempt.attributes["gen_ai.provider.name"] == "anthropic"
        assert stream_attempt.attributes["gen_ai.request.model"] == "claude-sonnet-5-5"
        assert stream_attempt.status == "unset"
        assert stream_attempt.attributes["gen_ai.usage.output_tokens"] == 4

        # A hedge: the first attempt (slow, cancelled when the hedge won) and the hedge, siblings.
        first, hedge = _attempts(receiver, hedged)
        assert first.attributes["mcproute.deployment"].startswith("slow/")
        assert first.attributes["mcproute.cancelled"] is True
        assert first.status == "unset"
        assert hedge.attributes["mcproute.deployment"].startswith("fast/")
        assert hedge.attributes["mcproute.hedge"] is True
        assert hedge.attributes["gen_ai.usage.output_tokens"] == 4
        assert hedged.attributes["gen_ai.provider.name"] == "fast"

        # Timeouts: each attempt the Router cut at its timeout is an error, and so is the 504.
        assert timed_out.status == "error"
        assert timed_out.attributes["http.response.status_code"] == 504
        attempts = _attempts(receiver, timed_out)
        assert len(attempts) == 2
        for attempt in attempts:
            assert attempt.status == "error"
            assert attempt.attributes["error.type"] == "timeout"
            # The HTTP client's own timeout or the Router's (which cancels), whichever fires
            # first: either way a timeout.
            assert "timed out" in attempt.message or "0.3 s total timeout" in attempt.message

        # MCP: the HTTP span, the gateway's MCP server span, a client span to the upstream,
        # whose traceparent the upstream received.
        (call,) = receiver.named("tools/call demo__add")
        assert call.kind == "server"
        assert call.attributes["mcp.method.name"] == "tools/call"
        assert call.attributes["gen_ai.tool.name"] == "demo__add"
        assert call.attributes["gen_ai.operation.name"] == "execute_tool"
        hashed = call.attributes["mcp.session.id"]
        assert len(hashed) == 32
        assert hashed not in session_id
        http_parent = next(s for s in receiver.spans if s.span_id == call.parent_id)
        assert http_parent.name == "POST /mcp"
        (upstream,) = [s for s in receiver.children(call) if s.kind == "client"]
        assert upstream.name == "tools/call add"
        assert upstream.attributes["mcproute.mcp.upstream"] == "demo"
        listings = [s for s in receiver.named("tools/list") if s.kind == "client"]
        assert listings
        assert all(s.attributes["mcproute.mcp.upstream"] == "demo" for s in listings)
        calls = [headers for method, headers in mcp_seen if method == "tools/call"]
        assert [_traceparent(h) for h in calls] == [(call.trace_id, upstream.span_id)]

        # Nothing secret in any attribute or status message.
        secrets = [key, OPENAI_KEY, ANTHROPIC_KEY, DEAD_KEY, COLLECTOR_TOKEN, LEAKED, session_id]
        for span in receiver.spans:
            text = json.dumps([span.attributes, span.message, span.resource])
            for secret in secrets:
                assert secret not in text, (span.name, secret[:6])


async def test_an_attempt_the_router_cuts_at_its_timeout_is_a_timeout_error() -> None:
    """The Router cancels an attempt when its timeout expires (the attempt sees only the
    cancellation); a hedge that lost is cancelled too, but is no error."""

    async def hang(deployment: Deployment, ctx: AttemptContext) -> None:
        await asyncio.sleep(30)

    policy = RouterPolicy(num_retries=0, total_timeout_s=0.05)
    router = Router({"g": [Deployment("d", "g")]}, policy)
    async with otlp_receiver() as receiver:
        assert tracing.start(TracingSettings(endpoint=receiver.url), environ={})
        try:
            with pytest.raises(UpstreamError) as info:
                await router.call("g", hang)
            assert info.value.kind is FailureKind.TIMEOUT
        finally:
            await asyncio.to_thread(tracing.shutdown)
    assert tracing.ACTIVE is False
    (span,) = receiver.named("chat g")
    assert span.kind == "client"
    assert span.status == "error"
    assert span.attributes["error.type"] == "timeout"
    assert span.message == "no answer within the 0.05 s total timeout"
    assert "mcproute.cancelled" not in span.attributes


async def test_off_by_default_no_span_and_no_header(tmp_path: Path) -> None:
    """Tracing off: no middleware, and the caller's traceparent is not sent on upstream; the
    metrics name the provider that served."""
    assert tracing.ACTIVE is False
    assert tracing.middlewares() == []
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
    async with running_proxy(tmp_path) as proxy, aiohttp.ClientSession() as http:
        key = proxy.key("models", "metrics")
        headers = {"Authorization": f"Bearer {key}", "traceparent": TRACEPARENT}
        async with http.post(f"{proxy.url}/v1/chat/completions", json=body, headers=headers) as r:
            assert r.status == 200
        sent = proxy.sim.requests[-1].headers
        assert "traceparent" not in {k.lower() for k in sent}
        async with http.get(f"{proxy.url}/metrics", headers=headers) as r:
            text = await r.text()
    lines = [x for x in text.splitlines() if x.startswith("gen_ai_client_operation_duration")]
    assert lines
    assert all('gen_ai_provider_name="openai"' in x for x in lines)


@pytest.mark.parametrize(
    ("block", "path", "reason"),
    [
        ({"endpoint": "ftp://collector"}, "mcp.tracing.endpoint", "http(s) URL"),
        ({"sample_ratio": 1.5}, "mcp.tracing.sample_ratio", "from 0 to 1"),
        ({"sample_ratio": True}, "mcp.tracing.sample_ratio", "from 0 to 1"),
        ({"enabled": "yes"}, "mcp.tracing.enabled", "true or false"),
        ({"service_name": ""}, "mcp.tracing.service_name", "non-empty"),
        ({"headers": {"x-token": 3}}, "mcp.tracing.headers.x-token", "non-empty string"),
        ({"exporter": "jaeger"}, "mcp.tracing.exporter", "unknown key"),
        ([], "mcp.tracing", "must be an object"),
    ],
)
def test_a_bad_tracing_block_names_the_path(block: Any, path: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"mcp": {"tracing": block}}, env={})
    (issue,) = info.value.issues
    assert issue.path == path
    assert reason in issue.reason


def test_when_tracing_is_wanted() -> None:
    on = parse_config({"mcp": {"tracing": {"endpoint": "http://127.0.0.1:4318"}}}, env={})
    assert on.tracing.wanted({})
    assert not on.tracing.wanted({"OTEL_SDK_DISABLED": "true"})
    assert not on.tracing.wanted({"OTEL_TRACES_EXPORTER": "none"})
    unset = parse_config({"mcp": {}}, env={}).tracing
    assert not unset.wanted({})
    assert unset.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert unset.wanted({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"})
    off = parse_config({"mcp": {"tracing": {"enabled": False}}}, env={}).tracing
    assert not off.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
