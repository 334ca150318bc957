"""CPU per request of the upstream HTTP clients, against the upstream simulator: the lean client
(`models/upstream_client.py`), aiohttp's client as `models/http.py` configures it, and a raw
floor client (bytes written to a pooled connection, `benches/load/floor_asyncio.Framing` to find
the reply's end), for JSON POSTs and for streams read to their `[DONE]` through `open_stream`.

Each client runs in its own process on uvloop (pinned to CPU 0 when there are two, the
simulator on CPU 1), in interleaved rounds; the figure is the median of the rounds' CPU time of
the client process per request (what the client costs, its driver loop included), with the
attempt timeouts the proxy passes. Printed only: the load benchmark prices the whole proxy.

    python -m benches.upstream_client [--requests 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp

from benches.load.gateways import UPSTREAM_KEY
from benches.load.processes import wait_until_serving

CONCURRENCY = 32
BODY = json.dumps({"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}).encode()
HEADERS = {"Authorization": f"Bearer {UPSTREAM_KEY}", "Content-Type": "application/json"}
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10, sock_read=30)
KINDS = {  # name: (what it measures, json or stream)
    "raw": ("raw floor client", "json"),
    "aiohttp": ("aiohttp client (tuned session)", "json"),
    "lean": ("lean client", "json"),
    "stream-aiohttp": ("open_stream on aiohttp's session", "stream"),
    "stream-lean": ("open_stream on the lean client", "stream"),
}


def _call(kind: str, port: int) -> Callable[[], Awaitable[None]]:
    """One request of `kind`, made in the running loop."""
    base = f"http://127.0.0.1:{port}/v1"
    if kind == "raw":
        return _raw_call(port)
    if kind == "aiohttp":
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512))

        async def via_aiohttp() -> None:
            async with session.post(
                base + "/chat/completions", data=BODY, headers=HEADERS, timeout=TIMEOUT
            ) as r:
                await r.read()

        return via_aiohttp
    if kind == "lean":
        from mcproute.models.upstream_client import UpstreamClient

        client = UpstreamClient()

        async def via_lean() -> None:
            reply = await client.post(base + "/chat/completions", HEADERS, BODY, TIMEOUT)
            assert reply.status == 200, reply.status

        return via_lean
    from mcproute.models.http import Endpoint, PoolSettings, configure_pool, open_stream

    configure_pool(PoolSettings(lean_client=kind == "stream-lean"))
    endpoint = Endpoint(base, HEADERS, "bench")
    body = {**json.loads(BODY), "stream": True}

    async def stream() -> None:
        async with open_stream(endpoint, "/chat/completions", body, TIMEOUT) as events:
            async for event in events:
                if event.data == b"[DONE]":
                    break

    return stream


def _raw_call(port: int) -> Callable[[], Awaitable[None]]:
    from benches.load.floor_asyncio import Framing

    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
        + f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    pool: list[_Raw] = []

    class _Raw(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: asyncio.Transport = transport  # type: ignore[assignment]
            self.framing = Framing()
            self.done: asyncio.Future[None] | None = None

        def data_received(self, data: bytes) -> None:
            if self.framing.done(data) and self.done is not None:
                self.done.set_result(None)

    async def raw() -> None:
        loop = asyncio.get_running_loop()
        conn = pool.pop() if pool else (await loop.create_connection(_Raw, "127.0.0.1", port))[1]
        conn.done = loop.create_future()
        conn.transport.write(head)
        await conn.done
        pool.append(conn)

    return raw


async def _measure(kind: str, port: int, requests: int) -> float:
    call = _call(kind, port)

    async def worker(n: int) -> None:
        for _ in range(n):
            await call()

    await asyncio.gather(*(worker(100) for _ in range(CONCURRENCY)))  # connections, warm-up
    started = time.process_time()
    await asyncio.gather(*(worker(requests // CONCURRENCY) for _ in range(CONCURRENCY)))
    return (time.process_time() - started) / (requests // CONCURRENCY * CONCURRENCY) * 1e6


def _child(kind: str, port: int, requests: int) -> None:
    import uvloop

    print(uvloop.run(_measure(kind, port, requests)))


def _pinned(cpu: str, command: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *command] if (os.cpu_count() or 1) >= 2 else command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.requests)
        return
    port = 18_391
    simulator = subprocess.Popen(
        _pinned("1", [sys.executable, "-m", "mcproute.testing.upstream", "--port", str(port),
                      "--latency", "0", "--tokens", "8"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/_sim/stats", None, {}, simulator, 30)
        figures: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(args.rounds):
            for kind in KINDS:
                requests = args.requests // (4 if KINDS[kind][1] == "stream" else 1)
                command = [sys.executable, "-m", "benches.upstream_client", "--child", kind,
                           str(port), "--requests", str(requests)]  # fmt: skip
                out = subprocess.run(
                    _pinned("0", command), capture_output=True, text=True, check=True
                )
                figures[kind].append(float(out.stdout.split()[-1]))
    finally:
        simulator.terminate()
        simulator.wait()
    floor = statistics.median(figures["raw"])
    print("| client | CPU µs per request | vs the raw floor client |")
    print("|---|---:|---:|")
    for kind, (label, what) in KINDS.items():
        us = statistics.median(figures[kind])
        ratio = f"{us / floor:.2f}×" if what == "json" else "(a stream of 10 events)"
        print(f"| {label} | {us:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
