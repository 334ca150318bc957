"""The gateway with upstreams that hang, cannot start or die: per-upstream timeouts, listings
from the healthy upstreams naming the failed ones, the circuit breaker, clear errors, and what
a stdio child inherits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mcp_demo_server import server as demo
from mcp_support import serve
from mcproute import deadline
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import UNAVAILABLE_META, Gateway, upstream_health
from mcproute.protocol.gateway.upstream_health import BREAKER_FAILURES, UNAVAILABLE
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server import MCPServer
from mcproute.protocol.server.http import StreamableHTTP

FAST = {"connect_timeout_s": 0.5, "list_timeout_s": 0.5, "call_timeout_s": 0.5}


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 that accepts, reads, and never answers: a hung upstream."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        for writer in held:
            writer.close()
        server.close()


@contextlib.asynccontextmanager
async def gateway_client(upstreams: dict[str, Any]) -> AsyncIterator[tuple[Gateway, MCPConnection]]:
    gateway = Gateway(upstreams)
    try:
        async with serve(StreamableHTTP(gateway).app()) as url, MCPConnection(url) as client:
            yield gateway, client
    finally:
        await gateway.close()


async def test_a_hung_upstream_does_not_hold_up_the_others() -> None:
    async with (
        silent_server() as hung_url,
        serve(StreamableHTTP(demo).app()) as demo_url,
        gateway_client({"demo": demo_url, "hung": {"url": hung_url, **FAST}}) as (gw, client),
    ):
        listed = await client.request("tools/list")
        assert {t["name"] for t in listed["tools"]} == {"demo__add", "demo__broken", "demo__strict"}
        [failed] = listed["_meta"][UNAVAILABLE_META]
        assert failed["server"] == "hung"
        assert "no answer within 0.5 s" in failed["error"]
        added = await client.call_tool("demo__add", {"a": 1, "b": 2})
        assert added["content"][0]["text"] == "3"
        # Its tools are not "unknown": the server they belong to is unavailable.
        with pytest.raises(MCPError, match="'hung' is unavailable") as raised:
            await client.call_tool("hung__anything", {})
        assert raised.value.code == UNAVAILABLE
        for _ in range(BREAKER_FAILURES):
            await client.request("tools/list")
        health = gw.upstream_health()
        assert health["hung"]["state"] == "open"  # the circuit is open: it is not waited on
        assert health["hung"]["last_error"]
        assert health["demo"]["state"] == "up"
        assert health["demo"]["tools"] == 3
        listed = await client.request("tools/list")
        assert len(listed["tools"]) == 3
        assert "circuit" not in json.dumps(listed["tools"])


async def test_a_call_to_a_hung_tool_fails_after_its_timeout() -> None:
    slow = MCPServer("slow")
    cancelled = asyncio.Event()

    @slow.tool(description="Never answers.")
    async def hang(arguments: dict[str, Any]) -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    async with (
        serve(StreamableHTTP(slow).app()) as url,
        gateway_client({"slow": {"url": url, "call_timeout_s": 0.5}}) as (gw, client),
    ):
        with pytest.raises(MCPError, match=r"'slow' is unavailable: tools/call: no answer within"):
            await client.call_tool("slow__hang", {})
        async with asyncio.timeout(10):
            await cancelled.wait()  # the upstream was told
        assert gw.upstream_health()["slow"]["state"] == "down"


async def test_children_that_cannot_start_or_die_are_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dying = tmp_path / "dying.py"
    dying.write_text("import sys\nprint('missing setting FOO_URL', file=sys.stderr)\nsys.exit(3)\n")
    upstreams = {
        "absent": {"command": str(tmp_path / "no-such-program"), **FAST},
        "dying": {"command": sys.executable, "args": [str(dying)], **FAST},
    }
    caplog.set_level(logging.WARNING)
    async with gateway_client(upstreams) as (gw, client):
        listed = await client.request("tools/list")
        assert listed["tools"] == []
        errors = {f["server"]: f["error"] for f in listed["_meta"][UNAVAILABLE_META]}
        assert "cannot start" in errors["absent"]
        assert "missing setting FOO_URL" in errors["dying"]  # its last stderr lines
        with pytest.raises(MCPError, match="'dying' is unavailable") as raised:
            await client.call_tool("dying__tool", {})
        assert "unknown" not in str(raised.value)
        health = gw.upstream_health()
        assert health["absent"]["state"] in ("down", "open")
        assert health["dying"]["transport"] == "stdio"
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("'absent'" in m and "cannot start" in m for m in warned)
    assert any("missing setting FOO_URL" in m for m in warned)


async def test_a_stdio_child_gets_proxy_and_ca_settings_but_no_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "env_server.py"
    script.write_text(
        "import asyncio, json, os\n"
        "from mcproute.protocol.server import MCPServer\n"
        "from mcproute.protocol.server.stdio import serve_stdio\n"
        "server = MCPServer('env')\n"
        "@server.tool(description='Its environment.')\n"
        "def env(arguments):\n"
        "    return json.dumps(dict(os.environ))\n"
        "asyncio.run(serve_stdio(server))\n"
    )
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", "/etc/ssl/corp.pem")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-parent-secret")
    upstreams = {
        "child": {"command": sys.executable, "args": [str(script)], "env": {"MINE": "1"}},
        "bare": {"command": sys.executable, "args": [str(script)], "inheritEnv": ["PATH"]},
    }
    async with gateway_client(upstreams) as (_, client):
        seen = json.loads((await client.call_tool("child__env", {}))["content"][0]["text"])
        bare = json.loads((await client.call_tool("bare__env", {}))["content"][0]["text"])
    assert seen["HTTPS_PROXY"] == "http://proxy.internal:3128"
    assert seen["NO_PROXY"] == "localhost"
    assert seen["NODE_EXTRA_CA_CERTS"] == "/etc/ssl/corp.pem"
    assert seen["MINE"] == "1"
    assert "PATH" in seen
    assert "OPENAI_API_KEY" not in seen
    assert "HTTPS_PROXY" not in bare  # configured otherwise
    assert "PATH" in bare


async def test_the_breaker_opens_probes_once_and_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(upstream_health.time, "monotonic", lambda: now[0])
    health = upstream_health.UpstreamHealth("flaky")

    async def refused() -> None:
        raise ConnectionRefusedError("refused")

    async def answers() -> str:
        return "ok"

    for _ in range(BREAKER_FAILURES):
        with pytest.raises(MCPError, match="'flaky' is unavailable: tools/list: Connection"):
            await health.guard("tools/list", 1.0, refused)
    assert health.state == "open"
    with pytest.raises(MCPError, match="unavailable"):
        await health.guard("tools/list", 1.0, answers)  # not even tried while open
    now[0] += upstream_health.BREAKER_COOLDOWN_S + 1
    health.admit()  # the probe
    with pytest.raises(MCPError):
        health.admit()  # only one at a time
    health.failed("probe: refused")
    assert health.state == "open"  # the probe failed: open again, for another cooldown
    now[0] += upstream_health.BREAKER_COOLDOWN_S + 1
    assert await health.guard("tools/list", 1.0, answers) == "ok"
    assert health.state == "up"
    assert health.failures == 0

    async def rejects() -> None:
        raise MCPError(-32602, "params.name: unknown tool")

    with pytest.raises(MCPError, match="unknown tool"):
        await health.guard("tools/call", 1.0, rejects)
    assert health.state == "up"  # an error the upstream answered: it is alive


async def test_each_upstream_has_its_own_breaker_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """`breaker_failures` and `breaker_cooldown_s` in an upstream's entry: that upstream opens
    after its own count and stays open for its own time; the other keeps the defaults. Both are
    shown to operators, and a reload with other settings replaces the upstream."""
    now = [1000.0]
    monkeypatch.setattr(upstream_health.time, "monotonic", lambda: now[0])
    touchy = {"url": "http://127.0.0.1:9/mcp", "breaker_failures": 1, "breaker_cooldown_s": 2}
    gateway = Gateway({"touchy": touchy, "usual": "http://127.0.0.1:9/mcp"})
    try:
        health = {name: u.health for name, u in gateway.upstreams.items()}
        for h in health.values():
            h.failed("connect: refused")
        assert health["touchy"].state == "open"
        assert health["usual"].state == "down"  # one failure of the default three
        now[0] += 2.5
        health["touchy"].admit()  # its own 2 s are over: the probe goes through
        shown = gateway.upstream_health()
        assert shown["touchy"]["breaker"] == {"failures": 1, "cooldown_s": 2.0}
        assert shown["usual"]["breaker"] == {
            "failures": BREAKER_FAILURES,
            "cooldown_s": upstream_health.BREAKER_COOLDOWN_S,
        }
        changed = gateway.set_upstreams({"touchy": {**touchy, "breaker_failures": 5}})
        assert changed["touchy"] == "changed"
    finally:
        await gateway.close()


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"breaker_failures": 0}, "breaker_failures: must be a whole number >= 1"),
        ({"breaker_failures": 1.5}, "breaker_failures: must be a whole number >= 1"),
        ({"breaker_cooldown_s": -1}, "breaker_cooldown_s: must be a positive number"),
        ({"breaker_cooldown_s": True}, "breaker_cooldown_s: must be a positive number"),
    ],
)
def test_bad_breaker_settings_name_the_key(entry: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=f"upstream 'x': {error}"):
        Gateway({"x": {"url": "http://127.0.0.1:9/mcp", **entry}})


async def test_the_call_timeout_keeps_asyncio_timeouts_contract() -> None:
    """`within` (the timer every forwarded call runs under): its result, or TimeoutError once
    the time is up; a cancellation from elsewhere stays a cancellation, even when the timer
    fires too; and the task is left with no cancellation pending either way."""

    async def answer() -> str:
        return "done"

    assert await upstream_health.within(5.0, answer) == "done"
    with pytest.raises(TimeoutError):
        await upstream_health.within(0.01, lambda: asyncio.sleep(5))
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0

    async def cancelled_from_outside() -> None:
        await upstream_health.within(0.05, lambda: asyncio.sleep(5))

    outer = asyncio.create_task(cancelled_from_outside())
    await asyncio.sleep(0.01)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer

    async def swallows() -> str:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(5)
        return "kept going"

    async def runs_on() -> int:
        assert await upstream_health.within(0.01, swallows) == "kept going"
        running = asyncio.current_task()
        assert running is not None
        return running.cancelling()

    assert await asyncio.create_task(runs_on()) == 0


async def test_call_deadlines_share_one_timer_and_each_fires_on_time() -> None:
    """The calls in flight under `within` share one timer: a shorter deadline added after a
    longer one still fires first, a call that ended never fires, and each timed-out call sees
    its own TimeoutError while the others go on."""
    loop = asyncio.get_running_loop()
    ended: dict[str, float] = {}

    async def call(name: str, timeout_s: float, takes_s: float) -> str:
        started = loop.time()
        try:
            return await upstream_health.within(timeout_s, lambda: asyncio.sleep(takes_s, name))
        except TimeoutError:
            ended[name] = loop.time() - started
            return "timed out"

    outcomes = await asyncio.gather(
        call("long", 0.6, 5), call("short", 0.1, 5), call("quick", 0.3, 0.01), call("mid", 0.3, 5)
    )
    assert outcomes == ["timed out", "timed out", "quick", "timed out"]
    assert ended["short"] < ended["mid"] < ended["long"]
    assert not deadline._timer(loop)._watched  # nothing left watched for the ended calls
