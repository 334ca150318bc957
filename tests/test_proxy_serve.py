"""`mcproute serve` as a process: graceful drain of a stream in flight on SIGTERM, slow and
oversize requests."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import openai
import pytest

from mcp_support import free_port
from mcproute.proxy.serve import CLEANUP_GRACE_S
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from models_support import OPENAI_KEY, running_simulator


@dataclass
class Served:
    url: str
    key: str
    proc: asyncio.subprocess.Process


@contextlib.asynccontextmanager
async def served(tmp_path: Path, sim_url: str, *flags: str) -> AsyncIterator[Served]:
    """`mcproute serve` in a subprocess; its stderr goes to `tmp_path / "stderr"`."""
    data = DataDir(tmp_path / "data")
    with SqliteApiKeyStore(data) as store:
        key, _ = ApiKeyManager(data.pepper(), store).issue("test", ["models"])
    config = tmp_path / "mcproute.json"
    models = {"openai": {"endpoint": sim_url, "models": ["gpt-4"]}}
    config.write_text(json.dumps({"mcp": {"models": models}}))
    port = free_port()
    with (tmp_path / "stderr").open("wb") as stderr:  # the child keeps its own descriptor
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "mcproute.cli", "serve", "--config", str(config)),
            *("--port", str(port), *flags),
            env={**os.environ, "MCPROUTE_DATA_DIR": str(data.path), "OPENAI_API_KEY": OPENAI_KEY},
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{url}/healthz") as r:
                        if r.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield Served(url, key, proc)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def test_sigterm_drains_a_stream_in_flight(tmp_path: Path) -> None:
    async with (
        running_simulator(tokens=12, token_interval=0.15) as sim,
        served(tmp_path, sim.url) as proxy,
    ):
        client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key)
        stream = await client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "count"}], stream=True
        )
        pieces = []
        async for chunk in stream:
            if not pieces:
                proxy.proc.send_signal(signal.SIGTERM)  # mid-stream
            pieces.extend(c.delta.content or "" for c in chunk.choices)
        text = "".join(pieces)
        assert text.split() == ["echo:", "count", *(f"w{i}" for i in range(2, 12))]
        assert await asyncio.wait_for(proxy.proc.wait(), 30) == 0
        logged = [
            json.loads(line)
            for line in (tmp_path / "stderr").read_text().splitlines()
            if line.startswith("{")
        ]
        chat = next(e for e in logged if e["path"] == "/v1/chat/completions")
        assert chat["status"] == 200
        assert chat["model"] == "gpt-4"
        assert proxy.key not in json.dumps(logged)
        with pytest.raises(openai.APIConnectionError):  # no longer accepting
            await client.with_options(max_retries=0).models.list()
        await client.close()


def _chat(key: str, target: str, stream: bool) -> bytes:
    body = json.dumps({"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}],
                       "stream": stream}).encode()  # fmt: skip
    head = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def test_one_drain_deadline_for_the_front_and_handed_off_connections(
    tmp_path: Path,
) -> None:
    """A SIGTERM with requests in flight on the front and on connections handed to aiohttp
    (a query string is aiohttp's) drains them side by side: the worker is gone within one
    `--drain` plus the cleanup grace, streams ended with their error event."""
    drain = 12.0
    async with (
        running_simulator(fault="stall", stall=60.0) as sim,  # plain calls never answer
        served(tmp_path, sim.url, "--drain", str(drain)) as proxy,
    ):
        port = int(proxy.url.rsplit(":", 1)[1])
        sent = [
            _chat(proxy.key, "/v1/chat/completions", stream=False),  # the front's
            _chat(proxy.key, "/v1/chat/completions", stream=True),  # the front's
            _chat(proxy.key, "/v1/chat/completions?via=aiohttp", stream=False),
            _chat(proxy.key, "/v1/chat/completions?via=aiohttp", stream=True),
        ]
        connections = [await asyncio.open_connection("127.0.0.1", port) for _ in sent]
        for (_, writer), request in zip(connections, sent, strict=True):
            writer.write(request)
        for reader, _ in connections[1::2]:  # both streams began (then the upstream stalls)
            await reader.readuntil(b"data: ")
        for _ in range(600):  # the plain calls reached the upstream too
            if len(sim.requests) == len(sent):
                break
            await asyncio.sleep(0.05)
        proxy.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proxy.proc.wait(), drain + CLEANUP_GRACE_S) == 0
        for reader, _ in connections[1::2]:
            rest = await reader.read()
            assert b'"code":"shutdown"' in rest
            assert b"[DONE]" not in rest
        for _, writer in connections:
            writer.close()


async def test_slow_and_oversize_requests(tmp_path: Path) -> None:
    async with (
        running_simulator() as sim,
        served(tmp_path, sim.url, "--idle-timeout", "1", "--body-timeout", "1") as proxy,
    ):
        port = int(proxy.url.rsplit(":", 1)[1])
        # Headers that never finish: the connection is closed, not held.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 30) == b""
        writer.close()
        # A body that trickles in: 408 in the caller's format.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + proxy.key.encode() + b"\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model"'
        )
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408")
        assert json.loads(body)["error"]["message"] == "body: not received in time"
        # Over the size limit: 413, naming the limit.
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{proxy.url}/v1/chat/completions",
                data=io.BytesIO(b"x" * (9 * 1024 * 1024)),
                headers={"Authorization": f"Bearer {proxy.key}"},
            ) as r,
        ):
            assert r.status == 413
            assert "over the limit" in (await r.json())["error"]["message"]
