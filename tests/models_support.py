"""Helpers for the model-integration tests: a simulator per test, and config documents."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import yaml

from mcproute.models.http import close_session
from mcproute.testing.upstream import Simulator, SimulatorSettings

# The configuration file from the embedding platform's DEVELOPERS.md, verbatim.
DEVELOPERS_CONFIG: dict[str, Any] = {
    "mcp": {
        "protocol_version": "1.0",
        "security": {"encryption_enabled": True, "api_key_rotation": True},
        "models": {
            "openai": {
                "endpoint": "https://api.openai.com",
                "models": ["gpt-4", "gpt-3.5-turbo"],
            }
        },
    }
}

OPENAI_KEY = "sk-test-0123456789abcdefSECRET"
ANTHROPIC_KEY = "sk-ant-test-9876543210SECRET"


def developers_config_at(url: str) -> dict[str, Any]:
    """The DEVELOPERS.md configuration with only its endpoint pointed at ``url``."""
    config = copy.deepcopy(DEVELOPERS_CONFIG)
    config["mcp"]["models"]["openai"]["endpoint"] = url
    return config


@asynccontextmanager
async def running_simulator(**settings: Any) -> AsyncIterator[Simulator]:
    """A simulator on an ephemeral port; the shared client session is closed afterwards."""
    sim = Simulator(SimulatorSettings(**settings))
    await sim.start()
    try:
        yield sim
    finally:
        await close_session()
        await sim.stop()


def write(path: Path, document: object) -> Path:
    """Write a configuration document as JSON or YAML, by the file's suffix."""
    if path.suffix == ".json":
        path.write_bytes(orjson.dumps(document))
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path
