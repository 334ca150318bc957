"""`mcproute serve` with the server front on (its default), against real clients: curl, the
official openai and anthropic SDKs (plain calls and streams, served by the front) and wrk;
and with the front off (`MCPROUTE_FRONT=0`), the same answers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anthropic
import openai
import orjson
import pytest
from benches.load.wrk import run_wrk

from models_support import running_simulator
from served_support import served

CHAT = [{"role": "user", "content": "hi"}]


def document(sim_url: str) -> dict[str, Any]:
    return {
        "mcp": {
            "models": {
                "openai": {"endpoint": sim_url, "api_key": "sk-x", "models": ["gpt-4"]},
                "anthropic": {
                    "endpoint": sim_url,
                    "api_key": "sk-ant-test",
                    "models": [{"name": "claude", "model": "claude-sonnet-5-5"}],
                },
            }
        }
    }


async def curl(*args: str) -> tuple[int, bytes]:
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-i", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


@pytest.mark.parametrize("front", ["1", "0"])
async def test_real_clients_through_mcproute_serve(tmp_path: Path, front: str) -> None:
    async with (
        running_simulator(tokens=4) as sim,
        served(tmp_path, document=document(sim.url), env={"MCPROUTE_FRONT": front}) as proxy,
    ):
        key = proxy.key("models")
        status, body = await curl(
            proxy.url + "/v1/chat/completions", "-H", f"Authorization: Bearer {key}",
            "-H", "Content-Type: application/json",
            "--data", orjson.dumps({"model": "gpt-4", "messages": CHAT}).decode(),
        )  # fmt: skip
        assert status == 200
        assert orjson.loads(body)["choices"][0]["message"]["content"].startswith("echo: hi")
        status, body = await curl(proxy.url + "/v1/chat/completions", "--data", "{}")
        assert status == 401
        assert orjson.loads(body)["error"]["code"] == "missing_api_key"

        oai = openai.AsyncOpenAI(base_url=proxy.url + "/v1", api_key=key, max_retries=0)
        async with oai:
            for _ in range(3):  # one kept-alive connection, reused
                reply = await oai.chat.completions.create(model="gpt-4", messages=CHAT)  # type: ignore[arg-type]
                assert reply.choices[0].message.content == "echo: hi w2 w3"
            stream = await oai.chat.completions.create(model="gpt-4", messages=CHAT, stream=True)  # type: ignore[arg-type]
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            assert text == "echo: hi w2 w3"
            with pytest.raises(openai.NotFoundError):
                await oai.chat.completions.create(model="nope", messages=CHAT)  # type: ignore[arg-type]

        claude = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=key, max_retries=0)
        async with claude:
            message = await claude.messages.create(model="claude", max_tokens=16, messages=CHAT)  # type: ignore[arg-type]
            assert message.content[0].text == "echo: hi w2 w3"  # type: ignore[union-attr]
            async with claude.messages.stream(
                model="claude",
                max_tokens=16,
                messages=CHAT,  # type: ignore[arg-type]
            ) as events:
                assert await events.get_final_text() == "echo: hi w2 w3"
        stranger = anthropic.AsyncAnthropic(base_url=proxy.url, api_key="mcpr_no", max_retries=0)
        async with stranger:
            with pytest.raises(anthropic.AuthenticationError):
                await stranger.messages.create(model="claude", max_tokens=16, messages=CHAT)  # type: ignore[arg-type]

        body = orjson.dumps({"model": "gpt-4", "messages": CHAT})
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        result = await asyncio.to_thread(
            run_wrk, proxy.url + "/v1/chat/completions", body, headers,
            connections=4, seconds=1, cpu=None,
        )  # fmt: skip
        assert result.requests > 0
        assert result.errors == 0
        assert "Traceback" not in proxy.stderr()
