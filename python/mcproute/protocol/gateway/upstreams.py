"""The gateway's upstreams: each one's configuration, health, and the pool of connections it
is reached on (the gateway's shared one, a stateless one for 2026-07-28 clients' calls), and
`Listing`, one listing gathered across them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mcproute.protocol import param_headers
from mcproute.protocol.client.connection import MCPConnection
from mcproute.protocol.client.stdio import StdioServer
from mcproute.protocol.gateway.upstream_health import (
    Breaker,
    Timeouts,
    UpstreamHealth,
    is_upstream_failure,
)
from mcproute.protocol.gateway.user_links import UpstreamAuth, upstream_auth
from mcproute.protocol.jsonrpc import CONNECTION_CLOSED, Json, MCPError

STDERR_SHOWN = 5  # of a failed child's last stderr lines, in its error
# A listing's `_meta` key naming the upstreams it could not include, and why.
UNAVAILABLE_META = "io.mcproute/unavailable"


@dataclass
class Upstream:
    """One upstream MCP server: at a URL, or a command started as a stdio child."""

    name: str
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # the gateway's own credentials
    stdio: StdioServer | None = None

    timeouts: Timeouts = field(default_factory=Timeouts)
    breaker: Breaker = field(default_factory=Breaker)
    client_name: str = "mcproute-gateway"  # how the gateway introduces itself upstream
    # `"auth": {"type": "oauth" | "token_exchange"}`: called with each user's own token
    # (see user_links, token_exchange).
    oauth: UpstreamAuth | None = None

    @classmethod
    def from_spec(
        cls, name: str, spec: str | Mapping[str, Any], client_name: str = "mcproute-gateway"
    ) -> Upstream:
        """From a URL, or an `mcpServers` entry: {"url", "headers"} or {"command", "args",
        "env", "cwd", "inheritEnv"}, either with the timeout keys of `Timeouts.from_spec` and
        the breaker keys of `Breaker.from_spec`."""
        if isinstance(spec, str):
            return cls(name, spec, client_name=client_name)
        if ("url" in spec) == ("command" in spec):
            raise ValueError(f"upstream {name!r}: needs exactly one of url or command")
        try:
            timeouts, breaker = Timeouts.from_spec(spec), Breaker.from_spec(spec)
        except ValueError as e:
            raise ValueError(f"upstream {name!r}: {e}") from None
        oauth = None
        if spec.get("auth") is not None:
            if "url" not in spec or not isinstance(spec["auth"], Mapping):
                raise ValueError(f"upstream {name!r}: auth needs a url and an object")
            oauth = upstream_auth(name, spec["auth"], spec["url"], client_name)
        if "url" in spec:
            headers = dict(spec.get("headers") or {})
            return cls(
                name, spec["url"], headers, timeouts=timeouts, breaker=breaker,
                client_name=client_name, oauth=oauth,
            )  # fmt: skip
        inherit = spec.get("inheritEnv")
        stdio = StdioServer(
            spec["command"],
            tuple(spec.get("args") or ()),
            dict(spec.get("env") or {}),
            spec.get("cwd"),
            **({} if inherit is None else {"inherit": tuple(inherit)}),
        )
        return cls(name, stdio=stdio, timeouts=timeouts, breaker=breaker, client_name=client_name)

    connection: MCPConnection | None = None  # a legacy session where the upstream offers one
    modern_connection: MCPConnection | None = None  # for 2026-07-28 clients' calls
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    calls: int = 0  # forwarded calls in flight
    idle: asyncio.Event = field(default_factory=asyncio.Event)  # set while `calls` is 0
    retired: bool = False  # removed by `set_upstreams`: takes no new calls
    # Its tools' x-mcp-header annotations (tool -> argument path -> token), from its own
    # listing: mirrored into Mcp-Param-* headers on calls in the 2026-07-28 era.
    param_headers: dict[str, dict[param_headers.Path, str]] = field(default_factory=dict)
    health: UpstreamHealth = field(init=False)

    def __post_init__(self) -> None:
        self.health = UpstreamHealth(self.name, self.breaker)

    def same_target(self, other: Upstream) -> bool:
        mine = (self.url, self.headers, self.stdio, self.timeouts, self.breaker, self.oauth)
        theirs = (other.url, other.headers, other.stdio, other.timeouts, other.breaker, other.oauth)
        return mine == theirs

    async def close(self) -> None:
        for conn in (self.connection, self.modern_connection):
            if conn is not None:
                await conn.close()
        self.connection = self.modern_connection = None

    def new_connection(self, prefer: str) -> MCPConnection:
        target = self.stdio or self.url
        assert target is not None
        return MCPConnection(
            target,
            headers=self.headers,
            capabilities={"sampling": {}, "elicitation": {}, "roots": {}},
            client_name=self.client_name,
            prefer=prefer,
        )

    async def stateless_connection(self) -> MCPConnection:
        """Stateless where the upstream speaks 2026-07-28, so its InputRequiredResults reach a
        modern client unchanged; an upstream that does not falls back to the legacy session.
        A stdio upstream is one process: its one connection serves both eras."""
        if self.stdio is not None:
            return await self.shared_connection()
        async with self.lock:
            if self.modern_connection is None:
                conn = self.new_connection("modern")
                await self._connect(conn)
                self.modern_connection = conn
            if self.modern_connection.era == "modern":
                return self.modern_connection
        return await self.shared_connection()

    async def shared_connection(self) -> MCPConnection:
        """The gateway's own connection, shared by the clients that have none of their own."""
        async with self.lock:
            if self.connection is None:
                # A legacy session where the upstream offers one: server-to-client requests and
                # subscriptions travel on it; a modern-only upstream is served statelessly. A
                # stdio process speaks the era it is first spoken to: the newest it knows.
                prefer = "modern" if self.stdio is not None else "legacy"
                conn = self.new_connection(prefer)
                await self._connect(conn)
                if conn.era == "legacy" and "logging" in conn.server_capabilities:
                    # Everything comes to the gateway; each client gets what its level asks for.
                    await conn.request("logging/setLevel", {"level": "debug"})
                self.connection = conn
            return self.connection

    async def _connect(self, conn: MCPConnection) -> None:
        """Connect within the upstream's connect timeout; a child that failed says why in its
        last stderr lines."""
        seconds = self.timeouts.connect_s
        try:
            async with asyncio.timeout(seconds):
                await conn.connect()
        except TimeoutError:
            raise MCPError(CONNECTION_CLOSED, f"connect: no answer within {seconds:g} s") from None
        except MCPError as exc:
            tail = conn.stderr_tail
            if not (tail and is_upstream_failure(exc)):
                raise
            said = " | ".join(tail[-STDERR_SHOWN:])
            raise MCPError(exc.code, f"{exc}; its last stderr lines: {said}", exc.data) from None


@dataclass
class Listing:
    """One listing across the upstreams."""

    items: list[tuple[str, Json]] = field(default_factory=list)  # (upstream, item)
    listed: set[str] = field(default_factory=set)  # the upstreams that answered
    failed: dict[str, str] = field(default_factory=dict)  # upstream -> why it is left out

    def report(self, result: Json) -> Json:
        """`result` naming the upstreams left out (in `_meta`), so a client can tell a short
        listing from a complete one."""
        if self.failed:
            meta = result.setdefault("_meta", {})
            meta[UNAVAILABLE_META] = [
                {"server": name, "error": error} for name, error in sorted(self.failed.items())
            ]
        return result
