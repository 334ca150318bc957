"""Provider adapter overhead against a raw aiohttp request to the same upstream simulator.

The simulator runs in its own process; the client side runs raw aiohttp and each adapter in
interleaved rounds in one event loop, so all see the same machine state. Reports per-call medians
and the adapter's added cost (adapter minus raw) per call.

    python -m benches.models_overhead [--requests 300] [--rounds 15]   (part of `make bench`)
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson

from benches.run import machine, replace_section
from mcproute.models.anthropic import AnthropicAdapter
from mcproute.models.http import close_session, get_session
from mcproute.models.openai import OpenAIAdapter
from mcproute.secret import Secret

BODY = {"model": "gpt-4", "messages": [{"role": "user", "content": "benchmark the adapter"}]}
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}
Call = Callable[[], Awaitable[Any]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def simulator_process(tokens: int = 16) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcproute.testing.upstream",
            *("--port", str(port), "--tokens", str(tokens)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def raw_call(url: str, headers: Mapping[str, str], body: Any, stream: bool) -> Call:
    """Raw aiohttp on the shared session: POST `body`, decode the reply (with `stream`, each
    SSE event, returning their count)."""
    session = get_session()
    data = orjson.dumps(body)

    async def raw_json() -> Any:
        async with session.post(url, data=data, headers=headers) as response:
            return orjson.loads(await response.read())

    async def raw_stream() -> int:
        count = 0
        async with session.post(url, data=data, headers=headers) as response:
            async for line in response.content:
                if line.startswith(b"data: {"):
                    orjson.loads(line[6:])
                    count += 1
        return count

    return raw_stream if stream else raw_json


def calls(url: str) -> dict[str, Call]:
    """The contenders; every one makes the same upstream request and decodes the reply."""
    openai = OpenAIAdapter(url, Secret("sk-bench"))
    anthropic = AnthropicAdapter(url, Secret("sk-bench"))
    chat_url = url + "/v1/chat/completions"
    raw_json = raw_call(chat_url, HEADERS, {**BODY, "stream": False}, stream=False)
    raw_stream = raw_call(chat_url, HEADERS, {**BODY, "stream": True}, stream=True)

    async def openai_json() -> Any:
        return await openai.chat(BODY)

    async def openai_stream() -> int:
        return sum([1 async for _ in openai.chat_stream(BODY)])

    async def anthropic_json() -> Any:
        return await anthropic.messages(BODY)

    return {
        "raw aiohttp, JSON": raw_json,
        "OpenAIAdapter.chat": openai_json,
        "AnthropicAdapter.messages": anthropic_json,
        "raw aiohttp, SSE stream": raw_stream,
        "OpenAIAdapter.chat_stream": openai_stream,
    }


async def _time(call: Call, requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        await call()
    return (time.perf_counter() - start) / requests


async def measure(
    url: str, requests: int, rounds: int, contenders_at: Callable[[str], dict[str, Call]] = calls
) -> dict[str, float]:
    contenders = contenders_at(url)
    for call in contenders.values():  # warm connections and code paths
        await _time(call, 20)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            samples[name].append(await _time(call, requests))
    await close_session()
    return {name: statistics.median(values) for name, values in samples.items()}


def report(medians: dict[str, float]) -> str:
    baselines = {"JSON": medians["raw aiohttp, JSON"], "SSE": medians["raw aiohttp, SSE stream"]}
    lines = [
        "| call | µs per call (median) | vs raw aiohttp | added per call |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, seconds in medians.items():
        base = baselines["SSE"] if "stream" in name else baselines["JSON"]
        lines.append(
            f"| {name} | {seconds * 1e6:.0f} | {seconds / base:.3f}x "
            f"| {(seconds - base) * 1e6:+.0f} µs |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with simulator_process() as url:
        medians = asyncio.run(measure(url, args.requests, args.rounds))
    body = (
        "## models\n\n"
        "Provider adapter overhead over a raw aiohttp request to the same upstream simulator "
        "(target: an adapter adds ≤ 100 µs per non-streaming call). The simulator runs in its "
        "own process; raw aiohttp and the adapters run in interleaved rounds in one event loop "
        "on the shared pooled session. Streams carry 18 events (role, 16 tokens, finish).\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `python -m benches.models_overhead` ({args.rounds} rounds x "
        f"{args.requests} requests).\n\n" + report(medians) + "\n"
    )
    replace_section("models", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
