"""Running wrk with the POST script and reading its JSON summary."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("post.lua")


@dataclass(frozen=True)
class WrkResult:
    connections: int
    requests: int
    seconds: float
    errors: int  # non-2xx/3xx statuses plus socket errors
    p50_ms: float
    p99_ms: float
    p90_ms: float = 0.0
    p999_ms: float = 0.0
    max_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 1.0


def run_wrk(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    connections: int,
    seconds: float,
    cpu: str | None,
) -> WrkResult:
    """One wrk run (one thread; pinned to `cpu` when given) against `url`."""
    with tempfile.NamedTemporaryFile(suffix=".json") as body_file:
        body_file.write(body)
        body_file.flush()
        env = {
            **os.environ,
            "WRK_BODY": body_file.name,
            "WRK_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items()),
        }
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
            "-s", str(SCRIPT), url,
        ]  # fmt: skip
        if cpu is not None:
            command = ["taskset", "-c", cpu, *command]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next(ln for ln in reversed(out.stdout.splitlines()) if ln.startswith("{"))
    data = json.loads(line)
    return WrkResult(
        connections=connections,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["status_errors"] + data["socket_errors"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p999_ms=data["p999_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )
