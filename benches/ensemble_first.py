"""Ensemble strategy ``first``: three members with different latencies, against the fastest
member alone. Both stream a short answer to the end through the registry; the table reports
p50 and p99 of the whole stream and what the ensemble adds at p50. Afterwards the slower
members' simulators must have sent no stream event at all (they were cancelled when the
winner produced its first token, before their request went out if it had not yet).

    python -m benches.ensemble_first      (bounded: a few seconds)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import sys
from typing import Any

import aiohttp

from benches.routing_overhead import CALLS, WARMUP, _measure
from benches.run import machine, replace_section
from mcproute.config import parse_config
from mcproute.models import ModelRegistry
from mcproute.models.http import close_session

RAW_BODY = b'{"model": "fast", "messages": [{"role": "user", "content": "hi"}], "stream": true}'
TTFT = {"fast": 0.0, "medium": 0.02, "slow": 0.04}  # seconds to each member's first token
KEPT = "aiohttp, 3 members, first token wins"
CLOSED = "aiohttp, 3 members, first token wins, the others' connections closed"


async def _stream(registry: ModelRegistry, model: str) -> None:
    handle = await registry.get_model(model)
    async for _ in handle.stream("hi"):
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _simulator(ttft: float) -> tuple[asyncio.subprocess.Process, str]:
    """A simulator in its own process, as a remote provider would be, once it answers."""
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mcproute.testing.upstream", "--port", str(port),
        "--reply", "ok then", "--ttft", str(ttft),
        stderr=asyncio.subprocess.DEVNULL,  # its log of the connections we cut
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{url}/_sim/stats"):
                    return proc, url
            await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"the simulator on port {port} did not start")


async def _stats(url: str) -> tuple[int, int]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_sim/stats") as response:
        stats = await response.json()
    return stats["served"], stats["streamed"]


def _has_token(line: bytes) -> bool:
    return line.startswith(b"data: {") and b'"content":"' in line and b'"content":""' not in line


async def _raw(session: aiohttp.ClientSession, url: str, until_token: bool) -> Any:
    """One streamed call straight over aiohttp, read to the end or to the first token."""
    response = await session.post(f"{url}/v1/chat/completions", data=RAW_BODY)
    async for line in response.content:
        if until_token and _has_token(line):
            return response
    response.release()
    return None


async def _raw_race(sessions: list[aiohttp.ClientSession], urls: list[str]) -> None:
    """The floor of any fan-out: the same three calls (each on its session), the first token
    wins, the rest cancelled."""
    tasks = [
        asyncio.ensure_future(_raw(session, url, until_token=True))
        for session, url in zip(sessions, urls, strict=True)
    ]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    winner = done.pop().result()
    async for _ in winner.content:
        pass
    winner.release()
    await asyncio.gather(*pending, return_exceptions=True)


async def _run() -> tuple[dict[str, list[float]], dict[str, tuple[int, int]]]:
    sims = {name: await _simulator(ttft) for name, ttft in TTFT.items()}
    models = {
        name: {"type": "openai", "endpoint": url, "api_key": "sk-bench", "models": [name]}
        for name, (_, url) in sims.items()
    }
    ensembles = {"fastest": {"models": list(TTFT), "strategy": "first"}}
    registry = ModelRegistry(parse_config({"mcp": {"models": models, "ensembles": ensembles}}))
    try:
        results = {
            "fastest member alone": await _measure(lambda: _stream(registry, "fast")),
            "ensemble `first` over 3": await _measure(lambda: _stream(registry, "fastest")),
        }
        await asyncio.sleep(max(TTFT.values()) * 3)  # past when the losers would have sent
        work = {name: await _stats(url) for name, (_, url) in sims.items()}
        urls = [url for _, url in sims.values()]
        closing = aiohttp.TCPConnector(force_close=True)  # a connection per request, closed
        async with (
            aiohttp.ClientSession() as session,
            aiohttp.ClientSession(connector=closing) as cut,
        ):
            results["aiohttp alone, fastest member"] = await _measure(
                lambda: _raw(session, urls[0], until_token=False)
            )
            results[KEPT] = await _measure(lambda: _raw_race([session] * 3, urls))
            results[CLOSED] = await _measure(lambda: _raw_race([session, cut, cut], urls))
    finally:
        await registry.aclose()
        await close_session()
        for proc, _ in sims.values():
            proc.terminate()
            await proc.wait()
    return results, work


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def main() -> int:
    results, work = asyncio.run(_run())
    p50 = {name: statistics.median(s) for name, s in results.items()}
    rows = []
    for name, samples in results.items():
        base = p50["aiohttp alone, fastest member" if "aiohttp" in name else "fastest member alone"]
        p99 = statistics.quantiles(samples, n=100)[98]
        rows.append(f"| {name} | {_us(p50[name])} | {_us(p99)} | {_us(p50[name] - base)} |")
    added = p50["ensemble `first` over 3"] - p50["fastest member alone"]
    floor = p50[KEPT] - p50["aiohttp alone, fastest member"]
    closed = p50[CLOSED] - p50["aiohttp alone, fastest member"]
    runs = WARMUP + CALLS
    losers = ", ".join(f"{name}: {served} requests, {sent} stream events sent"
                       for name, (served, sent) in work.items() if name != "fast")  # fmt: skip
    body = "\n".join(
        [
            "## ensemble `first`",
            "",
            f"Machine: {machine()}.",
            "",
            f"Command: `python -m benches.ensemble_first` ({CALLS} sequential streamed calls per"
            f" path after {WARMUP} warm-up calls; each member is an upstream simulator in its"
            " own process on 127.0.0.1, whose first token comes after"
            f" {', '.join(f'{k} {v * 1e3:g} ms' for k, v in TTFT.items())}).",
            "",
            "| path | p50 | p99 | p50 added over the fastest member on the same path |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"The ensemble adds {_us(added)} at p50 over its fastest member. Plain aiohttp"
            f" sending the same three requests and keeping the first adds {_us(floor)}"
            f" ({_us(closed)} when it closes the others' connections, as the ensemble does to"
            " stop their upstream work), the cost of the two extra requests on this machine,"
            f" which leaves {_us(added - closed)} to the ensemble's own code (the Router and"
            " provider adapter of each member). Target: at most 1 ms added:"
            f" {'met' if added <= 0.001 else 'not met'}.",
            "",
            f"Cancellation: of the {runs} ensemble calls, the slower members received the"
            " requests below (the winner's task stops the others at its first token, so a"
            f" request not yet sent by then never is) and sent nothing back ({losers}).",
        ]
    )
    replace_section("ensemble_first", body)
    print(body)
    cancelled = all(sent == 0 for name, (_, sent) in work.items() if name != "fast")
    return 0 if added <= 0.001 and cancelled else 1


if __name__ == "__main__":
    raise SystemExit(main())
