"""The conformance "everything server", built on MCPServer.

    python -m mcproute.testing.everything_server --port P     (serves /mcp on 127.0.0.1)
    python -m mcproute.testing.everything_server --stdio      (serves stdin/stdout)

It implements the tools, resources and prompts the official conformance suite calls (see its
server scenarios), including server-to-client sampling and elicitation in legacy sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from mcproute.protocol.server import MCPServer, RequestContext
from mcproute.protocol.server.http import DEFAULT_RETRY_MS, StreamableHTTP
from mcproute.protocol.server.skills import Skill, serve_skills
from mcproute.protocol.server.stdio import serve_stdio
from mcproute.testing.everything_input_required import add_input_required
from mcproute.testing.everything_tasks import add_tasks

# A 1x1 red PNG and a 44-byte silent WAV: the smallest valid media for content tests.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
WAV = (
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00\x88X\x01\x00"
    b"\x02\x00\x10\x00data\x00\x00\x00\x00"
)
# The json-schema-2020-12 scenario's fixture: keywords a server must list as it got them.
JSON_SCHEMA_2020_12: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}
# The skills scenarios' fixtures (SEP-2640): one skill with a file beside its SKILL.md.
SKILLS = [
    Skill(
        "greeting",
        "Greets the user by name, politely.",
        "# Greeting\n\nAsk for the user's name, then greet them with `templates/hello.txt`.\n",
        {"templates/hello.txt": b"Hello, {name}!\n"},
    )
]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def build() -> MCPServer:
    server = MCPServer("mcproute-everything-server", instructions="Conformance test server.")

    @server.tool(description="Returns simple text.")
    def test_simple_text(arguments: dict[str, Any]) -> str:
        return "This is a simple text response for testing."

    @server.tool(description="Returns an image.")
    def test_image_content(arguments: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"type": "image", "data": b64(PNG), "mimeType": "image/png"}]

    @server.tool(description="Returns audio.")
    def test_audio_content(arguments: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"type": "audio", "data": b64(WAV), "mimeType": "audio/wav"}]

    @server.tool(description="Returns an embedded resource.")
    def test_embedded_resource(arguments: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "type": "resource",
                "resource": {
                    "uri": "test://embedded-resource",
                    "mimeType": "text/plain",
                    "text": "This is an embedded resource content.",
                },
            }
        ]

    @server.tool(description="Returns text, an image and a resource.")
    def test_multiple_content_types(arguments: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"type": "text", "text": "Multiple content types test:"},
            {"type": "image", "data": b64(PNG), "mimeType": "image/png"},
            {
                "type": "resource",
                "resource": {
                    "uri": "test://mixed-content-resource",
                    "mimeType": "application/json",
                    "text": orjson.dumps({"test": "data", "value": 123}).decode(),
                },
            },
        ]

    @server.tool(description="Always fails.")
    def test_error_handling(arguments: dict[str, Any]) -> str:
        raise RuntimeError("This tool intentionally returns an error for testing")

    @server.tool(description="Logs three messages while it runs.")
    async def test_tool_with_logging(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.log("info", "Tool execution started")
        await asyncio.sleep(0.05)
        await ctx.log("info", "Tool processing data")
        await asyncio.sleep(0.05)
        await ctx.log("info", "Tool execution completed")
        return "Tool with logging executed successfully"

    # The stateless scenario's name for it: no log may go out without a logLevel in _meta.
    server.tool("test_logging_tool", description="Logs while it runs, at the client's level.")(
        test_tool_with_logging
    )

    @server.tool(description="Needs sampling: a client that did not declare it gets -32021.")
    async def test_missing_capability(arguments: dict[str, Any], ctx: RequestContext) -> str:
        prompt = {"role": "user", "content": {"type": "text", "text": "Say hello"}}
        result = await ctx.sample({"messages": [prompt], "maxTokens": 20})
        return f"Sampled: {result.get('content')}"

    @server.tool(
        description="Asks the user; in 2026-07-28 the question is an input-required result, "
        "never a request on the response stream."
    )
    async def test_streaming_elicitation(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.progress(0, 1, "asking")
        schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
        result = await ctx.elicit("Anything to add?", schema)
        return f"Elicitation completed: action={result.get('action')}"

    @server.tool(description="Reports progress 0, 50, 100 of 100.")
    async def test_tool_with_progress(arguments: dict[str, Any], ctx: RequestContext) -> str:
        for step in (0, 50, 100):
            await ctx.progress(step, 100)
            if step < 100:
                await asyncio.sleep(0.05)
        return "Tool with progress executed successfully"

    @server.tool(
        description="Asks the client's model.",
        input_schema={
            "type": "object",
            "properties": {"prompt": {"type": "string"}},
            "required": ["prompt"],
        },
    )
    async def test_sampling(arguments: dict[str, Any], ctx: RequestContext) -> str:
        result = await ctx.sample(
            {
                "messages": [
                    {"role": "user", "content": {"type": "text", "text": arguments["prompt"]}}
                ],
                "maxTokens": 100,
            },
        )
        content = result.get("content", {})
        text = content.get("text", "") if isinstance(content, dict) else ""
        return f"LLM response: {text}"

    @server.tool(
        description="Asks the user.",
        input_schema={
            "type": "object",
            "properties": {"message": {"type": "string"}},
            "required": ["message"],
        },
    )
    async def test_elicitation(arguments: dict[str, Any], ctx: RequestContext) -> str:
        schema = {
            "type": "object",
            "properties": {
                "username": {"type": "string", "description": "User's response"},
                "email": {"type": "string", "description": "User's email address"},
            },
            "required": ["username", "email"],
        }
        result = await ctx.elicit(arguments["message"], schema)
        return f"User response: action={result.get('action')}, content={result.get('content')}"

    @server.tool(description="Asks the user, with defaults for every primitive type.")
    async def test_elicitation_sep1034_defaults(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        schema = {
            "type": "object",
            "properties": {
                "name": {"type": "string", "default": "John Doe"},
                "age": {"type": "integer", "default": 30},
                "score": {"type": "number", "default": 95.5},
                "status": {
                    "type": "string",
                    "enum": ["active", "inactive", "pending"],
                    "default": "active",
                },
                "verified": {"type": "boolean", "default": True},
            },
        }
        result = await ctx.elicit("Please review your information", schema)
        return (
            f"Elicitation completed: action={result.get('action')}, content={result.get('content')}"
        )

    @server.tool(description="Asks the user, with every enum schema variant.")
    async def test_elicitation_sep1330_enums(arguments: dict[str, Any], ctx: RequestContext) -> str:
        schema = {
            "type": "object",
            "properties": {
                "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
                "titledSingle": {
                    "type": "string",
                    "oneOf": [
                        {"const": "value1", "title": "First Option"},
                        {"const": "value2", "title": "Second Option"},
                        {"const": "value3", "title": "Third Option"},
                    ],
                },
                "legacyEnum": {
                    "type": "string",
                    "enum": ["opt1", "opt2", "opt3"],
                    "enumNames": ["Option One", "Option Two", "Option Three"],
                },
                "untitledMulti": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
                },
                "titledMulti": {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            {"const": "value1", "title": "First Choice"},
                            {"const": "value2", "title": "Second Choice"},
                            {"const": "value3", "title": "Third Choice"},
                        ]
                    },
                },
            },
        }
        result = await ctx.elicit("Please choose", schema)
        return (
            f"Elicitation completed: action={result.get('action')}, content={result.get('content')}"
        )

    @server.tool(description="Closes its SSE stream before answering: the client resumes it.")
    async def test_reconnection(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.close_stream()  # SSE polling (SEP-1699): the result waits for the client's GET
        return "Reconnection test completed successfully"

    async def toggle(kind: str, registry: dict[str, Any], register: Callable[..., Any]) -> str:
        """Add or remove `test_dynamic_<item>` from a list, and tell listeners."""
        item = kind.removesuffix("s")
        if registry.pop(f"test_dynamic_{item}", None) is None:
            register(f"test_dynamic_{item}", description="Added at run time.")(lambda _: "dynamic")
        await server.notify_list_changed(kind)
        return f"The {item} list changed."

    @server.tool(description="Adds or removes test_dynamic_tool; listeners are told.")
    async def test_trigger_tool_change(arguments: dict[str, Any]) -> str:
        return await toggle("tools", server.tools, server.tool)

    @server.tool(description="Adds or removes test_dynamic_prompt; listeners are told.")
    async def test_trigger_prompt_change(arguments: dict[str, Any]) -> str:
        return await toggle("prompts", server.prompts, server.prompt)

    @server.tool(description="Tells the subscribers of test://watched-resource that it changed.")
    async def test_trigger_resource_update(arguments: dict[str, Any]) -> str:
        await server.notify_resource_updated("test://watched-resource")
        return "test://watched-resource changed."

    @server.resource("test://static-text", name="static-text", mime_type="text/plain")
    def static_text() -> str:
        return "This is the content of the static text resource."

    @server.resource("test://static-binary", name="static-binary", mime_type="image/png")
    def static_binary() -> bytes:
        return PNG

    @server.resource("test://watched-resource", name="watched-resource", mime_type="text/plain")
    def watched() -> str:
        return "Watched resource content."

    @server.resource_template(
        "test://template/{id}/data", name="template", mime_type="application/json"
    )
    def template(variables: dict[str, str]) -> str:
        ident = variables["id"]
        return orjson.dumps(
            {"id": ident, "templateTest": True, "data": f"Data for ID: {ident}"}
        ).decode()

    @server.prompt(description="A simple prompt.")
    def test_simple_prompt(arguments: dict[str, Any]) -> str:
        return "This is a simple prompt for testing."

    @server.prompt(
        description="A prompt with arguments.",
        arguments=[
            {"name": "arg1", "description": "First argument", "required": True},
            {"name": "arg2", "description": "Second argument", "required": True},
        ],
    )
    def test_prompt_with_arguments(arguments: dict[str, Any]) -> str:
        return f"Prompt with arguments: arg1='{arguments['arg1']}', arg2='{arguments['arg2']}'"

    @server.prompt(
        description="A prompt with an embedded resource.",
        arguments=[{"name": "resourceUri", "description": "Resource to embed", "required": True}],
    )
    def test_prompt_with_embedded_resource(arguments: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "role": "user",
                "content": {
                    "type": "resource",
                    "resource": {
                        "uri": arguments["resourceUri"],
                        "mimeType": "text/plain",
                        "text": "Embedded resource content for testing.",
                    },
                },
            },
            {
                "role": "user",
                "content": {"type": "text", "text": "Please process the embedded resource above."},
            },
        ]

    @server.prompt(description="A prompt with an image.")
    def test_prompt_with_image(arguments: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "role": "user",
                "content": {"type": "image", "data": b64(PNG), "mimeType": "image/png"},
            },
            {
                "role": "user",
                "content": {"type": "text", "text": "Please analyze the image above."},
            },
        ]

    @server.tool(
        description="Arguments mirrored into Mcp-Param-* headers (SEP-2243).",
        input_schema={
            "type": "object",
            "properties": {
                "region": {
                    "type": "string",
                    "description": "Mirrored into the Mcp-Param-Region header",
                    "x-mcp-header": "Region",
                }
            },
        },
    )
    def test_x_mcp_header(arguments: dict[str, Any]) -> str:
        return f"region={arguments.get('region', '<none>')}"

    @server.tool(
        description="Its inputSchema uses JSON Schema 2020-12 keywords, listed unchanged.",
        input_schema=JSON_SCHEMA_2020_12,
    )
    def json_schema_2020_12_tool(arguments: dict[str, Any]) -> str:
        return "json_schema_2020_12_tool"

    add_input_required(server)
    add_tasks(server)
    serve_skills(server, SKILLS)
    return server


async def serve(host: str, port: int, retry_ms: int = DEFAULT_RETRY_MS) -> None:
    runner = web.AppRunner(StreamableHTTP(build(), retry_ms=retry_ms).app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(f"everything server on http://{host}:{port}/mcp", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument(
        "--retry-ms", type=int, default=DEFAULT_RETRY_MS, help="SSE reconnection delay sent"
    )
    parser.add_argument("--stdio", action="store_true", help="serve on stdin/stdout instead")
    args = parser.parse_args()
    if args.stdio:
        asyncio.run(serve_stdio(build()))
    else:
        asyncio.run(serve(args.host, args.port, args.retry_ms))


if __name__ == "__main__":
    main()
