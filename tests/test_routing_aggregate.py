"""Aggregation across model groups, each with a deadline and partial results."""

from __future__ import annotations

from typing import Any

import pytest

from mcproute.routing import (
    AggregateError,
    AttemptContext,
    Deployment,
    Router,
    RouterPolicy,
    aggregate,
)
from routing_support import group, running_upstream

ANSWERS = {"m1": "Paris", "m2": " paris ", "m3": "Lyon", "slow": "Paris"}


def make_router(*names: str) -> Router:
    policy = RouterPolicy(num_retries=0, backoff_base_s=0.001)
    return Router({n: group(n, n) for n in names}, policy)


def answering(client: Any) -> Any:
    async def attempt(deployment: Deployment, ctx: AttemptContext) -> str:
        await client.call(deployment, ctx)
        return ANSWERS[deployment.name]

    return attempt


async def test_all_collects_answers_errors_and_pending() -> None:
    async with running_upstream() as (up, client):
        up.queue("m3", "500")
        up.queue("slow", "stall")
        r = make_router("m1", "m3", "slow")
        out = await aggregate(r, ["m1", "m3", "slow"], answering(client), deadline=0.5)
        assert out.results == {"m1": "Paris"}
        assert set(out.errors) == {"m3"}
        assert out.pending == ["slow"]
        assert not out.complete
        assert out.value is None


async def test_first_returns_the_first_success_and_cancels_the_rest() -> None:
    async with running_upstream() as (up, client):
        up.queue("slow", "stall")
        r = make_router("m1", "slow")
        out = await aggregate(r, ["slow", "m1"], answering(client), mode="first", deadline=5)
        assert out.value == "Paris"
        assert out.pending == ["slow"]


async def test_majority_over_normalized_answers_returns_early() -> None:
    async with running_upstream() as (up, client):
        up.queue("slow", "stall")
        r = make_router("m1", "m2", "slow")
        out = await aggregate(r, ["m1", "m2", "slow"], answering(client), mode="majority")
        assert out.value in ("Paris", " paris ")
        assert out.pending == ["slow"]  # two of three agree: no need to wait


async def test_majority_without_a_majority_takes_the_most_common() -> None:
    async with running_upstream() as (_, client):
        r = make_router("m1", "m3")
        out = await aggregate(r, ["m1", "m3"], answering(client), mode="majority", deadline=5)
        assert out.value in ("Paris", "Lyon")
        assert out.complete


async def test_best_of_and_merge() -> None:
    async with running_upstream() as (_, client):
        r = make_router("m1", "m3")
        best = await aggregate(r, ["m1", "m3"], answering(client), mode="best", score=len)
        assert best.value == "Paris"
        merged = await aggregate(
            r, ["m1", "m3"], answering(client), mode="merge", merge=lambda xs: "+".join(sorted(xs))
        )
        assert merged.value == "Lyon+Paris"


async def test_nothing_usable_raises_with_the_errors() -> None:
    async with running_upstream() as (up, client):
        up.queue("m1", "500")
        up.queue("slow", "stall")
        r = make_router("m1", "slow")
        with pytest.raises(AggregateError) as info:
            await aggregate(
                r, ["m1", "slow"], answering(client), mode="best", score=len, deadline=0.3
            )
        assert set(info.value.errors) == {"m1"}
        assert info.value.pending == ["slow"]


async def test_argument_errors() -> None:
    r = make_router("m1")

    async def attempt(d: Deployment, c: AttemptContext) -> str:
        return ""

    with pytest.raises(ValueError, match="mode"):
        await aggregate(r, ["m1"], attempt, mode="vote")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="score"):
        await aggregate(r, ["m1"], attempt, mode="best")
    with pytest.raises(ValueError, match="at least one"):
        await aggregate(r, [], attempt)
    with pytest.raises(ValueError, match="once"):
        await aggregate(r, ["m1", "m1"], attempt)
