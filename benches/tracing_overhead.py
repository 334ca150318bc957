"""Tracing's cost: the proxy's own time per chat completion with tracing off and on.

One proxy app in this process (tracing off: no middleware, one branch per hook) and one with
tracing on (server span, one attempt span, `traceparent` to the upstream, spans exported in
batches over OTLP/HTTP to a sink in its own process), in interleaved rounds against the upstream
simulator in its own process. The figure is the proxy's `x-mcproute-overhead-ms` (request time
minus upstream wait), and the whole request time as the client sees it.

    python -m benches.tracing_overhead [--requests 200] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from benches.models_overhead import _free_port, simulator_process
from mcproute import tracing
from mcproute.config import parse_config
from mcproute.models.http import close_session
from mcproute.proxy import build_app
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore

BODY = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
# An OTLP/HTTP sink: reads each export and answers 200 with an empty ExportTraceServiceResponse.
SINK = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


@contextmanager
def otlp_sink() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", SINK, str(port)])
    try:
        time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def _round(http: aiohttp.ClientSession, url: str, key: str, n: int) -> list[list[float]]:
    overhead, total = [], []
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(n):
        start = time.perf_counter()
        async with http.post(f"{url}/v1/chat/completions", json=BODY, headers=headers) as r:
            await r.read()
            assert r.status == 200, r.status
        total.append((time.perf_counter() - start) * 1e6)
        overhead.append(float(r.headers["x-mcproute-overhead-ms"]) * 1000)
    return [overhead, total]


async def measure(sim: str, sink: str, requests: int, rounds: int) -> dict[str, list[list[float]]]:
    with tempfile.TemporaryDirectory() as tmp:
        data = DataDir(Path(tmp))
        with SqliteApiKeyStore(data) as store:
            key, _ = ApiKeyManager(data.pepper(), store).issue("bench", ["models"])
        document = {"mcp": {"models": {"openai": {"endpoint": sim, "models": ["gpt-4"]}}}}
        off_config = parse_config(document, env={"OPENAI_API_KEY": "sk-bench"})
        on_config = parse_config(
            {"mcp": {**document["mcp"], "tracing": {"endpoint": sink}}},
            env={"OPENAI_API_KEY": "sk-bench"},
        )
        off_runner, off_url = await _serve(build_app(off_config, data))
        tracing.start(on_config.tracing)
        on_runner, on_url = await _serve(build_app(on_config, data))
        samples: dict[str, list[list[float]]] = {"off": [[], []], "on": [[], []]}
        try:
            async with aiohttp.ClientSession() as http:
                for mode, url in (("off", off_url), ("on", on_url)):  # warm both
                    tracing.ACTIVE = mode == "on"
                    await _round(http, url, key, 50)
                for _ in range(rounds):
                    for mode, url in (("off", off_url), ("on", on_url)):
                        # The hooks read the switch: off is exactly what an untraced proxy runs.
                        tracing.ACTIVE = mode == "on"
                        for into, got in zip(
                            samples[mode], await _round(http, url, key, requests), strict=True
                        ):
                            into.extend(got)
        finally:
            tracing.ACTIVE = True
            await asyncio.to_thread(tracing.shutdown)
            await off_runner.cleanup()
            await on_runner.cleanup()
            await close_session()
        return samples


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1]


def report(samples: dict[str, list[list[float]]]) -> str:
    lines = [
        "| tracing | overhead p50 µs | overhead p99 µs | request p50 µs | request p99 µs |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for mode, (overhead, total) in samples.items():
        lines.append(
            f"| {mode} | {statistics.median(overhead):.0f} | {_quantile(overhead, 0.99):.0f} "
            f"| {statistics.median(total):.0f} | {_quantile(total, 0.99):.0f} |"
        )
    added = statistics.median(samples["on"][0]) - statistics.median(samples["off"][0])
    lines.append(f"\nAdded by tracing (overhead p50): {added:+.0f} µs per request.")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with simulator_process() as sim, otlp_sink() as sink:
        samples = asyncio.run(measure(sim, sink, args.requests, args.rounds))
    print(report(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
