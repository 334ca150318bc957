"""Sessions a Streamable HTTP server holds are bounded and belong to their caller, with or without
the proxy: at most `max_sessions` (the least recently used idle one makes room; when all are in
use a new one is refused with 503), none idle past `idle_s`; a `principal` hook binds sessions
and request rounds to callers; session tokens and request states have one spelling."""

from __future__ import annotations

import asyncio
import os

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_support import INIT, post, serve, start_session
from mcproute._core import Keyring
from mcproute.protocol import b64url
from mcproute.protocol.gateway.held_calls import HeldCalls
from mcproute.protocol.jsonrpc import MCPError
from mcproute.protocol.server import Session
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.protocol.server.input_required import RequestStates, StateError
from mcproute.protocol.server.session_pool import SessionPool, SessionsFull
from mcproute.protocol.server.session_tokens import SessionTokens
from mcproute.proxy.mcp_mount import MAX_SESSIONS_ENV, SESSION_IDLE_ENV, mcp_session_limits
from mcproute.testing.everything_server import build

LISTING = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def tokens() -> SessionTokens:
    ring = Keyring()
    ring.add(1, os.urandom(32))
    ring.promote(1)
    return SessionTokens(lambda: ring)


async def status(url: str, session_id: str, headers: dict[str, str] | None = None) -> int:
    code, _, _ = await post(url, LISTING, {"Mcp-Session-Id": session_id, **(headers or {})})
    return code


async def test_over_the_cap_the_least_recently_used_idle_session_ends() -> None:
    async with serve(StreamableHTTP(build(), max_sessions=2).app()) as url:
        first, second = await start_session(url), await start_session(url)
        assert await status(url, first) == 200  # now `second` is the least recently used
        third = await start_session(url)
        assert await status(url, second) == 404
        assert await status(url, first) == 200
        assert await status(url, third) == 200


async def test_when_every_session_is_in_use_a_new_one_is_refused() -> None:
    async with serve(StreamableHTTP(build(), max_sessions=1).app()) as url:
        busy = await start_session(url)
        headers = {"Mcp-Session-Id": busy, "Accept": "text/event-stream"}
        async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as stream:
            assert stream.status == 200  # the standalone stream: the session is in use
            code, _, body = await post(url, INIT)
            assert code == 503
            assert body["error"]["message"].startswith("this server holds its limit of 1 sessions")
            code, _, _ = await post(url, LISTING, {"Mcp-Session-Id": busy})
            assert code == 200  # the busy session is untouched
        async with (
            aiohttp.ClientSession() as http,
            http.delete(url, headers={"Mcp-Session-Id": busy}) as r,
        ):
            assert r.status == 204
        assert await start_session(url)  # room again


async def test_a_session_idle_past_the_timeout_ends() -> None:
    async with serve(StreamableHTTP(build(), idle_s=0.2).app()) as url:
        session_id = await start_session(url)
        assert await status(url, session_id) == 200
        await asyncio.sleep(0.5)
        assert await status(url, session_id) == 404


async def test_a_token_session_dropped_from_memory_is_restored_from_its_id() -> None:
    mcp = StreamableHTTP(build(), max_sessions=1, idle_s=0.2, session_tokens=tokens())
    async with serve(mcp.app()) as url:
        first = await start_session(url)
        second = await start_session(url)  # `first` leaves memory
        assert list(mcp.sessions) == [second]
        assert await status(url, first) == 200
        await asyncio.sleep(0.5)  # idle: both leave memory, and come back on use
        assert await status(url, second) == 200
        assert list(mcp.sessions) == [second]


async def test_the_principal_hook_binds_sessions_without_the_proxy() -> None:
    mcp = StreamableHTTP(build(), principal=lambda request: request.headers.get("X-User"))
    async with serve(mcp.app()) as url:
        code, headers, _ = await post(url, INIT, {"X-User": "alice"})
        assert code == 200
        session_id = headers["Mcp-Session-Id"]
        assert await status(url, session_id, {"X-User": "alice"}) == 200
        assert await status(url, session_id, {"X-User": "bob"}) == 404
        assert await status(url, session_id) == 404  # nobody in particular is not alice


def test_session_limits_come_from_the_environment() -> None:
    assert mcp_session_limits({}) == {}  # the transport's own defaults
    env = {MAX_SESSIONS_ENV: "50", SESSION_IDLE_ENV: "2.5"}
    assert mcp_session_limits(env) == {"max_sessions": 50, "idle_s": 2.5}
    for name, bad in ((MAX_SESSIONS_ENV, "0"), (MAX_SESSIONS_ENV, "many"),
                      (SESSION_IDLE_ENV, "-1"), (SESSION_IDLE_ENV, "inf")):  # fmt: skip
        with pytest.raises(ValueError, match=f"{name} must be a positive"):
            mcp_session_limits({name: bad})


def test_a_token_opens_only_as_sealed_and_only_for_its_principal() -> None:
    sealer = tokens()
    token = sealer.seal(Session(version="2025-11-25", principal="t/a"))
    opened = sealer.open(token, "t/a")
    assert opened is not None
    assert opened.principal == "t/a"
    assert sealer.open(token, "t/b") is None
    assert sealer.open(token) is None
    for respelled in (token + "=", token + "==", token[:10] + "!" + token[10:], token + "\n"):
        assert sealer.open(respelled, "t/a") is None


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=64), junk=st.sampled_from(["=", "==", "!", " ", "+", "/", "."]),
       at=st.integers(min_value=0))  # fmt: skip
def test_base64url_has_one_spelling(data: bytes, junk: str, at: int) -> None:
    text = b64url.encode(data)
    assert b64url.decode(text) == data
    where = at % (len(text) + 1)
    assert b64url.decode(text[:where] + junk + text[where:]) is None
    if len(text) % 4 in (2, 3):  # unused trailing bits set: the same bytes, leniently
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        flipped = alphabet[alphabet.index(text[-1]) ^ 1]
        assert b64url.decode(text[:-1] + flipped) is None


def test_a_request_state_opens_only_for_its_principal() -> None:
    states = RequestStates()
    state = states.seal("tools/call t", {"k": {"action": "accept"}}, None, "t/a")
    assert states.open(state, "tools/call t", "t/a")["answers"] == {"k": {"action": "accept"}}
    for other in ("t/b", None):
        with pytest.raises(StateError, match=r"^params\.requestState: not issued to this caller"):
            states.open(state, "tools/call t", other)
    with pytest.raises(StateError, match="malformed"):
        states.open(state + "=", "tools/call t", "t/a")


async def test_a_held_call_continues_only_for_its_principal() -> None:
    held = HeldCalls(ttl_s=5)
    answered = asyncio.Event()

    async def run(on_request: object) -> dict[str, object]:
        assert callable(on_request)
        answer = await on_request("elicitation/create", {"message": "?"})
        answered.set()
        return {"content": [{"type": "text", "text": str(answer)}]}

    with pytest.raises(Exception, match="input required") as asked:
        await held.start(run, lambda method: True, "t/a")
    key = asked.value.carry["held"]  # type: ignore[attr-defined]
    with pytest.raises(MCPError, match=r"params\.requestState: the upstream call .* is gone"):
        await held.resume(key, {"upstream-0": {"action": "decline"}}, "t/b")
    assert not answered.is_set()
    result = await held.resume(key, {"upstream-0": {"action": "accept"}}, "t/a")
    assert "accept" in str(result)
    held.cancel_all()


def test_the_pool_drops_only_idle_sessions_oldest_first() -> None:
    now = [0.0]
    pool = SessionPool({}, max_sessions=2, idle_s=10, clock=lambda: now[0])
    first, second, third = (Session(id=name) for name in ("first", "second", "third"))
    pool.add(first)
    pool.add(second)
    with pool.in_use("first"):
        pool.add(third)  # over the cap: the oldest idle one goes, not the busy one
        assert pool.to_drop() == ["second"]
        pool.remove("second")
        with pool.in_use("third"), pytest.raises(SessionsFull):
            pool.check_room()  # two held, both busy: no room for a third
        now[0] = 100.0
        assert not pool.expired("first")  # busy sessions do not expire
        assert pool.to_drop() == ["third"]
    assert not pool.expired("first")  # its idle time starts when it is no longer busy
    now[0] = 110.0
    assert pool.expired("first")
