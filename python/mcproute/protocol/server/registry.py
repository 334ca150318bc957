"""The tools, resources, resource templates and prompts a server offers, and the decorators
that register them."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcproute.protocol.jsonrpc import Json

ToolHandler = Callable[..., Any]


def _described(required: Json, **optional: Any) -> Json:
    """A listing entry: the required fields plus the optional ones that are set."""
    return {**required, **{k: v for k, v in optional.items() if v}}


@dataclass(frozen=True)
class Tool:
    name: str
    handler: ToolHandler
    description: str | None
    input_schema: Json
    title: str | None = None
    annotations: Json | None = None
    task_support: str | None = None  # "optional" or "required": it may run as a task

    def describe(self) -> Json:
        return _described(
            {"name": self.name, "inputSchema": self.input_schema},
            title=self.title,
            description=self.description,
            annotations=self.annotations,
            execution={"taskSupport": self.task_support} if self.task_support else None,
        )


@dataclass(frozen=True)
class Resource:
    uri: str
    name: str
    handler: Callable[[], Any]
    mime_type: str | None
    description: str | None

    def describe(self) -> Json:
        return _described(
            {"uri": self.uri, "name": self.name},
            mimeType=self.mime_type,
            description=self.description,
        )


@dataclass(frozen=True)
class ResourceTemplate:
    uri_template: str  # RFC 6570 level 1: {name} placeholders, each matching one path segment
    name: str
    handler: Callable[[dict[str, str]], Any]
    mime_type: str | None
    description: str | None

    def match(self, uri: str) -> dict[str, str] | None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.uri_template))
        m = re.fullmatch(pattern, uri)
        return m.groupdict() if m else None

    def describe(self) -> Json:
        return _described(
            {"uriTemplate": self.uri_template, "name": self.name},
            mimeType=self.mime_type,
            description=self.description,
        )


@dataclass(frozen=True)
class Prompt:
    name: str
    handler: Callable[..., Any]
    description: str | None
    arguments: list[Json]

    def describe(self) -> Json:
        return _described(
            {"name": self.name, "arguments": self.arguments}, description=self.description
        )


class Registry:
    """What a server offers, by name (resources by URI, templates by their URI template)."""

    def __init__(self) -> None:
        self.tools: dict[str, Tool] = {}
        self.resources: dict[str, Resource] = {}
        self.templates: dict[str, ResourceTemplate] = {}
        self.prompts: dict[str, Prompt] = {}

    def tool(
        self,
        name: str | None = None,
        *,
        description: str | None = None,
        input_schema: Json | None = None,
        title: str | None = None,
        annotations: Json | None = None,
        task_support: str | None = None,
    ) -> Callable[[ToolHandler], ToolHandler]:
        """Register `handler(arguments: dict) -> str | list[content] | dict` as a tool. With
        `task_support` ("optional", "required") it may go on as a task (`ctx.as_task()`)."""

        def register(handler: ToolHandler) -> ToolHandler:
            tool_name = name or handler.__name__
            if tool_name in self.tools:
                raise ValueError(f"tool {tool_name!r} is already registered")
            if task_support not in (None, "optional", "required"):
                raise ValueError("task_support must be 'optional' or 'required'")
            schema = input_schema or {"type": "object", "properties": {}}
            self.tools[tool_name] = Tool(
                tool_name,
                handler,
                description or inspect.getdoc(handler),
                schema,
                title,
                annotations,
                task_support,
            )
            return handler

        return register

    def resource(
        self,
        uri: str,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        description: str | None = None,
    ) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
        """Register `handler() -> str | bytes` as the contents of `uri`."""

        def register(handler: Callable[[], Any]) -> Callable[[], Any]:
            if uri in self.resources:
                raise ValueError(f"resource {uri!r} is already registered")
            self.resources[uri] = Resource(
                uri, name or handler.__name__, handler, mime_type, description
            )
            return handler

        return register

    def resource_template(
        self,
        uri_template: str,
        *,
        name: str,
        mime_type: str | None = None,
        description: str | None = None,
    ) -> Callable[[Callable[[dict[str, str]], Any]], Callable[[dict[str, str]], Any]]:
        """Register `handler(variables: dict) -> str | bytes` for URIs matching the template."""

        def register(handler: Callable[[dict[str, str]], Any]) -> Callable[[dict[str, str]], Any]:
            self.templates[uri_template] = ResourceTemplate(
                uri_template, name, handler, mime_type, description
            )
            return handler

        return register

    def prompt(
        self,
        name: str | None = None,
        *,
        description: str | None = None,
        arguments: list[Json] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register `handler(arguments: dict) -> str | list[message]` as a prompt."""

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            prompt_name = name or handler.__name__
            self.prompts[prompt_name] = Prompt(
                prompt_name, handler, description or inspect.getdoc(handler), arguments or []
            )
            return handler

        return register
