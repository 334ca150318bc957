"""The dashboard in a real headless Chromium (Debian's, driven by Playwright) against
`mcproute serve --workers 2` and the upstream simulator: sign-in, an hour of per-second
history, breakdowns, top errors, deployment states and the request log, all merged over both
workers; plus the data endpoints' guards and the metrics the page is built on.

The screenshots are compared structurally (elements present and updating); they are written
to the test's directory, and to `$MCPROUTE_TEST_ARTIFACTS` when that is set, for a person to
look at."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from playwright.async_api import Page, async_playwright, expect

from conftest import require
from mcp_support import post, serve
from mcproute.config import ConfigError, DashboardSettings, parse_config
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.proxy.current_request import CurrentRequest
from mcproute.proxy.history import History
from mcproute.proxy.merged_metrics import absorb, metrics_state, with_label
from mcproute.proxy.metrics import Metrics
from mcproute.proxy.panels import (
    PANELS,
    LogFilter,
    deployment_health,
    merge,
    request_log,
    worker_snapshot,
)
from mcproute.proxy.redis_snapshots import RedisSnapshots
from mcproute.proxy.worker_snapshots import SnapshotStore, SqliteSnapshots
from mcproute.security import ApiKeyManager
from mcproute.store import DataDir, SqliteApiKeyStore
from mcproute.testing.everything_server import build as everything
from models_support import OPENAI_KEY, running_simulator
from proxy_support import Proxy, issue_key, running_proxy, without_instance
from served_support import served as served_proxy

EMPTY = "\N{EN DASH}"  # what a tile shows before it has data
DATA_PATHS = ("/dashboard/data", "/dashboard/requests/data")
LEAKED = "sk-live-0123456789abcdefLEAKED"  # what a failing upstream echoes in its errors


def issue(data_dir: DataDir, *scopes: str, **options: Any) -> str:
    with SqliteApiKeyStore(data_dir) as store:
        key, _ = ApiKeyManager(data_dir.pepper(), store).issue("test", scopes, **options)
    return key


def key_id(key: str) -> str:
    return key.split("_")[2]


@dataclass
class Served:
    url: str
    viewer: str  # metrics scope
    callers: tuple[str, str]  # models scope; the second one has debug bodies on
    data_dir: DataDir
    mcp_caller: str  # mcp scope


@contextlib.asynccontextmanager
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    """`mcproute serve --workers 2`: gpt-4 and embeddings on a healthy simulator; `flaky`
    (500s), `limited` (429s) and `locked` (401s) each the only deployment of its group; the
    MCP gateway in front of our everything server (`ev`)."""
    data_dir = DataDir(tmp_path / "data")
    viewer = issue_key(data_dir, "metrics")
    callers = (issue(data_dir, "models", name="batch jobs"), issue_key(data_dir, "models"))
    mcp_caller = issue_key(data_dir, "mcp")
    async with (
        serve(StreamableHTTP(everything()).app()) as mcp_url,
        running_simulator(tokens=4) as ok,
        running_simulator(fault="500", error_detail=f"api_key={LEAKED}") as broken,
        running_simulator(fault="429", retry_after=60) as limited,
        running_simulator(fault="auth") as locked,
    ):

        def provider(url: str, model: str) -> dict[str, Any]:
            return {"type": "openai_compatible", "endpoint": url, "api_key": "x", "models": [model]}

        document = {
            "mcp": {
                "models": {
                    "openai": {"endpoint": ok.url, "models": ["gpt-4", "text-embedding-3-small"]},
                    "broken": provider(broken.url, "flaky"),
                    "limited": provider(limited.url, "limited"),
                    "locked": provider(locked.url, "locked"),
                },
                "routing": {"num_retries": 1, "backoff_base_s": 0.01},
                "dashboard": {"request_log": 500, "debug_bodies": [key_id(callers[1])]},
            },
            "mcpServers": {"ev": {"url": mcp_url}},
        }
        env = {"OPENAI_API_KEY": OPENAI_KEY}
        async with served_proxy(tmp_path, workers=2, document=document, env=env) as proxy:
            yield Served(proxy.url, viewer, callers, data_dir, mcp_caller)


async def tool_calls(url: str, key: str, tool: str, n: int) -> None:
    """`n` stateless calls of the gateway's `tool`."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "dashboard-test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    headers = {
        "Authorization": f"Bearer {key}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    for i in range(n):
        params = {"name": tool, "arguments": {}, "_meta": meta}
        status, _, reply = await post(
            f"{url}/mcp",
            {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": params},
            headers,
        )
        assert status == 200, reply
        assert "result" in reply, reply


async def calls(url: str, key: str, model: str, n: int, *, fails: bool = False) -> int:
    """`n` chat calls of `model`; returns how many were made."""
    client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    try:
        for i in range(n):
            if fails:
                with pytest.raises(openai.APIStatusError):
                    await client.chat.completions.create(
                        model=model, messages=[{"role": "user", "content": f"call {i}"}]
                    )
            else:
                await client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": f"call {i}"}]
                )
    finally:
        await client.close()
    return n


async def until(check: Callable[[], Awaitable[bool]], what: str, tries: int = 200) -> None:
    """Poll `check` (bounded) until it holds: worker snapshots arrive within seconds."""
    for _ in range(tries):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


async def panels(http: aiohttp.ClientSession, served: Served, query: str = "") -> Any:
    headers = {"Authorization": f"Bearer {served.viewer}"}
    async with http.get(f"{served.url}/dashboard/data?{query}", headers=headers) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def screenshot(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    artifacts = os.environ.get("MCPROUTE_TEST_ARTIFACTS")
    if artifacts:
        await asyncio.to_thread(keep_artifact, path, Path(artifacts))


def keep_artifact(path: Path, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, directory / path.name)


async def points(page: Page, chart: str) -> int:
    return int(await page.locator(chart).get_attribute("data-points") or 0)


async def test_dashboard_over_two_workers_in_chromium(tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    require(chromium is not None, "Debian's chromium is not installed (make test installs it)")
    async with served(tmp_path) as proxy, aiohttp.ClientSession() as http:
        first, debug = proxy.callers
        made = await calls(proxy.url, first, "gpt-4", 12)
        made += await calls(proxy.url, debug, "gpt-4", 3)
        made += await calls(proxy.url, first, "flaky", 6, fails=True)
        made += await calls(proxy.url, first, "limited", 3, fails=True)
        made += await calls(proxy.url, first, "locked", 6, fails=True)

        async def all_counted() -> bool:
            body = await panels(http, proxy)
            return body["workers"] == 2 and body["panels"]["summary"]["requests"] == made

        # Every request counted once, whichever worker served it and whichever one answers.
        await until(
            all_counted, f"both workers report and the dashboard counts {made} requests", 600
        )
        body = (await panels(http, proxy))["panels"]
        models = {row["name"]: row for row in body["breakdowns"]["model"]}
        assert models["gpt-4"]["requests"] == 15
        assert models["gpt-4"]["errors"] == 0
        assert models["flaky"]["errors"] == 6
        keys = {row["name"]: row["requests"] for row in body["breakdowns"]["key"]}
        assert keys == {key_id(first): 27, key_id(debug): 3}
        names = {row["name"]: row["key_name"] for row in body["breakdowns"]["key"]}
        assert names == {key_id(first): "batch jobs", key_id(debug): None}
        states = {d["group"]: d for d in body["deployments"]}
        assert states["gpt-4"]["state"] == "up"
        assert states["flaky"]["state"] == "failing", states["flaky"]
        assert states["locked"]["state"] == "failing"
        assert states["locked"]["recent"]["auth_errors"] == 6  # 401s, never retried
        assert states["limited"]["recent"]["rate_limited"] >= 1  # then it cools down: no more tries
        assert states["limited"]["state"] == "cooling down (429)"
        messages = [e["message"] for e in body["errors"] if e["model"] == "flaky"]
        assert messages
        assert all(LEAKED not in m for m in messages)
        assert any("[redacted]" in m for m in messages)

        # The spend view, from the ledger: gpt-4 at its shipped default price; failed calls
        # cost nothing. The rows reach the database within a flush interval.
        async def spent() -> bool:
            found = (await panels(http, proxy, "panels=spend"))["panels"]["spend"]
            return sum(e["calls"] for e in found["by_key"]) == made

        await until(spent, f"the spend ledger holds all {made} calls")
        spend = (await panels(http, proxy, "panels=spend"))["panels"]["spend"]
        assert spend["available"]
        by_key = {e["name"]: e for e in spend["by_key"]}
        assert by_key[key_id(first)]["key_name"] == "batch jobs"
        assert by_key[key_id(first)]["budget_usd"] is None  # no budget: nothing to show
        assert by_key[key_id(first)]["month_usd"] > 0
        assert by_key[key_id(first)]["day_usd"] == by_key[key_id(first)]["month_usd"]
        by_model = {e["name"]: e for e in spend["by_model"]}
        assert by_model["gpt-4"]["calls"] == 15
        assert by_model["flaky"]["month_usd"] == 0
        assert [e["name"] for e in spend["by_tenant"]] == ["default"]
        body["spend"] = spend
        dumped = json.dumps(body)
        assert all(k not in dumped for k in (first, debug, proxy.viewer, LEAKED))
        tool = "ev__test_simple_text"
        await tool_calls(proxy.url, proxy.mcp_caller, tool, 4)
        made += 4  # the page counts every request, MCP ones too

        async def mcp_counted() -> bool:
            tools = (await panels(http, proxy))["panels"]["mcp"]["top_tools_by_calls"]
            return any(row["calls"] == 4 for row in tools if row["tool"] == "test_simple_text")

        await until(mcp_counted, "the MCP panel counts the 4 tool calls", 600)
        mcp = (await panels(http, proxy))["panels"]["mcp"]
        assert [(s["name"], s["state"]) for s in mcp["servers"]] == [("ev", "up")]
        slowest = {row["tool"]: row for row in mcp["top_tools_by_p95"]}
        assert slowest["test_simple_text"]["p95_ms"] is not None
        assert slowest["test_simple_text"]["errors"] == 0
        assert 0 <= mcp["error_rate"] < 1
        # One Prometheus scrape covers both workers too.
        headers = {"Authorization": f"Bearer {proxy.viewer}"}
        async with http.get(f"{proxy.url}/metrics", headers=headers) as r:
            scraped = without_instance(await r.text())
        assert "mcproute_workers 2\n" in scraped
        ok = 'mcproute_requests_total{route="/v1/chat/completions",status="200"} 15\n'
        assert ok in scraped
        assert (
            'mcproute_deployment_failures{group="flaky",deployment="broken/flaky#0"} 12' in scraped
        )

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                page = await browser.new_page(viewport={"width": 1500, "height": 1000})
                assert await sign_in(page, proxy.url, "mcpr_test_notakey") == 401
                await expect(page.locator("#error")).to_contain_text("not valid")
                assert await sign_in(page, proxy.url, first) == 403  # no metrics scope
                await expect(page.locator("#error")).to_contain_text("metrics scope")
                assert await sign_in(page, proxy.url, proxy.viewer) == 303
                cookie = next(
                    c for c in await page.context.cookies() if c["name"] == "mcproute_dashboard"
                )
                assert cookie["httpOnly"]
                assert cookie["sameSite"] == "Strict"
                assert proxy.viewer not in cookie["value"]

                await expect(page.locator("#updated")).to_contain_text("2 workers")
                await expect(page.locator("#requests-total")).to_have_text(str(made))
                for tile in ("#p50", "#p95", "#p99"):
                    await expect(page.locator(tile)).to_have_text(re.compile(r"^[\d,]+(\.\d+)?$"))
                await expect(page.locator("#tokens")).not_to_have_text("0 / 0")
                for model in ("gpt-4", "flaky", "limited", "locked"):
                    row = page.locator("#by-model tbody tr").filter(has_text=model)
                    await expect(row).to_have_count(1)
                await expect(page.locator("#by-key tbody tr")).to_have_count(3)  # and the MCP key
                named = page.locator("#by-key tbody tr").filter(has_text=key_id(first))
                await expect(named.locator("td").nth(1)).to_have_text("batch jobs")
                await expect(
                    page.locator("#by-status tbody tr").filter(has_text="200")
                ).to_have_count(1)
                deployments = page.locator("#deployments tbody tr")
                flaky = deployments.filter(has_text="flaky").locator("td").nth(2)
                await expect(flaky).to_have_text("failing")
                await expect(flaky).to_have_class("failing")
                up = deployments.filter(has_text="openai/gpt-4").locator("td").nth(2)
                await expect(up).to_have_text("up")
                await expect(
                    page.locator("#errors tbody tr").filter(has_text="[redacted]").first
                ).to_be_visible()
                spent_row = page.locator("#spend-by-key tbody tr").filter(has_text=key_id(first))
                await expect(spent_row.locator("td").nth(1)).to_have_text("batch jobs")
                await expect(spent_row.locator("td").nth(4)).to_have_text(re.compile(r"^\$0\.\d+$"))
                await expect(spent_row.locator("td").nth(6)).to_have_text("\u2013")  # no budget
                model_row = page.locator("#spend-by-model tbody tr").filter(has_text="gpt-4")
                await expect(model_row.locator("td").nth(4)).to_have_text("15")
                await expect(page.locator("#spend-by-tenant tbody tr")).to_have_count(1)
                ev = page.locator("#mcp-servers tbody tr").filter(has_text="ev")
                await expect(ev.locator("td").nth(1)).to_have_text("up")
                await expect(ev.locator("td").nth(1)).to_have_class("up")
                by_calls = page.locator("#mcp-tools-by-calls tbody tr").filter(
                    has_text="test_simple_text"
                )
                await expect(by_calls.locator("td").nth(2)).to_have_text("4")
                await expect(
                    page.locator("#mcp-tools-by-p95 tbody tr").filter(has_text="test_simple_text")
                ).to_have_count(1)
                await expect(page.locator("#mcp-operations")).not_to_have_text(EMPTY)
                chart = "#chart-requests"
                await expect(page.locator(f"{chart} path[data-series=requests]")).to_have_count(1)
                await expect(page.locator(f"{chart} text").filter(has_text="req/s")).to_have_count(
                    1
                )
                before = await points(page, chart)
                assert before >= 1
                await screenshot(page, tmp_path, "dashboard-overview")

                # Live: new traffic in later seconds adds data points without a reload.
                async def grown() -> bool:
                    nonlocal made
                    made += await calls(proxy.url, first, "gpt-4", 1)
                    return await points(page, chart) > before

                await until(grown, "the requests chart gains data points", tries=100)
                await expect(page.locator("#requests-total")).not_to_have_text(str(27 + 3))
                await page.select_option("#range", "3600")
                await expect(page.locator(f"{chart} text").filter(has_text=":")).not_to_have_count(
                    0
                )
                assert proxy.viewer not in await page.content()
                await screenshot(page, tmp_path, "dashboard-hour")

                # The request log: every request, filterable, bodies only for the debug key.
                await page.click("#nav-requests")
                log = page.locator("#request-log tbody tr")
                await expect(log).to_have_count(made)
                await page.fill("#filter-model", "flaky")
                await page.click("#apply-filters")
                await expect(log).to_have_count(6)
                for text in await log.all_inner_texts():
                    assert "flaky" in text
                    assert "502" in text
                await page.fill("#filter-model", "")
                await page.fill("#filter-key", key_id(debug))
                await page.click("#apply-filters")
                await expect(log).to_have_count(3)
                await expect(log.locator("details")).to_have_count(3)
                await log.locator("summary").first.click()
                await expect(log.locator("pre").first).to_contain_text("call ")
                await page.fill("#filter-key", key_id(first))
                await page.fill("#filter-status", "error")
                await page.click("#apply-filters")
                await expect(log).to_have_count(15)
                await expect(log.locator("details")).to_have_count(0)  # no bodies for this key
                await page.fill("#filter-status", "")
                await page.click("#apply-filters")
                await screenshot(page, tmp_path, "dashboard-requests")

                await page.click("#sign-out")
                await expect(page.locator("#key")).to_be_visible()
            finally:
                await browser.close()


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Proxy]:
    async with running_proxy(tmp_path) as p:
        yield p


async def sign_in(page: Page, url: str, key: str) -> int:
    await page.goto(f"{url}/dashboard")
    await page.fill("#key", key)
    async with page.expect_response(lambda r: r.url.endswith("/dashboard/login")) as posted:
        await page.click("#sign-in")
    return (await posted.value).status


async def test_data_endpoints_auth_and_queries(proxy: Proxy) -> None:
    signed = issue(proxy.data_dir, "metrics", require_signature=True)
    async with aiohttp.ClientSession() as http:
        for path in DATA_PATHS:
            async with http.get(f"{proxy.url}{path}") as r:
                assert r.status == 401
            headers = {"Authorization": f"Bearer {proxy.key('models')}"}
            async with http.get(f"{proxy.url}{path}", headers=headers) as r:
                assert r.status == 403
            headers = {"Authorization": f"Bearer {signed}"}  # a key that must sign, unsigned
            async with http.get(f"{proxy.url}{path}", headers=headers) as r:
                assert r.status == 401
            headers = {"Cookie": "mcproute_dashboard=forged"}
            async with http.get(f"{proxy.url}{path}", headers=headers) as r:
                assert r.status == 401
        headers = {"Authorization": f"Bearer {proxy.key('metrics')}"}
        async with http.get(f"{proxy.url}/dashboard/data", headers=headers) as r:
            assert r.status == 200
            body = await r.json()
        panels = {"summary", "history", "deployments", "breakdowns", "errors", "spend", "mcp"}
        assert set(body["panels"]) == panels
        mcp = body["panels"]["mcp"]
        assert {"servers", "top_tools_by_calls", "top_tools_by_p95", "error_rate"} <= set(mcp)
        assert len(body["panels"]["history"]["series"]["requests"]) == 300
        for query, field in (
            ("range=60", "range"),
            ("panels=summary,nope", "panels"),
        ):
            async with http.get(f"{proxy.url}/dashboard/data?{query}", headers=headers) as r:
                assert r.status == 400
                assert (await r.json())["error"]["message"].startswith(f"{field}:")
        for query, field in (
            ("status=abc", "status"),
            ("limit=0", "limit"),
            ("key=" + "k" * 300, "key"),
        ):
            async with http.get(
                f"{proxy.url}/dashboard/requests/data?{query}", headers=headers
            ) as r:
                assert r.status == 400
                assert (await r.json())["error"]["message"].startswith(f"{field}:")
        async with http.get(f"{proxy.url}/dashboard") as r:  # the sign-in form, no data
            assert r.status == 200
            page = await r.text()
            assert 'name="key"' in page
            assert "data-panel" not in page
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


def record(history: History, now: float, status: int = 200, **fields: Any) -> None:
    current = CurrentRequest(tokens=[fields.pop("tokens_in", 1), fields.pop("tokens_out", 2)])
    values: dict[str, Any] = {
        "request_id": "r",
        "key_id": "k1",
        "key_name": None,
        "method": "POST",
        "route": "/v1/chat/completions",
        "model": "gpt-4",
        "seconds": 0.003,
        "error": None if status < 400 else "upstream server: boom",
        "bodies": None,
    }
    values.update(fields)
    history.request_done(now=now, status=status, current=current, **values)


def test_history_merges_workers_and_forgets_after_an_hour() -> None:
    now = 1_800_000_000.0
    one, two = History(), History()
    for i in range(10):
        record(one, now - 5 + (i % 3), seconds=0.002)
    for _ in range(4):
        record(two, now - 5, status=502, model="flaky", seconds=0.2)
    view = merge([worker_snapshot(h, None, None, now) for h in (one, two)], now, 300)
    summary = PANELS["summary"](view)
    assert summary["requests"] == 14
    assert summary["errors_5xx"] == 4
    assert summary["tokens"] == {"input": 14, "output": 28}
    assert 1 < summary["latency_ms"]["p50"] <= 2.5  # the 2 ms bucket holds the median
    assert summary["latency_ms"]["p99"] > 100  # the 200 ms requests
    series = PANELS["history"](view)["series"]
    assert len(series["requests"]) == 300
    assert series["requests"][-6] == 4 + 4  # second now-5: a third of one's and all of two's
    assert series["errors"][-6] == 4
    assert series["p50"][-1] is None  # an idle second has no latency
    models = {row["name"]: row for row in PANELS["breakdowns"](view)["model"]}
    assert models["flaky"]["error_rate"] == 1.0
    assert PANELS["errors"](view)[0]["message"] == "upstream server: boom"
    # An hour later the ring has moved on: the old seconds and minutes are gone.
    record(one, now + 3600)
    later = one.snapshot(now + 3600)
    assert [row[0] for row in later["seconds"]] == [int(now + 3600)]
    assert len(later["minutes"]) == 1


def _minute_cells(history: History, now: float) -> dict[tuple[str, str], list[float]]:
    [minute] = history.snapshot(now)["minutes"]
    return {(d, v): row for d, v, *row in minute["breakdown"]}


def test_breakdown_rows_are_summed_by_dimension() -> None:
    """A request adds to one row per (model, key, route, status); the dashboard sees them
    summed by dimension."""
    minute = 60_000_000.0
    history = History()
    record(history, minute + 1, tokens_in=10, tokens_out=3, seconds=0.002)
    record(history, minute + 2, 429, key_id="k2", tokens_in=5, tokens_out=3, seconds=0.002)
    record(history, minute + 3, 401, model=None, key_id=None, tokens_out=3, seconds=0.002)
    cells = _minute_cells(history, minute + 4)
    assert cells[("model", "gpt-4")] == [2, 1, 15, 6, 4.0]
    assert cells[("key", "k1")] == [1, 0, 10, 3, 2.0]
    assert cells[("key", "k2")] == [1, 1, 5, 3, 2.0]
    assert cells[("route", "/v1/chat/completions")] == [3, 2, 16, 9, 6.0]
    assert (cells[("status", "200")][0], cells[("status", "401")][0]) == (1, 1)
    assert len(cells) == 7  # a request refused before a model has no model, nor key


def test_an_ended_minute_is_summed_once_unless_it_changes() -> None:
    minute = 60_000_000.0
    history = History()
    record(history, minute + 1)
    later = minute + 61  # that minute has ended
    assert _minute_cells(history, later)[("model", "gpt-4")][0] == 1
    assert _minute_cells(history, later)[("model", "gpt-4")][0] == 1  # the kept sum
    record(history, minute + 59)  # a clock step back into it
    assert _minute_cells(history, later)[("model", "gpt-4")][0] == 2


def test_request_log_is_bounded_and_filtered() -> None:
    now = 1_800_000_000.0
    history = History(DashboardSettings(request_log=3))
    for i, (key, status) in enumerate([("a", 200), ("b", 502), ("a", 404), ("a", 200)]):
        record(history, now + i, status=status, key_id=key, request_id=str(i))
    view = merge([worker_snapshot(history, None, None, now + 4)], now + 4, 3600)
    assert [e["request_id"] for e in request_log(view, LogFilter())] == ["3", "2", "1"]
    assert [e["request_id"] for e in request_log(view, LogFilter(key="a"))] == ["3", "2"]
    assert [e["request_id"] for e in request_log(view, LogFilter(status="error"))] == ["2", "1"]
    assert [e["request_id"] for e in request_log(view, LogFilter(status="4xx"))] == ["2"]
    assert request_log(view, LogFilter(model="other")) == []
    history.follow(DashboardSettings(request_log=1))  # a reloaded configuration
    assert len(history.log) == 1


@pytest.mark.parametrize(
    ("values", "recent", "state", "reason"),
    [
        ({"ejected": True, "ejected_reason": "latency"}, [9, 9, 0, 0, 0], "ejected", "latency"),
        ({"ejected": True}, [9, 0, 9, 0, 0], "ejected", None),
        (
            {"cooling_down": True},
            [1, 0, 0, 0, 1],
            "cooling down (429)",
            "rate limited by the upstream",
        ),
        ({}, [124, 0, 124, 0, 0], "failing", "0 of 124 recent attempts succeeded"),
        ({}, [6, 0, 0, 6, 0], "failing", "0 of 6 recent attempts succeeded"),  # 401s
        ({}, [4, 0, 4, 0, 0], "up", None),  # too few attempts to judge
        ({}, [10, 6, 4, 0, 0], "up", None),
        ({}, [0, 0, 0, 0, 0], "up", None),
    ],
)
def test_deployment_state(
    values: dict[str, Any], recent: list[float], state: str, reason: str | None
) -> None:
    health = deployment_health(values, [*recent, 0.0])
    assert (health["state"], health["reason"]) == (state, reason)


@pytest.fixture(params=["sqlite", "redis"])
def snapshot_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SnapshotStore]:
    """Each `SnapshotStore`: the data directory's, and Redis's (emptied first)."""
    if request.param == "sqlite":
        store: SqliteSnapshots | RedisSnapshots = SqliteSnapshots(DataDir(tmp_path))
    else:
        store = RedisSnapshots(request.getfixturevalue("redis_server").url)
        for worker in store.collect(0.0):
            store.withdraw(worker)
    try:
        yield store
    finally:
        store.close()


def test_snapshot_stores_keep_fresh_rows_only(
    snapshot_store: SnapshotStore, tmp_path: Path
) -> None:
    store = snapshot_store
    store.publish("host:1", b"one", 1000.0)
    store.publish("host:2", b"two", 1010.0)
    store.publish("host:1", b"one again", 1011.0)
    store.publish("host:1", b"older", 1009.0)  # a late write never goes back in time
    assert store.collect(1005.0) == {"host:1": b"one again", "host:2": b"two"}
    store.withdraw("host:1")
    assert store.collect(1005.0) == {"host:2": b"two"}
    assert store.collect(1010.5) == {}  # host:2 stopped publishing: no longer counted
    store.publish("host:3", b"three", 1010.0 + 3601)  # and an hour later it is deleted
    assert store.collect(0.0) == {"host:3": b"three"}
    if isinstance(store, SqliteSnapshots):
        assert (tmp_path / "workers.db").stat().st_mode & 0o777 == 0o600


async def test_key_names_through_the_admin_api_and_rotation(proxy: Proxy) -> None:
    headers = {"Authorization": f"Bearer {proxy.key('admin')}"}
    async with aiohttp.ClientSession() as http:
        body = {"scopes": ["models"], "name": "nightly batch"}
        async with http.post(f"{proxy.url}/admin/keys", json=body, headers=headers) as r:
            assert r.status == 201
            created = await r.json()
        assert created["name"] == "nightly batch"
        bad = {"scopes": ["models"], "name": "x\ny"}
        async with http.post(f"{proxy.url}/admin/keys", json=bad, headers=headers) as r:
            assert r.status == 400
            assert "name" in (await r.json())["error"]["message"]
        rotate = f"{proxy.url}/admin/keys/{created['key_id']}/rotate"
        async with http.post(rotate, json={"grace_seconds": 0}, headers=headers) as r:
            assert r.status == 201
            assert (await r.json())["name"] == "nightly batch"  # the replacement keeps it
        async with http.get(f"{proxy.url}/admin/keys", headers=headers) as r:
            listed = {k["key_id"]: k["name"] for k in (await r.json())["data"]}
        assert listed[created["key_id"]] == "nightly batch"


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ({"request_log": -1}, "mcp.dashboard.request_log: must be a whole number from 0 to 100000"),
        ({"request_log": True}, "mcp.dashboard.request_log: must be a whole number"),
        ({"debug_bodies": "abc"}, "mcp.dashboard.debug_bodies: must be a list of strings"),
        ({"debug_bodies": [""]}, "mcp.dashboard.debug_bodies[0]: must be a non-empty string"),
        ({"bodies": []}, "mcp.dashboard.bodies: unknown key"),
    ],
)
def test_dashboard_settings_are_validated(block: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"mcp": {"dashboard": block}}, env={})
    assert any(str(issue).startswith(problem) for issue in caught.value.issues), caught.value
    settings = parse_config({"mcp": {"dashboard": {"debug_bodies": ["k1"]}}}, env={}).dashboard
    assert settings == DashboardSettings(request_log=1000, debug_bodies=frozenset({"k1"}))


async def test_a_new_panel_is_one_provider(proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    """The frame later panels (MCP servers, spend) plug into: a provider answers by name."""

    def servers(view: Any) -> list[dict[str, Any]]:
        return [{"name": "demo", "workers": len(view.workers)}]

    monkeypatch.setitem(PANELS, "mcp_servers", servers)
    headers = {"Authorization": f"Bearer {proxy.key('metrics')}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{proxy.url}/dashboard/data?panels=mcp_servers", headers=headers) as r,
    ):
        assert r.status == 200
        body = await r.json()
    assert body["panels"] == {"mcp_servers": [{"name": "demo", "workers": 1}]}


def test_metrics_of_workers_add_up() -> None:
    one, two = Metrics(), Metrics()
    for metrics, n in ((one, 2), (two, 3)):
        for _ in range(n):
            metrics.request_done("/v1/chat/completions", 200, 0.004)
            metrics.usage("chat", "gpt-4", {"prompt_tokens": 5, "completion_tokens": 7})
    total = Metrics()
    for metrics in (one, two):
        absorb(total, json.loads(json.dumps(metrics_state(metrics))))  # as it travels
    text = total.render(None)
    assert 'mcproute_requests_total{route="/v1/chat/completions",status="200"} 5' in text
    assert 'http_server_request_duration_seconds_count{http_route="/v1/chat/completions"} 5' in text
    sums = [line for line in text.splitlines() if line.startswith("gen_ai_client_token_usage_sum")]
    assert [line.rsplit(" ", 1)[1] for line in sums if 'gen_ai_token_type="input"' in line] == [
        "25.000000"
    ]


def test_every_sample_gets_the_instance_label_last() -> None:
    metrics = Metrics()
    metrics.request_done("/v1/chat/completions", 200, 0.01)
    metrics.stream_endings[('odd "} 1" model', "stop")] = 2
    text = metrics.render(None) + "mcproute_workers 1\n"
    labelled = with_label(text, "instance", 'host:4000"\\')
    samples = [x for x in labelled.splitlines() if x and not x.startswith("#")]
    label = 'instance="host:4000\\"\\\\"'
    assert samples
    assert all(f"{label}}} " in x for x in samples)
    assert 'model="odd \\"} 1\\" model",reason="stop",instance="host:4000\\"\\\\"} 2' in labelled
    assert 'mcproute_workers{instance="host:4000\\"\\\\"} 1' in labelled
    assert without_instance(labelled) == text  # taken off again, the scrape is unchanged
