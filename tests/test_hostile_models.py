"""Hostile bodies on the model routes (chat completions, messages, embeddings, responses, legacy
completions, token counting), drawn from each route's own contract: every one is a 400 naming
the JSON path, in the route's error format, before anything reaches an upstream; the proxy keeps
serving and repeats no secret."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import pytest

import hostile_support as hostile
from contract_strategies import drawn_cases, encoded, examples, valid
from hostile_support import Leaks, http, leaks, proxy
from mcproute.contract import anthropic, openai, responses
from proxy_support import Proxy

ROUTES = {
    "chat": ("/v1/chat/completions", openai.CHAT, False),
    "messages": ("/v1/messages", anthropic.MESSAGES, True),
    "embeddings": ("/v1/embeddings", openai.EMBEDDINGS, False),
    "responses": ("/v1/responses", responses.CREATE, False),
    "completions": ("/v1/completions", openai.COMPLETIONS, False),
    "count_tokens": ("/v1/messages/count_tokens", anthropic.COUNT_TOKENS, True),
}
PER_SITE = 2  # draws per kind of fault of each field


__all__ = ["http", "leaks", "proxy"]  # the fixtures


async def _health(http: aiohttp.ClientSession, proxy: Proxy, admin: str) -> Any:
    async with http.get(
        f"{proxy.url}/admin/models", headers={"Authorization": f"Bearer {admin}"}
    ) as r:
        assert r.status == 200
        return await r.json()


MODELS = {
    "chat": ["gpt-4", "claude"],
    "messages": ["gpt-4", "claude"],
    "embeddings": ["text-embedding-3-small"],
    "responses": ["gpt-4", "claude"],
    "completions": ["gpt-4", "claude"],  # claude: a 400, no legacy completions there
    "count_tokens": ["gpt-4", "claude"],
}


@pytest.mark.parametrize("route", list(ROUTES))
async def test_odd_but_valid_bodies_are_served(
    route: str, proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    """Bodies the contract accepts, however odd (drawn from its table, sent to both an OpenAI
    and an Anthropic upstream, so through each translation), never get a server error."""
    path, contract, _ = ROUTES[route]
    key = proxy.key("models")
    models = MODELS[route]
    for i, body in enumerate(examples(valid(contract.shape), 30)):
        body = {**body, "model": models[i % len(models)]}
        body.pop("context_id", None)  # a random id names no context: a 400 by design
        async with http.post(
            proxy.url + path, data=encoded(body), headers={"Authorization": f"Bearer {key}"}
        ) as r:
            text = await r.text()
        assert r.status < 500, (r.status, text[:300], body)


@pytest.mark.parametrize("route", list(ROUTES))
async def test_hostile_bodies_are_refused_before_any_upstream(
    route: str,
    proxy: Proxy,
    http: aiohttp.ClientSession,
    leaks: Leaks,
) -> None:
    path, contract, is_anthropic = ROUTES[route]
    key, admin = proxy.key("models"), proxy.key("admin")
    health = await _health(http, proxy, admin)
    cases = drawn_cases(contract.shape, PER_SITE)
    sent = await hostile.assert_refused(
        http, "POST", proxy.url + path, key, cases, hostile.PROVIDER_KEYS, anthropic=is_anthropic
    )
    assert sent == len(cases)
    assert len(proxy.sim.requests) == 0, "a refused body reached the upstream"
    assert await _health(http, proxy, admin) == health, "refusals counted against a deployment"
    await _still_serving(http, proxy, key, route)
    assert len(proxy.sim.requests) == 1
    leaks([key, admin, *hostile.PROVIDER_KEYS])


GOOD = {
    "chat": {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]},
    "messages": {
        "model": "claude",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "hi"}],
    },
    "embeddings": {"model": "text-embedding-3-small", "input": ["a"]},
    "responses": {"model": "gpt-4", "input": "hi"},
    "completions": {"model": "gpt-4", "prompt": "hi"},
    "count_tokens": {"model": "claude", "messages": [{"role": "user", "content": "hi"}]},
}


async def _still_serving(http: aiohttp.ClientSession, proxy: Proxy, key: str, route: str) -> None:
    async with http.post(
        proxy.url + ROUTES[route][0], json=GOOD[route], headers={"Authorization": f"Bearer {key}"}
    ) as r:
        assert r.status == 200, await r.text()


# Faults named in the contract's documentation, each with the message a caller sees.
CHAT = {"model": "gpt-4", "messages": []}
MESSAGES = {"model": "claude", "max_tokens": 8, "messages": []}
NAMED = [
    (
        "chat",
        {
            "model": "gpt-4",
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "u"},
                {"role": "user", "content": [{"type": "video", "video": {}}]},
            ],
        },
        'messages[2].content[0].type: expected one of "text", "image_url", "input_audio", "file"',
    ),
    ("chat", {"model": "gpt-4"}, "messages: required"),
    ("chat", {"messages": []}, "model: required"),
    ("chat", {**CHAT, "stop": 5}, "stop: expected a string or"),
    ("chat", {**CHAT, "stop": ["a"] * 5}, "stop: expected"),
    ("chat", {**CHAT, "max_tokens": 1.5}, "max_tokens: expected an integer"),
    ("chat", {**CHAT, "max_tokens": 0}, "max_tokens: expected an integer"),
    ("chat", {**CHAT, "temperature": 1e300}, "temperature: expected"),
    ("chat", {**CHAT, "tool_choice": "always"}, "tool_choice: expected"),
    ("chat", {**CHAT, "tools": [{"type": "function"}]}, "tools[0].function: required"),
    ("chat", {**CHAT, "metadata": {"a": 1}}, "metadata.a: expected a string"),
    (
        "chat",
        {**CHAT, "messages": [{"role": "tool", "content": "x"}]},
        "messages[0].tool_call_id: required",
    ),
    ("chat", {**CHAT, "context_id": 7}, "context_id: expected a string"),
    ("chat", [1, 2], "body: expected an object, got an array"),
    ("messages", {"model": "claude", "messages": []}, "max_tokens: required"),
    ("messages", {**MESSAGES, "stop_sequences": "x"}, "stop_sequences: expected an array"),
    (
        "messages",
        {**MESSAGES, "messages": [{"role": "system", "content": "x"}]},
        'messages[0].role: expected one of "user", "assistant"',
    ),
    ("messages", {**MESSAGES, "metadata": {"user_id": 3}}, "metadata.user_id: expected a string"),
    ("messages", {**MESSAGES, "tool_choice": {"type": "tool"}}, "tool_choice.name: required"),
    ("embeddings", {"model": "text-embedding-3-small"}, "input: required"),
    ("embeddings", {"model": "text-embedding-3-small", "input": [{"a": 1}]}, "input[0]: expected"),
]


async def test_named_faults_get_their_messages(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    key = proxy.key("models")
    for route, body, expected in NAMED:
        path, _, is_anthropic = ROUTES[route]
        async with http.post(
            proxy.url + path, data=orjson.dumps(body), headers={"Authorization": f"Bearer {key}"}
        ) as r:
            message, _ = hostile.refusal_message(r.status, await r.text(), is_anthropic)
        assert message.startswith(expected), (route, body, message)
    assert len(proxy.sim.requests) == 0


async def test_unknown_top_level_fields_pass_through(
    proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    """Providers add request fields often: the known ones are checked, the rest are relayed."""
    key = proxy.key("models")
    body = {**GOOD["chat"], "future_option": {"level": 3}, "temperature": None}
    async with http.post(
        f"{proxy.url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
    ) as r:
        assert r.status == 200, await r.text()
    assert proxy.sim.requests[-1].body["future_option"] == {"level": 3}
