"""What every hostile-input test asserts about a refused body: a 400 in the caller's error
format whose message starts with the JSON path of the fault, and no secret anywhere."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
import orjson
import pytest

from contract_strategies import encoded, names_path
from mcproute.contract.shapes import format_path
from models_support import ANTHROPIC_KEY, OPENAI_KEY
from proxy_support import http, proxy

__all__ = ["http", "proxy"]  # the fixtures, for the test modules to import from here
PROVIDER_KEYS = (OPENAI_KEY, ANTHROPIC_KEY, "sk-ant-test")


async def request(
    http: aiohttp.ClientSession, method: str, url: str, key: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(
        method, url, json=body, headers={"Authorization": f"Bearer {key}"}
    ) as r:
        return r.status, await r.json()


def refusal_message(status: int, text: str, anthropic: bool) -> tuple[str, Any]:
    """The message and `param` of a 400 in the route's own error format."""
    assert status == 400, text
    body = orjson.loads(text)
    if anthropic:
        assert body["type"] == "error", body
        assert body["error"]["type"] == "invalid_request_error", body
        return body["error"]["message"], None
    assert body["error"]["type"] == "invalid_request_error", body
    assert body["error"]["code"] == "invalid_request", body
    return body["error"]["message"], body["error"]["param"]


async def assert_refused(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    key: str,
    cases: Iterable[tuple[Any, list[str | int]]],
    secrets: Iterable[str],
    anthropic: bool = False,
) -> int:
    """Send every (body, path) case; each must be refused naming its path. Returns the count."""
    secrets = [key, *secrets]
    n = 0
    for body, path in cases:
        data = encoded(body)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        async with http.request(method, url, data=data, headers=headers) as response:
            text = await response.text()
            status = response.status
        message, param = refusal_message(status, text, anthropic)
        assert names_path(message, path), (format_path(path), message, data[:300])
        if not anthropic and message.startswith(format_path(path) + ":"):
            assert param == format_path(path), (param, message)
        for secret in secrets:
            assert secret not in text, "a secret in a refusal"
        n += 1
    return n


Leaks = Callable[[Iterable[str]], None]


@pytest.fixture
def leaks(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Leaks:
    """Call with the secrets in play: nothing the server wrote to stderr or logged (at any
    level, captured from the start of the test) may hold one of them."""
    caplog.set_level(logging.DEBUG)

    def check(secrets: Iterable[str]) -> None:
        out, err = capfd.readouterr()
        logged = "\n".join(r.getMessage() for r in caplog.records)
        for secret in secrets:
            assert secret not in err, "a secret on stderr"
            assert secret not in out, "a secret on stdout"
            assert secret not in logged, "a secret in a log record"

    return check
