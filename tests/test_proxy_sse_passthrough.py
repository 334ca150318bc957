"""OpenAI chat streams relayed as the upstream's bytes (`models/sse_passthrough.py`): the openai
SDK streams through the proxy from an upstream written here, whose chunks are spaced JSON with
a field of its own, so a decode and re-encode would show; usage is still read from the final
chunk (and hidden when the caller did not ask for it), and cut or idle streams still end with
the error event that says why. A whole (not streamed) completion goes out as its bytes too
(`http.ReplyJson`), its usage still counted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from aiohttp import web

from mcp_support import serve
from mcproute.errors import UpstreamError
from mcproute.models.http import SseEvent
from mcproute.models.sse_passthrough import passed_event
from proxy_support import output_tokens_counted, running_proxy

CHUNKS = [
    {"id": "c1", "object": "chat.completion.chunk", "x_upstream": 1, "usage": None,
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    {"id": "c1", "object": "chat.completion.chunk", "x_upstream": 2, "usage": None,
     "choices": [{"index": 0, "delta": {"content": "passed "}}]},
    {"id": "c1", "object": "chat.completion.chunk", "x_upstream": 3, "usage": None,
     "choices": [{"index": 0, "delta": {"content": "through"}, "finish_reason": "stop"}]},
]  # fmt: skip
USAGE = {"id": "c1", "object": "chat.completion.chunk", "choices": [],
         "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}  # fmt: skip
COMPLETION = {"id": "c2", "object": "chat.completion", "x_upstream": "é", "model": "gpt-4",
              "choices": [{"index": 0, "finish_reason": "stop",
                           "message": {"role": "assistant", "content": "whole"}}],
              "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}  # fmt: skip
COMPLETION_BYTES = json.dumps(COMPLETION).encode()  # spaced, and "é" as an escape


def _event(chunk: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"  # spaced: not orjson's bytes


class Upstream:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        if not body.get("stream"):
            return web.Response(body=COMPLETION_BYTES, content_type="application/json")
        how = body["messages"][-1]["content"]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if how == "cut":
            await response.write(_event(CHUNKS[0]))
            request.transport.close()  # type: ignore[union-attr]  # no [DONE]
            return response
        if how == "idle":
            await response.write(_event(CHUNKS[0]))
            await asyncio.sleep(5)
            return response
        for chunk in CHUNKS:
            await response.write(_event(chunk))
        if (body.get("stream_options") or {}).get("include_usage"):
            await response.write(_event(USAGE))
        await response.write(b"data: [DONE]\n\n")
        return response


@dataclass
class Setup:
    url: str
    key: str
    admin: str
    upstream: Upstream
    client: openai.AsyncOpenAI


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    upstream = Upstream()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", upstream.chat)
    async with serve(app) as mcp_url:
        upstream_url = mcp_url.removesuffix("/mcp") + "/v1"

        def document(sim_url: str, mcp_url: str) -> dict[str, Any]:
            model = {"name": "gpt-4", "stream_idle_timeout": 0.5}
            return {"mcp": {"models": {"openai": {"endpoint": upstream_url, "models": [model]}}}}

        async with running_proxy(tmp_path, config_document=document) as proxy:
            key = proxy.key("models")
            client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=key, max_retries=0)
            yield Setup(proxy.url, key, proxy.key("admin"), upstream, client)
            await client.close()


async def test_the_upstreams_bytes_reach_the_sdk_and_usage_is_read_from_the_last_chunk(
    setup: Setup,
) -> None:
    url, key, client = setup.url, setup.key, setup.client
    stream = await client.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "passed through"
    )
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 7
    assert chunks[0].model_extra == {"x_upstream": 1}  # the upstream's own field, kept

    body = {"model": "gpt-4", "stream": True, "messages": [{"role": "user", "content": "hi"}],
            "stream_options": {"include_usage": True}}  # fmt: skip
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
        ) as r:
            relayed = await r.read()
        expected = b"".join(_event(c) for c in [*CHUNKS, USAGE]) + b"data: [DONE]\n\n"
        assert relayed == expected  # byte for byte: spacing and key order as the upstream sent
        counted = await output_tokens_counted(http, url, setup.admin)
    assert counted == 4.0  # two streams, 2 output tokens each


async def test_a_whole_completion_goes_out_as_the_upstreams_bytes(setup: Setup) -> None:
    url, key = setup.url, setup.key
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
        ) as r:
            assert r.status == 200
            assert r.content_type == "application/json"
            relayed = await r.read()
        assert relayed == COMPLETION_BYTES  # byte for byte, not encoded again
        counted = await output_tokens_counted(http, url, setup.admin)
    assert counted == 3.0  # its usage was read all the same
    reply = await setup.client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices[0].message.content == "whole"
    assert reply.model_extra == {"x_upstream": "é"}


async def test_usage_the_caller_did_not_ask_for_is_read_but_not_relayed(
    setup: Setup,
) -> None:
    upstream, client = setup.upstream, setup.client
    stream = await client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    assert [c.usage for c in chunks] == [None, None, None]
    assert upstream.bodies[-1]["stream_options"] == {"include_usage": True}  # asked upstream


@pytest.mark.parametrize(("how", "code"), [("cut", "upstream_cut"), ("idle", "idle_timeout")])
async def test_a_cut_or_idle_stream_ends_with_an_error_event_that_says_why(
    setup: Setup, how: str, code: str
) -> None:
    client = setup.client
    stream = await client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": how}], stream=True
    )
    seen: list[object] = []

    async def read_all() -> None:
        async for chunk in stream:
            seen.append(chunk)

    with pytest.raises(openai.APIError) as raised:
        await read_all()
    assert len(seen) == 1  # the first chunk, relayed before the stream broke
    assert raised.value.code == code


def test_only_usage_and_error_events_are_decoded_and_data_lines_stay_lines() -> None:
    plain = passed_event(SseEvent(None, b'{"usage": null, "choices": [1]}'), "d")
    assert plain == (b'data: {"usage": null, "choices": [1]}\n\n', None, False)
    usage = passed_event(SseEvent(None, b'{"choices": [], "usage": {"total_tokens": 3}}'), "d")
    assert usage.usage == {"total_tokens": 3}
    assert usage.usage_only
    spread = passed_event(SseEvent(None, b'{"choices":\n[1]}'), "d")  # two data: lines upstream
    assert spread.sse == b'data: {"choices":\ndata: [1]}\n\n'
    with pytest.raises(UpstreamError):
        passed_event(SseEvent(None, b'{"error": {"message": "overloaded"}}'), "d")
