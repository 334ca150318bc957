"""Ensemble strategy ``first``: three members with different latencies, against the fastest
member alone. Both stream a short answer to the end through the registry; the table reports
p50 and p99 of the whole stream and what the ensemble adds at p50. The paths take turns, a
round of calls each, so a shared machine's changing load falls on all of them alike; the
spread of the rounds is reported. The slower members' simulators must have sent no stream
event during the ensemble's rounds (they were cancelled when the winner produced its first
token, before their request went out if it had not yet).

    python -m benches.ensemble_first                 (bounded: about half a minute)
    python -m benches.ensemble_first --loop asyncio  (the default loop, not uvloop)

The default loop is uvloop, the loop `mcproute serve` runs; `--loop asyncio` measures the
library on asyncio's own loop (`asyncio.run`), where a connection's setup costs more.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from benches.routing_overhead import _measure
from benches.run import machine, replace_section
from mcproute.config import parse_config
from mcproute.models import ModelRegistry
from mcproute.models.http import close_session
from mcproute.models.routed import GenerationChunk

RAW_BODY = b'{"model": "fast", "messages": [{"role": "user", "content": "hi"}], "stream": true}'
TTFT = {"fast": 0.0, "medium": 0.1, "slow": 0.2}  # seconds to each member's first token
PACED = 0.002  # the first token of a member that answers quickly, but not at once
ALONE = "fastest member alone"
ENSEMBLE = "ensemble `first` over 3"
PACED_ALONE = f"a member answering in {PACED * 1e3:g} ms, alone"
PACED_ENSEMBLE = "ensemble `first` over it, medium and slow (every request sent)"
RAW = "aiohttp alone, fastest member"
KEPT = "aiohttp, 3 members, first token wins"
CLOSED = "aiohttp, 3 members, first token wins, the others' connections closed"
BASE = {ENSEMBLE: ALONE, PACED_ENSEMBLE: PACED_ALONE, KEPT: RAW, CLOSED: RAW}  # added over
ROUNDS = 8  # per path, taking turns
CALLS = 50  # timed calls per path and round
WARMUP = 10  # untimed calls before each round (and 5x as many before the first)
LOOPS = {"uvloop": "uvloop, as `mcproute serve` runs", "asyncio": "asyncio's own"}
QUIET = max(TTFT.values()) + 0.1  # past when a cancelled member would have sent its answer


async def _stream(registry: ModelRegistry, model: str) -> list[GenerationChunk]:
    handle = await registry.get_model(model)
    return [chunk async for chunk in handle.stream("hi")]


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


Call = Callable[[], Awaitable[Any]]


class Work:
    """What the slower members did during the ensemble's rounds (from their simulators), and
    what they streamed in the calls they won (on a busy host the fastest member may stall
    past a slower one's first token: then that one wins and streams)."""

    def __init__(self, registry: ModelRegistry, ensemble: str, urls: dict[str, str]) -> None:
        self.registry, self.ensemble, self.urls = registry, ensemble, urls
        self.served = dict.fromkeys(urls, 0)
        self.streamed = dict.fromkeys(urls, 0)
        self.won = dict.fromkeys(urls, 0)  # stream events of the calls a member won

    async def call(self) -> None:
        chunks = await _stream(self.registry, self.ensemble)
        chosen = chunks[-1].raw["mcproute"]["chosen"]  # the last chunk: the ensemble's report
        if chosen in self.won:
            self.won[chosen] += len(chunks) - 1  # one chunk per event the member sent

    def after_winning(self, name: str) -> int:
        """Stream events `name` sent in the calls it lost: none if it was stopped in time."""
        return self.streamed[name] - self.won[name]

    async def during(self, rounds: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(QUIET)  # the other paths' cancelled calls are over
        before = {name: await _stats(url) for name, url in self.urls.items()}
        await rounds()
        await asyncio.sleep(QUIET)  # past when the losers would have sent anything
        for name, url in self.urls.items():
            served, streamed = await _stats(url)
            self.served[name] += served - before[name][0]
            self.streamed[name] += streamed - before[name][1]


async def _run() -> tuple[dict[str, list[list[float]]], dict[str, Work]]:
    sims = {name: await _simulator(ttft) for name, ttft in {**TTFT, "quick": PACED}.items()}
    models = {
        name: {"type": "openai", "endpoint": url, "api_key": "sk-bench", "models": [name]}
        for name, (_, url) in sims.items()
    }
    ensembles = {
        "fastest": {"models": list(TTFT), "strategy": "first"},
        "paced": {"models": ["quick", "medium", "slow"], "strategy": "first"},
    }
    registry = ModelRegistry(parse_config({"mcp": {"models": models, "ensembles": ensembles}}))
    urls = [sims[name][1] for name in TTFT]
    losers = {name: sims[name][1] for name in ("medium", "slow")}
    works = {
        ENSEMBLE: Work(registry, "fastest", losers),
        PACED_ENSEMBLE: Work(registry, "paced", losers),
    }
    closing = aiohttp.TCPConnector(force_close=True)  # a connection per request, closed
    results: dict[str, list[list[float]]] = {}
    try:
        async with (
            aiohttp.ClientSession() as session,
            aiohttp.ClientSession(connector=closing) as cut,
        ):
            paths: dict[str, Call] = {
                ALONE: lambda: _stream(registry, "fast"),
                ENSEMBLE: works[ENSEMBLE].call,
                PACED_ALONE: lambda: _stream(registry, "quick"),
                PACED_ENSEMBLE: works[PACED_ENSEMBLE].call,
                RAW: lambda: _raw(session, urls[0], until_token=False),
                CLOSED: lambda: _raw_race([session, cut, cut], urls),
                KEPT: lambda: _raw_race([session] * 3, urls),  # last: its losers run on
            }
            for i in range(ROUNDS):
                for name, call in paths.items():
                    warmup = WARMUP * (5 if i == 0 else 1)
                    if name in works:

                        async def rounds(
                            name: str = name, call: Call = call, warmup: int = warmup
                        ) -> None:
                            results.setdefault(name, []).append(await _measure(call, warmup, CALLS))

                        await works[name].during(rounds)
                    else:
                        results.setdefault(name, []).append(await _measure(call, warmup, CALLS))
    finally:
        await registry.aclose()
        await close_session()
        for proc, _ in sims.values():
            proc.terminate()
            await proc.wait()
    return results, works


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"1-minute load average {one:.1f} ({five:.1f} over 5 minutes)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.ensemble_first")
    parser.add_argument("--loop", choices=tuple(LOOPS), default="uvloop")
    loop = parser.parse_args(argv).loop
    load_before = _load()
    if loop == "uvloop":
        import uvloop

        results, works = uvloop.run(_run())
    else:
        results, works = asyncio.run(_run())
    load_after = _load()
    pooled = {name: [s for r in rounds for s in r] for name, rounds in results.items()}
    p50 = {name: statistics.median(s) for name, s in pooled.items()}

    rows = []
    for name in (ALONE, ENSEMBLE, PACED_ALONE, PACED_ENSEMBLE, RAW, KEPT, CLOSED):
        p99 = statistics.quantiles(pooled[name], n=100)[98]
        added = _us(p50[name] - p50[BASE.get(name, name)])
        rows.append(f"| {name} | {_us(p50[name])} | {_us(p99)} | {added} |")
    added = p50[ENSEMBLE] - p50[ALONE]
    per_round = [
        statistics.median(e) - statistics.median(a)
        for e, a in zip(results[ENSEMBLE], results[ALONE], strict=True)
    ]
    paced = p50[PACED_ENSEMBLE] - p50[PACED_ALONE]
    floor = p50[KEPT] - p50[RAW]
    closed = p50[CLOSED] - p50[RAW]
    runs = ROUNDS * (WARMUP + CALLS) + WARMUP * 4

    def losers(work: Work) -> str:
        parts = []
        for name in work.urls:
            part = f"{name}: {work.served[name]} requests, {work.after_winning(name)} stream"
            part += " events sent in the calls it lost"
            if work.won[name]:
                part += f", {work.won[name]} in those it won"
            parts.append(part)
        return ", ".join(parts)

    body = "\n".join(
        [
            "## ensemble `first`",
            "",
            f"Machine: {machine()}.",
            "",
            f"Command: `python -m benches.ensemble_first{' --loop asyncio' * (loop == 'asyncio')}`"
            f" (event loop: {LOOPS[loop]};"
            f" {ROUNDS} rounds in which each path"
            f" in turn makes {CALLS} sequential streamed calls after {WARMUP} warm-up calls,"
            f" {ROUNDS * CALLS} timed calls per path; each member is an upstream simulator in"
            " its own process on 127.0.0.1, whose first token comes after"
            f" {', '.join(f'{k} {v * 1e3:g} ms' for k, v in TTFT.items())}, and for the second"
            f" ensemble quick {PACED * 1e3:g} ms). A shared machine:"
            f" {load_before} at the start, {load_after} at the end.",
            "",
            "| path | p50 | p99 | p50 added over the fastest member on the same path |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"The ensemble adds {_us(added)} at p50 over its fastest member (per round:"
            f" {_us(min(per_round))} to {_us(max(per_round))}, median"
            f" {_us(statistics.median(per_round))}). Plain aiohttp sending the same three"
            f" requests and keeping the first adds {_us(floor)} ({_us(closed)} when it closes"
            " the others' connections, as the ensemble does to stop their upstream work): the"
            " cost of the two extra requests on this machine. Target: at most 1 ms added:"
            f" {'met' if added <= 0.001 else 'not met'}.",
            "",
            f"Cancellation: of the {runs} calls of each ensemble, the slower members received"
            " the requests below (members start one loop turn apart, the last winner first, on"
            " the connections opened again after the last race; the winner's task stops the"
            " others at its first token, so a request not yet sent by then never is) and sent"
            f" nothing back. With the fastest member answering at once: {losers(works[ENSEMBLE])};"
            f" with its first token after {PACED * 1e3:g} ms:"
            f" {losers(works[PACED_ENSEMBLE])}, and that whole fan-out, its losers stopped, adds"
            f" {_us(paced)} at p50.",
        ]
    )
    replace_section("ensemble_first", body)
    print(body)
    cancelled = all(w.after_winning(name) == 0 for w in works.values() for name in w.urls)
    return 0 if added <= 0.001 and cancelled else 1


if __name__ == "__main__":
    raise SystemExit(main())
