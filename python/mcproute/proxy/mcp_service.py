"""The MCP gateway of the proxy, built from the app's parts (`mcp_mount.McpParts`): the
gateway over the configured upstreams and the local context resources, the Streamable HTTP
transport with its session tokens, the users' upstream links, and the handlers `/mcp` runs.

Imported only when a worker needs its gateway (`mcp_mount`): this module and what it imports
are the MCP protocol layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mcproute.oauth_client import SealedTokenStore
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.gateway.user_links import UpstreamLinks
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.protocol.server.session_tokens import SessionTokens
from mcproute.proxy import auth, user_links
from mcproute.proxy.front.mcp_lane import McpLane
from mcproute.proxy.mcp_caller import with_caller
from mcproute.proxy.mcp_mount import McpParts
from mcproute.store.grants import GrantBlobs


@dataclass
class McpService:
    gateway: Gateway
    http: StreamableHTTP
    lane: McpLane  # `POST /mcp` on the server front (where the mount allows it)
    handlers: dict[str, auth.Handler]  # by method: the transport's, with the caller set
    grants: GrantBlobs

    async def close(self) -> None:
        await self.gateway.close()
        self.grants.close()


def build(parts: McpParts, upstreams: dict[str, dict[str, Any]]) -> McpService:
    # Workers and replicas sharing the data directory (or its keyring variable and pepper) serve
    # each other's MCP sessions and input-required rounds.
    keyring = parts.keyring
    tokens = SessionTokens(  # a DELETE on one worker or replica ends the session on all
        keyring.current, reload=keyring.reload, audience="mcproute-gateway",
        ended=parts.shared.ended,
    )  # fmt: skip
    if parts.shared.redis is not None:  # announced ends arrive at once, before the next read
        parts.shared.redis.watch_ended(tokens.heard_ended)
    grants = GrantBlobs(parts.database)  # users' upstream grants, sealed with the keyring
    links = UpstreamLinks(
        SealedTokenStore(keyring.current, grants), user_links.callback_url(parts.config),
        describe=user_links.caller_identity,
    )  # fmt: skip
    gateway = Gateway(
        upstreams,
        access=auth.mcp_allows,
        local=parts.local,
        state_secret=parts.state_secret,
        observer=parts.observer,
        links=links,
    )
    if parts.resource is not None:
        parts.resource.gateway = gateway  # step-up challenges name the upstream's scope
    http = StreamableHTTP(
        gateway, principal=_principal, session_tokens=tokens, **parts.session_limits
    )
    handlers = {
        "POST": with_caller(http.post),
        "GET": with_caller(http.get),
        "DELETE": with_caller(http.delete),
    }
    lane = McpLane(parts.authenticator, http, parts.done, parts.refused)
    return McpService(gateway, http, lane, handlers, grants)


def _principal(request: web.Request) -> str:
    """Who an MCP request comes from: the API key, within its tenant. Sessions, request rounds
    and held calls are bound to it."""
    record = request[auth.RECORD]
    return f"{auth.tenant_of(record)}/{record.key_id}"
