"""Time to first token on streams: sequential streamed requests, timed to the first `data:`
line the client receives (the moment a user would see the first token)."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from benches.load.gateways import BODY, Target


async def _ttft(target: Target, n: int, warmup: int) -> list[float]:
    body = {**json.loads(BODY), "stream": True}
    samples: list[float] = []
    async with aiohttp.ClientSession() as http:
        for i in range(warmup + n):
            started = time.perf_counter()
            async with http.post(target.url, json=body, headers=target.headers) as response:
                response.raise_for_status()
                first: float | None = None
                async for line in response.content:
                    if first is None and line.startswith(b"data:"):
                        first = time.perf_counter() - started
                if first is None:
                    raise RuntimeError(f"{target.name}: a stream without data")
            if i >= warmup:
                samples.append(first)
    return samples


def time_to_first_token(target: Target, n: int = 200, warmup: int = 20) -> list[float]:
    return asyncio.run(_ttft(target, n, warmup))
