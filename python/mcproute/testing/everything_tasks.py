"""The everything server's task-supporting tools (the conformance suite's `tasks-*` scenarios,
SEP-2663). Each calls `ctx.as_task()`: with a client that declared the tasks extension the call
goes on as a task, otherwise it runs to the end within the request (a `"required"` tool is then
refused with -32021)."""

from __future__ import annotations

import asyncio
from typing import Any

from mcproute.protocol.jsonrpc import INTERNAL_ERROR
from mcproute.protocol.server import MCPError, MCPServer, RequestContext

CONFIRM_SCHEMA = {
    "type": "object",
    "properties": {"confirm": {"type": "boolean"}},
    "required": ["confirm"],
}
NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
}


def _content(answer: dict[str, Any]) -> dict[str, Any]:
    content = answer.get("content")
    return content if isinstance(content, dict) else {}


def add_tasks(server: MCPServer) -> None:
    @server.tool(
        description="Greets at once (never a task).",
        input_schema={"type": "object", "properties": {"name": {"type": "string"}}},
    )
    def greet(arguments: dict[str, Any]) -> str:
        return f"Hello, {arguments.get('name', 'World')}!"

    @server.tool(
        description="Sleeps `seconds`, then answers; a task when the client supports tasks.",
        input_schema={
            "type": "object",
            "properties": {"seconds": {"type": "number"}, "label": {"type": "string"}},
        },
        task_support="optional",
    )
    async def slow_compute(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.as_task()
        seconds = float(arguments.get("seconds") or 0)
        await asyncio.sleep(min(max(seconds, 0.0), 300.0))
        return f"computed {arguments.get('label', '')} after {seconds:g}s"

    @server.tool(description="A task whose tool fails.", task_support="required")
    async def failing_job(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.as_task()
        await asyncio.sleep(0.2)
        raise RuntimeError("the job failed, as it always does")

    @server.tool(description="A task that ends in a protocol error.", task_support="optional")
    async def protocol_error_job(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.as_task()
        raise MCPError(INTERNAL_ERROR, "the job hit a protocol error, as it always does")

    @server.tool(
        description="A task that asks the user to confirm before it deletes a file.",
        input_schema={"type": "object", "properties": {"filename": {"type": "string"}}},
        task_support="optional",
    )
    async def confirm_delete(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.as_task()
        filename = arguments.get("filename", "")
        answer = await ctx.elicit(f"Delete {filename}?", CONFIRM_SCHEMA, key="confirm")
        confirmed = answer.get("action") == "accept" and _content(answer).get("confirm")
        return f"{filename}: {'deleted' if confirmed else 'kept'}"

    @server.tool(description="A task that asks two questions at once.", task_support="optional")
    async def multi_input(arguments: dict[str, Any], ctx: RequestContext) -> str:
        await ctx.as_task()
        answers = await ctx.ask_all(
            {
                "name": (
                    "elicitation/create",
                    {"message": "Your name?", "requestedSchema": NAME_SCHEMA},
                ),
                "confirm": (
                    "elicitation/create",
                    {"message": "Go on?", "requestedSchema": CONFIRM_SCHEMA},
                ),
            }
        )
        name, confirm = _content(answers["name"]), _content(answers["confirm"])
        return f"name={name.get('name')}, confirm={confirm.get('confirm')}"

    @server.tool(
        description="Asks for a name (input-required rounds), then goes on as a task.",
        task_support="required",
    )
    async def test_tool_with_task(arguments: dict[str, Any], ctx: RequestContext) -> str:
        answer = await ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name")
        await ctx.as_task()
        await asyncio.sleep(0.1)
        return f"Hello, {_content(answer).get('name', 'stranger')}!"
