"""A worker loads the clients of optional stores only when they are configured: the Redis and
PostgreSQL clients (and what they pull in, OpenTelemetry among it) cost a worker about 20 MiB of
memory it would never use. So does OAuth's token validation (joserfc, cryptography: about
10 MiB), loaded only where `auth.oauth` is configured, and the YAML parser (about 1 MiB),
loaded only for a YAML configuration file or MCP skills."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

BUILD = """
import asyncio, json, sys
from pathlib import Path
from mcproute.config import load_config
from mcproute.proxy.app import build_app
from mcproute.store import DataDir

async def main() -> None:
    data = Path(sys.argv[1])
    build_app(load_config(data / "mcproute.json"), DataDir(data))

asyncio.run(main())
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps(loaded))
"""

OPTIONAL = {
    "redis",
    "psycopg",
    "psycopg_binary",
    "opentelemetry",
    "joserfc",
    "cryptography",
    "yaml",
}


def test_a_worker_without_redis_or_postgres_loads_neither(tmp_path: Path) -> None:
    document = {
        "mcp": {
            "models": {
                "sim": {
                    "type": "openai",
                    "endpoint": "http://127.0.0.1:9",
                    "api_key": "sk-test",
                    "models": ["gpt-4"],
                }
            }
        }
    }
    (tmp_path / "mcproute.json").write_text(json.dumps(document))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MCPROUTE_REDIS_URL", "MCPROUTE_DATABASE_URL") and not k.startswith("OTEL_")
    }
    out = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**env, "MCPROUTE_DATA_DIR": str(tmp_path)},
        timeout=60,
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & OPTIONAL, sorted(loaded & OPTIONAL)
