"""Router behaviour against a real local HTTP upstream: retries, 429s, fallbacks, timeouts,
hedging, cancellation and streams."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcproute.errors import FailureKind, UpstreamError
from mcproute.routing import (
    AttemptEvent,
    Router,
    RouterPolicy,
    UnknownGroupError,
)
from routing_support import group, running_upstream

FAST = {"backoff_base_s": 0.001, "backoff_max_s": 0.01, "strategy": "round_robin"}


def router(groups: dict[str, Any], **policy: Any) -> Router:
    return Router(groups, RouterPolicy(**{**FAST, **policy}))


async def test_retries_a_server_error_on_another_deployment() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "500")
        r = router({"g": group("g", "a", "b")})
        result = await r.call("g", client.call)
        assert result["deployment"] == "b"
        assert (up.hits["a"], up.hits["b"]) == (1, 1)
        stats = r.stats()["g"]
        assert stats["a"]["failures"] == 1
        assert stats["b"]["successes"] == 1
        assert [c.attempt for c in client.contexts] == [0, 1]


async def test_gives_up_after_the_retry_budget() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "503", "503", "503", "503")
        r = router({"g": group("g", "a")}, num_retries=2)
        with pytest.raises(UpstreamError) as info:
            await r.call("g", client.call)
        assert info.value.kind is FailureKind.SERVER
        assert up.hits["a"] == 3


async def test_rate_limit_cools_down_and_retry_after_is_honoured() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "429:30")
        r = router({"g": group("g", "a", "b")})
        assert (await r.call("g", client.call))["deployment"] == "b"
        # "a" is cooling down for 30 s: every call goes to "b" meanwhile
        for _ in range(5):
            assert (await r.call("g", client.call))["deployment"] == "b"
        assert up.hits["a"] == 1
        assert r.stats()["g"]["a"]["cooling_down"] is True
        # a single deployment: the Router waits out Retry-After (capped) and then succeeds
        up.queue("solo", "429:0.2")
        solo = router({"s": group("s", "solo")}, retry_after_max_s=1.0)
        assert (await solo.call("s", client.call))["deployment"] == "solo"
        assert up.hits["solo"] == 2


async def test_ordered_fallbacks_across_groups() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "500", "500", "500")
        up.queue("b", "500", "500", "500")
        r = router(
            {"g": group("g", "a"), "h": group("h", "b"), "i": group("i", "c")},
            fallbacks={"g": ["h", "i"]},
        )
        assert (await r.call("g", client.call))["deployment"] == "c"
        assert (up.hits["a"], up.hits["b"], up.hits["c"]) == (3, 3, 1)


async def test_context_window_and_content_policy_fallbacks() -> None:
    async with running_upstream() as (up, client):
        up.queue("small", "context_window")
        up.queue("strict", "content_policy")
        r = router(
            {
                "small": group("small", "small"),
                "large": group("large", "large"),
                "strict": group("strict", "strict"),
                "lenient": group("lenient", "lenient"),
            },
            context_window_fallbacks={"small": "large"},
            content_policy_fallbacks={"strict": "lenient"},
        )
        assert (await r.call("small", client.call))["deployment"] == "large"
        assert (await r.call("strict", client.call))["deployment"] == "lenient"
        # neither counts against the deployment's health
        assert r.stats()["small"]["small"]["failures"] == 0
        up.queue("small", "context_window")
        plain = router({"small": group("small", "small")})
        with pytest.raises(UpstreamError) as info:
            await plain.call("small", client.call)
        assert info.value.kind is FailureKind.CONTEXT_WINDOW


async def test_bad_request_is_not_retried() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "bad_request")
        r = router({"g": group("g", "a", "b")}, fallbacks={"g": ["g2"]})
        with pytest.raises(UpstreamError) as info:
            await r.call("g", client.call)
        assert info.value.kind is FailureKind.BAD_REQUEST
        assert up.hits["a"] + up.hits["b"] == 1


async def test_total_timeout_is_a_retryable_failure() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "stall")
        r = router({"g": group("g", "a", "b")}, total_timeout_s=0.3)
        result = await r.call("g", client.call)
        assert result["deployment"] == "b"
        assert r.stats()["g"]["a"]["failures"] == 1
        await asyncio.sleep(0.05)
        assert up.cancelled["a"] == 1  # the stalled upstream request was abandoned


async def test_hedge_wins_over_a_stalled_deployment_and_cancels_it() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "stall")
        r = router(
            {"g": group("g", "a", "b")},
            hedge=True,
            hedge_default_delay_s=0.05,
            hedge_min_delay_s=0.01,
        )
        events: list[AttemptEvent] = []
        r.observer = events.append
        # round robin starts on "a", which stalls; the hedge goes to "b" and wins
        result = await asyncio.wait_for(r.call("g", client.call), 10)
        assert result["deployment"] == "b"
        await asyncio.sleep(0.05)
        assert up.cancelled["a"] == 1
        assert {e.outcome for e in events} == {"success", "cancelled"}
        assert any(e.deployment == "a" and e.outcome == "cancelled" for e in events)


async def test_hedge_delay_follows_observed_latency() -> None:
    async with running_upstream() as (_, client):
        r = router(
            {"g": group("g", "a", "b")},
            hedge=True,
            hedge_min_delay_s=0.001,
            hedge_max_delay_s=9.0,
            hedge_default_delay_s=7.0,
        )
        assert r.hedge_delay("g") == 7.0  # not enough observations yet
        for _ in range(30):
            await r.call("g", client.call)
        assert r.hedge_delay("g") < 1.0


async def test_caller_going_away_cancels_the_upstream_request() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "stall")
        r = router({"g": group("g", "a")})
        task = asyncio.ensure_future(r.call("g", client.call))
        for _ in range(200):
            if up.hits["a"]:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.05)
        assert up.cancelled["a"] == 1
        stats = r.stats()["g"]["a"]
        assert (stats["in_flight"], stats["failures"]) == (0, 0)


async def test_stream_relays_and_retries_before_the_first_chunk() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "500")
        r = router({"g": group("g", "a", "b")})
        chunks = [c async for c in r.stream("g", client.stream)]
        assert chunks == [f"chunk {i} from b" for i in range(3)]
        assert r.stats()["g"]["b"]["successes"] == 1


async def test_stream_cut_after_first_chunk_is_not_retried() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "cut")
        r = router({"g": group("g", "a", "b")})
        got: list[str] = []

        async def consume() -> None:
            async for chunk in r.stream("g", client.stream):
                got.append(chunk)

        with pytest.raises(UpstreamError) as info:
            await consume()
        assert info.value.kind is FailureKind.CONNECTION
        assert got == ["chunk 0 from a"]
        assert up.hits["b"] == 0


async def test_stream_idle_timeout() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "idle")
        r = router({"g": group("g", "a")}, stream_idle_timeout_s=0.2)
        stream = r.stream("g", client.stream)
        assert await anext(stream) == "chunk 0 from a"
        with pytest.raises(UpstreamError) as info:
            await anext(stream)  # the upstream goes silent
        assert info.value.kind is FailureKind.TIMEOUT


async def test_stream_consumer_leaving_cancels_upstream() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "idle")
        r = router({"g": group("g", "a")})
        stream = r.stream("g", client.stream)
        assert await anext(stream) == "chunk 0 from a"
        await stream.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0.05)
        assert up.cancelled["a"] == 1
        assert r.stats()["g"]["a"]["in_flight"] == 0


async def test_config_reload_keeps_state_of_unchanged_deployments() -> None:
    async with running_upstream() as (up, client):
        up.queue("a", "500")
        r = router({"g": group("g", "a", "b")})
        await r.call("g", client.call)
        r.set_groups({"g": group("g", "a", "c"), "h": group("h", "d")})
        assert set(r.stats()["g"]) == {"a", "c"}
        assert r.stats()["g"]["a"]["failures"] == 1
        assert r.groups == ["g", "h"]
        assert r.set_weight("g", "a", 0.0)
        for _ in range(4):
            assert (await r.call("g", client.call))["deployment"] == "c"


async def test_unknown_group_and_bad_policy_errors() -> None:
    r = Router({"g": group("g", "a")})

    async def never(*_: object) -> None:
        raise AssertionError("no attempt may run for an unknown group")

    with pytest.raises(UnknownGroupError, match="unknown model group 'nope'"):
        await r.call("nope", never)
    with pytest.raises(ValueError, match="num_retries"):
        RouterPolicy(num_retries=-1)
    with pytest.raises(ValueError, match="strategy: 'fastest' is not one of"):
        RouterPolicy(strategy="fastest")
    with pytest.raises(ValueError, match="total_timeout_s: must be >= 0"):
        RouterPolicy(total_timeout_s=-1)
    with pytest.raises(ValueError, match="unknown routing option"):
        RouterPolicy.from_mapping({"retries": 3})
    with pytest.raises(ValueError, match="belongs to"):
        Router({"g": group("h", "a")})


async def test_retry_after_beyond_the_cap_fails_fast() -> None:
    async with running_upstream() as (up, client):
        up.queue("solo", "429:100")
        r = router({"s": group("s", "solo")}, retry_after_max_s=1.0)
        with pytest.raises(UpstreamError) as info:
            await r.call("s", client.call)
        assert info.value.kind is FailureKind.RATE_LIMITED
        assert info.value.retry_after == 100
        assert up.hits["solo"] == 1
