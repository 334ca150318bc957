"""The everything server's input-required tools and prompt (the conformance suite's
`input-required-result-*` scenarios). Each asks through `RequestContext.ask`, so the same
handler sends real server-to-client requests in a legacy session and answers with an
`InputRequiredResult` in 2026-07-28."""

from __future__ import annotations

from typing import Any

from mcproute.protocol.server import MCPServer, RequestContext

NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
}


def _elicit(message: str, schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "elicitation/create", {"message": message, "requestedSchema": schema}


def _sample(text: str, max_tokens: int) -> tuple[str, dict[str, Any]]:
    message = {"role": "user", "content": {"type": "text", "text": text}}
    return "sampling/createMessage", {"messages": [message], "maxTokens": max_tokens}


def _text_of(sampled: dict[str, Any]) -> str:
    content = sampled.get("content")
    return str(content.get("text", "")) if isinstance(content, dict) else ""


def add_input_required(server: MCPServer) -> None:
    @server.tool(description="Asks the user for their name.")
    async def test_input_required_result_elicitation(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        answer = await ctx.ask("user_name", *_elicit("What is your name?", NAME_SCHEMA))
        return f"Hello, {(answer.get('content') or {}).get('name', 'stranger')}!"

    @server.tool(description="Asks the client's model a question.")
    async def test_input_required_result_sampling(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        sampled = await ctx.ask("capital_question", *_sample("What is the capital of France?", 100))
        return f"The model said: {_text_of(sampled)}"

    @server.tool(description="Asks the client for its roots.")
    async def test_input_required_result_list_roots(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        roots = (await ctx.ask("client_roots", "roots/list", {}))["roots"]
        return "Roots: " + ", ".join(str(r.get("uri")) for r in roots)

    @server.tool(description="Asks for a confirmation and checks the echoed request state.")
    async def test_input_required_result_request_state(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
        answer = await ctx.ask("confirm", *_elicit("Please confirm", schema))
        verdict = "state-ok" if ctx.state_verified else "no state"
        return f"{verdict}: confirmed={(answer.get('content') or {}).get('ok')}"

    @server.tool(description="Asks for a name, a greeting and the roots at once.")
    async def test_input_required_result_multiple_inputs(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        answers = await ctx.ask_all(
            {
                "user_name": _elicit("What is your name?", NAME_SCHEMA),
                "greeting": _sample("Generate a greeting", 50),
                "client_roots": ("roots/list", {}),
            }
        )
        name = (answers["user_name"].get("content") or {}).get("name")
        roots = len(answers["client_roots"]["roots"])
        return f"{_text_of(answers['greeting'])} {name} ({roots} roots)"

    @server.tool(description="Asks twice, one question per round.")
    async def test_input_required_result_multi_round(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        first = await ctx.ask("step1", *_elicit("Step 1: What is your name?", NAME_SCHEMA))
        color_schema = {
            "type": "object",
            "properties": {"color": {"type": "string"}},
            "required": ["color"],
        }
        second = await ctx.ask(
            "step2", *_elicit("Step 2: What is your favorite color?", color_schema)
        )
        name = (first.get("content") or {}).get("name")
        color = (second.get("content") or {}).get("color")
        return f"{name} likes {color}"

    @server.tool(description="Asks for a confirmation under an integrity-protected state.")
    async def test_input_required_result_tampered_state(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
        await ctx.ask("confirm", *_elicit("Please confirm", schema))
        return "confirmed"

    @server.tool(description="Asks only for what the client declared it can answer.")
    async def test_input_required_result_capabilities(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        wanted = {
            "user_name": _elicit("What is your name?", NAME_SCHEMA),
            "greeting": _sample("Generate a greeting", 50),
        }
        asked = {key: request for key, request in wanted.items() if ctx.supports(request[0])}
        answers = await ctx.ask_all(asked) if asked else {}
        return f"answered: {', '.join(sorted(answers)) or 'nothing'}"

    @server.prompt(description="A prompt that asks the user for context first.")
    async def test_input_required_result_prompt(
        arguments: dict[str, Any], ctx: RequestContext
    ) -> str:
        schema = {
            "type": "object",
            "properties": {"context": {"type": "string"}},
            "required": ["context"],
        }
        answer = await ctx.ask("prompt_context", *_elicit("What context to use?", schema))
        return f"Use this context: {(answer.get('content') or {}).get('context')}"
