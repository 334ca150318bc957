"""Model streams on the server front (SSE written by aiohttp's own `StreamWriter` on the
front's transport): the same headers and events as aiohttp's path, usage settled against the
key's limits, the openai and anthropic SDKs mixing streams and plain calls on one kept-alive
connection that stays with the front, a client leaving mid-stream, one not reading
(back-pressure), and the drain deadline."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import orjson

from front_support import running
from mcproute.governance.limits import Limits
from mcproute.proxy import routes
from test_front_proxy import CHAT, MESSAGES, VOLATILE, connection, limited_key, post

STREAM_IDS = {"id", "created", "system_fingerprint"}


def _stable(value: Any) -> Any:
    """An event with its per-request ids and timestamps blanked."""
    if isinstance(value, dict):
        return {k: 0 if k in STREAM_IDS else _stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _events(raw: bytes) -> list[tuple[str | None, Any]]:
    found = []
    for block in raw.decode().split("\n\n"):
        name = next((ln[7:] for ln in block.splitlines() if ln.startswith("event: ")), None)
        data = "\n".join(ln[6:] for ln in block.splitlines() if ln.startswith("data: "))
        if data:
            found.append((name, data if data == "[DONE]" else _stable(orjson.loads(data))))
    return found


async def stream_outcomes(tmp_path: Path, front: bool) -> list[Any]:
    """Streams of both formats with a key that has token limits, then a plain call whose
    limit headers show what the streams settled."""
    async with running(tmp_path, front) as (proxy, _):
        key = limited_key(proxy.data_dir, ("models",), Limits(rpm=100, tpm=100_000))
        usage = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
        cases: list[tuple[str, dict[str, str], dict[str, Any]]] = [
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, {**CHAT, "stream": True}),
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, usage),
            ("/v1/messages", {"x-api-key": key}, {**MESSAGES, "stream": True}),
            ("/v1/chat/completions", {"Authorization": "Bearer mcpr_nope"}, usage),
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, {**usage, "model": "x"}),
            ("/v1/chat/completions", {"Authorization": f"Bearer {key}"}, CHAT),
        ]
        found = []
        async with aiohttp.ClientSession() as http:
            for path, headers, body in cases:
                async with http.post(proxy.url + path, json=body, headers=headers) as r:
                    raw = await r.read()
                kept = [(k, v) for k, v in r.headers.items() if k.lower() not in VOLATILE]
                kept = [(k, "<reset>" if "reset" in k.lower() else v) for k, v in kept]
                streamed = r.headers.get("Content-Type", "").startswith("text/event-stream")
                parsed = _events(raw) if streamed else _stable(orjson.loads(raw))
                found.append((r.status, kept, parsed))
        return found


async def test_streams_on_the_front_answer_as_aiohttps_path_does(tmp_path: Path) -> None:
    front = await stream_outcomes(tmp_path / "front", front=True)
    plain = await stream_outcomes(tmp_path / "plain", front=False)
    assert [status for status, _, _ in front] == [200, 200, 200, 401, 404, 200]
    assert front == plain
    assert front[1][2][-2][1]["usage"]["completion_tokens"] > 0  # the usage asked for, relayed
    limits = dict(front[5][1])
    assert int(limits["x-ratelimit-remaining-tokens"]) < 100_000  # the streams were settled


async def test_sdk_streams_and_plain_calls_share_one_connection_on_the_front(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as (proxy, front):
        assert front is not None
        key = proxy.key("models")
        oai = openai.AsyncOpenAI(base_url=proxy.url + "/v1", api_key=key, max_retries=0)
        async with oai:
            first = await oai.chat.completions.create(model="gpt-4", messages=CHAT["messages"])  # type: ignore[arg-type]
            assert first.choices[0].message.content == "echo: hi w2 w3"
            (served_by,) = front.connections
            for _ in range(2):
                stream = await oai.chat.completions.create(
                    model="gpt-4",
                    messages=CHAT["messages"],  # type: ignore[arg-type]
                    stream=True,
                    stream_options={"include_usage": True},
                )
                chunks = [chunk async for chunk in stream]
                text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
                assert text == "echo: hi w2 w3"
                assert chunks[-1].usage is not None
                reply = await oai.chat.completions.create(model="gpt-4", messages=CHAT["messages"])  # type: ignore[arg-type]
                assert reply.choices[0].message.content == "echo: hi w2 w3"
            assert front.connections == {served_by}  # never handed to aiohttp
        claude = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=key, max_retries=0)
        async with claude:
            for _ in range(2):
                async with claude.messages.stream(
                    model="claude",
                    max_tokens=16,
                    messages=MESSAGES["messages"],  # type: ignore[arg-type]
                ) as events:
                    assert await events.get_final_text() == "echo: hi w2 w3"
                    assert (await events.get_final_message()).usage.output_tokens > 0
                message = await claude.messages.create(
                    model="claude",
                    max_tokens=16,
                    messages=MESSAGES["messages"],  # type: ignore[arg-type]
                )
                assert message.content[0].text == "echo: hi w2 w3"  # type: ignore[union-attr]
            assert len(front.connections) == 1
            assert front.connections != {served_by}  # the openai client's is closed


async def test_a_client_leaving_mid_stream_closes_the_upstream_stream(tmp_path: Path) -> None:
    async with running(tmp_path, sim={"tokens": 400, "token_interval": 0.02}) as (proxy, front):
        assert front is not None
        key = proxy.key("models")
        async with connection(proxy.url) as (reader, writer):
            writer.write(post("/v1/chat/completions", key, {**CHAT, "stream": True}))
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")
            assert b"Transfer-Encoding: chunked" in head
            await reader.readuntil(b"\n\n")  # the stream began; now the client goes
        sent = -1
        for _ in range(100):  # the front notices on its next write, then closes the upstream
            await asyncio.sleep(0.1)
            if proxy.sim.streamed == sent:
                break
            sent = proxy.sim.streamed
        assert proxy.sim.streamed < 400
        assert not front.connections
        async with connection(proxy.url) as (reader, writer):  # the front serves on
            writer.write(post("/v1/chat/completions", key, CHAT))
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")


async def test_the_drain_deadline_ends_a_front_stream_with_its_error_event(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, sim={"tokens": 400, "token_interval": 0.05}) as (proxy, front):
        assert front is not None
        key = proxy.key("models")
        async with connection(proxy.url) as (reader, writer):
            writer.write(post("/v1/chat/completions", key, {**CHAT, "stream": True}))
            await reader.readuntil(b"\r\n\r\n")
            await reader.readuntil(b"\n\n")
            deadline = asyncio.create_task(front.app[routes.STREAMS].end_at_deadline(1.0))
            await front.stop(1.0)
            rest = await asyncio.wait_for(reader.read(), 30)
            await deadline
        assert b'"code":"shutdown"' in rest
        assert b"[DONE]" not in rest
        assert rest.endswith(b"0\r\n\r\n")  # the chunked reply ended properly, then closed


async def test_a_client_not_reading_holds_the_stream_back(tmp_path: Path) -> None:
    """Back-pressure: the front's write pause holds the relay (aiohttp's writer drains), so
    the front does not buffer the stream; once the client reads, the whole stream arrives."""
    tokens = 60_000
    async with running(tmp_path, sim={"tokens": tokens}) as (proxy, front):
        assert front is not None
        host, port = proxy.url.removeprefix("http://").split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader's window
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (host, int(port)))
        try:
            request = post("/v1/chat/completions", proxy.key("models"), {**CHAT, "stream": True})
            await loop.sock_sendall(sock, request)  # and nothing read for now
            for _ in range(300):
                if any(c._writing_paused for c in front.connections):
                    break
                await asyncio.sleep(0.05)
            (protocol,) = front.connections
            assert protocol._writing_paused  # the client is not reading: the front waits
            await asyncio.sleep(1.0)  # the upstream has sent on meanwhile
            assert protocol._writing_paused
            # The relay awaits the writer's drain: the front buffers a bounded amount, not the
            # stream (megabytes) the upstream sent.
            assert protocol.transport.get_write_buffer_size() < 1024 * 1024
            whole = bytearray()
            while not whole.endswith(b"\r\n0\r\n\r\n"):  # the last chunk
                piece = await asyncio.wait_for(loop.sock_recv(sock, 1 << 20), 60)
                assert piece
                whole += piece
        finally:
            sock.close()
        events = whole.split(b"\r\n\r\n", 1)[1]
        assert b"data: [DONE]" in events
        events = b"".join(  # the chunked framing undone
            part for i, part in enumerate(events.split(b"\r\n")) if i % 2 == 1
        )
        chunks = [orjson.loads(ln[6:]) for ln in events.split(b"\n") if ln.startswith(b"data: {")]
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1])
        assert text.split()[-1] == f"w{tokens - 1}"
