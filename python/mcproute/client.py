"""MCPClient: the library entry point for sending a request to a model by name.

It routes through a ``ModelRegistry`` (the same Router the proxy uses, in-process), and connects
to MCP servers whose sampling requests those models answer (``connect``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from mcproute.config import Config
from mcproute.models.registry import ModelRegistry
from mcproute.models.routed import Context, Generation, GenerationChunk
from mcproute.protocol.client import MCPConnection
from mcproute.protocol.client.sampling import sampling_handler
from mcproute.protocol.client.stdio import StdioServer


class MCPClient:
    """``await MCPClient().send_request(model="gpt-4", context=context)``."""

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        registry: ModelRegistry | None = None,
    ) -> None:
        self.registry = registry if registry is not None else ModelRegistry(config)

    def __repr__(self) -> str:
        return f"MCPClient({self.registry!r})"

    async def send_request(
        self, *, model: str, context: Context = None, prompt: str | None = None, **params: Any
    ) -> Generation:
        """One completion from ``model`` (a name, alias, group or capability) for ``context``."""
        handle = await self.registry.get_model(model)
        return await handle.generate(prompt, context, **params)

    async def stream_request(
        self, *, model: str, context: Context = None, prompt: str | None = None, **params: Any
    ) -> AsyncIterator[GenerationChunk]:
        handle = await self.registry.get_model(model)
        async for chunk in handle.stream(prompt, context, **params):
            yield chunk

    def connect(self, target: str | StdioServer, **options: Any) -> MCPConnection:
        """An MCP server (a URL, or a command started over stdio) whose sampling requests are
        served by this client's models, in either era. ``async with client.connect(url) as
        server: await server.call_tool(...)``. Options are MCPConnection's."""
        capabilities = {"sampling": {}, **options.pop("capabilities", {})}
        on_request = options.pop("on_request", None) or sampling_handler(self.registry)
        return MCPConnection(target, capabilities=capabilities, on_request=on_request, **options)

    async def aclose(self) -> None:
        await self.registry.aclose()

    async def __aenter__(self) -> MCPClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
