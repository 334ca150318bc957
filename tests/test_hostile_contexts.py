"""Hostile bodies on `/v1/contexts` (create, append, PATCH), drawn from each route's contract:
every one is a 400 naming the JSON path; nothing is created or changed by a refused body (a
`ttl_seconds` of 1e300 is never stored); the proxy keeps serving and repeats no secret."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

import hostile_support as hostile
from contract_strategies import drawn_cases
from hostile_support import Leaks, http, leaks, proxy
from mcproute.contract import Contract, contexts
from proxy_support import Proxy

__all__ = ["http", "leaks", "proxy"]  # the fixtures
PER_SITE = 3
HISTORY = [{"role": "user", "content": "My name is Ada."}]


async def _made(http: aiohttp.ClientSession, base: str, key: str) -> dict[str, Any]:
    status, made = await hostile.request(
        http, "POST", base, key, {"messages": HISTORY, "ttl_seconds": 60}
    )
    assert status == 201, made
    return made  # type: ignore[no-any-return]


def _target(route: str, base: str, ident: str) -> tuple[str, str]:
    return {
        "create": (base, "POST"),
        "append": (f"{base}/{ident}/append", "POST"),
        "update": (f"{base}/{ident}", "PATCH"),
    }[route]


@pytest.mark.parametrize(
    ("route", "contract"),
    [("create", contexts.CREATE), ("append", contexts.APPEND), ("update", contexts.UPDATE)],
)
async def test_hostile_bodies_change_nothing(
    route: str,
    contract: Contract,
    proxy: Proxy,
    http: aiohttp.ClientSession,
    leaks: Leaks,
) -> None:
    key = proxy.key("contexts")
    base = f"{proxy.url}/v1/contexts"
    made = await _made(http, base, key)
    url, method = _target(route, base, made["id"])
    cases = drawn_cases(contract.shape, PER_SITE)
    await hostile.assert_refused(http, method, url, key, cases, hostile.PROVIDER_KEYS)
    status, listing = await hostile.request(http, "GET", base, key)
    assert status == 200
    assert [c["id"] for c in listing["data"]] == [made["id"]]
    status, now = await hostile.request(http, "GET", f"{base}/{made['id']}", key)
    assert status == 200
    assert now["messages"] == HISTORY
    assert now["expires_at"] == made["expires_at"]
    # Still serving: a good append is taken.
    more = {"messages": [{"role": "user", "content": "ok"}]}
    status, _ = await hostile.request(http, "POST", f"{base}/{made['id']}/append", key, more)
    assert status == 200
    leaks([key, *hostile.PROVIDER_KEYS])


@pytest.mark.parametrize(
    ("route", "body", "expected"),
    [
        ("create", {"messages": [], "ttl_seconds": 1e300}, "ttl_seconds: expected a number > 0"),
        ("append", {"text": "x", "ttl_seconds": 1e300}, "ttl_seconds: expected a number > 0"),
        ("update", {"ttl_seconds": 1e300}, "ttl_seconds: expected a number > 0"),
        ("update", {"ttl_seconds": 0}, "ttl_seconds: expected a number > 0"),
        ("update", {"ttl_seconds": True}, "ttl_seconds: expected a number"),
        ("update", {}, "ttl_seconds: required"),
        ("update", {"ttl_seconds": 5, "messages": []}, "messages: unknown field"),
        ("create", {"messages": [], "rpm": 3}, "rpm: unknown field"),
        ("create", {"messages": [{"role": 3}]}, "messages[0].role: expected one of"),
        ("create", {"messages": [{"role": "user", "content": 5}]}, "messages[0].content: expected"),
        ("create", {"document": "d", "metadata": "m"}, "metadata: expected an object"),
        ("create", {"document": "d", "id": ["ctx_1"]}, "id: expected a context id"),
        ("create", {"document": "d", "tenant": 7}, "tenant: expected a tenant name"),
        ("create", {"document": "d", "messages": []}, "body: give either messages or document"),
        ("append", {}, "body: messages or text is required"),
    ],
)
async def test_named_faults(
    route: str, body: Any, expected: str, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    key = proxy.key("contexts")
    base = f"{proxy.url}/v1/contexts"
    made = await _made(http, base, key)
    url, method = _target(route, base, made["id"])
    status, error = await hostile.request(http, method, url, key, body)
    assert status == 400, error
    assert error["error"]["message"].startswith(expected), error
    status, now = await hostile.request(http, "GET", f"{base}/{made['id']}", key)
    assert now["expires_at"] == made["expires_at"]
