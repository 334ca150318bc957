"""Budget overshoot under concurrency, and what governance costs on the hot path.

1. A key with a $1.00 budget; 64 concurrent clients spread over 2 replicas send requests of
   known cost (input free, output $0.01 a token, 4 tokens asked and answered: $0.04 each) until
   each is refused. Reported: the spend admitted against the budget, for mcproute (two
   `mcproute serve` replicas on one Redis, the key's budget reserved at admission) and for
   LiteLLM's proxy (two proxies on one Redis, a deployment budget: `max_budget` with
   `budget_duration`, its Redis-backed budget that runs without a database), both against the
   same upstream simulator in the same run. LiteLLM's per-key budgets need its PostgreSQL
   schema through Prisma, whose engines are a binary download at setup, which this benchmark
   cannot rely on; the deployment budget is the budget LiteLLM enforces across replicas
   through Redis.
2. Requests per second at 32 connections (wrk) through one mcproute with 2 workers, for a key
   with no limits and one with limits that never bind (rpm, tpm, requests in flight and a
   budget: a reservation and a settlement per request, mostly from the worker's lease of
   headroom), on the data directory's SQLite and on Redis, with the gateway's CPU time per
   request (steadier than req/s on a shared machine).

    python -m benches.budget_overshoot      (about a minute; needs redis-server and wrk)
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benches.load.gateways import LITELLM_MASTER_KEY, UPSTREAM_KEY, peer_python
from benches.load.processes import Processes, cpu_seconds, processes, wait_until_serving
from benches.load.wrk import run_wrk
from benches.run import machine, replace_section

CLIENTS = 64
BUDGET_USD = 1.0
TOKENS = 4  # asked (max_tokens) and answered (the simulator's reply length)
USD_PER_OUTPUT_TOKEN = 0.01
REQUEST_USD = TOKENS * USD_PER_OUTPUT_TOKEN
BODY = {
    "model": "gpt-4",
    "messages": [{"role": "user", "content": "hello there"}],
    "max_tokens": TOKENS,
}
WRK_SECONDS = 12.0
ROUNDS = 6
NEVER_BINDING = ["--rpm", "1000000000", "--tpm", "1000000000000", "--max-parallel", "100000",
                 "--budget", "1000000000", "--budget-period", "total"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(group: Processes, work: Path) -> str:
    port = free_port()
    redis_server = shutil.which("redis-server")
    assert redis_server is not None, "redis-server is needed (make servers)"
    group.start(
        f"redis-{port}",
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(work),
         "--save", "", "--appendonly", "no"],
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def start_simulator(group: Processes) -> int:
    port = free_port()
    proc = group.start(
        f"simulator-{port}",
        [sys.executable, "-m", "mcproute.testing.upstream", "--port", str(port),
         "--tokens", str(TOKENS)],
    )  # fmt: skip
    wait_until_serving(f"http://127.0.0.1:{port}/_sim/stats", None, {}, proc, 30)
    return port


def mcproute_replicas(
    group: Processes,
    work: Path,
    sim_port: int,
    redis_url: str | None,
    replicas: int,
    limits: list[str],
) -> tuple[list[str], dict[str, str]]:
    """`replicas` mcproute processes (2 workers each) on one data directory (keys) and
    `redis_url` (counters; None: the data directory's SQLite); URLs and a key per label."""
    data = work / f"mcproute-{sim_port}-{replicas}-{bool(redis_url)}"
    env = {"MCPROUTE_DATA_DIR": str(data)}
    if redis_url is not None:
        env["MCPROUTE_REDIS_URL"] = redis_url
    keys = {}
    for label, flags in (("free", []), ("limited", limits)):
        made = subprocess.run(
            [sys.executable, "-m", "mcproute.cli", "keys", "create", "--scope", "models", *flags],
            env={**os.environ, **env}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        keys[label] = made.stdout.strip().splitlines()[-1]
    document = {
        "mcp": {
            "models": {
                "sim": {
                    "type": "openai",
                    "endpoint": f"http://127.0.0.1:{sim_port}",
                    "api_key": UPSTREAM_KEY,
                    "models": ["gpt-4"],
                }
            },
            "prices": {
                "gpt-4": {"input_per_mtok": 0, "output_per_mtok": USD_PER_OUTPUT_TOKEN * 1e6}
            },
        }
    }
    config = data / "mcproute.json"
    config.write_text(json.dumps(document))
    urls = []
    for _ in range(replicas):
        port = free_port()
        proc = group.start(
            f"mcproute-{port}",
            [sys.executable, "-m", "mcproute.cli", "serve", "--config", str(config), "--port",
             str(port), "--workers", "2", "--no-access-log"],
            env=env,
        )  # fmt: skip
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", None, {}, proc, 60)
        urls.append(f"http://127.0.0.1:{port}")
    return urls, keys


def litellm_replicas(group: Processes, work: Path, sim_port: int, redis_url: str) -> list[str]:
    host, port = redis_url.removeprefix("redis://").removesuffix("/0").split(":")
    config = work / "litellm-budget.yaml"
    config.write_text(
        json.dumps(
            {
                "model_list": [
                    {
                        "model_name": "gpt-4",
                        "litellm_params": {
                            "model": "openai/gpt-4",
                            "api_base": f"http://127.0.0.1:{sim_port}/v1",
                            "api_key": UPSTREAM_KEY,
                            "input_cost_per_token": 0.0,
                            "output_cost_per_token": USD_PER_OUTPUT_TOKEN,
                            "max_budget": BUDGET_USD,
                            "budget_duration": "30d",
                        },
                        "model_info": {"id": "sim-gpt-4"},
                    }
                ],
                "router_settings": {"redis_host": host, "redis_port": int(port)},
                "general_settings": {"master_key": LITELLM_MASTER_KEY},
            }
        )
    )
    urls = []
    for _ in range(2):
        listen = free_port()
        proc = group.start(
            f"litellm-{listen}",
            [str(Path(peer_python()).parent / "litellm"), "--config", str(config), "--host",
             "127.0.0.1", "--port", str(listen), "--num_workers", "1"],
            env={"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"},
        )  # fmt: skip
        wait_until_serving(f"http://127.0.0.1:{listen}/health/liveliness", None, {}, proc, 180)
        urls.append(f"http://127.0.0.1:{listen}")
    return urls


async def until_refused(urls: list[str], key: str) -> tuple[int, float, dict[int, int]]:
    """CLIENTS concurrent clients over `urls`, each sending until refused: (requests admitted,
    their spend in USD from the replies' usage, refusals by status)."""
    admitted, spent, refusals = 0, 0.0, {}
    headers = {"Authorization": f"Bearer {key}"}

    async def client(n: int, http: aiohttp.ClientSession) -> None:
        nonlocal admitted, spent
        url = f"{urls[n % len(urls)]}/v1/chat/completions"
        for _ in range(1000):  # bounded: a gateway that never refuses still ends
            async with http.post(url, json=BODY, headers=headers) as r:
                if r.status != 200:
                    refusals[r.status] = refusals.get(r.status, 0) + 1
                    return
                usage = (await r.json())["usage"]
                admitted += 1
                spent += usage["completion_tokens"] * USD_PER_OUTPUT_TOKEN

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(client(n, http) for n in range(CLIENTS)))
    return admitted, spent, refusals


def overshoot_row(name: str, result: tuple[int, float, dict[int, int]]) -> str:
    admitted, spent, refusals = result
    over = round(spent - BUDGET_USD, 6)  # a sum of float cents
    sign = "+" if over > 0 else ""
    shown = ", ".join(f"{count}×{status}" for status, count in sorted(refusals.items()))
    return (
        f"| {name} | {admitted} | ${spent:.2f} | {sign}${over:.2f} ({sign}{over / BUDGET_USD:.0%})"
        f" | {shown} |"
    )


@dataclass(frozen=True)
class HotPath:
    """Per key (no limits, limits): req/s, and the gateway's CPU µs per request."""

    rps: dict[str, float]
    cpu_us: dict[str, float]

    def row(self, name: str) -> str:
        free, limited = self.rps["free"], self.rps["limited"]
        cpu_free, cpu_limited = self.cpu_us["free"], self.cpu_us["limited"]
        return (
            f"| {name} | {free:.0f} | {limited:.0f} | {limited / free:.2f}× | {cpu_free:.0f} |"
            f" {cpu_limited:.0f} | {cpu_free / cpu_limited:.2f}× |"
        )


def hot_path(group: Processes, work: Path, sim_port: int, redis_url: str | None) -> HotPath:
    urls, keys = mcproute_replicas(group, work, sim_port, redis_url, 1, NEVER_BINDING)
    gateway = group.running[-1].pid  # the serve process; its workers are its children
    url = f"{urls[0]}/v1/chat/completions"
    body = json.dumps(BODY).encode()
    rps: dict[str, float] = {}
    cpu: dict[str, float] = {}
    served: dict[str, int] = {}
    for label in ("free", "limited"):
        headers = {"Authorization": f"Bearer {keys[label]}"}
        run_wrk(url, body, headers, connections=8, seconds=1, cpu=None)  # warm up
    for label in ("free", "limited") * ROUNDS:  # interleaved: drift hits both alike
        headers = {"Authorization": f"Bearer {keys[label]}"}
        seconds = WRK_SECONDS / ROUNDS
        before = cpu_seconds(gateway)
        result = run_wrk(url, body, headers, connections=32, seconds=seconds, cpu=None)
        cpu[label] = cpu.get(label, 0.0) + cpu_seconds(gateway) - before
        served[label] = served.get(label, 0) + result.requests
        assert result.errors == 0, f"{label}: {result.errors} errors"
        rps[label] = rps.get(label, 0.0) + result.rps / ROUNDS
    return HotPath(rps, {label: cpu[label] / served[label] * 1e6 for label in cpu})


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mcproute-budget-") as tmp:
        work = Path(tmp)
        with processes(work) as group:
            sim_port = start_simulator(group)
            redis_url = start_redis(group, work)
            ours_urls, ours_keys = mcproute_replicas(
                group, work, sim_port, redis_url, 2,
                ["--budget", str(BUDGET_USD), "--budget-period", "total"],
            )  # fmt: skip
            ours = asyncio.run(until_refused(ours_urls, ours_keys["limited"]))
            try:
                theirs_urls = litellm_replicas(group, work, sim_port, redis_url)
                theirs: tuple[int, float, dict[int, int]] | None = asyncio.run(
                    until_refused(theirs_urls, LITELLM_MASTER_KEY)
                )
            except (RuntimeError, OSError) as exc:
                print(f"LiteLLM did not run: {exc}", file=sys.stderr)
                theirs = None
            group.stop_all()
            sim_port = start_simulator(group)
            on_sqlite = hot_path(group, work, sim_port, None)
            redis_url = start_redis(group, work)
            on_redis = hot_path(group, work, sim_port, redis_url)
    lines = [
        f"Machine: {machine()}. Command: `python -m benches.budget_overshoot` (in `make bench`).",
        "",
        f"Budget ${BUDGET_USD:.2f}; {CLIENTS} concurrent clients over 2 replicas (2 workers"
        f" each, one Redis), each sending requests of ${REQUEST_USD:.2f} until refused:",
        "",
        "| gateway | requests admitted | spend admitted | overshoot | refusals |",
        "| --- | ---: | ---: | ---: | --- |",
        overshoot_row("mcproute (key budget, reserved at admission)", ours),
        overshoot_row("LiteLLM (deployment budget on Redis)", theirs)
        if theirs is not None
        else "| LiteLLM | did not start (see the log) | | | |",
        "",
        f"Hot path: req/s at 32 connections, one mcproute with 2 workers, {WRK_SECONDS:g} s per"
        f" key in {ROUNDS} interleaved rounds (load average {os.getloadavg()[0]:.1f} at the end:"
        " the machine is shared, so rows vary between runs):",
        "",
        "| counters | req/s, no limits | req/s, limits (never binding) | ratio | CPU µs/req,"
        " no limits | CPU µs/req, limits | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        on_sqlite.row("data directory SQLite"),
        on_redis.row("Redis"),
        "",
        "LiteLLM's budget here is its deployment budget (`max_budget` + `budget_duration`), the one"
        " it keeps in Redis without a database: per-key budgets need its Prisma schema, whose"
        " engines are a download at setup. A limited request is admitted, and settled, from its"
        " worker's lease of headroom (`governance.leases`): one store round trip per lease"
        " (about a second of the worker's traffic, at most 1/8 of what is left of each limit),"
        " none per request; near a limit (under 32 requests' worth of headroom left) every"
        " request is reserved on its own, which is why the overshoot above stays $0.00. CPU"
        " time is the gateway's (the serve process and its workers), per request served.",
    ]
    text = "\n".join(lines)
    print(text)
    replace_section("budget_overshoot", "## Budget overshoot and the cost of limits\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
