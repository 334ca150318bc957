"""Key and tenant limits through the proxy, with the official OpenAI SDK as the client: 429s
with OpenAI's rate-limit headers, reservations settled after JSON and streams, released after
upstream errors and client disconnects, admin validation, and `/v1/usage` isolation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest

from mcproute.governance.reservation import DEFAULT_OUTPUT_CAP
from proxy_support import Proxy, document, running_proxy
from stores_support import admin_made_key

# $0.01 a token in and out: costs are easy to check by hand.
PRICE = {"input_per_mtok": 10_000, "output_per_mtok": 10_000}
USD_PER_TOKEN = 0.01
HELLO = [{"role": "user", "content": "hello there"}]
DEADLINE_S = 10.0


def priced(sim_url: str, mcp_url: str) -> dict[str, Any]:
    doc = document(sim_url, mcp_url)
    doc["mcp"]["prices"] = {"gpt-4": PRICE}
    return doc


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Proxy]:
    async with running_proxy(tmp_path, config_document=priced) as p:
        yield p


@pytest.fixture
async def admin(proxy: Proxy) -> str:
    return proxy.key("admin")


def client(proxy: Proxy, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=key, base_url=f"{proxy.url}/v1", max_retries=0)


async def made(proxy: Proxy, admin: str, **body: Any) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        return await admin_made_key(http, proxy.url, admin, **{"scopes": ["models"], **body})


async def chat(proxy: Proxy, key: str, **kwargs: Any) -> Any:
    """One call through a client of its own (closed after)."""
    async with client(proxy, key) as sdk:
        return await sdk.chat.completions.create(model="gpt-4", messages=HELLO, **kwargs)


async def usage_of(proxy: Proxy, key: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{proxy.url}/v1/usage", headers={"Authorization": f"Bearer {key}"}) as r,
    ):
        assert r.status == 200, await r.text()
        body: dict[str, Any] = await r.json()
        return body


async def eventually(check: Any) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not await check():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


async def test_rpm_refuses_with_openai_rate_limit_headers(proxy: Proxy, admin: str) -> None:
    key = (await made(proxy, admin, rpm=2))["key"]
    sdk = client(proxy, key)
    raw = await sdk.chat.completions.with_raw_response.create(model="gpt-4", messages=HELLO)
    assert raw.headers["x-ratelimit-limit-requests"] == "2"
    assert raw.headers["x-ratelimit-remaining-requests"] == "1"
    await sdk.chat.completions.create(model="gpt-4", messages=HELLO)
    with pytest.raises(openai.RateLimitError) as caught:
        await sdk.chat.completions.create(model="gpt-4", messages=HELLO)
    refused = caught.value.response
    assert refused.status_code == 429
    assert refused.headers["x-ratelimit-limit-requests"] == "2"
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert refused.headers["x-ratelimit-reset-requests"].endswith("s")
    assert 1 <= int(refused.headers["Retry-After"]) <= 62
    error = refused.json()["error"]
    assert error["code"] == "rate_limit_exceeded"
    assert "key.rpm" in error["message"]
    assert "2 requests per minute" in error["message"]
    await sdk.close()


async def test_json_calls_settle_to_the_reported_usage(proxy: Proxy, admin: str) -> None:
    key = (await made(proxy, admin, tpm=1_000_000, budget_usd=50.0, budget_period="day"))["key"]
    sdk = client(proxy, key)
    spent = tokens = 0
    for _ in range(3):
        reply = await sdk.chat.completions.create(model="gpt-4", messages=HELLO, max_tokens=50)
        assert reply.usage is not None
        tokens += reply.usage.total_tokens
        spent += reply.usage.total_tokens
    usage = (await usage_of(proxy, key))["key"]["usage"]
    assert usage["tokens_per_minute"] == tokens
    assert usage["requests_per_minute"] == 3
    assert usage["budget"]["spent_usd"] == pytest.approx(spent * USD_PER_TOKEN)
    assert usage["in_flight"] == 0
    await sdk.close()


async def test_a_budget_is_reserved_at_worst_case_and_zero_refuses_everything(
    proxy: Proxy, admin: str
) -> None:
    broke = (await made(proxy, admin, budget_usd=0, budget_period="total"))["key"]
    with pytest.raises(openai.RateLimitError) as caught:
        await chat(proxy, broke)
    assert "key.budget" in caught.value.response.json()["error"]["message"]
    assert "Retry-After" not in caught.value.response.headers  # a total budget never resets

    # $2 covers one request whose worst case is under $2, but not a second one at once.
    key = (await made(proxy, admin, budget_usd=2.0, max_parallel=5))["key"]
    sdk = client(proxy, key)
    proxy.sim.settings.latency = 0.5
    first = asyncio.create_task(
        sdk.chat.completions.create(model="gpt-4", messages=HELLO, max_tokens=100)
    )
    await asyncio.sleep(0.2)
    with pytest.raises(openai.RateLimitError):
        await sdk.chat.completions.create(model="gpt-4", messages=HELLO, max_tokens=100)
    reply = await first
    proxy.sim.settings.latency = 0.0
    assert reply.usage is not None
    # Settled: the reservation's unused part is free again, so another request fits.
    await sdk.chat.completions.create(model="gpt-4", messages=HELLO, max_tokens=100)
    await sdk.close()


async def test_a_request_without_max_tokens_gets_the_output_cap(proxy: Proxy, admin: str) -> None:
    key = (await made(proxy, admin, tpm=10**9))["key"]
    await chat(proxy, key)
    assert proxy.sim.requests[-1].body["max_tokens"] == DEFAULT_OUTPUT_CAP
    counted_only = (await made(proxy, admin, rpm=100, max_parallel=4))["key"]
    await chat(proxy, counted_only)  # no token or money limit: the request goes as it came
    assert "max_tokens" not in proxy.sim.requests[-1].body


async def test_streams_settle_and_keep_the_usage_chunk_to_themselves(
    proxy: Proxy, admin: str
) -> None:
    key = (await made(proxy, admin, tpm=1_000_000, budget_usd=100.0))["key"]
    sdk = client(proxy, key)
    stream = await sdk.chat.completions.create(model="gpt-4", messages=HELLO, stream=True)
    chunks = [chunk async for chunk in stream]
    assert all(chunk.usage is None for chunk in chunks)  # not asked for, not sent
    upstream = proxy.sim.requests[-1].body
    assert upstream["stream_options"] == {"include_usage": True}
    usage = (await usage_of(proxy, key))["key"]["usage"]
    assert 0 < usage["tokens_per_minute"] < 100  # the actual count, not the reservation
    assert usage["budget"]["spent_usd"] == pytest.approx(usage["tokens_per_minute"] * 0.01)
    await sdk.close()


async def test_upstream_errors_release_the_reservation(proxy: Proxy, admin: str) -> None:
    key = (await made(proxy, admin, tpm=1_000_000, budget_usd=100.0, max_parallel=1))["key"]
    sdk = client(proxy, key)
    proxy.sim.settings.fault = "500"
    with pytest.raises(openai.APIStatusError):
        await sdk.chat.completions.create(model="gpt-4", messages=HELLO)
    with pytest.raises(openai.APIStatusError):  # before its first event: an error reply
        await sdk.chat.completions.create(model="gpt-4", messages=HELLO, stream=True)
    proxy.sim.settings.fault = None
    usage = (await usage_of(proxy, key))["key"]["usage"]
    assert usage["tokens_per_minute"] == 0
    assert usage["budget"]["spent_usd"] == 0
    assert usage["in_flight"] == 0
    await sdk.close()


async def test_a_client_leaving_mid_stream_releases_its_slot(proxy: Proxy, admin: str) -> None:
    key = (await made(proxy, admin, max_parallel=1, budget_usd=100.0))["key"]
    sdk = client(proxy, key)
    proxy.sim.settings.token_interval = 0.2
    proxy.sim.settings.tokens = 100
    stream = await sdk.chat.completions.create(model="gpt-4", messages=HELLO, stream=True)
    async for _ in stream:
        break  # one chunk, then the client goes away
    with pytest.raises(openai.RateLimitError):  # its slot is still taken meanwhile
        await sdk.chat.completions.create(model="gpt-4", messages=HELLO)
    await stream.close()

    async def released() -> bool:
        usage = (await usage_of(proxy, key))["key"]["usage"]
        return bool(usage["in_flight"] == 0 and usage["budget"]["spent_usd"] == 0)

    await eventually(released)
    proxy.sim.settings.token_interval = 0.0
    proxy.sim.settings.tokens = 4
    await sdk.chat.completions.create(model="gpt-4", messages=HELLO)
    await sdk.close()


async def test_tenant_limits_bind_every_key_of_the_tenant(proxy: Proxy, admin: str) -> None:
    headers = {"Authorization": f"Bearer {admin}"}
    async with aiohttp.ClientSession() as http:
        async with http.put(
            f"{proxy.url}/admin/tenants/acme", json={"rpm": 1}, headers=headers
        ) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["limits"]["rpm"] == 1
        async with http.patch(
            f"{proxy.url}/admin/tenants/acme", json={"tpm": 10**6}, headers=headers
        ) as r:
            assert (await r.json())["limits"] == {
                "rpm": 1,
                "tpm": 10**6,
                "max_parallel": None,
                "budget_usd": None,
                "budget_period": "month",
            }
    one = (await made(proxy, admin, scopes=["models", "tenant:acme"]))["key"]
    two = (await made(proxy, admin, scopes=["models", "tenant:acme"]))["key"]
    other = (await made(proxy, admin, scopes=["models", "tenant:zenith"]))["key"]
    await chat(proxy, one)
    with pytest.raises(openai.RateLimitError) as caught:
        await chat(proxy, two)
    assert "tenant 'acme'" in caught.value.response.json()["error"]["message"]
    await chat(proxy, other)
    seen = await usage_of(proxy, two)
    assert seen["tenant_policy"]["usage"]["requests_per_minute"] == 1
    assert seen["key"] is None  # the key has no limits of its own


async def test_usage_is_the_calling_keys_own(proxy: Proxy, admin: str) -> None:
    first = await made(proxy, admin, rpm=100)
    second = await made(proxy, admin, rpm=50)
    await chat(proxy, first["key"])
    mine = await usage_of(proxy, second["key"])
    assert mine["key_id"] == second["key_id"]
    assert mine["key"]["limits"]["rpm"] == 50
    assert mine["key"]["usage"]["requests_per_minute"] == 0
    assert first["key_id"] not in str(mine)
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{proxy.url}/v1/usage", params={"key_id": first["key_id"]},
            headers={"Authorization": f"Bearer {second['key']}"},
        ) as r:  # fmt: skip
            assert first["key_id"] not in await r.text()
        async with http.get(
            f"{proxy.url}/admin/keys", headers={"Authorization": f"Bearer {admin}"}
        ) as r:
            listed = {k["key_id"]: k for k in (await r.json())["data"]}
    assert listed[first["key_id"]]["limits"]["rpm"] == 100
    assert listed[first["key_id"]]["usage"]["requests_per_minute"] == 1
    assert listed[second["key_id"]]["usage"]["requests_per_minute"] == 0


@pytest.mark.parametrize(
    ("body", "param", "problem"),
    [
        ({"rpm": -1}, "rpm", "expected an integer from 0"),
        ({"tpm": "many"}, "tpm", "got a string"),
        ({"max_parallel": 1.5}, "max_parallel", "expected an integer"),
        ({"budget_usd": -0.01}, "budget_usd", "expected a number from 0"),
        ({"budget_period": "year"}, "budget_period", "one of"),
        ({"budget": 5}, "budget", "unknown field"),
        ({"scopes": ["bogus"]}, "scopes[0]", "unknown scope"),
    ],
)
async def test_admin_refuses_bad_limits_naming_the_field(
    proxy: Proxy, admin: str, body: dict[str, Any], param: str, problem: str
) -> None:
    headers = {"Authorization": f"Bearer {admin}"}
    async with aiohttp.ClientSession() as http:
        key_id = (await made(proxy, admin))["key_id"]
        targets = [("POST", f"{proxy.url}/admin/keys")]
        if "scopes" not in body:
            targets += [
                ("PATCH", f"{proxy.url}/admin/keys/{key_id}"),
                ("PUT", f"{proxy.url}/admin/tenants/acme"),
                ("PATCH", f"{proxy.url}/admin/tenants/acme"),
            ]
        for method, url in targets:
            async with http.request(method, url, json=body, headers=headers) as r:
                assert r.status == 400, (method, url, await r.text())
                error = (await r.json())["error"]
                assert error["param"] == param, (method, url)
                assert problem in error["message"]
        async with http.patch(
            f"{proxy.url}/admin/keys/nosuchkey", json={"rpm": 1}, headers=headers
        ) as r:
            assert r.status == 404


async def test_limits_changed_through_the_admin_api_apply_and_come_off(
    proxy: Proxy, admin: str
) -> None:
    key = await made(proxy, admin)
    headers = {"Authorization": f"Bearer {admin}"}
    url = f"{proxy.url}/admin/keys/{key['key_id']}"
    async with aiohttp.ClientSession() as http:
        async with http.patch(url, json={"rpm": 0}, headers=headers) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["limits"]["rpm"] == 0
        with pytest.raises(openai.RateLimitError):
            await chat(proxy, key["key"])
        async with http.patch(url, json={"rpm": None}, headers=headers) as r:
            assert (await r.json())["limits"]["rpm"] is None
    await chat(proxy, key["key"])
