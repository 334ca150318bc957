"""The gateway: one MCP endpoint in front of several upstream MCP servers.

Tools, resources and prompts of every upstream are offered as one server. With namespacing on
(the default) names become `<upstream><separator><name>` (resource URIs keep their own scheme and
are routed by the upstream that listed them); with it off, names must not collide and the
first upstream that lists a name wins. Calls are forwarded to their upstream with the gateway's
own credentials for it (a client's token is never passed on). While a call runs, the upstream's
log and progress notifications and its server-to-client requests (sampling, elicitation) are
relayed to the client that made the call. Each upstream is reached in whichever era it speaks,
so a 2026-07-28 client reaches a 2025-06-18 server and the reverse. Upstreams are reached over
Streamable HTTP (or the 2024-11-05 HTTP+SSE transport) by `url`, or started as child processes
speaking stdio by `command` (one process per upstream, serving every client; it is restarted if
it exits).

Sessions: each legacy client gets its own session with every HTTP upstream that keeps sessions,
opened when the client initializes, so what an upstream keeps per session (log level,
subscriptions, a tool's own state) is never shared between clients. With session tokens on its
transport (`StreamableHTTP(session_tokens=)`), the client's `Mcp-Session-Id` is an AES-256-GCM
token carrying those upstream session ids: any replica holding the keyring serves any session,
with no sticky routing and no shared store. An upstream session that expired is re-initialized
transparently (the replica that notices keeps the new id). stdio upstreams and 2026-07-28
(stateless) upstreams are shared by all clients.

Notifications outside requests fan in (see `fan_in`): what an upstream announces to everyone
(list changes, updates of resources the clients follow) reaches the gateway's listen streams and
the sessions that share that upstream; what it sends one client's own session is relayed on
that client's standalone stream while it is connected.

Access: an `AccessPolicy` decides per caller which tools, prompts, resources and resource
templates are listed and usable. The caller is whatever the transport put in `CALLER` for this
request (the proxy puts the API key's record there), else the transport's principal for it
(`StreamableHTTP(principal=)`); never what a client says of itself.
Resources the gateway serves itself (the proxy's shared contexts) come from `LocalResources`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, Protocol

import aiohttp
import orjson

from mcproute import tracing
from mcproute._core import Message
from mcproute.oauth_client import AuthorizationRequired
from mcproute.protocol import param_headers
from mcproute.protocol.client.connection import (
    ANNOUNCEMENTS,
    ANSWERING,
    META_CAPABILITIES,
    AnsweredElsewhere,
    MCPConnection,
)
from mcproute.protocol.client.sse_reader import SseCursor
from mcproute.protocol.client.transport import OnNotification, OnRequest
from mcproute.protocol.gateway import forwarding
from mcproute.protocol.gateway.fan_in import UpstreamWatch, relay_session
from mcproute.protocol.gateway.forwarding import HOP_FIELDS, HOP_RESULT_FIELDS
from mcproute.protocol.gateway.held_calls import HeldCalls, held_key
from mcproute.protocol.gateway.namespacing import Namespace
from mcproute.protocol.gateway.relayed_ids import relay_id, relay_target
from mcproute.protocol.gateway.relayed_tasks import RelayedTasks
from mcproute.protocol.gateway.task_status import TaskStatus
from mcproute.protocol.gateway.token_exchange import TokenExchangeSettings
from mcproute.protocol.gateway.upstream_errors import relayed_error
from mcproute.protocol.gateway.upstream_health import (
    UNAVAILABLE,
)
from mcproute.protocol.gateway.upstreams import Listing, Upstream
from mcproute.protocol.gateway.user_links import UpstreamLinks, authorization_error
from mcproute.protocol.jsonrpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    RESOURCE_NOT_FOUND_LEGACY,
    Json,
    MCPError,
)
from mcproute.protocol.server.context import RequestContext, Session
from mcproute.protocol.server.dispatch import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_TTL_MS,
    LIST_FLAGS,
    MCPServer,
    ServerObserver,
)
from mcproute.protocol.server.input_required import INPUT_METHODS, InputRequired
from mcproute.protocol.server.skills import EXTENSION as SKILLS_EXTENSION
from mcproute.protocol.server.tasks import EXTENSION as TASKS_EXTENSION
from mcproute.protocol.server.tasks import METHODS as TASK_METHODS
from mcproute.protocol.server.tasks import STATUS_NOTIFICATION as TASK_STATUS
from mcproute.protocol.server.tasks import declared, missing_capability
from mcproute.redact import redact_url

TASKS_KEY = f'"{TASKS_EXTENSION}"'.encode()  # in a call's bytes: its client may get a task
# (caller, kind "tool"|"resource"|"prompt", upstream, the upstream's own name or URI) -> allowed?
AccessPolicy = Callable[[Any, str, str, str], bool]
CALLER: ContextVar[Any] = ContextVar("mcproute_gateway_caller", default=None)
# Session.carry key: upstream name -> [its session id for this client, negotiated version].
UPSTREAM_SESSIONS = "upstreams"
# What a client may answer: its own capabilities of these kinds are declared upstream for it.
ANSWERABLE = ("sampling", "elicitation", "roots")
MAX_RENEWED = 10_000  # replaced upstream session ids (and relay cursors) kept per replica
UPSTREAM_OPEN_S = 10.0  # for a client's upstream streams to open
RETIRE_WAIT_S = 300.0  # the longest a removed upstream waits for its calls in flight


class GatewayObserver(ServerObserver, Protocol):
    """What the gateway tells monitoring, besides the requests it serves."""

    def upstream_operation(
        self, upstream: str, method: str, tool: str | None, seconds: float, error: str | None
    ) -> None:
        """One operation on an upstream; `error` is the JSON-RPC code (as text),
        "tool_error" for a call whose result is an error, or None."""

    def notification_relayed(self, upstream: str, method: str) -> None: ...


class LocalResources(Protocol):
    """Resources the gateway serves itself, under URIs starting with `prefix`."""

    prefix: str

    async def list(self, caller: Any) -> list[Json]: ...

    async def read(self, caller: Any, uri: str) -> Json | None:
        """The `resources/read` result; None for an unknown URI or one the caller may not read."""
        ...


class Gateway(MCPServer):
    """An MCPServer whose tools, resources and prompts are those of its upstreams."""

    def __init__(
        self,
        upstreams: Mapping[str, str | Mapping[str, Any]],
        *,
        name: str = "mcproute-gateway",
        namespacing: bool = True,
        separator: str = "__",
        access: AccessPolicy | None = None,
        local: LocalResources | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        state_secret: bytes | None = None,
        observer: GatewayObserver | None = None,
        links: UpstreamLinks | None = None,
    ) -> None:
        super().__init__(name, page_size=page_size, state_secret=state_secret)
        # The users' own grants for the upstreams configured with `"auth": {"type": "oauth"}`.
        self.links = links if links is not None else UpstreamLinks()
        self.observer: GatewayObserver | None = observer
        self._http: aiohttp.ClientSession | None = None  # for the clients' upstream sessions
        # (client session, upstream) -> the upstream session that replaced an expired one
        self._renewed: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._held = HeldCalls()  # legacy upstream calls waiting on a stateless client
        # (client session, upstream) -> where the relay of its upstream stream left off
        self._cursors: OrderedDict[tuple[str, str], SseCursor] = OrderedDict()
        self._relays: set[asyncio.Task[None]] = set()
        self.namespace = Namespace(namespacing, separator)
        self.access = access
        self.local = local
        self.upstreams: dict[str, Upstream] = {}
        for key, spec in upstreams.items():
            self.upstreams[key] = Upstream.from_spec(key, spec, name)
        self._watches = {  # a per-user upstream has no gateway-wide stream to watch
            name: self._new_watch(upstream)
            for name, upstream in self.upstreams.items()
            if upstream.oauth is None
        }
        self._retiring: set[asyncio.Task[None]] = set()
        # exposed name -> (upstream, upstream's own name), rebuilt by every list call
        self._tools: dict[str, tuple[str, str]] = {}
        self._prompts: dict[str, tuple[str, str]] = {}
        self._resources: dict[str, str] = {}  # uri -> upstream
        handlers = {
            "tools/list": self._gw_tools_list,
            "tools/call": self._gw_tools_call,
            "resources/list": self._gw_resources_list,
            "resources/templates/list": self._gw_templates_list,
            "resources/read": self._gw_resources_read,
            "resources/subscribe": self._gw_subscribe,
            "resources/unsubscribe": self._gw_subscribe,
            "prompts/list": self._gw_prompts_list,
            "prompts/get": self._gw_prompts_get,
            "completion/complete": self._gw_complete,
            "logging/setLevel": self._gw_set_level,
            "subscriptions/listen": self._gw_listen,
            **dict.fromkeys(TASK_METHODS, self._gw_task),
            "skills/list": self._gw_skills_list,
            "skills/get": self._gw_by_uri,
            "resources/directory/read": self._gw_by_uri,
        }
        self._relayed_tasks = RelayedTasks(self.request_states)
        self._task_status = TaskStatus(self._relayed_tasks, self._deliver_task_status)
        for method, handler in handlers.items():
            self.set_handler(method, handler)
        if tracing.ACTIVE:
            tracing.trace_mcp_methods(self)  # an MCP server span per request
        else:  # traced calls take the ordinary path, where the spans are
            self.set_fast_path("tools/call", self._tools_call_as_bytes)
            self.set_fast_path("prompts/get", self._prompts_get_as_bytes)
            self.set_fast_path("resources/read", self._resources_read_as_bytes)
        self._hop_result = forwarding.hop_result(self._info())
        # A read result is also cacheable for as long as this server says (see `_cacheable`).
        self._hop_read = forwarding.hop_result(
            self._info(), ttlMs=DEFAULT_TTL_MS, cacheScope="private"
        )

    async def close(self) -> None:
        self._held.cancel_all()
        for watch in self._watches.values():
            await watch.stop()
        for task in [*self._relays, *self._retiring]:
            task.cancel()
        await asyncio.gather(*self._relays, *self._retiring, return_exceptions=True)
        for upstream in self.upstreams.values():
            await upstream.close()
        await self.links.close()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def capabilities(self) -> Json:
        extensions: Json = {TASKS_EXTENSION: {}}  # its upstreams' tasks are relayed
        skills = [self._extensions_of(upstream) for upstream in self.upstreams.values()]
        if any(SKILLS_EXTENSION in declared for declared in skills):
            # Skills are resources, relayed as any; a directory read goes where its files are.
            reads = all(s.get(SKILLS_EXTENSION, {}).get("directoryRead") for s in skills if s)
            extensions[SKILLS_EXTENSION] = {"directoryRead": True} if reads else {}
        return {
            "logging": {},
            "completions": {},
            "tools": {"listChanged": True},
            "resources": {"listChanged": True, "subscribe": True},
            "prompts": {"listChanged": True},
            "extensions": extensions,
        }

    def param_header_map(self, tool: str) -> dict[param_headers.Path, str]:
        """An exposed tool's `x-mcp-header` annotations, from its upstream's own listing."""
        routed = self._tools.get(tool)
        if routed is None:
            return {}
        upstream = self.upstreams.get(routed[0])
        return upstream.param_headers.get(routed[1], {}) if upstream is not None else {}

    # --- upstreams -----------------------------------------------------------------------

    def upstream_health(self) -> dict[str, Json]:
        """Each upstream's state for operators: transport and target (a URL without its
        credentials, a command without its arguments), `UpstreamHealth.summary`, calls in
        flight, its timeouts and breaker settings."""
        out: dict[str, Json] = {}
        for name, upstream in self.upstreams.items():
            if upstream.stdio is not None:
                transport, target = "stdio", upstream.stdio.command
            else:
                transport, target = "http", redact_url(upstream.url or "")
            out[name] = {
                "transport": transport,
                "target": target,
                **upstream.health.summary(),
                "calls_in_flight": upstream.calls,
                "timeouts_s": dataclasses.asdict(upstream.timeouts),
                "breaker": dataclasses.asdict(upstream.breaker),
            }
        return out

    def _new_watch(self, upstream: Upstream) -> UpstreamWatch:
        return UpstreamWatch(upstream.name, self._watch_connection(upstream), self._fan_in)

    def set_upstreams(self, upstreams: Mapping[str, str | Mapping[str, Any]]) -> dict[str, str]:
        """Swap in a new set of upstreams (a configuration reload). One with the same name and
        target keeps its connections and its clients' sessions; a new one is added; a removed
        or changed one takes no new calls and is closed once its calls in flight finish.
        Returns name -> "added", "removed", "changed" or "unchanged"."""
        wanted = {
            name: Upstream.from_spec(name, spec, self.name) for name, spec in upstreams.items()
        }
        changes: dict[str, str] = {}
        retired = [u for name, u in self.upstreams.items() if name not in wanted]
        for name in self.upstreams.keys() - wanted.keys():
            changes[name] = "removed"
        current: dict[str, Upstream] = {}
        for name, upstream in wanted.items():
            old = self.upstreams.get(name)
            if old is not None and old.same_target(upstream):
                current[name], changes[name] = old, "unchanged"
                continue
            current[name], changes[name] = upstream, "added" if old is None else "changed"
            if old is not None:
                retired.append(old)
        self.upstreams = current
        for upstream in retired:
            upstream.retired = True
            self._start_retiring(upstream, self._watches.pop(upstream.name, None))
        for name, change in changes.items():
            if change in ("added", "changed") and current[name].oauth is None:
                self._watches[name] = self._new_watch(current[name])
        # Names routed to a replaced upstream are found again by the next listing.
        gone = {u.name for u in retired}
        self._tools = {k: v for k, v in self._tools.items() if v[0] not in gone}
        self._prompts = {k: v for k, v in self._prompts.items() if v[0] not in gone}
        self._resources = {k: v for k, v in self._resources.items() if v not in gone}
        return changes

    def _start_retiring(self, upstream: Upstream, watch: UpstreamWatch | None) -> None:
        async def retire() -> None:
            if watch is not None:
                await watch.stop()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RETIRE_WAIT_S):
                    while upstream.calls:
                        upstream.idle.clear()
                        await upstream.idle.wait()
            await upstream.close()

        task = asyncio.create_task(retire())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def _upstream(self, name: str) -> Upstream:
        upstream = self.upstreams.get(name)
        if upstream is None:  # removed by a reload since the name was listed
            raise MCPError(INVALID_PARAMS, f"upstream {name!r} is no longer configured")
        return upstream

    # --- the clients' own upstream sessions ------------------------------------------------

    def _client_connection(self, upstream: Upstream, session: Session) -> MCPConnection:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        assert upstream.url is not None
        capabilities = {k: v for k, v in session.client_capabilities.items() if k in ANSWERABLE}
        if declared(session.client_capabilities):
            capabilities["extensions"] = {TASKS_EXTENSION: {}}  # its tasks are relayed
        return MCPConnection(
            upstream.url,
            http=self._http,
            headers=upstream.headers,
            capabilities=capabilities,
            client_name=self.name,
            prefer="legacy",
        )

    async def session_started(self, session: Session) -> None:
        """Open this client's session with every HTTP upstream that keeps sessions; an
        upstream that fails now is served through the shared connection."""

        async def open_one(upstream: Upstream) -> list[Any] | None:
            async def open_session() -> MCPConnection | None:
                shared = await upstream.shared_connection()
                transport = shared.transport
                if shared.era != "legacy" or transport is None or not transport.per_client_sessions:
                    return None
                conn = self._client_connection(upstream, session)
                await conn.connect()
                return conn

            try:
                # A slow upstream must not hold the client's initialize for long.
                conn = await upstream.health.guard(
                    "initialize", upstream.timeouts.connect_s, open_session
                )
            except MCPError:
                return None
            if conn is None:
                return None
            return [conn.session_id, conn.version] if conn.session_id else None

        http = [u for u in self.upstreams.values() if u.url is not None and u.oauth is None]
        opened, _ = await asyncio.gather(
            asyncio.gather(*(open_one(upstream) for upstream in http)), self._watch_all()
        )
        session.carry[UPSTREAM_SESSIONS] = {
            u.name: e for u, e in zip(http, opened, strict=True) if e
        }

    def _session_connection(
        self, upstream: Upstream, session: Session | None
    ) -> MCPConnection | None:
        """The client's own session with `upstream`, if it has one."""
        carried = session.carry.get(UPSTREAM_SESSIONS, {}) if session is not None else {}
        entry = carried.get(upstream.name)
        if session is None or entry is None:
            return None
        conn = self._client_connection(upstream, session)
        conn.attach(self._renewed.get((session.id, upstream.name), entry[0]), entry[1])
        return conn

    def _note_renewal(self, conn: MCPConnection, upstream: str, session: Session) -> None:
        """An upstream session expired and the connection opened another: use it from now on
        (on this replica; another one renews its own when it notices)."""
        key = (session.id, upstream)
        carried = session.carry[UPSTREAM_SESSIONS][upstream][0]
        if conn.session_id is not None and conn.session_id != self._renewed.get(key, carried):
            self._renewed[key] = conn.session_id
            while len(self._renewed) > MAX_RENEWED:
                self._renewed.popitem(last=False)

    async def session_ended(self, session: Session) -> None:
        carried = session.carry.get(UPSTREAM_SESSIONS, {})
        for name in carried:
            upstream = self.upstreams.get(name)  # None: removed by a reload
            conn = None if upstream is None else self._session_connection(upstream, session)
            if conn is not None and upstream is not None:
                # DELETE upstream (the shared HTTP client stays open); a hung upstream must not
                # hold the client's own DELETE.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(upstream.timeouts.connect_s):
                        await conn.close()
            self._renewed.pop((session.id, name), None)
            self._cursors.pop((session.id, name), None)
        for uri in session.subscriptions:
            name = self._resources.get(uri)
            if name is not None and name not in carried and name in self._watches:
                await self._watches[name].unfollow(uri)

    async def unclaimed_answer(self, msg: Message, session: Session | None) -> None:
        """A client's answer to a request relayed from its own upstream session, perhaps by
        another replica: to that upstream session, under the upstream's own id."""
        target = relay_target(msg.id)
        carried = session.carry.get(UPSTREAM_SESSIONS, {}) if session is not None else {}
        if target is None or target[0] not in carried or target[0] not in self.upstreams:
            return  # not relayed, or not this session's: nothing waits for it
        name, upstream_id = target
        conn = self._session_connection(self.upstreams[name], session)
        assert conn is not None
        await conn.reply(orjson.dumps({**msg.to_python(), "id": upstream_id}))

    # --- notifications outside requests ----------------------------------------------------

    def _watch_connection(self, upstream: Upstream) -> Callable[[], Awaitable[MCPConnection]]:
        # Where the upstream speaks 2026-07-28, a listen hears what it tells every client.
        return lambda: upstream.stateless_connection()

    async def _watch_all(self) -> None:
        await asyncio.gather(*(watch.start() for watch in list(self._watches.values())))

    async def _fan_in(self, upstream: str, method: str, params: Json) -> None:
        """An upstream's announcement to everyone: to the listen streams, and to the sessions
        that hear that upstream through the gateway's own connection (the others hear it on
        their own upstream session)."""

        def sharing(session: Session) -> bool:
            return upstream not in session.carry.get(UPSTREAM_SESSIONS, {})

        if method == TASK_STATUS:
            self._task_status.on_watch(upstream, params)  # counted once passed on
            return
        told = 0
        kind = method.removeprefix("notifications/").removesuffix("/list_changed")
        if kind in LIST_FLAGS and method == f"notifications/{kind}/list_changed":
            told = await self.notify_list_changed(kind, sessions=sharing)
        elif method == "notifications/resources/updated" and isinstance(params.get("uri"), str):
            told = await self.notify_resource_updated(params["uri"], sessions=sharing)
        if told and self.observer is not None:  # once, however many clients heard it
            self.observer.notification_relayed(upstream, method)

    def _deliver_task_status(
        self, upstream: str, params: Json, principal: str | None, session: Session | None
    ) -> None:
        if self.observer is not None:
            self.observer.notification_relayed(upstream, TASK_STATUS)
        self.notify_task_status(params, principal, session)

    async def _own_session_note(
        self, upstream: str, session: Session, method: str, params: Json
    ) -> None:
        """A notification on the client's own upstream session's stream, passed on to its."""
        if method == TASK_STATUS:
            self._task_status.on_own_session(upstream, params, session)
            return
        if self.observer is not None:
            self.observer.notification_relayed(upstream, method)
        await session.send(method, params)

    async def client_listening(self, session: Session, ended: asyncio.Event) -> None:
        """Relay the client's own upstream sessions' streams to its stream while it is here;
        the client's stream opens once they are open (or could not be)."""
        opened = []
        for name in session.carry.get(UPSTREAM_SESSIONS, {}):
            if name not in self.upstreams:
                continue  # removed by a reload
            opened.append(asyncio.Event())
            self._relay(session, self.upstreams[name], ended, opened[-1])
        if opened:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(UPSTREAM_OPEN_S):
                    await asyncio.gather(*(event.wait() for event in opened))

    def _relay(
        self, session: Session, upstream: Upstream, ended: asyncio.Event, opened: asyncio.Event
    ) -> None:
        key = (session.id, upstream.name)
        cursor = self._cursors.pop(key, None) or SseCursor()
        self._cursors[key] = cursor
        while len(self._cursors) > MAX_RENEWED:
            self._cursors.popitem(last=False)

        def connect() -> MCPConnection:
            conn = self._session_connection(upstream, session)
            assert conn is not None
            return conn

        def renewed(conn: MCPConnection) -> None:
            self._note_renewal(conn, upstream.name, session)

        on_note = functools.partial(self._own_session_note, upstream.name, session)
        task = asyncio.create_task(
            relay_session(session, upstream.name, on_note, connect, cursor, ended, renewed, opened)
        )
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)

    async def _gw_listen(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        """A 2026-07-28 listen: every upstream is watched; the resources it follows are
        followed upstream for as long as it listens."""
        await self._watch_all()
        wanted = (params.get("notifications") or {}).get("resourceSubscriptions") or []
        followed: list[tuple[str, str]] = []
        for uri in wanted:
            if self.local is not None and uri.startswith(self.local.prefix):
                continue
            field = "params.notifications.resourceSubscriptions"
            name = await self._find_upstream(uri, ctx, msg, field)
            if name is not None:  # an unknown URI is honored and never fires, as upstream
                followed.append((name, uri))
        # A reload may swap them; a per-user upstream's updates are not followed.
        watches = [(self._watches[name], uri) for name, uri in followed if name in self._watches]
        try:
            for watch, uri in watches:
                await watch.follow(uri)
            return await self._listen(params, ctx, msg)
        finally:
            for watch, uri in watches:
                await watch.unfollow(uri)

    async def _gw_set_level(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        """The level holds here and in the client's upstream sessions, which then send only
        what it asks for."""
        await self._set_level(params, ctx, msg)
        for name in ctx.session.carry.get(UPSTREAM_SESSIONS, {}) if ctx.session else {}:
            if name not in self.upstreams:
                continue  # removed by a reload
            upstream = self.upstreams[name]
            conn = self._session_connection(upstream, ctx.session)
            if conn is not None and "logging" in self._capabilities_of(name):
                # On failure the upstream's logs stay at its default level.
                with contextlib.suppress(MCPError):
                    await upstream.health.guard(
                        "logging/setLevel",
                        upstream.timeouts.list_s,
                        functools.partial(conn.request, "logging/setLevel", params),
                    )
        return {}

    @staticmethod
    def _extensions_of(upstream: Upstream) -> Json:
        """The extensions an upstream declared, as far as a connection to it has heard."""
        conns = (upstream.connection, upstream.modern_connection)
        return next((c.server_capabilities.get("extensions", {}) for c in conns if c), {})

    def _capabilities_of(self, name: str) -> Json:
        shared = self._upstream(name).connection
        return shared.server_capabilities if shared is not None else {}

    # --- forwarding ------------------------------------------------------------------------

    async def _forward(
        self, upstream_name: str, method: str, params: Json, ctx: RequestContext
    ) -> Json:
        """Forward a call field by field (see `forwarding`)."""
        upstream = self._upstream(upstream_name)
        tool = params.get("name") if method == "tools/call" else None
        call = functools.partial(self._forward_to, upstream, method, params, ctx)
        result: Json = await self._counted(upstream, method, tool, call)
        return result

    async def _counted(
        self,
        upstream: Upstream,
        method: str,
        tool: str | None,
        call: Callable[[], Awaitable[Any]],
    ) -> Any:
        """Run one call to `upstream` under its health guard and call timeout, counted while
        in flight (a reload closes a removed upstream only after its calls have finished) and
        reported to the observer. A reply relayed as bytes (a `Message`) that is an error
        raises it (`forwarding.answered`): the upstream answered, and the call failed."""
        upstream.calls += 1
        started = time.perf_counter()
        error: str | None = None
        try:
            result = await upstream.health.guard(method, upstream.timeouts.call_s, call)
            if isinstance(result, Message):
                failed = forwarding.answered(result).tool_error
            else:
                failed = result.get("isError")
            if failed is True:
                error = "tool_error"
            return result
        except MCPError as exc:
            error = str(exc.code)
            raise
        finally:
            upstream.calls -= 1
            if not upstream.calls:
                upstream.idle.set()
            if self.observer is not None:
                elapsed = time.perf_counter() - started
                self.observer.upstream_operation(upstream.name, method, tool, elapsed, error)

    def _tools_call_as_bytes(self, msg: Message, ctx: RequestContext) -> Awaitable[bytes] | None:
        """The fast path of a tools/call (see `forwarding`): None where it does not apply, and
        the call goes the ordinary way (which also connects an upstream the first time,
        refreshes the listing for a name not seen yet and says why a call is refused)."""
        name = msg.name
        route = self._tools.get(name) if name is not None else None
        if route is None:
            return None
        # A client that may get a task goes the field-by-field way, where the task's id is
        # sealed for it (`relayed_tasks`): the extension's key anywhere in the call is enough.
        session = ctx.session
        if TASKS_KEY in msg.raw or (session and declared(session.client_capabilities)):
            return None
        upstream = self.upstreams.get(route[0])
        if ctx.modern and upstream is not None and upstream.param_headers.get(route[1]):
            return None  # arguments mirrored into headers: the field-by-field way sets them
        return self._as_bytes(msg, ctx, "tool", route, route[1], self._hop_result)

    def _prompts_get_as_bytes(self, msg: Message, ctx: RequestContext) -> Awaitable[bytes] | None:
        """prompts/get's fast path, as tools/call's."""
        name = msg.name
        route = self._prompts.get(name) if name is not None else None
        if route is None:
            return None
        return self._as_bytes(msg, ctx, "prompt", route, route[1], self._hop_result)

    def _resources_read_as_bytes(
        self, msg: Message, ctx: RequestContext
    ) -> Awaitable[bytes] | None:
        """resources/read's fast path, for a URI an upstream listed (the URI goes unchanged);
        the gateway's own resources, templated URIs and ones not listed yet go the ordinary
        way."""
        uri = msg.name
        upstream = self._resources.get(uri) if uri is not None else None
        if upstream is None or uri is None:
            return None
        if self.local is not None and uri.startswith(self.local.prefix):
            return None
        return self._as_bytes(msg, ctx, "resource", (upstream, uri), None, self._hop_read)

    def _as_bytes(
        self,
        msg: Message,
        ctx: RequestContext,
        kind: str,
        route: tuple[str, str],
        rename: str | None,
        hop: bytes,
    ) -> Awaitable[bytes] | None:
        """Forward `msg` as its bytes to the upstream of `route` (its name, and the item's own
        name or URI there), renamed to `rename` if given; the reply relayed as bytes, with
        this hop's members `hop` for a 2026-07-28 client. None where the fast path does not
        apply (see `forwarding`), decided before anything is awaited; else the relay to
        await (`_relayed`)."""
        if not forwarding.forwards_as_bytes(msg):
            return None
        upstream_name, original = route
        upstream = self.upstreams.get(upstream_name)
        # An upstream called with each caller's own OAuth grant goes the ordinary way.
        if upstream is None or upstream.oauth is not None:
            return None
        own: MCPConnection | None = None
        if ctx.modern:
            conn = upstream.modern_connection
            usable = (
                conn is not None and conn.era == "modern" and conn.version == msg.protocol_version
            )
        else:
            own = self._session_connection(upstream, ctx.session)
            conn = own or upstream.connection
            usable = conn is not None and conn.era == "legacy"
        if conn is None or not usable or not self._allowed(ctx, kind, upstream_name, original):
            return None
        # A stateless upstream got the client's own log level: what it sends is due.
        on_note, on_request = self._relay_handlers(
            upstream_name, own, ctx, not ctx.modern and own is None
        )
        call = functools.partial(
            conn.forward, msg, name=rename, on_notification=on_note, on_request=on_request
        )
        tool = original if kind == "tool" else None
        return self._relayed(upstream, msg, tool, call, own, ctx, hop if ctx.modern else None)

    async def _relayed(
        self,
        upstream: Upstream,
        msg: Message,
        tool: str | None,
        call: Callable[[], Awaitable[Message]],
        own: MCPConnection | None,
        ctx: RequestContext,
        hop: bytes | None,
    ) -> bytes:
        """The bytes path's call (`_as_bytes`), counted, and its reply relayed."""
        reply: Message = await self._counted(upstream, msg.method or "", tool, call)
        if own is not None and ctx.session is not None:
            self._note_renewal(own, upstream.name, ctx.session)
        assert msg.id is not None
        return forwarding.relayed_reply(reply, msg.id, hop)

    def _relay_handlers(
        self, upstream_name: str, own: MCPConnection | None, ctx: RequestContext, filtered: bool
    ) -> tuple[OnNotification, OnRequest]:
        """How an upstream call's notifications and requests reach the client that made it,
        from its own upstream session (`own`) or a shared connection. `filtered`: the upstream
        sends every log message (the gateway asked for debug) and this client gets those its
        own level asks for."""

        async def relay_notification(note: str, note_params: Json) -> None:
            if note == TASK_STATUS and own is not None and ctx.session is not None:
                # under the client's id for the task, as on the session's stream
                self._task_status.on_own_session(upstream_name, note_params, ctx.session)
                return
            if note in ANNOUNCEMENTS and own is None:
                return  # a shared connection's news: the upstream's watch tells every client
            if self.observer is not None:
                self.observer.notification_relayed(upstream_name, note)
            if note == "notifications/message" and filtered:
                level = note_params.get("level", "info")
                await ctx.log(level, note_params.get("data"), note_params.get("logger"))
            else:
                await ctx.send(note, note_params)

        async def relay_request(request: str, request_params: Json) -> Json:
            if ctx.modern:  # only a held call can ask a stateless client
                raise MCPError(INVALID_REQUEST, f"{request}: the client cannot be asked here")
            upstream_id = ANSWERING.get()
            if own is not None and upstream_id is not None:
                # The client's own upstream session asks: the relayed id names it, so whichever
                # replica the answer reaches passes it straight on (`unclaimed_answer`).
                relayed = relay_id(upstream_name, upstream_id)
                await ctx.send_request(relayed, request, request_params)
                raise AnsweredElsewhere
            return await ctx.request(request, request_params)

        return relay_notification, relay_request

    async def _forward_to(
        self, upstream: Upstream, method: str, params: Json, ctx: RequestContext
    ) -> Json:
        upstream_name = upstream.name
        own = None if ctx.modern else self._session_connection(upstream, ctx.session)
        if upstream.oauth is not None:
            conn = await self._user_connection(upstream, ctx)
        elif own is not None:
            conn = own
        elif ctx.modern:
            conn = await upstream.stateless_connection()
        else:
            conn = await upstream.shared_connection()
        meta = params.get("_meta") or {}
        # The input rounds' fields are per hop; a tasks/update's inputResponses are the task's.
        hop = HOP_FIELDS if method in INPUT_METHODS else frozenset({"_meta"})
        forwarded = {k: v for k, v in params.items() if k not in hop}
        upstream_meta: Json = {}
        if "progressToken" in meta:
            upstream_meta["progressToken"] = meta["progressToken"]
        if conn.era == "modern" and ctx.log_level is not None:
            upstream_meta["io.modelcontextprotocol/logLevel"] = "debug"
        if conn.era == "modern":
            # The upstream may only ask for input this client can give.
            upstream_meta[META_CAPABILITIES] = ctx.client_capabilities
        if ctx.modern and conn.era == "modern":
            # A retry after an InputRequiredResult: this round's answers and the upstream's own
            # requestState (kept inside ours) go back to the upstream.
            if ctx.input_responses:
                forwarded["inputResponses"] = ctx.input_responses
            if ctx.carried and ctx.carried.get("upstream_state") is not None:
                forwarded["requestState"] = ctx.carried["upstream_state"]
        if upstream_meta:
            forwarded["_meta"] = upstream_meta
        if method == "tools/call" and conn.era == "modern":
            # The upstream's own annotations say which arguments travel as headers.
            tool = str(params.get("name"))
            conn.param_headers[tool] = upstream.param_headers.get(tool, {})

        relay_notification, relay_request = self._relay_handlers(
            upstream_name, own, ctx, own is None
        )

        async def run(on_request: Callable[[str, Json], Awaitable[Json]]) -> Json:
            try:
                return await conn.request(
                    method,
                    forwarded,
                    on_notification=relay_notification,
                    on_request=on_request,
                    # A modern client answers a modern upstream's input requests itself (they
                    # pass through); for a legacy client they become requests on its stream.
                    answer_input=not ctx.modern,
                )
            except MCPError as exc:
                raise relayed_error(exc) from None
            except AuthorizationRequired as exc:  # the user's grant ended (revoked, expired)
                raise authorization_error(
                    exc, upstream_name, _opens_urls(ctx), ctx.principal
                ) from None

        if ctx.modern and conn.era == "legacy" and method in INPUT_METHODS:
            # A legacy upstream asks on the call's stream and waits: hold the call while the
            # stateless client answers through InputRequiredResults.
            key = held_key(ctx.carried)
            if key is not None:
                result = await self._held.resume(key, ctx.input_responses, ctx.principal)
            else:
                result = await self._held.start(run, ctx.supports, ctx.principal)
        else:
            result = await run(relay_request)
        if own is not None and ctx.session is not None:
            self._note_renewal(own, upstream_name, ctx.session)
        if result.get("resultType") == "input_required":
            carry = {"upstream_state": result.get("requestState")}
            raise InputRequired(result.get("inputRequests") or {}, carry)
        if result.get("resultType") == "task" or method in TASK_METHODS:
            result.pop("_meta", None)  # per-hop; a task's resultType and ttlMs are its own
            return result
        for key in HOP_RESULT_FIELDS:
            result.pop(key, None)  # per-hop fields: this server sets its own
        return result

    async def _each(self, method: str, key: str, ctx: RequestContext) -> Listing:
        """`method` on every upstream (all its pages, within its list timeout), its items
        tagged with the upstream's name. An upstream that fails is left out of the listing
        rather than failing it, and named in the listing's `failed`."""

        async def one(upstream: Upstream) -> list[Json] | MCPError:
            async def page_all() -> list[Json]:
                if upstream.oauth is None:
                    return await (await upstream.shared_connection()).paged(method, key)
                if await self._linked(upstream, ctx):
                    conn = await self._user_connection(upstream, ctx)
                    try:
                        return await conn.paged(method, key)
                    except AuthorizationRequired:
                        return []  # the user's grant ended (revoked, expired): unlinked now
                return []  # not linked by this user: nothing of it is theirs to see

            started = time.perf_counter()
            error: str | None = None
            try:
                with tracing.mcp_upstream(upstream.name, method):
                    return await upstream.health.guard(method, upstream.timeouts.list_s, page_all)
            except MCPError as exc:
                error = str(exc.code)
                return exc
            finally:
                if self.observer is not None:
                    elapsed = time.perf_counter() - started
                    self.observer.upstream_operation(upstream.name, method, None, elapsed, error)

        upstreams = list(self.upstreams.values())
        results = await asyncio.gather(*(one(u) for u in upstreams))
        listing = Listing()
        for upstream, result in zip(upstreams, results, strict=True):
            if isinstance(result, MCPError):
                listing.failed[upstream.name] = str(result)
            else:
                listing.listed.add(upstream.name)
                listing.items.extend((upstream.name, item) for item in result)
        return listing

    # --- per-user upstreams ------------------------------------------------------------------

    async def _linked(self, upstream: Upstream, ctx: RequestContext) -> bool:
        assert upstream.url is not None
        assert upstream.oauth is not None
        return await self.links.linked(upstream.url, upstream.oauth, ctx.principal, upstream.name)

    async def _user_connection(self, upstream: Upstream, ctx: RequestContext) -> MCPConnection:
        """The caller's own connection to a per-user upstream, with their token; until they
        have linked it, the error that says where to authorize."""
        assert upstream.url is not None
        assert upstream.oauth is not None
        prefer = "modern" if ctx.modern else "legacy"
        try:
            return await self.links.connection(
                upstream.url, upstream.oauth, ctx.principal, upstream.name, prefer
            )
        except AuthorizationRequired as exc:
            raise authorization_error(exc, upstream.name, _opens_urls(ctx), ctx.principal) from None

    async def complete_link(self, callback_url: str, binding: str | None) -> str:
        """The user's browser is back from authorizing an upstream: store their grant.
        `binding`: the value of the cookie the link URL set in that browser. Returns the
        upstream's name; raises OAuthError (a stale or foreign state, a refused code)."""
        targets = {
            name: (u.url, u.oauth)
            for name, u in self.upstreams.items()
            if u.url is not None and u.oauth is not None
        }
        return (await self.links.complete(callback_url, binding, targets)).upstream

    def _unlinked_owner(self, name: str, ctx: RequestContext) -> Upstream | None:
        """The per-user upstream an unknown name may belong to."""
        per_user = [u for u in self.upstreams.values() if u.oauth is not None]
        if self.namespace.enabled:
            owner = self.upstreams.get(self.namespace.owner(name) or "")
            return owner if owner is not None and owner.oauth is not None else None
        return per_user[0] if len(per_user) == 1 else None

    @staticmethod
    def _caller(ctx: RequestContext) -> Any:
        """What the transport says of the caller, never what the client says of itself."""
        caller = CALLER.get()
        return ctx.principal if caller is None else caller

    def _allowed(self, ctx: RequestContext, kind: str, upstream: str, name: str) -> bool:
        return self.access is None or self.access(self._caller(ctx), kind, upstream, name)

    # --- handlers ------------------------------------------------------------------------

    async def _gw_tools_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        listing = await self._each("tools/list", "tools", ctx)
        for name in listing.listed & self.upstreams.keys():
            own = [tool for upstream, tool in listing.items if upstream == name]
            self.upstreams[name].param_headers = param_headers.header_maps(own)[0]
            self.upstreams[name].health.tools = len(own)
        tools, self._tools = self._exposed(listing, "tool", ctx)
        return listing.report(self._page("tools", tools, params, msg))

    def _exposed(
        self, listing: Listing, kind: str, ctx: RequestContext
    ) -> tuple[list[Json], dict[str, tuple[str, str]]]:
        """The listed tools or prompts the caller may use, under their exposed names, and the
        table routing each exposed name to (upstream, its own name)."""
        items: list[Json] = []
        table: dict[str, tuple[str, str]] = {}
        for upstream, item in listing.items:
            exposed = self.namespace.expose(upstream, item["name"])
            if exposed in table or not self._allowed(ctx, kind, upstream, item["name"]):
                continue
            table[exposed] = (upstream, item["name"])
            items.append({**item, "name": exposed})
        return items, table

    async def _route(
        self, kind: str, name: str, ctx: RequestContext, msg: Message
    ) -> tuple[str, str]:
        """(upstream, its own name) for an exposed tool or prompt name."""
        tables = {"tool": lambda: self._tools, "prompt": lambda: self._prompts}
        if name not in tables[kind]():
            # A client may call before listing (or after a reload): refresh once.
            lister = self.handler(f"{kind}s/list")
            assert lister is not None
            await lister({}, ctx, msg)
        table = tables[kind]()
        if name not in table:
            owner = self._unlinked_owner(name, ctx)
            exchanged = owner is not None and isinstance(owner.oauth, TokenExchangeSettings)
            if owner is not None and (exchanged or not await self._linked(owner, ctx)):
                # raises: where to authorize, or why the exchange failed
                await self._user_connection(owner, ctx)
            raise self._unknown(kind, name)
        upstream, original = table[name]
        if not self._allowed(ctx, kind, upstream, original):
            raise MCPError(INVALID_PARAMS, f"params.name: {kind} {name!r} is not allowed")
        return upstream, original

    def _unknown(self, kind: str, name: str) -> MCPError:
        """A name no upstream listed: where the upstream it may belong to is down, say that
        rather than that the name is unknown."""
        down = [u for u in self.upstreams.values() if u.health.state in ("down", "open")]
        if self.namespace.enabled:
            owner = self.upstreams.get(self.namespace.owner(name) or "")
            if owner is not None and owner in down:
                error = owner.health.unavailable()
                return MCPError(error.code, f"params.name: {kind} {name!r}: {error}", error.data)
        elif down:
            names = ", ".join(repr(u.name) for u in down)
            return MCPError(
                UNAVAILABLE,
                f"params.name: unknown {kind} {name!r} (MCP servers {names} are unavailable,"
                " so their names are not known)",
                {"servers": [u.name for u in down]},
            )
        return MCPError(INVALID_PARAMS, f"params.name: unknown {kind} {name!r}")

    async def _gw_tools_call(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        upstream, original = await self._route("tool", params["name"], ctx, msg)
        with tracing.mcp_upstream(upstream, "tools/call", original):
            result = await self._forward(upstream, "tools/call", {**params, "name": original}, ctx)
        if result.get("resultType") == "task":
            self._task_started(upstream, result, ctx)
            return self._relayed_tasks.expose(upstream, result, ctx.principal)
        return result

    def _task_started(self, upstream: str, result: Json, ctx: RequestContext) -> None:
        """Remember whose task it is, for its status notifications (`task_status`)."""
        task_id = result.get("taskId")
        if not isinstance(task_id, str) or self._upstream(upstream).oauth is not None:
            return  # a per-user upstream is not watched: its tasks are polled
        session = None if ctx.modern else ctx.session
        own = session is not None and upstream in session.carry.get(UPSTREAM_SESSIONS, {})
        self._task_status.started(upstream, task_id, ctx.principal, session, own_session=own)

    async def _gw_task(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        """tasks/get, tasks/update, tasks/cancel: to the upstream whose task it is."""
        method = msg.method or ""
        if not declared(ctx.client_capabilities):
            raise missing_capability(method)
        upstream, forwarded = self._relayed_tasks.route(params, ctx.principal)
        with tracing.mcp_upstream(upstream, method):
            result = await self._forward(upstream, method, forwarded, ctx)
        return {**result, "taskId": params["taskId"]} if "taskId" in result else result

    async def _gw_prompts_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        listing = await self._each("prompts/list", "prompts", ctx)
        prompts, self._prompts = self._exposed(listing, "prompt", ctx)
        return listing.report(self._page("prompts", prompts, params, msg))

    async def _gw_prompts_get(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        name = params["name"]
        upstream, original = await self._route("prompt", name, ctx, msg)
        return await self._forward(upstream, "prompts/get", {**params, "name": original}, ctx)

    async def _gw_resources_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        resources: list[Json] = await self.local.list(self._caller(ctx)) if self.local else []
        table: dict[str, str] = {}
        listing = await self._each("resources/list", "resources", ctx)
        for upstream, resource in listing.items:
            uri = resource["uri"]
            if uri in table or not self._allowed(ctx, "resource", upstream, uri):
                continue
            table[uri] = upstream
            resources.append(resource)
        self._resources = table
        return listing.report(self._page("resources", resources, params, msg))

    async def _gw_templates_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        """Templates the caller may use: the policy is asked about the template itself (a
        `mcp:<server>` scope covers them; `mcp:<server>:<name>` names one `uriTemplate`)."""
        listing = await self._each("resources/templates/list", "resourceTemplates", ctx)
        allowed = [
            template
            for upstream, template in listing.items
            if self._allowed(ctx, "resource", upstream, str(template.get("uriTemplate")))
        ]
        return listing.report(self._page("resourceTemplates", allowed, params, msg))

    async def _upstream_for_uri(self, uri: str, ctx: RequestContext, msg: Message) -> str:
        upstream = await self._find_upstream(uri, ctx, msg, "params.uri")
        if upstream is None:
            raise self._not_found(uri, msg)
        return upstream

    async def _find_upstream(
        self, uri: str, ctx: RequestContext, msg: Message, field: str
    ) -> str | None:
        """The upstream serving `uri`, None if none lists it; one the caller may not use is
        an error naming `field`."""
        if uri not in self._resources:
            await self._gw_resources_list({}, ctx, msg)
        upstream = self._resources.get(uri)
        if upstream is None and len(self.upstreams) == 1:
            upstream = next(iter(self.upstreams))  # templated URIs are not listed: one candidate
        if upstream is not None and not self._allowed(ctx, "resource", upstream, uri):
            raise MCPError(INVALID_PARAMS, f"{field}: resource {uri!r} is not allowed")
        return upstream

    @staticmethod
    def _not_found(uri: str, msg: Message) -> MCPError:
        code = INVALID_PARAMS if msg.era == "modern" else RESOURCE_NOT_FOUND_LEGACY
        return MCPError(code, f"resource not found: {uri!r}", {"uri": uri})

    async def _gw_resources_read(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        uri = params["uri"]
        if self.local is not None and uri.startswith(self.local.prefix):
            result = await self.local.read(self._caller(ctx), uri)
            if result is None:
                raise self._not_found(uri, msg)
            return result
        upstream = await self._upstream_for_uri(params["uri"], ctx, msg)
        return self._cacheable(await self._forward(upstream, "resources/read", params, ctx), msg)

    async def _gw_skills_list(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        """The skills of every upstream that serves them (SEP-2640), those the caller may read."""
        listing = await self._each("skills/list", "skills", ctx)
        skills = [
            skill
            for upstream, skill in listing.items
            if self._allowed(ctx, "resource", upstream, str(skill.get("uri")))
        ]
        return listing.report(self._cacheable({"skills": skills}, msg))

    async def _gw_by_uri(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        """skills/get and resources/directory/read: to the upstream serving files there."""
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise MCPError(INVALID_PARAMS, "params.uri: required, a string")
        upstream = await self._find_upstream(uri, ctx, msg, "params.uri")
        if upstream is None:
            below = uri.rstrip("/") + "/"
            upstream = next((u for r, u in self._resources.items() if r.startswith(below)), None)
        if upstream is None:
            raise MCPError(INVALID_PARAMS, f"params.uri: nothing is served at {uri!r}")
        method = msg.method or ""
        return self._cacheable(await self._forward(upstream, method, params, ctx), msg)

    async def _gw_subscribe(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        uri = params["uri"]
        name = await self._upstream_for_uri(uri, ctx, msg)
        subscribe = msg.method == "resources/subscribe"
        had = ctx.session is not None and uri in ctx.session.subscriptions
        # The client's session records it either way: updates fan in to its subscribers.
        await (self._subscribe if subscribe else self._unsubscribe)(params, ctx, msg)
        if self._session_connection(self._upstream(name), ctx.session) is not None:
            # The client's own upstream session: its updates come on the relayed stream.
            return await self._forward(name, msg.method or "", params, ctx)
        watch = self._watches.get(name)
        if watch is None:
            raise MCPError(
                INVALID_REQUEST, f"resources/subscribe: MCP server {name!r} is per user: "
                "subscriptions to its resources are not relayed"
            )  # fmt: skip
        await watch.start()
        if subscribe and not had:
            await watch.follow(uri)
        elif had and not subscribe:
            await watch.unfollow(uri)
        return {}

    async def _gw_complete(self, params: Json, ctx: RequestContext, msg: Message) -> Json:
        ref = params.get("ref", {})
        if ref.get("type") == "ref/prompt" and "name" in ref:
            upstream, original = await self._route("prompt", ref["name"], ctx, msg)
            forwarded = {**params, "ref": {**ref, "name": original}}
            return await self._forward(upstream, "completion/complete", forwarded, ctx)
        if ref.get("type") == "ref/resource" and len(self.upstreams) == 1:
            return await self._forward(
                next(iter(self.upstreams)), "completion/complete", params, ctx
            )
        return {"completion": {"values": [], "hasMore": False}}


def _opens_urls(ctx: RequestContext) -> bool:
    """Whether the client takes URL elicitations (2025-11-25 `elicitation.url`)."""
    elicitation = ctx.client_capabilities.get("elicitation")
    return isinstance(elicitation, dict) and "url" in elicitation
