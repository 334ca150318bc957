"""Anthropic Messages streams relayed as the upstream's bytes (`anthropic.passed_event`): the
anthropic SDK streams `/v1/messages` through the proxy from an Anthropic upstream written here,
whose events are spaced JSON with a field of its own, so a decode and re-encode would show;
pings are dropped; usage is still read from `message_start` and `message_delta` (metrics), an
in-band error event still ends the stream with the error event, and a cut still says why."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import pytest
from aiohttp import web

from mcp_support import serve
from mcproute.errors import UpstreamError
from mcproute.models.anthropic import passed_event
from mcproute.models.http import SseEvent
from proxy_support import output_tokens_counted, running_proxy

EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "x_upstream": 1, "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "ping"},
    {"type": "content_block_delta", "index": 0, "x_upstream": 2,
     "delta": {"type": "text_delta", "text": "passed "}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "through"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
     "usage": {"output_tokens": 2}},
    {"type": "message_stop"},
]  # fmt: skip
ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def _event(event: dict[str, Any]) -> bytes:  # spaced: not orjson's bytes
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


async def messages(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    how = body["messages"][-1]["content"]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    if how == "error":
        await response.write(_event(EVENTS[0]) + _event(ERROR))
        return response
    if how == "cut":
        await response.write(_event(EVENTS[0]))
        request.transport.close()  # type: ignore[union-attr]  # no message_stop
        return response
    for event in EVENTS:
        await response.write(_event(event))
    return response


@dataclass
class Setup:
    url: str
    key: str
    admin: str
    client: anthropic.AsyncAnthropic


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    app = web.Application()
    app.router.add_post("/v1/messages", messages)
    async with serve(app) as mcp_url:
        upstream_url = mcp_url.removesuffix("/mcp")

        def document(sim_url: str, mcp_url: str) -> dict[str, Any]:
            provider = {"type": "anthropic", "endpoint": upstream_url, "api_key": "sk-ant",
                        "models": [{"name": "claude", "stream_idle_timeout": 0.5}]}  # fmt: skip
            return {"mcp": {"models": {"anthropic": provider}}}

        async with running_proxy(tmp_path, config_document=document) as proxy:
            key = proxy.key("models")
            client = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=key, max_retries=0)
            yield Setup(proxy.url, key, proxy.key("admin"), client)
            await client.close()


async def test_the_upstreams_bytes_reach_the_sdk_and_usage_is_read(setup: Setup) -> None:
    async with setup.client.messages.stream(
        model="claude", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "passed through"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (5, 2)

    body = {"model": "claude", "max_tokens": 10, "stream": True,
            "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{setup.url}/v1/messages", json=body, headers={"x-api-key": setup.key}
        ) as r:
            relayed = await r.read()
        expected = b"".join(_event(e) for e in EVENTS if e["type"] != "ping")
        assert relayed == expected  # byte for byte, pings dropped
        counted = await output_tokens_counted(http, setup.url, setup.admin)
    assert counted == 4.0  # two streams, 2 output tokens each


@pytest.mark.parametrize(("how", "says"), [("error", "Overloaded"), ("cut", "cut short")])
async def test_an_error_event_or_a_cut_ends_the_stream_with_an_error_event(
    setup: Setup, how: str, says: str
) -> None:
    body = {"model": "claude", "max_tokens": 10, "stream": True,
            "messages": [{"role": "user", "content": how}]}  # fmt: skip
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{setup.url}/v1/messages", json=body, headers={"x-api-key": setup.key}) as r,
    ):
        relayed = await r.read()
    assert relayed.startswith(_event(EVENTS[0]))  # relayed before the stream broke
    last = relayed.rstrip(b"\n").rsplit(b"\n\n", 1)[-1]
    assert last.startswith(b"event: error\ndata: ")
    error = json.loads(last.split(b"data: ", 1)[1])["error"]
    assert error["type"] == "api_error"  # the upstream's 5xx kind, as without the byte relay
    assert says in error["message"], error


def test_only_usage_and_error_events_are_decoded() -> None:
    delta = SseEvent("content_block_delta", b'{"not": json')  # not decoded: relayed as it is
    passed, last = passed_event(delta, "d")
    assert passed is not None
    assert (passed.sse, passed.usage, last) == (
        b'event: content_block_delta\ndata: {"not": json\n\n',
        None,
        False,
    )
    start = passed_event(SseEvent("message_start", json.dumps(EVENTS[0]).encode()), "d")[0]
    assert start is not None
    assert start.usage == {"input_tokens": 5, "output_tokens": 1}
    unnamed = passed_event(SseEvent(None, b'{"type": "message_stop"}'), "d")
    assert unnamed[0] is not None
    assert unnamed[0].sse.startswith(b"event: message_stop\n")
    assert unnamed[1]
    assert passed_event(SseEvent("ping", b'{"type": "ping"}'), "d") == (None, False)
    with pytest.raises(UpstreamError) as raised:
        passed_event(SseEvent("error", json.dumps(ERROR).encode()), "d")
    assert "Overloaded" in str(raised.value)
