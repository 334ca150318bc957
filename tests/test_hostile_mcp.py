"""Hostile input to `/mcp` of `mcproute serve --workers 2`: wrong-typed and out-of-range
JSON-RPC bodies (every envelope member, every parameter of each method, both eras), bytes that
are not JSON, and wrong headers, generated with hypothesis. Every case gets a 4xx or a JSON-RPC
error that names what is wrong, never a 5xx; the gateway serves normally afterwards; and no
response body or header, nor the proxy's log, carries an API key or another key's session.

Requests go from a worker thread over plain `http.client` (headers sent as raw bytes), while the
upstream MCP server runs in the test's event loop."""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mcp_proxy_support import McpProxy, mcp_proxy
from mcp_support import serve
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.testing.everything_server import build
from schema_oracle import ANY_JSON
from test_proxy_crash import wait_ready

VERSION = "2025-11-25"
MODERN = "2026-07-28"
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

# A valid call of each method, and the JSON type of each of its parameters.
METHODS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "tools/call": ({"name": "ever__test_simple_text", "arguments": {}},
                   {"name": "string", "arguments": "object"}),
    "prompts/get": ({"name": "ever__test_simple_prompt", "arguments": {}},
                    {"name": "string", "arguments": "object"}),
    "resources/read": ({"uri": "test://static-text"}, {"uri": "string"}),
    "resources/subscribe": ({"uri": "test://watched-resource"}, {"uri": "string"}),
    "resources/unsubscribe": ({"uri": "test://watched-resource"}, {"uri": "string"}),
    "logging/setLevel": ({"level": "info"}, {"level": "string"}),
    "tools/list": ({}, {"cursor": "string", "_meta": "object"}),
    "resources/list": ({}, {"cursor": "string"}),
    "resources/templates/list": ({}, {"cursor": "string"}),
    "prompts/list": ({}, {"cursor": "string"}),
    "completion/complete": ({"ref": {"type": "ref/prompt", "name": "ever__test_simple_prompt"},
                             "argument": {"name": "a", "value": "b"}},
                            {"ref": "object", "argument": "object"}),
}  # fmt: skip
# 2026-07-28 tools/call parameters of a request round.
MODERN_FIELDS = {"name": "string", "arguments": "object", "requestState": "string",
                 "inputResponses": "object"}  # fmt: skip


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def not_a(kind: str) -> st.SearchStrategy[Any]:
    return ANY_JSON.filter(lambda v: json_type(v) != kind)


def not_an_id(value: Any) -> bool:
    """Neither a string nor an integer: 2.0 is an integer to JSON Schema, so it is an id."""
    integral = isinstance(value, float) and value.is_integer()
    return json_type(value) not in ("integer", "string") and not integral


huge_ints = st.integers(min_value=2**64).flatmap(lambda n: st.sampled_from([n, -n]))
header_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\x7f"), max_size=40
)
# Values shaped like what the headers hold: event ids (digits of any script, any length), URLs.
header_values = (
    header_text
    | st.from_regex(r"\A[0-9\u00b2\u0663]{1,6}:[0-9\u00b2\u0663]{1,6}\Z")
    | st.integers(1, 6000).map(lambda n: f"1:{'9' * n}")
    | header_text.map(lambda t: f"http://[{t}")
)


class Client:
    """Blocking requests to the proxy, recording every response for the secret check."""

    def __init__(self, proxy: McpProxy) -> None:
        parts = urlsplit(proxy.url)
        self.host, self.port = parts.hostname or "", parts.port or 80
        self.proxy = proxy
        self.seen: list[bytes] = []

    def request(
        self, method: str, headers: dict[str, str | bytes], body: bytes | None = None
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            conn.putrequest(method, "/mcp", skip_host="Host" in headers, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value.encode() if isinstance(value, str) else value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read()
            self.seen.append(str(response.getheaders()).encode() + data)
            return response.status, data
        finally:
            conn.close()


def assert_refused(status: int, data: bytes, naming: str | None = None) -> dict[str, Any]:
    """A 4xx, or a JSON-RPC error whatever the status; never a 5xx. The error's message names
    `naming` when given."""
    assert status < 500, data
    reply = orjson.loads(data)
    assert status >= 400 or "error" in reply, reply
    error = reply["error"]
    assert isinstance(error["code"], int)
    assert error["message"]
    if naming is not None:
        assert naming in error["message"], (naming, error)
    return reply


async def open_session(http: aiohttp.ClientSession, proxy: McpProxy, caller: str) -> str:
    conn = MCPConnection(f"{proxy.url}/mcp", http=http, headers=proxy.auth(caller), prefer="legacy")
    await conn.connect()
    assert conn.session_id is not None
    return conn.session_id


async def test_hostile_input_to_mcp(tmp_path: Path) -> None:
    async with (
        serve(StreamableHTTP(build()).app()) as ever_url,
        mcp_proxy(tmp_path, {"ever": {"url": ever_url}}, {"a": ["mcp"], "b": ["mcp"]}) as proxy,
        aiohttp.ClientSession() as http,
    ):
        await wait_ready(http, proxy.url)
        session_a = await open_session(http, proxy, "a")
        session_b = await open_session(http, proxy, "b")
        session_get = await open_session(http, proxy, "a")
        client = Client(proxy)
        legacy = {**proxy.auth("a"), "Content-Type": "application/json",
                  "Mcp-Session-Id": session_a, "MCP-Protocol-Version": VERSION}  # fmt: skip
        runs = hostile_runs(client, legacy, session_get)
        for run in runs:
            await asyncio.to_thread(run)
        for size in (5 << 20, 9 << 20):  # over the message limit, and over the body limit
            padding = b" " * size
            body = b'{"jsonrpc":"2.0","id":1,"method":"ping"' + padding + b"}"
            status, data = await asyncio.to_thread(client.request, "POST", legacy, body)
            assert status == 413
            assert_refused(status, data, naming="limit")

        # Still serving, both sessions intact.
        for caller in ("a", "b"):
            async with MCPConnection(
                f"{proxy.url}/mcp", http=http, headers=proxy.auth(caller), prefer="legacy"
            ) as conn:
                assert (await conn.call_tool("ever__test_simple_text"))["content"]
        as_b = {**proxy.auth("b"), "Mcp-Session-Id": session_b, "MCP-Protocol-Version": VERSION}
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        async with http.post(f"{proxy.url}/mcp", json=listing, headers=as_b) as r:
            assert r.status == 200
        secrets = [*proxy.keys.values(), session_b]
        secrets += [key.split("_")[3] for key in proxy.keys.values()]  # mcpr_env_id_SECRET_sum
        assert len(client.seen) >= 250  # every search ran its examples
        seen = b"\n".join(client.seen)
        log = proxy.stderr.read_bytes()
        for secret in secrets:
            assert secret.encode() not in seen
            assert secret.encode() not in log
        assert b"Traceback" not in log


def hostile_runs(
    client: Client, legacy: dict[str, str], session_get: str
) -> list[Callable[[], None]]:
    """The hypothesis searches, each run in a thread."""

    @EXAMPLES
    @given(member=st.sampled_from(["jsonrpc", "id", "method"]), data=st.data())
    def envelope(member: str, data: st.DataObject) -> None:
        kinds = {"jsonrpc": "string", "method": "string"}
        if member == "id":
            value = data.draw(ANY_JSON.filter(not_an_id) | huge_ints)
        elif member == "jsonrpc":
            value = data.draw(ANY_JSON.filter(lambda v: v != "2.0"))
        else:
            value = data.draw(not_a(kinds[member]))
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", member: value}
        assert_refused(*client.request("POST", legacy, _dumps(body)), naming=member)

    @EXAMPLES
    @given(method=st.sampled_from(sorted(METHODS)), data=st.data())
    def parameters(method: str, data: st.DataObject) -> None:
        valid, fields = METHODS[method]
        field = data.draw(st.sampled_from(sorted(fields)))
        params = {**valid, field: data.draw(not_a(fields[field]))}
        body = {"jsonrpc": "2.0", "id": data.draw(st.integers(0, 2**53)), "method": method,
                "params": params}  # fmt: skip
        assert_refused(*client.request("POST", legacy, _dumps(body)), naming=f"params.{field}")

    @EXAMPLES
    @given(field=st.sampled_from(sorted(MODERN_FIELDS)), data=st.data())
    def modern_parameters(field: str, data: st.DataObject) -> None:
        meta = {"io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": {}}  # fmt: skip
        params = {"name": "ever__test_simple_text", "arguments": {}, "_meta": meta,
                  field: data.draw(not_a(MODERN_FIELDS[field]))}  # fmt: skip
        name = params["name"] if isinstance(params["name"], str) else "ever__test_simple_text"
        headers = {**client.proxy.auth("a"), "Content-Type": "application/json",
                   "Mcp-Method": "tools/call", "Mcp-Name": name}  # fmt: skip
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
        status, reply = client.request("POST", headers, _dumps(body))
        assert_refused(status, reply, naming=f"params.{field}")

    @EXAMPLES
    @given(
        raw=st.binary(max_size=200)
        | st.integers(1, 5000).map(lambda n: b"[" * n)
        | st.sampled_from(
            [
                b'{"jsonrpc":"2.0","id":1e999,"method":"ping"}',
                b"",
                b"null",
                b'{"jsonrpc":"2.0","id":1,"method":"ping"',
                b"\xff\xfe{}",
                b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}',
            ]
        )
    )
    def not_json(raw: bytes) -> None:
        status, data = client.request("POST", legacy, raw)
        if status == 202:  # the bytes happened to be a notification or a response
            return
        assert_refused(status, data)

    @EXAMPLES
    @given(
        verb=st.sampled_from(["POST", "GET", "DELETE"]),
        name=st.sampled_from(["Mcp-Session-Id", "MCP-Protocol-Version", "Mcp-Method", "Mcp-Name",
                              "Last-Event-ID", "Accept", "Content-Type", "Origin", "Host"]),
        value=header_values,
    )  # fmt: skip
    @example(verb="GET", name="Last-Event-ID", value="1:" + "9" * 5000)
    @example(verb="GET", name="Last-Event-ID", value="\u00b2:0")
    @example(verb="POST", name="Origin", value="http://[")
    def headers(verb: str, name: str, value: str) -> None:
        listing = _dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        sent: dict[str, str | bytes] = {**legacy}
        if verb == "GET":  # a session without streams: a resumption cannot hang on one
            sent.update({"Mcp-Session-Id": session_get, "Last-Event-ID": "x",
                         "Accept": "text/event-stream"})  # fmt: skip
        if verb == "DELETE":  # a session that does not exist: nothing the others use ends
            sent["Mcp-Session-Id"] = "mcpr1.none"
        if name == "Mcp-Session-Id" and verb != "GET":
            value = "mcpr1." + value  # looks like a token; is none
        sent[name] = value.encode()
        status, data = client.request(verb, sent, listing if verb == "POST" else None)
        if status < 300:
            return  # a harmless value (a supported version, a matching method, ...)
        assert_refused(status, data)

    return [envelope, parameters, modern_parameters, not_json, headers]


def _dumps(body: dict[str, Any]) -> bytes:
    """JSON, integers past 64 bits included (orjson refuses to write them)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
