"""The targets: the upstream simulator directly, the floor proxies, mcproute, LiteLLM's proxy,
Portkey's gateway.

Every one of them serves an OpenAI-compatible `POST /v1/chat/completions` and reaches the same
simulator as an OpenAI-compatible provider.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benches.load.processes import Processes, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
BODY = json.dumps(
    {"model": "gpt-4", "messages": [{"role": "user", "content": "Say hello to the benchmark."}]}
).encode()
UPSTREAM_KEY = "sk-bench-upstream"
LITELLM_MASTER_KEY = "sk-bench-litellm-master"
# The key every mcproute model row sends has per-key limits that never bind (rpm, tpm,
# requests in flight, a budget): the hot path is measured with admission on, as users run it.
KEY_LIMITS = ("--rpm", "100000000", "--tpm", "1000000000", "--max-parallel", "100000",
              "--budget", "1000000", "--budget-period", "month")  # fmt: skip
PORTKEY_SCRIPT = ROOT / ".peers/portkey/node_modules/@portkey-ai/gateway/build/start-server.js"


@dataclass
class Target:
    name: str
    url: str  # the chat completions URL
    headers: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None


def simulator(
    group: Processes, port: int, latency: float, cpu: str | None, faults: Sequence[str] = ()
) -> Target:
    """The simulator; `faults` are its fault flags (e.g. ``--fault 500 --fault-every 3``)."""
    proc = group.start(
        f"simulator-{port}",
        [sys.executable, "-m", "mcproute.testing.upstream", "--port", str(port),
         "--latency", str(latency), "--tokens", "8", *faults],
        cpu=cpu,
    )  # fmt: skip
    target = Target(
        "direct",
        f"http://127.0.0.1:{port}/v1/chat/completions",
        {"Authorization": f"Bearer {UPSTREAM_KEY}"},
        proc,
    )
    # A faulty simulator's chat answer may be slow or an error: its stats say it serves.
    wait_until_serving(f"http://127.0.0.1:{port}/_sim/stats", None, {}, proc, 30)
    return target


def _wait_ready(target: Target, port: int, health: str | None, limit_s: float) -> None:
    """Until a chat completion succeeds, or with `health`, until that GET route answers (so no
    request reaches an upstream before the measured run)."""
    assert target.proc is not None
    if health is None:
        wait_until_serving(target.url, BODY, target.headers, target.proc, limit_s)
    else:
        wait_until_serving(f"http://127.0.0.1:{port}{health}", None, {}, target.proc, limit_s)


def _ports(sim_port: int | Sequence[int]) -> list[int]:
    return [sim_port] if isinstance(sim_port, int) else list(sim_port)


def serve_mcproute(
    group: Processes,
    work: Path,
    port: int,
    document: Mapping[str, object],
    *,
    scope: str,
    workers: int,
    cpu: str | None,
    env: Mapping[str, str] | None = None,
    limits: Sequence[str] = (),
) -> tuple[subprocess.Popen[bytes], str]:
    """`mcproute serve` on its own data directory with `document` as configuration (and
    `env` added to its environment); returns the process and a fresh API key with `scope`
    and the `keys create` limit flags in `limits`."""
    data = work / f"mcproute-{port}"
    env = {**(env or {}), "MCPROUTE_DATA_DIR": str(data)}
    created = subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "keys", "create", "--scope", scope, *limits],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    config = data / "mcproute.json"
    config.write_text(json.dumps(document))
    proc = group.start(
        f"mcproute-{port}",
        [sys.executable, "-m", "mcproute.cli", "serve", "--config", str(config), "--port",
         str(port), "--workers", str(workers), "--no-access-log"],
        env=env,
        cpu=cpu,
    )  # fmt: skip
    return proc, created.stdout.strip().splitlines()[-1]


def mcproute(
    group: Processes,
    work: Path,
    port: int,
    sim_port: int | Sequence[int],
    workers: int,
    cpu: str | None,
    *,
    probe: bool = True,
    front: bool = True,
    env: Mapping[str, str] | None = None,
) -> Target:
    """mcproute with one deployment of gpt-4 per simulator port (default routing policy),
    `env` added to its environment. Without `probe`, readiness is checked on /healthz, so no
    request reaches an upstream; without `front`, every request is served by aiohttp's server
    (`MCPROUTE_FRONT=0`)."""
    providers = {
        f"sim{i}": {
            "type": "openai",
            "endpoint": f"http://127.0.0.1:{p}",
            "api_key": UPSTREAM_KEY,
            "models": ["gpt-4"],
        }
        for i, p in enumerate(_ports(sim_port))
    }
    document = {"mcp": {"models": providers}}
    proc, key = serve_mcproute(
        group, work, port, document, scope="models", workers=workers, cpu=cpu,
        env={**(env or {}), **({} if front else {"MCPROUTE_FRONT": "0"})}, limits=KEY_LIMITS,
    )  # fmt: skip
    target = Target(
        f"mcproute {workers}w" + ("" if front else ", front off"),
        f"http://127.0.0.1:{port}/v1/chat/completions",
        {"Authorization": f"Bearer {key}"},
        proc,
    )
    _wait_ready(target, port, "/healthz" if not probe else None, 60)
    return target


def peer_python() -> str:
    """The bench venv's interpreter, where the Python peers live (their pins clash with ours)."""
    return os.environ.get("MCPROUTE_PEER_PYTHON", str(ROOT / ".venv-bench/bin/python"))


def litellm(
    group: Processes,
    work: Path,
    port: int,
    sim_port: int | Sequence[int],
    workers: int,
    cpu: str | None,
    *,
    probe: bool = True,
) -> Target:
    """LiteLLM's proxy with one gpt-4 deployment per simulator port and its default router
    settings (cooldowns included). Without `probe`, readiness is checked on its liveness
    route, so no request reaches an upstream."""
    config = work / f"litellm-{port}.yaml"
    config.write_text(
        json.dumps(  # YAML is a superset of JSON
            {
                "model_list": [
                    {
                        "model_name": "gpt-4",
                        "litellm_params": {
                            "model": "openai/gpt-4",
                            "api_base": f"http://127.0.0.1:{p}/v1",
                            "api_key": UPSTREAM_KEY,
                        },
                    }
                    for p in _ports(sim_port)
                ],
                "general_settings": {"master_key": LITELLM_MASTER_KEY},
            }
        )
    )
    proc = group.start(
        f"litellm-{workers}w",
        [str(Path(peer_python()).parent / "litellm"), "--config", str(config), "--host",
         "127.0.0.1", "--port", str(port), "--num_workers", str(workers)],
        env={"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"},
        cpu=cpu,
    )  # fmt: skip
    target = Target(
        f"LiteLLM {workers}w",
        f"http://127.0.0.1:{port}/v1/chat/completions",
        {"Authorization": f"Bearer {LITELLM_MASTER_KEY}"},
        proc,
    )
    _wait_ready(target, port, "/health/liveliness" if not probe else None, 180)
    return target


def portkey(group: Processes, port: int, sim_port: int, cpu: str | None) -> Target:
    node = os.environ.get("MCPROUTE_NODE", "node")
    proc = group.start(
        "portkey",
        [node, str(PORTKEY_SCRIPT), "--headless", f"--port={port}"],
        env={"NODE_ENV": "production"},
        cpu=cpu,
    )
    target = Target(
        "Portkey",
        f"http://127.0.0.1:{port}/v1/chat/completions",
        {
            "Authorization": f"Bearer {UPSTREAM_KEY}",
            "x-portkey-provider": "openai",
            "x-portkey-custom-host": f"http://127.0.0.1:{sim_port}/v1",
        },
        proc,
    )
    wait_until_serving(target.url, BODY, target.headers, proc, 60)
    return target


FLOOR_ASYNCIO = "floor: bare asyncio"
FLOOR_AIOHTTP = "floor: minimal aiohttp"


def floor(
    group: Processes,
    port: int,
    upstream_port: int,
    cpu: str | None,
    *,
    path: str = "/v1/chat/completions",
    flags: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    probe: bytes = BODY,
    bare: bool = False,
    busy_us: float = 0.0,
) -> Target:
    """A reference proxy (`floor_asyncio` when `bare`, else `floor_aiohttp` with `flags`) in front
    of `upstream_port`. The bare one passes the request through as it is, so its caller sends
    the upstream's key itself; with `busy_us` it computes that long before each of its writes
    (a calibration: see `floor_asyncio`)."""
    module = "floor_asyncio" if bare else "floor_aiohttp"
    name = FLOOR_ASYNCIO if bare else FLOOR_AIOHTTP
    if flags:
        name = "aiohttp " + " + ".join(f.lstrip("-").replace("-", " ") for f in flags)
    if busy_us:
        assert bare, "only the bare floor computes on request"
        name = f"{FLOOR_ASYNCIO}, {busy_us:.0f} µs busy before each write"
        flags = ("--busy-us", f"{busy_us:.1f}")
    proc = group.start(
        f"{module}-{port}",
        [sys.executable, "-m", f"benches.load.{module}", str(port), str(upstream_port), *flags],
        cpu=cpu,
    )
    sent = dict(headers) if headers is not None else {"Authorization": f"Bearer {UPSTREAM_KEY}"}
    target = Target(name, f"http://127.0.0.1:{port}{path}", sent, proc)
    wait_until_serving(target.url, probe, sent, proc, 30)
    return target
