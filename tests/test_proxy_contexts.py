"""Shared contexts through the proxy: the REST API, tenants and scopes, contexts in chat
requests (official SDKs as clients), MCP resources, and the admin routes."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
from mcp import Client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
from mcp_types import TextContent, TextResourceContents

from mcproute.protocol.client import MCPConnection
from mcproute.protocol.jsonrpc import MCPError
from proxy_support import Proxy, http, proxy

__all__ = ["http", "proxy"]  # the fixtures
HISTORY = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "My name is Ada."},
    {"role": "assistant", "content": "Hello Ada."},
]


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    key: str,
    body: Any = None,
    data: bytes | None = None,
) -> tuple[int, Any]:
    async with http.request(
        method, url, json=body, data=data, headers={"Authorization": f"Bearer {key}"}
    ) as r:
        return r.status, await r.json()


async def test_context_lifecycle(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    key = proxy.key("contexts", "tenant:acme")
    base = f"{proxy.url}/v1/contexts"
    status, made = await call(
        http, "POST", base, key, {"messages": HISTORY, "ttl_seconds": 600, "metadata": {"a": 1}}
    )
    assert status == 201, made
    ident = made["id"]
    assert made["messages"] == HISTORY
    assert made["metadata"] == {"a": 1}
    assert made["expires_at"] is not None
    status, appended = await call(
        http,
        "POST",
        f"{base}/{ident}/append",
        key,
        {"messages": [{"role": "user", "content": "?"}]},
    )
    assert status == 200
    assert appended["items"] == 4
    status, got = await call(http, "GET", f"{base}/{ident}", key)
    assert status == 200
    assert got["messages"][-1] == {"role": "user", "content": "?"}
    status, patched = await call(http, "PATCH", f"{base}/{ident}", key, {"ttl_seconds": 5000})
    assert status == 200
    assert patched["expires_at"] > made["expires_at"]
    doc_status, doc = await call(http, "POST", base, key, {"document": "Chapter 1."})
    assert doc_status == 201
    assert doc["kind"] == "document"
    await call(http, "POST", f"{base}/{doc['id']}/append", key, {"text": " Chapter 2."})
    status, got_doc = await call(http, "GET", f"{base}/{doc['id']}", key)
    assert got_doc["document"] == "Chapter 1. Chapter 2."
    status, page = await call(http, "GET", f"{base}?limit=1", key)
    assert status == 200
    assert len(page["data"]) == 1
    assert page["has_more"] is True
    status, rest = await call(http, "GET", f"{base}?limit=1&after={page['last_id']}", key)
    assert len(rest["data"]) == 1
    assert rest["has_more"] is False
    assert {page["data"][0]["id"], rest["data"][0]["id"]} == {ident, doc["id"]}
    status, deleted = await call(http, "DELETE", f"{base}/{ident}", key)
    assert status == 200
    assert deleted == {"id": ident, "object": "context.deleted", "deleted": True}
    status, missing = await call(http, "GET", f"{base}/{ident}", key)
    assert status == 404
    assert missing["error"]["code"] == "context_not_found"


async def test_bad_input_names_the_field(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    key = proxy.key("contexts")
    base = f"{proxy.url}/v1/contexts"
    cases: list[tuple[Any, bytes | None, str]] = [
        (None, b'{"messages": [', "not valid JSON"),
        ({}, None, "messages or document is required"),
        ({"messages": "hi"}, None, "messages: expected an array"),
        ({"messages": [{"content": "x"}]}, None, "messages[0].role: required"),
        ({"messages": [], "ttl_seconds": -1}, None, "ttl_seconds"),
        ({"messages": [], "id": "ctx_nope"}, None, "id:"),
        ({"document": 3}, None, "document: expected a string"),
        ({"messages": [], "metadata": [1]}, None, "metadata"),
    ]
    for body, raw, expected in cases:
        status, error = await call(http, "POST", base, key, body, raw)
        assert status == 400, (body, error)
        assert expected in error["error"]["message"], (body, error)
    status, error = await call(http, "GET", f"{base}/not-an-id", key)
    assert status == 400
    assert "id:" in error["error"]["message"]
    status, error = await call(http, "GET", f"{base}?limit=0", key)
    assert status == 400
    assert "limit" in error["error"]["message"]
    status, made = await call(http, "POST", base, key, {"messages": []})
    status, error = await call(http, "POST", base, key, {"messages": [], "id": made["id"]})
    assert status == 409


async def test_tenants_and_scopes(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    base = f"{proxy.url}/v1/contexts"
    acme = proxy.key("contexts", "tenant:acme")
    status, made = await call(http, "POST", base, acme, {"messages": HISTORY})
    ident = made["id"]
    url = f"{base}/{ident}"
    globex = proxy.key("contexts", "tenant:globex")
    assert (await call(http, "GET", url, globex))[0] == 404  # another tenant's does not exist
    assert (await call(http, "GET", base, globex))[1]["data"] == []
    reader = proxy.key("contexts:read", "tenant:acme")
    assert (await call(http, "GET", url, reader))[0] == 200
    status, error = await call(
        http, "POST", f"{url}/append", reader, {"messages": [{"role": "user", "content": "x"}]}
    )
    assert status == 403
    assert "may not append" in error["error"]["message"]
    one = proxy.key(f"context:{ident}", "tenant:acme")
    assert (await call(http, "GET", url, one))[0] == 200
    appended = await call(
        http, "POST", f"{url}/append", one, {"messages": [{"role": "user", "content": "x"}]}
    )
    assert appended[0] == 200
    assert (await call(http, "DELETE", url, one))[0] == 403
    assert (await call(http, "GET", base, one))[0] == 403
    models_only = proxy.key("models")
    assert (await call(http, "POST", base, models_only, {"messages": []}))[0] == 403


async def test_chat_requests_use_a_shared_context(
    proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    key = proxy.key("models", "contexts")
    _, made = await call(http, "POST", f"{proxy.url}/v1/contexts", key, {"messages": HISTORY})
    ident = made["id"]
    client = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=key, max_retries=0)
    completion = await client.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "What is my name?"}],
        extra_body={"context_id": ident},
    )
    assert completion.choices[0].message.content is not None
    sent = proxy.sim.requests[-1].body
    assert sent["messages"] == [*HISTORY, {"role": "user", "content": "What is my name?"}]
    assert "context_id" not in sent  # the upstream never sees our field
    chunks = [
        c
        async for c in await client.chat.completions.create(
            model="gpt-4",
            messages=[{"role": "user", "content": "again"}],
            stream=True,
            extra_headers={"x-mcproute-context": ident},
        )
    ]
    assert chunks
    assert proxy.sim.requests[-1].body["messages"][:3] == HISTORY
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(
            model="gpt-4",
            messages=[{"role": "user", "content": "x"}],
            extra_body={"context_id": "ctx_" + "0" * 32},
        )
    with pytest.raises(openai.BadRequestError, match="context_id"):
        await client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "x"}], extra_body={"context_id": 7}
        )
    await client.close()
    no_contexts = openai.AsyncOpenAI(
        base_url=f"{proxy.url}/v1", api_key=proxy.key("models"), max_retries=0
    )
    with pytest.raises(openai.PermissionDeniedError):
        await no_contexts.chat.completions.create(
            model="gpt-4",
            messages=[{"role": "user", "content": "x"}],
            extra_body={"context_id": ident},
        )
    await no_contexts.close()
    claude = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=key, max_retries=0)
    await claude.messages.create(
        model="claude",
        max_tokens=20,
        system="Answer in French.",
        messages=[{"role": "user", "content": "What is my name?"}],
        extra_headers={"x-mcproute-context": ident},
    )
    sent = proxy.sim.requests[-1].body
    assert sent["system"] == "You are terse.\n\nAnswer in French."
    assert [m["content"] for m in sent["messages"]] == [
        "My name is Ada.",
        "Hello Ada.",
        "What is my name?",
    ]
    await claude.close()


async def test_mcp_scopes_and_context_resources(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    key = proxy.key("mcp:demo:add", "contexts", "tenant:acme")
    _, made = await call(
        http,
        "POST",
        f"{proxy.url}/v1/contexts",
        key,
        {"messages": HISTORY, "metadata": {"name": "n"}},
    )
    uri = f"context://{made['id']}"
    headers = {"Authorization": f"Bearer {key}"}
    async with MCPConnection(f"{proxy.url}/mcp", headers=headers) as conn:
        assert {t["name"] for t in await conn.list_tools()} == {"demo__add"}
        assert (await conn.call_tool("demo__add", {"a": 1, "b": 2}))["content"][0]["text"] == "3"
        with pytest.raises(MCPError, match="unknown tool"):
            await conn.call_tool("demo__broken", {})
        listed = {r["uri"]: r for r in await conn.list_resources()}
        assert listed[uri]["name"] == "n"
        read = await conn.read_resource(uri)
        assert read["contents"][0]["mimeType"] == "application/json"
        assert '"My name is Ada."' in read["contents"][0]["text"]
    other = {"Authorization": f"Bearer {proxy.key('mcp', 'contexts', 'tenant:globex')}"}
    async with MCPConnection(f"{proxy.url}/mcp", headers=other) as conn:
        assert "demo__broken" in {t["name"] for t in await conn.list_tools()}
        assert uri not in {r["uri"] for r in await conn.list_resources()}
        with pytest.raises(MCPError, match="resource not found"):
            await conn.read_resource(uri)


async def test_admin_routes(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    admin = proxy.key("admin")
    user = proxy.key("models")
    status, error = await call(http, "GET", f"{proxy.url}/admin/keys", user)
    assert status == 403
    assert "admin" in error["error"]["message"]
    status, made = await call(
        http, "POST", f"{proxy.url}/admin/keys", admin, {"scopes": ["models"], "ttl_seconds": 60}
    )
    assert status == 201
    assert made["key"].startswith("mcpr_live_")
    new_key = made["key"]
    status, listing = await call(http, "GET", f"{proxy.url}/admin/keys", admin)
    assert made["key_id"] in {k["key_id"] for k in listing["data"]}
    assert new_key not in str(listing)
    assert admin not in str(listing)
    status, rotated = await call(
        http,
        "POST",
        f"{proxy.url}/admin/keys/{made['key_id']}/rotate",
        admin,
        {"grace_seconds": 300},
    )
    assert status == 201
    for k in (new_key, rotated["key"]):  # both work during the grace period
        assert (await call(http, "GET", f"{proxy.url}/v1/models", k))[0] == 200
    status, _ = await call(http, "DELETE", f"{proxy.url}/admin/keys/{rotated['key_id']}", admin)
    assert status == 200
    status, error = await call(http, "GET", f"{proxy.url}/v1/models", rotated["key"])
    assert status == 401
    assert error["error"]["code"] == "invalid_key"  # the reason (revoked) is for the log only
    status, error = await call(http, "DELETE", f"{proxy.url}/admin/keys/nope", admin)
    assert status == 404
    status, error = await call(http, "POST", f"{proxy.url}/admin/keys", admin, {"scopes": "all"})
    assert status == 400
    assert "scopes" in error["error"]["message"]
    status, models = await call(http, "GET", f"{proxy.url}/admin/models", admin)
    deployments = models["groups"]["gpt-4"]["deployments"]
    assert deployments[0]["model"] == "gpt-4"
    assert "in_flight" in deployments[0]
    tenant_key = proxy.key("contexts", "tenant:acme")
    _, ctx = await call(http, "POST", f"{proxy.url}/v1/contexts", tenant_key, {"messages": HISTORY})
    status, every = await call(http, "GET", f"{proxy.url}/admin/contexts", admin)
    assert ctx["id"] in {c["id"] for c in every["data"]}
    status, rotation = await call(http, "POST", f"{proxy.url}/admin/keyring/rotate", admin)
    assert status == 200
    assert rotation["reencrypted"] == len(HISTORY)
    status, again = await call(http, "GET", f"{proxy.url}/v1/contexts/{ctx['id']}", tenant_key)
    assert again["messages"] == HISTORY
    status, _ = await call(http, "DELETE", f"{proxy.url}/admin/contexts/{ctx['id']}", admin)
    assert status == 200


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_official_mcp_sdk_client_against_the_proxy(
    proxy: Proxy, http: aiohttp.ClientSession, mode: str
) -> None:
    key = proxy.key("mcp", "contexts")
    _, made = await call(http, "POST", f"{proxy.url}/v1/contexts", key, {"messages": HISTORY})
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        create_mcp_http_client(headers=headers) as http_client,  # ours to close, not the SDK's
        Client(
            streamable_http_client(f"{proxy.url}/mcp", http_client=http_client), mode=mode
        ) as client,
    ):
        tools = await client.list_tools()
        assert "demo__add" in {t.name for t in tools.tools}
        result = await client.call_tool("demo__add", {"a": 40, "b": 2})
        assert isinstance(result.content[0], TextContent)
        assert result.content[0].text == "42"
        uri = f"context://{made['id']}"
        resources = await client.list_resources()
        assert uri in {str(r.uri) for r in resources.resources}
        read = await client.read_resource(uri)
        assert isinstance(read.contents[0], TextResourceContents)
        assert json.loads(read.contents[0].text) == HISTORY
