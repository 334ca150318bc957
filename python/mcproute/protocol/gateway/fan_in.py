"""Notifications that belong to no request, from a gateway's upstreams to its clients.

Each client hears what it would hear talking to the upstream directly, on one of two paths:

- `UpstreamWatch`: one stream per upstream and process for what the upstream announces to
  everyone: a `subscriptions/listen` where it speaks 2026-07-28, else the standalone GET stream
  of the gateway's own session with it (or its stdio or HTTP+SSE channel). The gateway passes
  list changes on to its listen streams and to the legacy sessions that have no session of
  their own with that upstream, resource updates to those subscribed, and the status of the
  tasks started on the gateway's connections to their callers (`task_status`). The resource URIs the
  clients follow are counted: a listen is reopened with the new set; over a legacy session the
  gateway subscribes upstream for the first follower and unsubscribes after the last.
- `relay_session`: a legacy client with its own session at an upstream gets that session's
  standalone stream relayed to its own while its stream is connected to this process: what
  the upstream sends that session alone (a list change it made for this client, updates of
  this client's subscriptions, logs at its level, its tasks' status, requests to it), through
  the gateway's `on_note`.

Both reconnect with a growing delay (up to 30 s) while the upstream is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from mcproute._core import ProtocolError
from mcproute.protocol.client.connection import (
    ANSWERING,
    AnsweredElsewhere,
    HTTPStatusError,
    MCPConnection,
)
from mcproute.protocol.client.sse_reader import SseCursor
from mcproute.protocol.gateway.relayed_ids import relay_id
from mcproute.protocol.jsonrpc import METHOD_NOT_FOUND, Json, MCPError
from mcproute.protocol.server.context import RequestContext, Session
from mcproute.protocol.server.dispatch import LIST_FLAGS
from mcproute.protocol.server.tasks import EXTENSION as TASKS_EXTENSION

# (upstream, notification method, its params) -> passed on to the clients
Deliver = Callable[[str, str, Json], Awaitable[None]]
RETRY_MIN_S = 0.5
RETRY_MAX_S = 30.0
OPEN_WAIT_S = 5.0  # how long a caller waits for a watch to be open before going on
UPSTREAM_GONE = (MCPError, ProtocolError, OSError, aiohttp.ClientError, TimeoutError)
log = logging.getLogger("mcproute.mcp.gateway")


class UpstreamWatch:
    """What one upstream announces to everyone, passed to `deliver` for as long as it runs."""

    def __init__(
        self, name: str, connect: Callable[[], Awaitable[MCPConnection]], deliver: Deliver
    ) -> None:
        self.name = name
        self._connect = connect
        self._deliver = deliver
        self._uris: Counter[str] = Counter()  # resource URIs followed -> followers
        self._task: asyncio.Task[None] | None = None
        self._conn: MCPConnection | None = None
        self._ready = asyncio.Event()  # the stream is open with the current URIs (or failed)
        self._changed = asyncio.Event()  # a listen must be reopened with new URIs

    async def start(self) -> None:
        """Watch from now on. Waits (briefly) for the stream to be open, so that what the
        upstream announces after this returns is not missed."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        await self._wait_ready()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def follow(self, uri: str) -> None:
        """One more client follows `uri`'s updates."""
        self._uris[uri] += 1
        if self._uris[uri] == 1:
            await self._refollow(uri, subscribe=True)

    async def unfollow(self, uri: str) -> None:
        if self._uris[uri] <= 0:
            return
        self._uris[uri] -= 1
        if not self._uris[uri]:
            del self._uris[uri]
            await self._refollow(uri, subscribe=False)

    async def _refollow(self, uri: str, *, subscribe: bool) -> None:
        conn = self._conn
        if conn is None:
            return  # the next stream is opened with the current URIs
        if conn.era == "modern":
            self._ready.clear()
            self._changed.set()
            await self._wait_ready()
        else:
            await _subscribe(conn, uri, subscribe)

    async def _wait_ready(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), OPEN_WAIT_S)

    def _filter(self, capabilities: Json) -> Json:
        """Every list change and task status (where the upstream has tasks); updates of the
        URIs followed."""
        wanted: Json = {flag: True for flag in LIST_FLAGS.values()}
        if TASKS_EXTENSION in capabilities.get("extensions", {}):
            wanted[TASKS_EXTENSION] = True  # of the tasks the gateway's connections started
        if self._uris:
            wanted["resourceSubscriptions"] = sorted(self._uris)
        return wanted

    async def _note(self, method: str, params: Json) -> None:
        params = {k: v for k, v in params.items() if k != "_meta"}  # the upstream's listen id
        try:
            await self._deliver(self.name, method, params)
        except Exception:  # one client's failure must not end everyone's stream
            log.exception("%s: passing on %s failed", self.name, method)

    async def _run(self) -> None:
        backoff = RETRY_MIN_S
        loop = asyncio.get_running_loop()
        while True:
            self._ready.clear()
            self._changed.clear()
            started = loop.time()
            try:
                conn = self._conn = await self._connect()
                if not _announces(conn.server_capabilities):
                    log.info("%s: announces no changes: not watched", self.name)
                    self._ready.set()
                    return
                if conn.era != "modern":
                    for uri in list(self._uris):  # a new session, or a restarted process
                        await _subscribe(conn, uri, True)
                wanted = self._filter(conn.server_capabilities)
                watch = asyncio.ensure_future(
                    conn.watch(self._note, notifications=wanted, opened=self._ready)
                )
                changed = asyncio.ensure_future(self._changed.wait())
                try:
                    done, _ = await asyncio.wait({watch, changed}, return_when="FIRST_COMPLETED")
                finally:
                    for task in (watch, changed):
                        task.cancel()
                    await asyncio.gather(watch, changed, return_exceptions=True)
                if changed in done:
                    continue  # reopen at once with the new URIs
                watch.result()
            except MCPError as e:
                no_stream = isinstance(e, HTTPStatusError) and e.status == 405
                if no_stream or e.code == METHOD_NOT_FOUND:
                    log.info("%s: no stream for notifications outside requests", self.name)
                    self._ready.set()
                    return
                log.info("%s: watching for notifications: %s", self.name, e)
            except UPSTREAM_GONE as e:
                log.info("%s: watching for notifications: %s", self.name, e)
            self._ready.set()  # nobody should wait for a stream that is not there
            if loop.time() - started > RETRY_MAX_S:
                backoff = RETRY_MIN_S  # it ran for a while: this is a new outage
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RETRY_MAX_S)


def _announces(capabilities: Json) -> bool:
    """Whether a server with these capabilities may send what a watch is for."""
    lists = any(capabilities.get(kind, {}).get("listChanged") for kind in LIST_FLAGS)
    tasks = TASKS_EXTENSION in capabilities.get("extensions", {})
    return lists or tasks or bool(capabilities.get("resources", {}).get("subscribe"))


async def _subscribe(conn: MCPConnection, uri: str, subscribe: bool) -> None:
    if not conn.server_capabilities.get("resources", {}).get("subscribe"):
        return
    method = "resources/subscribe" if subscribe else "resources/unsubscribe"
    try:
        await conn.request(method, {"uri": uri})
    except UPSTREAM_GONE as e:
        log.info("%s %s: %s", method, uri, e)


class _Standalone:
    """The client's standalone stream as an Outbound, for requests relayed onto it."""

    def __init__(self, session: Session, ended: asyncio.Event) -> None:
        self.session = session
        self.ended = ended

    async def send(self, message: bytes) -> None:
        if self.session.outbox is not None:
            await self.session.outbox(message)

    async def close(self) -> None:
        pass  # the standalone stream is the client's to end

    async def wait_closed(self) -> None:
        await self.ended.wait()


async def relay_session(
    session: Session,
    upstream: str,
    on_note: Callable[[str, Json], Awaitable[None]],
    connect: Callable[[], MCPConnection],
    cursor: SseCursor,
    ended: asyncio.Event,
    renewed: Callable[[MCPConnection], None],
    opened: asyncio.Event,
) -> None:
    """Relay the standalone stream of `session`'s own upstream session (`connect` attaches to
    it) to the client's own stream until `ended`: its notifications through `on_note`, its
    requests as requests; `opened` is set once the upstream stream is
    open (or could not be). `cursor` resumes the upstream stream where a previous relay left
    it; an expired upstream session is renewed (`renewed` is told)."""
    outbound = _Standalone(session, ended)
    ctx = RequestContext(
        session, None, session.log_level, outbound, client_capabilities=session.client_capabilities
    )

    async def ask(method: str, params: Json) -> Json:
        # Answered through whichever replica the client's answer reaches (see relayed_ids).
        await ctx.send_request(relay_id(upstream, ANSWERING.get() or ""), method, params)
        raise AnsweredElsewhere

    backoff = RETRY_MIN_S
    while not ended.is_set():
        conn = connect()
        try:
            if await _until(ended, conn.watch(on_note, ask, cursor=cursor, opened=opened)):
                backoff = RETRY_MIN_S  # the upstream ended it: open it again
        except HTTPStatusError as e:
            if e.status == 405:
                break  # the upstream offers no such stream
            if e.status == 404:
                # The upstream forgot the session: any request re-initializes it.
                with contextlib.suppress(*UPSTREAM_GONE):
                    await conn.request("ping")
                    renewed(conn)
                    cursor.last_id = None
                    continue
        except UPSTREAM_GONE as e:
            log.info("relaying a session's stream: %s", e)
        opened.set()  # the client's stream does not wait for an upstream that is away
        await _until(ended, asyncio.sleep(backoff))
        backoff = min(backoff * 2, RETRY_MAX_S)
    opened.set()


async def _until(ended: asyncio.Event, work: Awaitable[Any]) -> bool:
    """Run `work` until it finishes (True; its errors are raised) or `ended` is set (False)."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(ended.wait())
    try:
        await asyncio.wait({task, stop}, return_when="FIRST_COMPLETED")
    finally:
        for t in (task, stop):
            t.cancel()
        await asyncio.gather(task, stop, return_exceptions=True)
    if task.cancelled():
        return False
    task.result()
    return True
