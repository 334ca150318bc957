"""The client under test in the official MCP conformance suite, built on MCPConnection.

    python -m mcproute.testing.conformance_client URL

`conformance client --command "<this>"` starts a mock server per scenario and runs this command
with the server's URL, the scenario in MCP_CONFORMANCE_SCENARIO, its inputs in
MCP_CONFORMANCE_CONTEXT (JSON) and, from harness 0.2.0-alpha.11, the revision the mock speaks in
MCP_CONFORMANCE_PROTOCOL_VERSION. Each scenario is a few ordinary client calls: what the suite
checks (headers, `_meta`, SSE resumption, elicitation defaults, input-required rounds) is
MCPConnection's own behaviour. The auth/* scenarios list the tools and call one through an
`OAuthClient` whose settings come from the scenario's inputs (credentials, keys, assertions)
and whose browser step is `headless_authorize`. A scenario this client does not know exits
with status 2.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from mcproute._core import LATEST_VERSION
from mcproute.oauth_client import (
    IdJagExchange,
    OAuthClient,
    OAuthSettings,
    headless_authorize,
)
from mcproute.protocol.client import MCPConnection, skills
from mcproute.protocol.jsonrpc import MCPError

Json = dict[str, Any]
Scenario = Callable[[MCPConnection, Json], Awaitable[None]]

log = logging.getLogger("mcproute.conformance_client")
CAPABILITIES: Json = {"sampling": {}, "elicitation": {}, "roots": {}}
STUB_VALUES: Json = {"string": "x", "integer": 0, "number": 0, "boolean": False,
                     "object": {}, "array": [], "null": None}  # fmt: skip
NOT_IMPLEMENTED = 2
SCENARIOS: dict[str, Scenario] = {}
CLIENT_NAME = "mcproute-conformance-client"
# The Client ID Metadata Document URL the suite's authorization servers accept as a client_id.
CIMD_URL = "https://conformance-test.local/client-metadata.json"


def scenario(*names: str) -> Callable[[Scenario], Scenario]:
    def register(run: Scenario) -> Scenario:
        SCENARIOS.update(dict.fromkeys(names, run))
        return run

    return register


async def answer(method: str, params: Json) -> Json:
    """Server-to-client requests: accept elicitations (MCPConnection fills in the schema's
    defaults), answer sampling with an empty message and roots with none."""
    if method == "elicitation/create":
        return {"action": "accept", "content": {}}
    if method == "sampling/createMessage":
        return {"role": "assistant", "content": {"type": "text", "text": ""}, "model": "stub"}
    if method == "roots/list":
        return {"roots": []}
    raise MCPError(-32601, f"method not found: {method!r}")


def stub_arguments(input_schema: Json) -> Json:
    """The smallest arguments that satisfy a schema's `required` list."""
    properties = input_schema.get("properties") or {}
    types = {name: str((properties.get(name) or {}).get("type")) for name in properties}
    return {
        name: STUB_VALUES.get(types.get(name, ""), "x")
        for name in input_schema.get("required") or []
    }


@scenario("initialize", "json-schema-ref-no-deref")
async def list_tools(conn: MCPConnection, context: Json) -> None:
    await conn.list_tools()


@scenario("tools_call", "request-metadata")
async def add_numbers(conn: MCPConnection, context: Json) -> None:
    await conn.list_tools()
    await conn.call_tool("add_numbers", {"a": 5, "b": 3})


@scenario("sse-retry")
async def reconnection(conn: MCPConnection, context: Json) -> None:
    await conn.list_tools()
    await conn.call_tool("test_reconnection")


@scenario("elicitation-sep1034-client-defaults")
async def elicitation_defaults(conn: MCPConnection, context: Json) -> None:
    await conn.list_tools()
    await conn.call_tool("test_client_elicitation_defaults")


@scenario("json-schema-2020-12-preservation")
async def echo_schema(conn: MCPConnection, context: Json) -> None:
    tools = {tool["name"]: tool for tool in await conn.list_tools()}
    schema = tools["json_schema_2020_12_tool"]["inputSchema"]
    await conn.call_tool("json_schema_echo", {"schema": schema})


@scenario("http-standard-headers")
async def one_of_each(conn: MCPConnection, context: Json) -> None:
    if tools := await conn.list_tools():
        await conn.call_tool(tools[0]["name"], stub_arguments(tools[0]["inputSchema"]))
    if resources := await conn.list_resources():
        await conn.read_resource(resources[0]["uri"])
    if prompts := await conn.list_prompts():
        await conn.get_prompt(prompts[0]["name"])


@scenario("http-invalid-tool-headers")
async def call_every_tool(conn: MCPConnection, context: Json) -> None:
    calls = [(t["name"], stub_arguments(t["inputSchema"])) for t in await conn.list_tools()]
    await call_each(conn, calls)


@scenario("http-custom-headers")
async def replay_tool_calls(conn: MCPConnection, context: Json) -> None:
    listed = {tool["name"] for tool in await conn.list_tools()}
    calls = [(c["name"], c.get("arguments") or {}) for c in context.get("toolCalls", [])]
    await call_each(conn, [(name, args) for name, args in calls if name in listed])


@scenario("sep-2322-client-request-state")
async def input_required_rounds(conn: MCPConnection, context: Json) -> None:
    await conn.list_tools()
    for tool in ("test_mrtr_echo_state", "test_mrtr_unrelated", "test_mrtr_no_state",
                 "test_mrtr_no_result_type"):  # fmt: skip
        await conn.call_tool(tool)


async def call_first_tool(conn: MCPConnection, context: Json) -> None:
    """The auth scenarios' server has one tool: two authorized requests (a listing and a call)
    exercise what the flows are about, step-up and a changed authorization server included."""
    tools = await conn.list_tools()
    if tools:
        await conn.call_tool(tools[0]["name"], stub_arguments(tools[0].get("inputSchema") or {}))


def oauth_settings(name: str, context: Json) -> OAuthSettings:
    """The client's OAuth settings for one auth/* scenario, from the inputs it hands over."""
    client_id, secret = context.get("client_id"), context.get("client_secret")
    if name == "auth/client-credentials-jwt":
        return OAuthSettings(grant="client_credentials", client_id=client_id,
                             private_key_pem=context["private_key_pem"],
                             signing_alg=context.get("signing_algorithm", "ES256"))  # fmt: skip
    if name == "auth/client-credentials-basic":
        return OAuthSettings(grant="client_credentials", client_id=client_id,
                             client_secret=secret)  # fmt: skip
    if name in ("auth/enterprise-managed-authorization", "auth/cross-app-access-complete-flow"):
        exchange = IdJagExchange(context["idp_token_endpoint"], context["idp_id_token"],
                                 context["idp_client_id"])  # fmt: skip
        return OAuthSettings(grant="jwt_bearer", client_id=client_id, client_secret=secret,
                             assertion=exchange)  # fmt: skip
    if name == "auth/wif-jwt-bearer":
        return OAuthSettings(grant="jwt_bearer", client_id=client_id,
                             assertion=context["valid_jwt"])  # fmt: skip
    return OAuthSettings(client_name=CLIENT_NAME, client_id=client_id, client_secret=secret,
                         client_metadata_url=CIMD_URL)  # fmt: skip


@scenario("sep-2640-client-no-prefetch")
async def list_skills(conn: MCPConnection, context: Json) -> None:
    await skills.list_skills(conn)  # listing reads no file


@scenario(
    "sep-2640-client-verify-digest",
    "sep-2640-client-verify-size",
    "sep-2640-client-verify-frontmatter",
)
async def use_skills(conn: MCPConnection, context: Json) -> None:
    """Load each skill, then read its other files: only a skill that passed its checks."""
    for entry in await skills.list_skills(conn):
        try:
            await skills.load_skill(conn, entry)
        except skills.SkillError as e:
            log.warning("skill not loaded: %s", e)
            continue
        files = entry.get("resources")
        for file in files if isinstance(files, list) else []:
            if file.get("uri") != entry.get("uri"):
                await skills.read_file(conn, entry, str(file.get("uri")))


async def call_each(conn: MCPConnection, calls: list[tuple[str, Json]]) -> None:
    """Call every tool in turn; one failing call is logged, the rest still run."""
    for name, arguments in calls:
        try:
            await conn.call_tool(name, arguments)
        except Exception:
            log.exception("tools/call %s failed", name)


async def run(url: str, name: str, context: Json, version: str | None) -> None:
    # The harness names the revision its mock speaks; without it (0.1.16) the mocks are legacy.
    prefer = "modern" if version == LATEST_VERSION else "legacy"
    auth = None
    if name.startswith("auth/"):
        settings = oauth_settings(name, context)
        auth = OAuthClient(url, settings, on_authorize=headless_authorize)
    async with MCPConnection(
        url,
        capabilities=CAPABILITIES,
        on_request=answer,
        client_name="mcproute-conformance-client",
        prefer=prefer,
        listen=True,
        auth=auth,
    ) as conn:
        await SCENARIOS.get(name, call_first_tool)(conn, context)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    if len(args) != 1:
        print("usage: python -m mcproute.testing.conformance_client URL", file=sys.stderr)
        return 1
    name = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    if name not in SCENARIOS and not name.startswith("auth/"):
        print(f"scenario {name!r} is not implemented", file=sys.stderr)
        return NOT_IMPLEMENTED
    context = orjson.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION")
    asyncio.run(run(args[0], name, context, version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
