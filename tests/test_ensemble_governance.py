"""Ensembles under key budgets, through the proxy with the official SDKs and simulated members
answering differently at different prices: the whole ensemble's worst case is reserved before
any member is called, the reservation settles per member at the deployment that answered, and
cancelled or stalled members give their share back."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from mcproute.models.ensemble_combine import JUDGE_MAX_TOKENS
from mcproute.store.database import SqliteDatabase
from mcproute.store.spend import SpendRow, SpendStore
from mcproute.testing.upstream import Simulator, SimulatorSettings
from proxy_support import Proxy, running_proxy
from stores_support import admin_made_key
from test_ensembles import MEMBERS, simulators
from test_governance_proxy import eventually, usage_of

# Nanodollars per token in and out, each member its own: a member priced at another's rate
# would show in the sums.
RATES = {"alpha": (10_000, 20_000), "beta": (30_000, 40_000), "gamma": (50_000, 60_000)}
RATES |= {"judge": (70_000, 80_000), "slow": (90_000, 100_000)}
ASK = [{"role": "user", "content": "capital?"}]
MAX_TOKENS = 200
ANSWERS = {"x-mcproute-answers": "true"}


def members(**extra: SimulatorSettings) -> dict[str, SimulatorSettings]:
    return {
        "alpha": SimulatorSettings(reply="Paris"),
        "beta": SimulatorSettings(reply="paris.", latency=0.2),
        "gamma": SimulatorSettings(reply="Lyon", latency=0.4),
        "judge": SimulatorSettings(reply='{"scores": [2, 9, 3]}'),
        "slow": SimulatorSettings(latency=30.0),  # past any deadline here
        **extra,
    }


ENSEMBLES = {
    "every": {"models": MEMBERS, "strategy": "all"},
    "judged": {"models": MEMBERS, "strategy": "best", "judge": "judge"},
    "fastest": {"models": MEMBERS, "strategy": "first"},
    "stalling": {"models": ["alpha", "slow"], "strategy": "all", "deadline_s": 0.5},
    # holds its reservation for its whole deadline (the slow member never answers in time)
    "holding": {"models": ["alpha", "slow"], "strategy": "all", "deadline_s": 3},
}


def document(sims: Mapping[str, Simulator]) -> dict[str, Any]:
    """One provider per simulator, each deployment with its own price; "gamma" speaks
    Anthropic's format."""
    models = {}
    for name, sim in sims.items():
        rate_in, rate_out = RATES[name]
        price = {"input_per_mtok": rate_in / 1000, "output_per_mtok": rate_out / 1000}
        models[name] = {
            "type": "anthropic" if name == "gamma" else "openai",
            "endpoint": sim.url,
            "api_key": "sk-test",
            "models": [{"name": name, "model": "gpt-4", "price": price}],
        }
    return {"mcp": {"models": models, "ensembles": ENSEMBLES}}


@contextlib.asynccontextmanager
async def proxied(tmp_path: Path, **extra: SimulatorSettings) -> AsyncIterator[Proxy]:
    async with (
        simulators(**members(**extra)) as sims,
        running_proxy(tmp_path, config_document=lambda _s, _m: document(sims)) as proxy,
    ):
        proxy.sims = sims  # type: ignore[attr-defined]
        yield proxy


async def key_with(proxy: Proxy, **limits: Any) -> str:
    async with aiohttp.ClientSession() as http:
        made = await admin_made_key(
            http, proxy.url, proxy.key("admin"), scopes=["models"], **limits
        )
    return str(made["key"])


def sdk(proxy: Proxy, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=key, base_url=f"{proxy.url}/v1", max_retries=0)


def cost_usd(model: str, usage: Mapping[str, Any]) -> float:
    rate_in, rate_out = RATES[model]
    tokens_in = usage.get("prompt_tokens", usage.get("input_tokens", 0))
    tokens_out = usage.get("completion_tokens", usage.get("output_tokens", 0))
    return (tokens_in * rate_in + tokens_out * rate_out) / 1e9


async def worst_case(proxy: Proxy, model: str) -> float:
    """What a call of `model` may cost at worst, as the 429 of a key with nothing left says."""
    async with sdk(proxy, await key_with(proxy, budget_usd=0, budget_period="total")) as client:
        with pytest.raises(openai.RateLimitError) as refused:
            await client.chat.completions.create(model=model, messages=ASK, max_tokens=MAX_TOKENS)
    message = refused.value.response.json()["error"]["message"]
    assert "limit key.budget" in message
    found = re.search(r"may cost up to \$([0-9.]+)", message)
    assert found is not None, message
    return float(found.group(1))


async def spent(proxy: Proxy, key: str) -> dict[str, Any]:
    usage: dict[str, Any] = (await usage_of(proxy, key))["key"]["usage"]
    return usage


async def test_a_budget_for_one_member_but_not_three_is_refused_before_any_call(
    tmp_path: Path,
) -> None:
    async with proxied(tmp_path) as proxy:
        alone = {name: await worst_case(proxy, name) for name in MEMBERS}
        one = alone["gamma"]  # the dearest member
        whole = await worst_case(proxy, "every")
        judged = await worst_case(proxy, "judged")
        key = await key_with(proxy, budget_usd=one * 1.5, budget_period="total")
        asked_before = {n: len(s.requests) for n, s in proxy.sims.items()}  # type: ignore[attr-defined]
        async with sdk(proxy, key) as client:
            with pytest.raises(openai.RateLimitError) as refused:
                await client.chat.completions.create(
                    model="every", messages=ASK, max_tokens=MAX_TOKENS
                )
            asked_after = {n: len(s.requests) for n, s in proxy.sims.items()}  # type: ignore[attr-defined]
            answered = await client.chat.completions.create(
                model="gamma", messages=ASK, max_tokens=MAX_TOKENS
            )
        ant = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=key, max_retries=0)
        with pytest.raises(anthropic.RateLimitError) as refused_messages:
            await ant.messages.create(model="judged", max_tokens=MAX_TOKENS, messages=ASK)
        await ant.close()
    # the members' worst cases summed (their bodies differ only in the model's name)
    assert whole == pytest.approx(sum(alone.values()), abs=1e-4)
    assert whole > one * 1.5
    # the judge reads the three answers (each up to max_tokens) and writes up to its own cap
    judge_in, judge_out = RATES["judge"]
    judge_least = (3 * MAX_TOKENS * judge_in + JUDGE_MAX_TOKENS * judge_out) / 1e9
    assert judged - whole >= judge_least
    error = refused.value.response.json()["error"]
    assert "limit key.budget" in error["message"]
    assert asked_after == asked_before  # no member was called
    assert answered.choices[0].message.content == "Lyon"
    assert "key.budget" in str(refused_messages.value)


async def test_spend_is_the_sum_of_each_members_and_the_judges_cost(tmp_path: Path) -> None:
    async with proxied(tmp_path) as proxy:
        key = await key_with(proxy, budget_usd=1000, budget_period="total", tpm=10_000_000)
        async with sdk(proxy, key) as client:
            judged = await client.chat.completions.create(
                model="judged", messages=ASK, max_tokens=MAX_TOKENS, extra_headers=ANSWERS
            )
            streamed = await client.chat.completions.create(
                model="every",
                messages=ASK,
                max_tokens=MAX_TOKENS,
                stream=True,
                extra_headers=ANSWERS,
            )
            chunks = [c async for c in streamed]
            responded = await client.responses.create(
                model="every",
                input="capital?",
                max_output_tokens=MAX_TOKENS,
                store=False,
                extra_headers={"x-request-id": "responses-1"},
            )
        ant = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=key, max_retries=0)
        async with ant.messages.stream(
            model="judged",
            max_tokens=MAX_TOKENS,
            messages=ASK,
            extra_headers={"x-request-id": "messages-1"},
        ) as events:
            ant_text = await events.get_final_text()
        await ant.close()
        usage = await spent(proxy, key)
        members: list[SpendRow] = []

        async def written() -> bool:  # the ledger is written by its next flush
            store = SpendStore(SqliteDatabase(proxy.data_dir))
            try:
                members[:] = [r for r in store.rows() if r.role == "member"]
            finally:
                store.close()
            return len(members) == 14

        await eventually(written)
    judged_ext = (judged.model_extra or {})["mcproute"]
    streamed_ext = next(
        (c.model_extra or {})["mcproute"] for c in chunks if "mcproute" in (c.model_extra or {})
    )
    parts = [
        *((a["model"], a["usage"]) for a in judged_ext["answers"]),
        ("judge", judged_ext["judge"]["usage"]),
        *((a["model"], a["usage"]) for a in streamed_ext["answers"]),
    ]
    assert responded.output_text == "Paris"
    assert ant_text == "paris."  # the judge's 9
    expected = sum(cost_usd(model, u) for model, u in parts)
    # the Responses and Messages calls: each member's usage is not in their replies
    responses_rows = [r for r in members if r.request_id in ("responses-1", "messages-1")]
    assert len(responses_rows) == 7  # three members each, and a judge
    expected += sum(
        cost_usd(r.model, {"prompt_tokens": r.input_tokens, "completion_tokens": r.output_tokens})
        for r in responses_rows
    )
    assert usage["budget"]["spent_usd"] == pytest.approx(expected)
    ledger = sum(
        cost_usd(r.model, {"prompt_tokens": r.input_tokens, "completion_tokens": r.output_tokens})
        for r in members
    )
    assert ledger == pytest.approx(expected)
    assert {r.model for r in members} == {"alpha", "beta", "gamma", "judge"}
    assert all(r.deployment and r.model in r.deployment for r in members)  # who answered
    assert usage["in_flight"] == 0


async def test_first_losers_and_a_stalled_member_release_their_share(tmp_path: Path) -> None:
    async with proxied(tmp_path) as proxy:
        key = await key_with(proxy, budget_usd=1000, budget_period="total", tpm=10_000_000)
        async with sdk(proxy, key) as client:
            raced = await client.chat.completions.create(
                model="fastest",
                messages=ASK,
                max_tokens=MAX_TOKENS,
                stream=True,
                stream_options={"include_usage": True},
            )
            raced_chunks = [c async for c in raced]
            after_race = await spent(proxy, key)
            stalled = await client.chat.completions.create(
                model="stalling", messages=ASK, max_tokens=MAX_TOKENS, extra_headers=ANSWERS
            )
            after_stall = await spent(proxy, key)
    race_usage = next(c.usage for c in raced_chunks if c.usage is not None)
    assert "".join(c.choices[0].delta.content or "" for c in raced_chunks if c.choices) == "Paris"
    assert race_usage is not None
    assert after_race["budget"]["spent_usd"] == pytest.approx(
        cost_usd("alpha", race_usage.model_dump())
    )
    assert after_race["tokens_per_minute"] == race_usage.total_tokens  # the losers': nothing
    answers = {a["model"]: a for a in (stalled.model_extra or {})["mcproute"]["answers"]}
    assert answers["slow"]["status"] == "deadline"
    stall_cost = cost_usd("alpha", answers["alpha"]["usage"])
    assert after_stall["budget"]["spent_usd"] - after_race["budget"]["spent_usd"] == (
        pytest.approx(stall_cost)
    )
    assert after_stall["in_flight"] == 0


async def test_concurrent_ensemble_calls_never_overshoot_the_budget(tmp_path: Path) -> None:
    async with proxied(tmp_path) as proxy:
        whole = await worst_case(proxy, "holding")
        budget = whole * 1.5  # one ensemble's worst case fits, two do not
        key = await key_with(proxy, budget_usd=budget, budget_period="total")

        async def one(client: openai.AsyncOpenAI) -> str:
            try:
                await client.chat.completions.create(
                    model="holding", messages=ASK, max_tokens=MAX_TOKENS
                )
            except openai.RateLimitError as exc:
                return str(exc.response.json()["error"]["message"])
            return "answered"

        async with sdk(proxy, key) as client:
            outcomes = await asyncio.gather(*(one(client) for _ in range(5)))
        usage = await spent(proxy, key)

        async def settled() -> bool:
            return (await spent(proxy, key))["in_flight"] == 0

        await eventually(settled)
    # all five arrive while the first waits for its slow member: one fits
    assert outcomes.count("answered") == 1
    assert all("limit key.budget" in o for o in outcomes if o != "answered")
    assert usage["budget"]["spent_usd"] <= budget
