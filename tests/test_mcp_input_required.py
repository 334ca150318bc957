"""Input from the client mid-request (SEP-2322): one handler, both eras. In 2026-07-28 the
server answers with InputRequiredResults and our client answers and retries; in a legacy
session the same handler sends real server-to-client requests. The requestState cannot be
forged, moved to another tool, or used after it expires."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import pytest

from mcp_support import serve
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.jsonrpc import INVALID_PARAMS, MISSING_CAPABILITY, MCPError
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.protocol.server.input_required import RequestStates
from mcproute.testing.everything_server import build

ALL_INPUT = {"elicitation": {}, "sampling": {}, "roots": {}}


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


async def answer(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """A client that answers every kind of input request."""
    if method == "elicitation/create":
        wanted = set(params["requestedSchema"]["properties"])
        content = {"name": "Ada", "color": "blue", "ok": True, "context": "tests"}
        return {"action": "accept", "content": {k: v for k, v in content.items() if k in wanted}}
    if method == "sampling/createMessage":
        return {"role": "assistant", "content": {"type": "text", "text": "Hi"}, "model": "m"}
    assert method == "roots/list"
    return {"roots": [{"uri": "file:///work", "name": "work"}]}


@pytest.mark.parametrize("prefer", ["modern", "legacy"])
async def test_one_handler_serves_both_eras(prefer: str) -> None:
    asked: list[str] = []

    async def on_request(method: str, params: dict[str, Any]) -> dict[str, Any]:
        asked.append(method)
        return await answer(method, params)

    async with (
        serve(StreamableHTTP(build()).app()) as url,
        MCPConnection(url, prefer=prefer, capabilities=ALL_INPUT, on_request=on_request) as conn,
    ):
        assert conn.era == prefer
        result = await conn.call_tool("test_input_required_result_multi_round")
        assert result["content"][0]["text"] == "Ada likes blue"
        assert asked == ["elicitation/create", "elicitation/create"]  # one per round
        asked.clear()
        result = await conn.call_tool("test_input_required_result_multiple_inputs")
        assert result["content"][0]["text"] == "Hi Ada (1 roots)"
        assert sorted(asked) == ["elicitation/create", "roots/list", "sampling/createMessage"]
        prompt = await conn.get_prompt("test_input_required_result_prompt")
        assert prompt["messages"][0]["content"]["text"] == "Use this context: tests"


async def post(url: str, params: dict[str, Any], capabilities: Any = None) -> dict[str, Any]:
    """One raw 2026-07-28 tools/call, as any client would send it."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": ALL_INPUT if capabilities is None
        else capabilities,
    }  # fmt: skip
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"arguments": {}, **params, "_meta": meta}}  # fmt: skip
    headers = {"Mcp-Method": "tools/call", "Mcp-Name": params["name"],
               "Accept": "application/json, text/event-stream"}  # fmt: skip
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url, data=orjson.dumps(body), headers={**headers, "Content-Type": "application/json"}
        ) as r,
    ):
        reply: dict[str, Any] = await r.json()
        return reply


async def test_request_state_is_sealed_and_bound() -> None:
    server = build()
    async with serve(StreamableHTTP(server).app()) as url:
        first = (await post(url, {"name": "test_input_required_result_request_state"}))["result"]
        assert first["resultType"] == "input_required"
        assert set(first["inputRequests"]) == {"confirm"}
        state = first["requestState"]
        ok = {"confirm": {"action": "accept", "content": {"ok": True}}}
        done = await post(url, {"name": "test_input_required_result_request_state",
                                "inputResponses": ok, "requestState": state})  # fmt: skip
        assert done["result"]["content"][0]["text"].startswith("state-ok")

        payload, mac = state.split(".")
        forged = f"{payload[:-2]}AA.{mac}"
        for bad, reason in (
            (forged, "integrity check failed"),
            ("not-a-state", "malformed"),
        ):
            reply = await post(url, {"name": "test_input_required_result_request_state",
                                     "inputResponses": ok, "requestState": bad})  # fmt: skip
            assert reply["error"]["code"] == INVALID_PARAMS
            assert reply["error"]["message"] == f"params.requestState: {reason}"
        # A state issued for one tool is refused by another.
        moved = await post(url, {"name": "test_input_required_result_tampered_state",
                                 "inputResponses": ok, "requestState": state})  # fmt: skip
        assert moved["error"]["code"] == INVALID_PARAMS
        assert (
            "issued for 'tools/call test_input_required_result_request_state'"
            in (moved["error"]["message"])
        )
        server.request_states = RequestStates(ttl_s=-1)  # every state is born expired
        stale = (await post(url, {"name": "test_input_required_result_request_state"}))["result"]
        expired = stale["requestState"]
        reply = await post(url, {"name": "test_input_required_result_request_state",
                                 "inputResponses": ok, "requestState": expired})  # fmt: skip
        assert "expired" in reply["error"]["message"]


async def test_bad_answers_and_missing_capabilities_are_errors() -> None:
    async with serve(StreamableHTTP(build()).app()) as url:
        wrong = await post(url, {"name": "test_input_required_result_elicitation",
                                 "inputResponses": {"user_name": {"roots": []}}})  # fmt: skip
        assert wrong["error"]["code"] == INVALID_PARAMS
        # A valid answer to another kind of request (a roots list for an elicitation).
        assert wrong["error"]["message"] == (
            "params.inputResponses.user_name: not an answer to elicitation/create (no 'action')"
        )
        unable = await post(url, {"name": "test_input_required_result_elicitation"}, {})
        assert unable["error"]["code"] == MISSING_CAPABILITY
        assert "did not declare 'elicitation'" in unable["error"]["message"]
        assert unable["error"]["data"] == {"requiredCapabilities": {"elicitation": {}}}
        # The server asks only for what the client can answer.
        partial = await post(url, {"name": "test_input_required_result_capabilities"},
                             {"sampling": {}})  # fmt: skip
        requests = partial["result"]["inputRequests"]
        assert [r["method"] for r in requests.values()] == ["sampling/createMessage"]


async def test_a_client_without_an_answerer_gets_a_clear_error() -> None:
    async with (
        serve(StreamableHTTP(build()).app()) as url,
        MCPConnection(url, capabilities=ALL_INPUT) as conn,
    ):
        with pytest.raises(MCPError, match="asks for input; no on_request"):
            await conn.call_tool("test_input_required_result_elicitation")
