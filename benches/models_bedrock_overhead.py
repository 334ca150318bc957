"""Bedrock adapter overhead against a raw aiohttp request to the same upstream simulator.

Every request to Bedrock must be signed, so the raw client signs each request with the core's
SigV4 signer (as cheap as signing gets) and decodes what it gets: the JSON body, or each
event-stream frame's JSON payload. A second raw row reuses one signed request, to show what a
fresh signature costs the simulator's verification. The adapter signs, translates OpenAI to
Converse and back, and turns each stream event into an OpenAI chunk. Same method as
``benches.models_overhead``.

    python -m benches.models_bedrock_overhead [--requests 300] [--rounds 15]  (part of `make bench`)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson
from yarl import URL

from benches.models_overhead import Call, measure, simulator_process
from benches.run import machine, replace_section
from mcproute._core import EventStreamDecoder, SigV4Signer
from mcproute.models.bedrock import BedrockAdapter
from mcproute.models.bedrock_config import AwsSettings
from mcproute.models.http import get_session
from mcproute.secret import Secret
from mcproute.testing.upstream_bedrock import SIM_ACCESS_KEY_ID, SIM_SECRET_ACCESS_KEY

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
BODY = {"model": "claude", "messages": [{"role": "user", "content": "benchmark the adapter"}]}
ANTHROPIC_BODY = {**BODY, "max_tokens": 64}
CONVERSE = {"messages": [{"role": "user", "content": [{"text": "benchmark the adapter"}]}]}
TOKENS = 16
EVENTS = TOKENS + 4  # messageStart, one delta per token, contentBlockStop, messageStop, metadata


def calls(url: str) -> dict[str, Call]:
    session = get_session()
    aws = AwsSettings("us-east-1", SIM_ACCESS_KEY_ID, Secret(SIM_SECRET_ACCESS_KEY))
    adapter = BedrockAdapter(url, aws, model=MODEL)
    signer = SigV4Signer(
        SIM_ACCESS_KEY_ID, SIM_SECRET_ACCESS_KEY, region="us-east-1", service="bedrock"
    )
    payload = orjson.dumps(CONVERSE)
    prefix = f"{url}/model/{MODEL.replace(':', '%3A')}"

    def signed(path: str, accept: str) -> tuple[URL, str, dict[str, str]]:
        headers = {"Content-Type": "application/json", "Accept": accept}
        return URL(prefix + path, encoded=True), prefix + path, headers

    def sign(text: str, headers: dict[str, str]) -> dict[str, str]:
        return {**headers, **signer.sign("POST", text, headers, payload)}

    json_url, json_text, json_headers = signed("/converse", "application/json")
    stream_url, stream_text, stream_headers = signed(
        "/converse-stream", "application/vnd.amazon.eventstream"
    )
    presigned = sign(json_text, json_headers)

    async def post_json(headers: dict[str, str]) -> Any:
        async with session.post(json_url, data=payload, headers=headers) as response:
            assert response.status == 200, response.status
            return orjson.loads(await response.read())

    async def raw_json_presigned() -> Any:
        return await post_json(presigned)

    async def raw_json() -> Any:
        return await post_json(sign(json_text, json_headers))

    async def raw_stream() -> int:
        count = 0
        decoder = EventStreamDecoder()
        headers = sign(stream_text, stream_headers)
        async with session.post(stream_url, data=payload, headers=headers) as response:
            assert response.status == 200, response.status
            async for chunk in response.content.iter_any():
                for _headers, body in decoder.feed(chunk):
                    orjson.loads(body)
                    count += 1
        return count

    async def adapter_json() -> Any:
        return await adapter.chat(BODY)

    async def adapter_stream() -> int:
        return sum([1 async for _ in adapter.chat_stream(BODY)])

    async def adapter_messages() -> Any:
        return await adapter.messages(ANTHROPIC_BODY)

    async def adapter_messages_stream() -> int:
        return sum([1 async for _ in adapter.messages_stream(ANTHROPIC_BODY)])

    return {
        "raw aiohttp, Converse JSON, one signed request reused": raw_json_presigned,
        "raw aiohttp, Converse JSON": raw_json,
        "BedrockAdapter.chat (OpenAI in and out)": adapter_json,
        "BedrockAdapter.messages (Anthropic in and out)": adapter_messages,
        "raw aiohttp, ConverseStream": raw_stream,
        "BedrockAdapter.chat_stream (OpenAI chunks)": adapter_stream,
        "BedrockAdapter.messages_stream (Anthropic events)": adapter_messages_stream,
    }


def report(medians: dict[str, float]) -> str:
    lines = [
        "| call | µs per call (median) | vs raw aiohttp | added per call | added per event |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    base = medians["raw aiohttp, Converse JSON"]
    for name, seconds in medians.items():
        if name.startswith("raw") and "reused" not in name:
            base = seconds
        stream = "tream" in name
        per_event = f"{(seconds - base) * 1e6 / EVENTS:+.2f} µs" if stream else "—"
        lines.append(
            f"| {name} | {seconds * 1e6:.0f} | {seconds / base:.3f}x "
            f"| {(seconds - base) * 1e6:+.0f} µs | {per_event} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with simulator_process(tokens=TOKENS) as url:
        medians = asyncio.run(measure(url, args.requests, args.rounds, calls))
    body = (
        "## models-bedrock\n\n"
        "Bedrock adapter overhead over a raw aiohttp request to the same simulator (targets: "
        "≤ 30 µs added per non-streaming call, ≤ 5 µs per stream event). The raw client signs "
        "each request with the core's SigV4 signer and decodes the JSON or each frame's "
        "payload (the row that reuses one signed request shows the simulator's cost of "
        "verifying a fresh signature); the adapter also translates OpenAI ↔ Converse and "
        "builds an OpenAI chunk per event. Added cost is against the raw row signed per call. "
        f"Streams carry {EVENTS} events ({TOKENS} tokens). On a loaded machine the spread "
        "between runs exceeds these differences; the `bedrock` section measures the adapter's "
        "own work without the network.\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `python -m benches.models_bedrock_overhead` ({args.rounds} rounds x "
        f"{args.requests} requests).\n\n" + report(medians) + "\n"
    )
    replace_section("models-bedrock", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
