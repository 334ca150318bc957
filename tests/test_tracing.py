"""Traces of `mcproute serve`, received by a real OTLP/HTTP endpoint in the test (protobuf
decoded with `opentelemetry-proto`): a caller's `traceparent` is the parent of the server span,
each upstream attempt is a client span under it (a failed attempt and its retry as siblings),
and an MCP call forwarded upstream has its own span with the session id hashed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from conftest import require
from mcp_support import free_port, http_server
from mcproute.protocol.client import MCPConnection
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from models_support import running_simulator
from test_proxy_crash import wait_ready

try:
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_service
except ImportError:  # required: `require` below fails in CI, skips elsewhere
    trace_service = None

Span = dict[str, Any]


def value(any_value: Any) -> Any:
    return getattr(any_value, any_value.WhichOneof("value"))


@contextlib.asynccontextmanager
async def otlp_receiver() -> AsyncIterator[tuple[str, list[Span]]]:
    """POST /v1/traces, as an OpenTelemetry collector takes it; yields (its URL, spans)."""
    spans: list[Span] = []

    async def traces(request: web.Request) -> web.Response:
        assert request.content_type == "application/x-protobuf"
        export = trace_service.ExportTraceServiceRequest.FromString(await request.read())
        for resource in export.resource_spans:
            service = {a.key: value(a.value) for a in resource.resource.attributes}
            for scope in resource.scope_spans:
                for span in scope.spans:
                    spans.append(
                        {
                            "name": span.name,
                            "kind": span.kind,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "error": span.status.code == 2,
                            "attributes": {a.key: value(a.value) for a in span.attributes},
                            "service": service.get("service.name"),
                        }
                    )
        return web.Response(
            body=trace_service.ExportTraceServiceResponse().SerializeToString(),
            content_type="application/x-protobuf",
        )

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", spans
    finally:
        await runner.cleanup()


async def spans_of(spans: list[Span], trace_id: str, at_least: int) -> list[Span]:
    for _ in range(300):
        found = [s for s in spans if s["trace_id"] == trace_id]
        if len(found) >= at_least:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(found)} span(s) of trace {trace_id}, wanted {at_least}")


async def test_spans_of_a_request_with_a_retry_and_an_mcp_call(tmp_path: Path) -> None:
    require(trace_service is not None, "opentelemetry-proto (requirements-dev.txt)")
    data = DataDir(tmp_path / "data")
    with SqliteApiKeyStore(data) as store:
        key, _ = ApiKeyManager(data.pepper(), store).issue("test", ["admin"])
    auth = {"Authorization": f"Bearer {key}"}
    async with (
        otlp_receiver() as (otlp_url, spans),
        running_simulator(tokens=3) as sim,
        http_server() as mcp_url,
    ):
        dead = f"http://127.0.0.1:{free_port()}"  # refuses connections: a failed attempt
        document = {
            "mcp": {
                "models": {
                    "openai": {"endpoint": sim.url, "api_key": "k", "models": ["gpt-4"]},
                    "azure_like": {
                        "type": "openai",
                        "endpoint": dead,
                        "api_key": "k",
                        "models": [{"name": "gpt-4", "model": "gpt-4"}],
                    },
                },
                "routing": {"num_retries": 2},
                "mcpServers": {"demo": {"url": mcp_url}},
            }
        }
        config = tmp_path / "mcproute.json"
        config.write_text(json.dumps(document))
        port = free_port()
        env = {
            **os.environ,
            "MCPROUTE_DATA_DIR": str(data.path),
            "MCPROUTE_RUNTIME_DIR": str(tmp_path),
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_url,
            "OTEL_BSP_SCHEDULE_DELAY": "50",
            "OTEL_SERVICE_NAME": "gateway-under-test",
        }
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "mcproute.cli", "serve", "--config", str(config)),
            *("--port", str(port)),
            env=env,
            stderr=asyncio.subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                await wait_ready(http, url)
                body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
                retried = None
                for _ in range(20):  # until the balancer has tried the dead deployment first
                    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
                    headers = {**auth, "traceparent": f"00-{trace_id}-{caller_span}-01"}
                    async with http.post(
                        f"{url}/v1/chat/completions", json=body, headers=headers
                    ) as r:
                        assert r.status == 200, await r.text()
                    found = await spans_of(spans, trace_id, 2)
                    await asyncio.sleep(0.2)  # every span of this trace has been exported
                    found = [s for s in spans if s["trace_id"] == trace_id]
                    if len([s for s in found if s["name"].startswith("chat ")]) >= 2:
                        retried = (caller_span, found)
                        break
                assert retried is not None, "no request was retried"
                sent = [r.headers.get("traceparent", "") for r in sim.requests]
                async with MCPConnection(f"{url}/mcp", http=http, headers=auth) as mcp:
                    session_id = mcp.session_id
                    result = await mcp.call_tool("demo__add", {"a": 1, "b": 2})
                    assert result["content"][0]["text"] == "3"
        finally:
            proc.terminate()
            assert await asyncio.wait_for(proc.wait(), 30) == 0

    caller_span, found = retried
    [server] = [s for s in found if s["name"] == "POST /v1/chat/completions"]
    assert server["parent"] == caller_span
    assert server["kind"] == 2  # SERVER
    assert server["service"] == "gateway-under-test"
    assert server["attributes"]["http.response.status_code"] == 200
    assert server["attributes"]["gen_ai.request.model"] == "gpt-4"
    attempts = [s for s in found if s["name"] == "chat gpt-4"]
    assert len(attempts) >= 2
    assert all(s["parent"] == server["span_id"] and s["kind"] == 3 for s in attempts)  # CLIENT
    failed = [s for s in attempts if s["error"]]
    assert failed
    assert failed[0]["attributes"]["error.type"] == "connection"
    assert failed[0]["attributes"]["gen_ai.provider.name"] == "azure_like"
    [ok] = [s for s in attempts if not s["error"]]
    assert ok["attributes"]["gen_ai.provider.name"] == "openai"
    assert ok["attributes"]["gen_ai.operation.name"] == "chat"
    assert ok["attributes"]["gen_ai.response.model"] == "gpt-4"
    assert ok["attributes"]["gen_ai.usage.output_tokens"] > 0
    assert ok["attributes"]["http.response.status_code"] == 200
    # The upstream got the attempt's context: same trace, the attempt span as its parent.
    assert f"00-{server['trace_id']}-{ok['span_id']}-01" in sent

    [call] = [s for s in spans if s["name"] == "tools/call add"]
    assert call["attributes"]["mcp.method.name"] == "tools/call"
    assert call["attributes"]["gen_ai.tool.name"] == "add"
    mcp_server = next(s for s in spans if s["span_id"] == call["parent"])
    assert mcp_server["name"] == "POST /mcp"
    if session_id is not None:
        assert call["attributes"]["mcp.session.id"] != session_id  # hashed, never the id
    dumped = json.dumps(spans)
    assert key not in dumped
    assert "k" not in {str(v) for s in spans for v in s["attributes"].values()}
