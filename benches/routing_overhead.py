"""Routing overhead: mcproute's Router vs LiteLLM's Router vs a direct aiohttp call.

All three make sequential chat-completion calls to the same zero-latency local upstream, in
one run; the table reports each one's p50 and p99 and the p50 added over the direct call.

    python -m benches.routing_overhead      (part of `make bench`; needs requirements-bench.txt)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from benches.run import machine, replace_section
from mcproute.routing import AttemptContext, Deployment, Router, RouterPolicy

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
BODY = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
CALLS = 400
WARMUP = 50


async def _serve() -> tuple[web.AppRunner, str]:
    async def handler(_: web.Request) -> web.Response:
        return web.json_response(COMPLETION)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/v1"


async def _measure(
    call: Callable[[], Awaitable[Any]], warmup: int = WARMUP, calls: int = CALLS
) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - t0)
    return samples


async def _run_all() -> dict[str, list[float]]:
    import litellm

    litellm.telemetry = False
    runner, base = await _serve()
    session = aiohttp.ClientSession()
    url = f"{base}/chat/completions"
    try:

        async def direct() -> Any:
            async with session.post(url, json=BODY) as resp:
                return await resp.json()

        async def attempt(d: Deployment, ctx: AttemptContext) -> Any:
            async with session.post(str(d.target), json=BODY) as resp:
                return await resp.json()

        router = Router(
            {"gpt-4": [Deployment(f"d{i}", "gpt-4", target=url) for i in range(3)]},
            RouterPolicy(),
        )
        lrouter = litellm.Router(
            model_list=[
                {
                    "model_name": "gpt-4",
                    "litellm_params": {
                        "model": "openai/gpt-4",
                        "api_base": base,
                        "api_key": "sk-x",
                    },
                }
                for _ in range(3)
            ],
            num_retries=2,
        )
        return {
            "direct aiohttp call": await _measure(direct),
            "mcproute Router": await _measure(lambda: router.call("gpt-4", attempt)),
            "litellm Router": await _measure(
                lambda: lrouter.acompletion(model="gpt-4", messages=BODY["messages"])
            ),
        }
    finally:
        await session.close()
        await runner.cleanup()


def main() -> int:
    results = asyncio.run(_run_all())
    direct = statistics.median(results["direct aiohttp call"])
    ours = statistics.median(results["mcproute Router"]) - direct
    rows = [
        "| path | p50 | p99 | p50 added over direct | added, relative to mcproute |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, samples in results.items():
        p50 = statistics.median(samples)
        p99 = sorted(samples)[int(0.99 * len(samples))]
        added = p50 - direct
        ratio = "—" if name == "direct aiohttp call" else f"{added / ours:.1f}×"
        rows.append(
            f"| {name} | {p50 * 1e6:,.0f} µs | {p99 * 1e6:,.0f} µs "
            f"| {added * 1e6:,.0f} µs | {ratio} |"
        )
    body = (
        "## routing overhead\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `python -m benches.routing_overhead` ({CALLS} sequential calls per path after "
        f"{WARMUP} warm-up calls, one process, the same zero-latency aiohttp upstream on "
        "127.0.0.1, three deployments in one group, LITELLM_LOCAL_MODEL_COST_MAP=True).\n\n"
        + "\n".join(rows)
        + "\n"
    )
    replace_section("routing_overhead", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
