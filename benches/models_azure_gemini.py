"""Azure OpenAI and Gemini adapter overhead against a raw aiohttp request to the same simulator.

Like ``benches.models_overhead`` (whose simulator process and timing it reuses): each adapter is
measured against raw aiohttp at the same upstream path, in interleaved rounds in one event loop.
Reports per-call medians of wall time and of client CPU time, the added cost per call and, for
streams, per event.

    python -m benches.models_azure_gemini [--requests 300] [--rounds 15]   (part of `make bench`)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from typing import Any

from benches.models_overhead import Call, _time, raw_call, simulator_process
from benches.run import machine, replace_section
from mcproute.models.azure import AzureOpenAIAdapter
from mcproute.models.gemini import GeminiAdapter
from mcproute.models.http import close_session
from mcproute.models.translate_gemini import openai_to_gemini_request
from mcproute.secret import Secret

BODY = {"model": "gpt-4", "messages": [{"role": "user", "content": "benchmark the adapter"}]}
TOKENS = 64  # long enough that a stream's per-event cost is not its per-call cost spread thin
AZURE_PATH = "/openai/deployments/gpt-4/chat/completions?api-version=2024-10-21"
GEMINI_PATH = "/v1beta/models/gemini-2.5-flash"


def calls(url: str) -> dict[str, tuple[Call, str]]:
    """Name -> (call, the raw row it is compared with)."""
    azure = AzureOpenAIAdapter(url, Secret("az-bench"), model="gpt-4", api_version="2024-10-21")
    gemini = GeminiAdapter(url, Secret("gm-bench"), model="gemini-2.5-flash")
    gemini_body = openai_to_gemini_request(BODY)

    async def azure_json() -> Any:
        return await azure.chat(BODY)

    async def azure_stream() -> int:
        return sum([1 async for _ in azure.chat_stream(BODY)])

    async def gemini_json() -> Any:
        return await gemini.chat(BODY)

    async def gemini_stream() -> int:
        return sum([1 async for _ in gemini.chat_stream(BODY)])

    json_type = {"Content-Type": "application/json"}
    az, gm = {**json_type, "api-key": "az-bench"}, {**json_type, "x-goog-api-key": "gm-bench"}
    stream_body = {**BODY, "stream": True}
    sse = GEMINI_PATH + ":streamGenerateContent?alt=sse"
    raw_az_json, raw_az_sse = "raw aiohttp, Azure JSON", "raw aiohttp, Azure SSE"
    raw_gm_json, raw_gm_sse = "raw aiohttp, Gemini JSON", "raw aiohttp, Gemini SSE"
    return {
        raw_az_json: (raw_call(url + AZURE_PATH, az, BODY, False), raw_az_json),
        "AzureOpenAIAdapter.chat": (azure_json, raw_az_json),
        raw_az_sse: (raw_call(url + AZURE_PATH, az, stream_body, True), raw_az_sse),
        "AzureOpenAIAdapter.chat_stream": (azure_stream, raw_az_sse),
        raw_gm_json: (
            raw_call(url + GEMINI_PATH + ":generateContent", gm, gemini_body, False),
            raw_gm_json,
        ),
        "GeminiAdapter.chat": (gemini_json, raw_gm_json),
        raw_gm_sse: (raw_call(url + sse, gm, gemini_body, True), raw_gm_sse),
        "GeminiAdapter.chat_stream": (gemini_stream, raw_gm_sse),
    }


async def _time_both(call: Call, requests: int) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) per call: the simulator runs in its own
    process, so CPU time is the client side alone and steadier on a shared machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        await call()
    return (time.perf_counter() - wall) / requests, (time.process_time() - cpu) / requests


Medians = dict[str, tuple[float, float]]


async def measure(url: str, requests: int, rounds: int) -> tuple[Medians, dict[str, str]]:
    contenders = calls(url)
    for call, _ in contenders.values():  # warm connections and code paths
        await _time(call, 20)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (call, _) in contenders.items():
            samples[name].append(await _time_both(call, requests))
    await close_session()
    medians = {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in samples.items()
    }
    return medians, {name: base for name, (_, base) in contenders.items()}


def report(medians: Medians, baselines: dict[str, str], events: dict[str, int]) -> str:
    lines = [
        "| call | µs per call (median) | vs raw aiohttp | added per call | added per event "
        "| client CPU added per call | per event |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, (seconds, cpu) in medians.items():
        base, base_cpu = medians[baselines[name]]
        added, added_cpu = seconds - base, cpu - base_cpu
        count = events.get(name)
        per_event = f"{added / count * 1e6:+.1f} µs" if count else ""
        cpu_event = f"{added_cpu / count * 1e6:+.1f} µs" if count else ""
        lines.append(
            f"| {name} | {seconds * 1e6:.0f} | {seconds / base:.3f}x "
            f"| {added * 1e6:+.0f} µs | {per_event} | {added_cpu * 1e6:+.0f} µs | {cpu_event} |"
        )
    return "\n".join(lines)


async def _event_counts(url: str) -> dict[str, int]:
    """Events each stream carries upstream (the per-event figure divides by these)."""
    contenders = calls(url)
    out = {}
    for name in ("AzureOpenAIAdapter.chat_stream", "GeminiAdapter.chat_stream"):
        raw = contenders[contenders[name][1]][0]
        out[name] = int(await raw())
    await close_session()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--tokens", type=int, default=TOKENS, help="tokens per completion")
    args = parser.parse_args()
    with simulator_process(tokens=args.tokens) as url:
        events = asyncio.run(_event_counts(url))
        medians, baselines = asyncio.run(measure(url, args.requests, args.rounds))
    body = (
        "## models: Azure OpenAI and Gemini\n\n"
        "Adapter overhead over a raw aiohttp request to the same simulator path (goal: ≤ 30 µs "
        "added per non-streaming call, ≤ 5 µs per stream event). Raw aiohttp sends the "
        "provider's own request body and decodes the reply (`orjson.loads` per SSE event); "
        "the adapters also translate (Gemini: OpenAI request to `generateContent`, each "
        f"response chunk back to an OpenAI chunk). Streams carry {args.tokens} tokens; the "
        "per-event figure is the added time per call divided by the events of the stream. "
        "Client CPU is this process's CPU time (the simulator runs in its own), steadier than "
        "wall time on a shared machine.\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `python -m benches.models_azure_gemini` ({args.rounds} rounds x "
        f"{args.requests} requests).\n\n" + report(medians, baselines, events) + "\n"
    )
    replace_section("models_azure_gemini", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
