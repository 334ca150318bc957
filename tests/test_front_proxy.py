"""The server front in front of the real app (simulator upstream): the same answers as
aiohttp's path for every outcome of the fast routes, keep-alive, hand-off of every other
request on the same port and connection, slow heads and bodies, and the drain on stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from front_support import running, running_app
from mcproute._core import parse_api_key
from mcproute.governance.limits import Limits
from mcproute.governance.report import spend_report
from mcproute.logs import ACCESS_LOGGER
from mcproute.proxy.history import HISTORY
from mcproute.proxy.malformed import malformed_body
from mcproute.proxy.metrics import METRICS
from mcproute.proxy.spend import LEDGER
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from proxy_support import document

VOLATILE = {"date", "x-request-id", "x-mcproute-overhead-ms"}
CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "claude", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def with_dead_upstream(sim_url: str, mcp_url: str) -> dict[str, Any]:
    doc = document(sim_url, mcp_url)
    doc["mcp"]["models"]["dead"] = {
        "type": "openai", "endpoint": "http://127.0.0.1:9", "api_key": "x", "models": ["gone"]
    }  # fmt: skip
    return doc


def limited_key(data_dir: DataDir, scopes: tuple[str, ...], limits: Limits) -> str:
    with SqliteApiKeyStore(data_dir) as store:
        key, _ = ApiKeyManager(data_dir.pepper(), store).issue("test", scopes, limits=limits)
    return key


async def outcomes(tmp_path: Path, front: bool) -> list[tuple[int, list[tuple[str, str]], Any]]:
    """Each case's status, headers (in order, volatile ones dropped) and body."""
    async with running(tmp_path, front, with_dead_upstream) as (proxy, _):
        key = proxy.key("models")
        claude_only = proxy.key("model:claude")
        limited = limited_key(proxy.data_dir, ("models",), Limits(rpm=1))
        cases: list[tuple[str, dict[str, str], Any]] = [
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, CHAT),
            ("/v1/messages", {"x-api-key": key}, MESSAGES),
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, {**CHAT, "messages": 3}),
            ("/v1/messages", {"x-api-key": key}, {"model": "claude"}),
            ("/v1/chat/completions", {"Authorization": "Bearer mcpr_nope"}, CHAT),
            ("/v1/messages", {}, MESSAGES),
            ("/v1/chat/completions", {"Authorization": f"Bearer {claude_only}"}, CHAT),
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, {**CHAT, "model": "x"}),
            ("/v1/chat/completions", {"Authorization": f"Bearer {limited}"}, CHAT),
            ("/v1/chat/completions", {"Authorization": f"Bearer {limited}"}, CHAT),
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, {**CHAT, "model": "gone"}),
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, b"{not json"),
        ]
        found = []
        async with aiohttp.ClientSession() as http:
            for path, headers, body in cases:
                data = body if isinstance(body, bytes) else orjson.dumps(body)
                async with http.post(proxy.url + path, data=data, headers=headers) as r:
                    raw = await r.read()
                kept = [(k, v) for k, v in r.headers.items() if k.lower() not in VOLATILE]
                kept = [(k, "<reset>" if "reset" in k.lower() else v) for k, v in kept]
                parsed = orjson.loads(raw)
                if isinstance(parsed, dict) and "created" in parsed:
                    parsed["created"] = 0
                found.append((r.status, kept, parsed))
        return found


async def test_the_front_answers_as_aiohttps_path_does(tmp_path: Path) -> None:
    front = await outcomes(tmp_path / "front", front=True)
    plain = await outcomes(tmp_path / "plain", front=False)
    statuses = [status for status, _, _ in front]
    assert statuses == [200, 200, 400, 400, 401, 401, 403, 404, 200, 429, 502, 400]
    assert front == plain
    assert any(k.lower().startswith("x-ratelimit") for k, _ in front[8][1])  # limits' headers


async def bookkeeping(tmp_path: Path, front: bool) -> dict[str, Any]:
    """What the proxy recorded of the same requests (each key four times: its record is
    cached after the first, so the others take the model lane): the history's log, the HTTP
    metrics' counts, the access log and the spend report, with what differs from run to run
    (times, ids, keys) taken out."""
    lines: list[dict[str, Any]] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(orjson.loads(record.getMessage()))

    access = logging.getLogger(ACCESS_LOGGER)
    handler, level = Lines(), access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        async with running_app(tmp_path, front) as (proxy, _, app):
            keys = {"models": proxy.key("models"), "claude": proxy.key("model:claude")}
            keys["limited"] = limited_key(proxy.data_dir, ("models",), Limits(rpm=1))
            keys.update(refused_keys(proxy.data_dir))
            await asyncio.sleep(0.01)  # the expiring key's life is over
            cases: list[tuple[str, dict[str, str], Any]] = []
            for key in keys.values():
                bearer, x_api_key = {"Authorization": f"Bearer {key}"}, {"x-api-key": key}
                cases += [
                    ("/v1/chat/completions", bearer, CHAT),
                    ("/v1/chat/completions", bearer, {**CHAT, "stream": True}),
                    ("/v1/messages", x_api_key, MESSAGES),
                    ("/v1/chat/completions", bearer, {**CHAT, "messages": 3}),
                ]
            cases.append(("/v1/chat/completions", {"Authorization": "Bearer mcpr_nope"}, CHAT))
            cases.append(("/v1/messages", {}, MESSAGES))
            async with aiohttp.ClientSession() as http:
                for path, headers, body in cases:
                    async with http.post(proxy.url + path, json=body, headers=headers) as r:
                        await r.read()
            await app[LEDGER].flush()
            spent = await app[LEDGER].run(spend_report, "model", None, None)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    names = {record.key_id: name for name, record in _records(proxy, keys).items()}
    log = [[names.get(e[2]), *e[3:8], *e[9:]] for e in app[HISTORY].log]  # no time, id, ms
    for line in lines:
        for volatile in ("ts", "request_id", "duration_ms", "overhead_ms"):
            line.pop(volatile)
        line["key_id"] = names.get(line["key_id"])
        # (its overhead and rate-limit reset headers vary in length from run to run)
        line["bytes_out"] = line["bytes_out"] > 0
    counts = {f"{route} {status}": n for (route, status), n in app[METRICS].requests.items()}
    return {"log": log, "counts": counts, "access": lines, "spent": spent}


def refused_keys(data_dir: DataDir) -> dict[str, str]:
    """Keys refused for what their records say: revoked, expired, required to sign."""
    with SqliteApiKeyStore(data_dir) as store:
        manager = ApiKeyManager(data_dir.pepper(), store)
        revoked, record = manager.issue("test", ("models",))
        manager.revoke(record.key_id)
        expired, _ = manager.issue("test", ("models",), ttl=0.001)
        signing, _ = manager.issue("test", ("models",), require_signature=True)
    return {"revoked": revoked, "expired": expired, "signing": signing}


def _records(proxy: Any, keys: dict[str, str]) -> dict[str, Any]:
    with SqliteApiKeyStore(proxy.data_dir) as store:
        records = {name: store.get(parse_api_key(key)[1]) for name, key in keys.items()}
    return {name: record for name, record in records.items() if record is not None}


async def test_the_model_lane_records_as_the_chain_does(tmp_path: Path) -> None:
    front = await bookkeeping(tmp_path / "front", front=True)
    plain = await bookkeeping(tmp_path / "plain", front=False)
    assert len(front["log"]) == len(front["access"]) == 26
    assert front["counts"]["/v1/chat/completions 429"] >= 1
    assert front["counts"]["/v1/chat/completions 401"] == 10  # 3 refused keys, a malformed one
    assert front == plain


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[bytes, bytes]:
    """Send one request, read one response (framed by Content-Length): head and body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )  # fmt: skip
    return head, await reader.readexactly(length)


def post(path: str, key: str, body: dict[str, Any], extra: str = "") -> bytes:
    data = orjson.dumps(body)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {key}\r\nContent-Length: {len(data)}\r\n{extra}\r\n"
    )
    return head.encode() + data


@contextlib.asynccontextmanager
async def connection(url: str) -> Any:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_keep_alive_and_hand_off_on_one_connection(tmp_path: Path) -> None:
    async with running(tmp_path) as (proxy, front):
        assert front is not None
        key, admin = proxy.key("models", "mcp"), proxy.key("admin")
        async with connection(proxy.url) as (reader, writer):
            for _ in range(3):  # kept alive by the front
                head, body = await exchange(reader, writer, post("/v1/chat/completions", key, CHAT))
                assert head.startswith(b"HTTP/1.1 200 ")
                assert b"echo: hi" in body
            assert len(front.connections) == 1
            # A GET is aiohttp's: the connection goes over, and stays over.
            health = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            head, body = await exchange(reader, writer, health)
            assert (head.split(b" ")[1], orjson.loads(body)) == (b"200", {"status": "ok"})
            assert len(front.connections) == 0
            head, body = await exchange(reader, writer, post("/v1/chat/completions", key, CHAT))
            assert head.startswith(b"HTTP/1.1 200 ")
            assert b"echo: hi" in body
        async with connection(proxy.url) as (reader, writer):
            admin_get = (
                "GET /admin/models HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {admin}\r\n\r\n"
            )
            head, body = await exchange(reader, writer, admin_get.encode())
            assert head.startswith(b"HTTP/1.1 200 ")
        async with connection(proxy.url) as (reader, writer):
            initialize = {
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "t", "version": "1"}},
            }  # fmt: skip
            extra = "Accept: application/json, text/event-stream\r\n"
            writer.write(post("/mcp", key, initialize, extra))
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 "), head


async def test_pipelined_requests_on_the_real_app_come_back_in_order(tmp_path: Path) -> None:
    async with running(tmp_path) as (proxy, _):
        key = proxy.key("models")
        bodies = [{**CHAT, "messages": [{"role": "user", "content": f"n{i}"}]} for i in range(5)]
        async with connection(proxy.url) as (reader, writer):
            writer.write(b"".join(post("/v1/chat/completions", key, b) for b in bodies))
            for i in range(5):
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                assert f"echo: n{i}".encode() in await reader.readexactly(length)


async def test_a_slow_head_is_closed_after_the_idle_timeout(tmp_path: Path) -> None:
    async with running(tmp_path, idle_timeout=1.0) as (proxy, front):
        assert front is not None
        async with connection(proxy.url) as (reader, writer):
            writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 1\r\n")  # and no more
            assert await asyncio.wait_for(reader.read(), 30) == b""  # closed, nothing sent
        async with connection(proxy.url) as (reader, writer):  # idle after a reply too
            await exchange(reader, writer, post("/v1/chat/completions", proxy.key("models"), CHAT))
            assert await asyncio.wait_for(reader.read(), 30) == b""


async def test_a_slow_body_gets_the_routes_408(tmp_path: Path) -> None:
    async with running(tmp_path, body_timeout=1.0) as (proxy, _):
        key = proxy.key("models")
        async with connection(proxy.url) as (reader, writer):
            whole = post("/v1/chat/completions", key, CHAT)
            writer.write(whole[:-5])  # the body's end never comes
            response = await asyncio.wait_for(reader.read(), 30)
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        assert b"Connection: close" in head
        assert orjson.loads(body)["error"]["code"] == "request_timeout"


async def test_a_malformed_head_gets_the_fixed_400_from_the_front(tmp_path: Path) -> None:
    async with running(tmp_path) as (proxy, _):
        async with connection(proxy.url) as (reader, writer):
            writer.write(
                b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n{}"
            )
            response = await asyncio.wait_for(reader.read(), 30)
        assert response.startswith(b"HTTP/1.1 400 ")
        assert response.endswith(malformed_body("malformed body framing"))


async def test_stop_drains_requests_in_flight_and_closes_idle_ones(tmp_path: Path) -> None:
    async with running(tmp_path, sim={"latency": 0.5}) as (proxy, front):
        assert front is not None
        key = proxy.key("models")
        async with connection(proxy.url) as (idle_r, _), connection(proxy.url) as (r, w):
            w.write(post("/v1/chat/completions", key, CHAT))
            await asyncio.sleep(0.2)  # the request is in flight (the upstream takes 0.5 s)
            stopping = asyncio.create_task(front.stop(10.0))
            assert await asyncio.wait_for(idle_r.read(), 30) == b""  # idle: closed at once
            response = await asyncio.wait_for(r.read(), 30)  # answered, then closed
            await stopping
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"Connection: close" in head
        assert b"echo: hi" in body
        with pytest.raises(ConnectionRefusedError):  # no longer accepting
            await asyncio.open_connection(*proxy.url.removeprefix("http://").split(":"))


async def test_a_client_leaving_mid_request_leaves_the_front_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(tmp_path, sim={"latency": 0.3}) as (proxy, front):
        assert front is not None
        key = proxy.key("models")
        async with connection(proxy.url) as (_, writer):
            writer.write(post("/v1/chat/completions", key, CHAT))
            await asyncio.sleep(0.1)  # in flight; then the client goes
        await asyncio.sleep(0.5)  # the handler ran to its end (aiohttp's default: not cancelled)
        async with connection(proxy.url) as (reader, writer):
            head, body = await exchange(reader, writer, post("/v1/chat/completions", key, CHAT))
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"echo: hi" in body
        assert len(proxy.sim.requests) == 2  # the first call reached its upstream too
        assert "Error handling request" not in caplog.text


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_official_mcp_client_through_the_front(tmp_path: Path, mode: str) -> None:
    """`POST /mcp` with an API key is the front's (streamed replies written by aiohttp's own
    writer); GET and DELETE (the session's stream and its end) are aiohttp's."""
    from mcp import Client
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
    from mcp_types import TextContent

    async with running(tmp_path) as (proxy, front):
        assert front is not None
        headers = {"Authorization": f"Bearer {proxy.key('mcp')}"}
        async with (
            create_mcp_http_client(headers=headers) as http_client,
            Client(
                streamable_http_client(f"{proxy.url}/mcp", http_client=http_client), mode=mode
            ) as client,
        ):
            tools = await client.list_tools()
            assert "demo__add" in {t.name for t in tools.tools}
            for a in range(3):
                result = await client.call_tool("demo__add", {"a": a, "b": 2})
                assert isinstance(result.content[0], TextContent)
                assert result.content[0].text == str(a + 2)
            assert front.connections  # the POSTs' connections stayed with the front


async def mcp_outcomes(tmp_path: Path, front: bool) -> list[tuple[int, list[str], Any]]:
    async with running(tmp_path, front) as (proxy, _):
        key = proxy.key("mcp")
        call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": "demo__add", "arguments": {"a": 1, "b": 2}}}  # fmt: skip
        cases = [
            ({"Authorization": f"Bearer {key}"}, call),  # legacy, no session: a 400
            ({"Authorization": f"Bearer {key}", "Origin": "http://evil.example"}, call),
            ({"Authorization": f"Bearer {key}"}, {"jsonrpc": "2.0", "id": 1}),
            ({"Authorization": "Bearer mcpr_nope"}, call),
        ]
        found = []
        async with aiohttp.ClientSession() as http:
            for headers, body in cases:
                sent = {**headers, "Accept": "application/json, text/event-stream"}
                async with http.post(proxy.url + "/mcp", json=body, headers=sent) as r:
                    raw = await r.read()
                names = sorted(k.lower() for k in r.headers if k.lower() not in VOLATILE)
                found.append((r.status, names, orjson.loads(raw)))
        return found


async def test_mcp_answers_match_aiohttps_path(tmp_path: Path) -> None:
    front = await mcp_outcomes(tmp_path / "front", front=True)
    plain = await mcp_outcomes(tmp_path / "plain", front=False)
    assert [status for status, _, _ in front] == [400, 403, 400, 401]
    assert front == plain
