"""`/mcp` and the routes that go with it, with the MCP gateway built when it is first needed.

A worker that serves only model calls never needs the gateway's modules: the MCP protocol
layer and the OAuth client are about 2.6 MiB of its heap. So the app registers `/mcp` and the
user-link pages here, with handlers that build the gateway
(`mcp_service.build`) on their first request. A configuration with `mcpServers` builds it at
start-up, and so does a reload that adds some. Only a gateway with nothing but the local context
resources waits for its first caller, who pays for the imports once per worker (tens of ms).

Readers that only look (the dashboard, `/metrics`, `/admin/mcp`) see a gateway that is not built
yet as what it would be: no upstreams, no sessions. Every MCP identifier (session ids, request
state, links) is checked by the built gateway, which reads the shared stores, so a worker that
builds late serves the sessions other workers made.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from aiohttp import web
from aiohttp.typedefs import Handler

from mcproute.proxy.environment import positive
from mcproute.proxy.mcp_chain import MCP_PATH

if TYPE_CHECKING:
    from mcproute.config import Config
    from mcproute.protocol.gateway import Gateway
    from mcproute.proxy.auth import Authenticator, Refused
    from mcproute.proxy.contexts import ContextResources
    from mcproute.proxy.front.protocol import Chain
    from mcproute.proxy.mcp_chain import Done
    from mcproute.proxy.mcp_metrics import McpMetrics
    from mcproute.proxy.mcp_service import McpService
    from mcproute.proxy.oauth import OAuthResource
    from mcproute.store.database import Database
    from mcproute.store.keyring_file import KeyringFile
    from mcproute.store.shared import SharedState

MAX_SESSIONS_ENV = "MCPROUTE_MCP_MAX_SESSIONS"
SESSION_IDLE_ENV = "MCPROUTE_MCP_SESSION_IDLE_S"
LINK_CALLBACK = "/oauth/callback"  # the user-link pages (`user_links`)
LINK_PREFIX = "/oauth/link/"


@dataclass(frozen=True)
class McpParts:
    """What the gateway is built from: the app's own stores and middleware parts."""

    config: Config  # the start-up configuration (the callback URL of user links)
    keyring: KeyringFile
    shared: SharedState  # the ended sessions and, with Redis, their announcements
    database: Database  # the users' upstream grants
    state_secret: bytes  # seals input-required request state
    local: ContextResources
    observer: McpMetrics
    authenticator: Authenticator
    done: Done  # an MCP request's record (`mcp_chain.recorder`)
    refused: Refused
    resource: OAuthResource | None
    session_limits: SessionLimits  # what the environment sets (`mcp_session_limits`)


class McpMount:
    """The app's MCP gateway: `built` once it is, `service` builds it on first use."""

    def __init__(self, parts: McpParts, upstreams: dict[str, dict[str, Any]], lane: bool) -> None:
        self.parts = parts
        self.upstreams = upstreams
        self.lane = lane  # the server front may serve `POST /mcp` in one function
        self.built: McpService | None = None

    @property
    def service(self) -> McpService:
        if self.built is None:
            from mcproute.proxy.mcp_service import build  # the MCP modules, on first use

            self.built = build(self.parts, self.upstreams)
        return self.built

    @property
    def gateway(self) -> Gateway | None:
        """The gateway if it is built (what a reader that only looks needs)."""
        return None if self.built is None else self.built.gateway

    def set_upstreams(self, upstreams: dict[str, dict[str, Any]]) -> None:
        """A reloaded configuration's `mcpServers` (built now if it has some)."""
        self.upstreams = upstreams
        if self.built is not None:
            self.built.gateway.set_upstreams(upstreams)
        elif upstreams:
            self.service  # noqa: B018 - builds it

    def serving(self, chain: Chain) -> Chain:
        """`POST /mcp` on the server front: the service's lane (`front/mcp_lane.py`), made on
        the first request; `chain` (the app's) takes what the lane does not."""
        lane: Chain | None = None

        async def mcp_lane(request: web.Request) -> web.StreamResponse:
            nonlocal lane
            if lane is None:
                lane = self.service.lane.serving(chain)
            return await lane(request)

        return mcp_lane

    async def shutdown(self, _: web.Application) -> None:
        if self.built is not None:
            await self.built.http.shutdown()

    async def close(self) -> None:
        if self.built is not None:
            await self.built.close()


MCP_MOUNT: web.AppKey[McpMount] = web.AppKey("mcp_mount")


def add_routes(app: web.Application, mount: McpMount) -> None:
    """`/mcp` and the user-link pages; the mount's hook on shutdown."""
    app[MCP_MOUNT] = mount
    for method in ("POST", "GET", "DELETE"):
        app.router.add_route(method, MCP_PATH, _transport(mount, method))
    add_link_routes(app.router)
    app.on_shutdown.append(mount.shutdown)


def add_link_routes(router: web.UrlDispatcher) -> None:
    """The user-link pages (`user_links`), over the gateway of the app's MCP_MOUNT."""
    pages = "mcproute.proxy.user_links"
    router.add_get(LINK_CALLBACK, _later(pages, "callback"))
    router.add_get(LINK_PREFIX + "{link_id}", _later(pages, "link"))
    router.add_post(LINK_PREFIX + "{link_id}", _later(pages, "confirm"))


def _transport(mount: McpMount, method: str) -> Handler:
    async def mcp(request: web.Request) -> web.StreamResponse:
        return await mount.service.handlers[method](request)

    return mcp


def _later(module: str, name: str) -> Handler:
    """The handler `name` of `module`, imported on the route's first request."""
    found: list[Handler] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        if not found:
            found.append(getattr(importlib.import_module(module), name))
        return await found[0](request)

    return handler


class SessionLimits(TypedDict, total=False):
    max_sessions: int  # MCP sessions one worker holds in memory
    idle_s: float  # seconds before an idle one is dropped


def mcp_session_limits(environ: Mapping[str, str]) -> SessionLimits:
    """The transport's session limits the environment sets; the transport's defaults apply to
    the others. ValueError naming the variable if one is not a positive number."""
    limits = SessionLimits()
    if (sessions := positive(environ, MAX_SESSIONS_ENV, int)) is not None:
        limits["max_sessions"] = int(sessions)
    if (idle := positive(environ, SESSION_IDLE_ENV, float)) is not None:
        limits["idle_s"] = idle
    return limits
