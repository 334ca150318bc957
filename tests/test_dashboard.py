"""The dashboard in a real headless Chromium (Debian's, driven by Playwright): sign-in, live
traffic, percentiles, errors and deployment health; plus the metrics it is built on."""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import openai
import pytest
from playwright.async_api import Page, async_playwright, expect

from conftest import require
from proxy_support import Proxy, running_proxy

EMPTY = "\N{EN DASH}"  # what a tile shows before it has data


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Proxy]:
    async with running_proxy(tmp_path) as p:
        yield p


async def traffic(proxy: Proxy, key: str, n: int) -> None:
    """`n` chat calls, a stream, an embedding and one request for an unknown model."""
    client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=key, max_retries=0)
    for _ in range(n):
        await client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "hi"}]
        )
    stream = await client.chat.completions.create(
        model="gpt-4", messages=[{"role": "user", "content": "s"}], stream=True
    )
    async for _ in stream:
        pass
    await client.embeddings.create(model="text-embedding-3-small", input="x")
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )
    await client.close()


async def sign_in(page: Page, url: str, key: str) -> int:
    await page.goto(f"{url}/dashboard")
    await page.fill("#key", key)
    async with page.expect_response(lambda r: r.url.endswith("/dashboard/login")) as posted:
        await page.click("#sign-in")
    return (await posted.value).status


async def test_dashboard_in_chromium(proxy: Proxy) -> None:
    chromium = shutil.which("chromium")
    require(chromium is not None, "Debian's chromium is not installed (make test installs it)")
    viewer = proxy.key("metrics")
    caller = proxy.key("models")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            assert await sign_in(page, proxy.url, "mcpr_test_notakey") == 401
            await expect(page.locator("#error")).to_contain_text("not valid")
            assert await sign_in(page, proxy.url, caller) == 403  # no metrics scope
            await expect(page.locator("#error")).to_contain_text("metrics scope")

            await traffic(proxy, caller, 3)
            assert await sign_in(page, proxy.url, viewer) == 303
            cookie = next(
                c for c in await page.context.cookies() if c["name"] == "mcproute_dashboard"
            )
            assert cookie["httpOnly"]
            assert cookie["sameSite"] == "Strict"
            assert viewer not in cookie["value"]  # the session names the key, never holds it

            await expect(page.locator("#updated")).to_contain_text("updated")
            total = page.locator("#requests-total")
            await expect(total).not_to_have_text(EMPTY)
            await expect(page.locator("#errors-total")).not_to_have_text("0")
            for tile in ("#p50", "#p95", "#p99"):
                await expect(page.locator(tile)).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
            rows = page.locator("#deployments tr")
            await expect(rows.filter(has_text="gpt-4")).to_have_count(1)
            await expect(rows.filter(has_text="gpt-4").locator("td").nth(2)).to_have_text("up")
            await expect(page.locator("#tokens")).not_to_have_text("0 / 0")
            await expect(page.locator("#rps")).not_to_have_text(EMPTY)

            before = int(await total.inner_text())
            await traffic(proxy, caller, 5)  # live: the page updates without a reload
            await expect(total).not_to_have_text(str(before))
            assert int(await total.inner_text()) > before
            assert viewer not in await page.content()

            await page.click("#sign-out")
            await expect(page.locator("#key")).to_be_visible()
        finally:
            await browser.close()


async def test_data_endpoint_auth(proxy: Proxy) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{proxy.url}/dashboard/data") as r:
            assert r.status == 401
        headers = {"Authorization": f"Bearer {proxy.key('models')}"}
        async with http.get(f"{proxy.url}/dashboard/data", headers=headers) as r:
            assert r.status == 403
        headers = {"Authorization": f"Bearer {proxy.key('metrics')}"}
        async with http.get(f"{proxy.url}/dashboard/data", headers=headers) as r:
            assert r.status == 200
            snapshot = await r.json()
        assert {"summary", "history", "deployments", "breakdowns", "errors"} <= set(snapshot["panels"])
        async with http.get(f"{proxy.url}/dashboard") as r:  # the sign-in form, no data
            assert r.status == 200
            page = await r.text()
            assert 'name="key"' in page
            assert "requests_total" not in page
            assert "nonce-" in r.headers["Content-Security-Policy"]


async def test_metrics_overhead_header_and_access_log(
    proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    key = proxy.key("models", "metrics")
    caplog.set_level(logging.INFO, logger="mcproute.access")
    async with aiohttp.ClientSession() as http:
        body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
        headers = {"Authorization": f"Bearer {key}", "x-request-id": "req-123"}
        async with http.post(f"{proxy.url}/v1/chat/completions", json=body, headers=headers) as r:
            assert r.status == 200
            assert float(r.headers["x-mcproute-overhead-ms"]) >= 0
            assert r.headers["x-request-id"] == "req-123"
        stream_body = {**body, "stream": True}
        async with http.post(
            f"{proxy.url}/v1/chat/completions", json=stream_body, headers=headers
        ) as r:
            assert float(r.headers["x-mcproute-overhead-ms"]) >= 0
            await r.read()
        async with http.get(f"{proxy.url}/metrics", headers=headers) as r:
            text = await r.text()
    for name in (
        "gen_ai_client_operation_duration_seconds_bucket",
        "gen_ai_server_time_to_first_token_seconds_count",
        "gen_ai_client_token_usage_sum",
        "mcproute_overhead_seconds_bucket",
        "http_server_request_duration_seconds_count",
        "mcproute_deployment_up",
    ):
        assert name in text, name
    assert 'gen_ai_token_type="output"' in text
    assert 'gen_ai_request_model="gpt-4"' in text
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "mcproute.access"]
    chat = next(e for e in lines if e["path"] == "/v1/chat/completions")
    assert chat["request_id"] == "req-123"
    assert chat["model"] == "gpt-4"
    assert chat["status"] == 200
    assert chat["key_id"] == key.split("_")[2]
    assert all(key not in json.dumps(e) for e in lines)  # never the key itself
