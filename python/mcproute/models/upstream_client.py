"""A lean HTTP/1.1 client for the POSTs to providers, JSON replies and streams alike, on the
loop's own transports (uvloop in `serve`): in the load benchmark aiohttp's client costs more CPU
per request than all of a bare pass-through proxy (docs/architecture.md, "Hot path").

What it keeps of aiohttp's client: keep-alive connections pooled per host with the same
limits (`PoolSettings`), idle ones dropped after the keep-alive time; TLS with the default
context's certificate and host name checks; the `aiohttp.ClientTimeout` of the attempt (total,
connect, and read: the longest wait for the next bytes, not counted while a stream's reader is
behind); replies framed strictly (`reply_framing`, the head parsed in the Rust core); a
stream's body handed over as it arrives, with back-pressure on the socket. Failures raise what
aiohttp's would, so `classify_exception` maps them the same way: `TimeoutError`,
`ConnectionError` (refused, reset, closed early, a reply that may not be read),
`aiohttp.ClientPayloadError` (a body cut short). HTTP proxies are taken from the environment
as aiohttp's `trust_env` takes them (`upstream_proxy`).

Timeouts cost no timer per request: each connection with a request in flight keeps its own
deadline (a number), and one timer per client, armed at the earliest of them, fails the
connections whose deadline has passed and re-arms itself at the next
(`earliest_timer.EarliestTimer`).

A connection closed to stop its upstream's work (a cancelled request: the losers of an
ensemble's race) may be opened again in the background, idle, once the caller that stopped it
says its own work is done (`Replacements`): the next race sends on open connections instead of
setting one up on its critical path.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import ssl
import time
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, cast

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from mcproute.earliest_timer import EarliestTimer
from mcproute.models.reply_framing import MAX_BODY, ReplyFramingError, ReplyParser
from mcproute.models.upstream_proxy import EnvironmentProxies, ProxyError, ProxyRoute, open_tunnel

# A stream's socket is paused while this much of its body waits for its reader.
_HIGH_WATER = 256 * 1024
# A stream released before its body's end (its last event read, the chunked terminator not yet
# in) keeps its connection if the end comes within this many bytes and seconds.
_DRAIN_BYTES = 64 * 1024
_DRAIN_SECONDS = 1.0
# The connect timeout of a replacement connection (`Replacements`), which no request waits on.
_REPLACEMENT_TIMEOUT = aiohttp.ClientTimeout(sock_connect=10.0)


class UpstreamConnectError(ConnectionError):
    """No connection: refused, unreachable, no such host, or its certificate not accepted."""


class Reply:
    """A whole reply; its headers made a mapping only when read (error replies)."""

    __slots__ = ("_parser", "body", "status")

    def __init__(self, parser: ReplyParser) -> None:
        self.status = parser.status
        self.body = parser.body
        self._parser = parser

    @property
    def headers(self) -> CIMultiDict[str]:
        return self._parser.headers


class Replacements:
    """The connections closed to stop their requests' upstream work (the requests cancelled
    in a context where `REPLACEMENTS` holds this), each opened again, idle, in the background
    once `due()` says the work that stopped them is over (a race's winner has streamed):
    opening them earlier would compete with it. One per connection closed, and only while the
    pool has room (`UpstreamClient._replace`); idle ones age out as any other."""

    __slots__ = ("_closed", "_due")

    def __init__(self) -> None:
        self._closed: list[tuple[UpstreamClient, _Key]] = []
        self._due = False

    def closed(self, client: UpstreamClient, key: _Key) -> None:
        if self._due:
            client._replace(key)
        else:
            self._closed.append((client, key))

    def due(self) -> None:
        """From now on, open the connections closed (and those closed later) again."""
        self._due = True
        closed, self._closed = self._closed, []
        for client, key in closed:
            client._replace(key)


# Set by whoever cancels requests to stop their upstream (each racing member's own task).
REPLACEMENTS: contextvars.ContextVar[Replacements | None] = contextvars.ContextVar(
    "mcproute_replacements", default=None
)


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time, its reply whole or streamed."""

    def __init__(self, deadlines: EarliestTimer) -> None:
        self.transport: asyncio.Transport | None = None
        self._deadlines = deadlines
        self.parser = ReplyParser()
        self.waiter: asyncio.Future[Reply | StreamReply] | None = None
        self.stream: StreamReply | None = None
        self.open = True
        self.idle_since = 0.0
        self.expires = math.inf  # loop time: the earlier of the total deadline and read-by
        self._read_timeout: float | None = None
        self._deadline = math.inf  # loop time the whole request must end by
        self._streaming = False
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def start(
        self, request: bytes, read_timeout: float | None, deadline: float | None, stream: bool
    ) -> asyncio.Future[Reply | StreamReply]:
        """Send `request`; the reply (or, with `stream`, its head and a body to read), or
        TimeoutError when no bytes come for `read_timeout` seconds or the loop's clock passes
        `deadline`."""
        loop = asyncio.get_running_loop()
        self.parser = ReplyParser(None if stream else MAX_BODY)
        self.waiter = loop.create_future()
        self.stream = None
        self._streaming = stream
        self._read_timeout = read_timeout
        self._deadline = math.inf if deadline is None else deadline
        self.expires = self._deadline
        if read_timeout is not None:
            self.expires = min(self.expires, loop.time() + read_timeout)
        if self._paused:  # given back paused (its reader was behind): it reads again
            self.resume()
        if self.expires != math.inf:
            self._deadlines.watch(self)
        assert self.transport is not None
        self.transport.write(request)
        return self.waiter

    def _read_again(self) -> None:
        """Bytes came (or the reader caught up): the read timeout starts over."""
        if self._read_timeout is not None and not self._paused:
            self.expires = min(
                self._deadline, asyncio.get_running_loop().time() + self._read_timeout
            )

    def timed_out(self) -> None:
        self._fail(TimeoutError("upstream read timed out"))

    def _fail(self, exc: BaseException) -> None:
        self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        elif self.stream is not None:
            self.stream.failed(exc)

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or (waiter.done() and self.stream is None):
            self.close()  # bytes while idle: this connection is unusable
            return
        parser = self.parser
        try:
            complete = parser.feed(data)
        except ReplyFramingError as exc:
            if self._streaming and parser.head_done:
                self._hand_over(waiter, False)  # a stream's reader gets what came before
            self._fail(exc)
            return
        if not self._streaming:
            if complete:
                self._settle()
            elif self._read_timeout is not None:
                self._read_again()
            return
        if not parser.head_done:
            self._read_again()
            return
        self._hand_over(waiter, complete)
        if complete:
            self._ended()
        else:
            self._read_again()

    def _hand_over(self, waiter: asyncio.Future[Reply | StreamReply], complete: bool) -> None:
        """A stream's body so far to its reader (its head first, once)."""
        if self.stream is None:
            self.stream = StreamReply(self, self.parser)
            waiter.set_result(self.stream)
        self.stream.arrived(self.parser.take(), complete)

    def eof_received(self) -> bool | None:
        parser = self.parser
        if self.waiter is not None and parser.finish_at_eof():
            if self.stream is not None:
                parser.keep_alive = False
                self.stream.arrived([], True)
                self._ended()
            elif not self.waiter.done():
                parser.keep_alive = False
                self._settle()
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._deadlines.forget(self)
        if self.parser.started:
            error: BaseException = aiohttp.ClientPayloadError("upstream reply cut short")
        else:
            error = ConnectionResetError("upstream closed the connection")
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)
        elif self.stream is not None:
            self.stream.failed(error)

    def _settle(self) -> None:
        self._ended()
        assert self.waiter is not None
        self.waiter.set_result(Reply(self.parser))

    def _ended(self) -> None:
        """The reply is complete: no timeout applies any more."""
        self.expires = math.inf
        self._deadlines.forget(self)
        if not self.parser.keep_alive:
            self.close()

    def pause(self) -> None:
        if not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
            self.expires = self._deadline  # the reader is behind, not the upstream

    def resume(self) -> None:
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
            self._read_again()
            self._deadlines.moved(self.expires)  # the timer may have found it paused, and stopped

    def drain_by(self, when: float) -> None:
        """The rest of the body is read and dropped, and must end by `when`."""
        self._deadline = when
        self.expires = min(self.expires, when)
        self._deadlines.watch(self)
        self.resume()

    def close(self) -> None:
        self.open = False
        self._deadlines.forget(self)
        if self.transport is not None:
            self.transport.close()


class StreamReply:
    """A reply read as it arrives: `status` and `headers` at once, then `async for piece in
    reply` (bytes, as they came); `release()` always (a reader that stops early closes the
    connection, so the upstream stops sending)."""

    def __init__(self, conn: _Connection, parser: ReplyParser) -> None:
        self.status = parser.status
        self._parser = parser
        self._conn = conn
        self._pieces: deque[bytes] = deque()
        self._queued = 0
        self._ended = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._release: Callable[[bool, bool], None] | None = None  # set by the client
        self._draining: Callable[[bool], None] | None = None  # released, awaiting its end

    @property
    def headers(self) -> CIMultiDict[str]:
        return self._parser.headers

    @property
    def complete(self) -> bool:
        return self._ended and not self._pieces

    def arrived(self, pieces: list[bytes], ended: bool) -> None:
        if self._draining is not None:
            self._queued += sum(map(len, pieces))
            if ended or self._queued > _DRAIN_BYTES:
                self._ended = ended
                draining, self._draining = self._draining, None
                draining(ended)
            return
        for piece in pieces:
            self._pieces.append(piece)
            self._queued += len(piece)
        self._ended = self._ended or ended
        if self._queued > _HIGH_WATER and not ended:  # resumed once the reader takes them
            self._conn.pause()
        self._wake()

    def failed(self, exc: BaseException) -> None:
        if not self._ended and self._error is None:
            self._error = exc
            self._wake()
            if self._draining is not None:
                draining, self._draining = self._draining, None
                draining(False)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> StreamReply:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self._pieces:
                pieces = self._pieces
                piece = pieces.popleft() if len(pieces) == 1 else b"".join(pieces)
                pieces.clear()
                self._queued = 0
                self._conn.resume()
                return piece
            if self._ended:
                raise StopAsyncIteration
            if self._error is not None:
                raise self._error
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def read(self, limit: int = 1024 * 1024) -> bytes:
        """The rest of the body, up to `limit` bytes (an error reply's, to be classified: its
        first bytes are enough, and a stream's body has no size limit of its own)."""
        pieces, size = [], 0
        async for piece in self:
            pieces.append(piece)
            size += len(piece)
            if size >= limit:
                break
        return b"".join(pieces)[:limit]

    def release(self, *, read_to_end: bool = False, stopped: bool = False) -> None:
        """Give the connection back: at once if the body was read to its end, or, with
        `read_to_end` (the reader saw the stream's last event), once the rest of the body has
        come and been dropped, if it comes soon; else it is closed (`stopped`: to stop the
        upstream's work, a cancelled reader, so it may be replaced: `Replacements`)."""
        if self._release is None:
            return
        release, self._release = self._release, None
        if self.complete or not read_to_end or self._error is not None or not self._conn.open:
            release(self.complete, stopped and not self.complete and self._conn.open)
            return
        # The body usually ends in the next bytes (the chunked terminator after the last event)
        self._draining = lambda whole: release(whole, False)
        self._pieces.clear()
        self._queued = 0
        self._conn.drain_by(asyncio.get_running_loop().time() + _DRAIN_SECONDS)


_Key = tuple[str, str, int]  # scheme, host, port


class _Slots:
    """A limit on connections in use, like `asyncio.Semaphore` but taken without a coroutine
    when one is free; a freed slot goes to the longest waiter."""

    __slots__ = ("_waiters", "free")

    def __init__(self, limit: int) -> None:
        self.free = limit
        self._waiters: deque[asyncio.Future[None]] = deque()

    def take_now(self) -> bool:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        if self.take_now():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over, then cancelled before it could be used
            raise

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on, never freed in between
                return
        self.free += 1


class UpstreamClient:
    """Pooled keep-alive connections to the providers of one event loop."""

    def __init__(
        self,
        limit: int = 512,
        limit_per_host: int = 128,
        keepalive_seconds: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        proxies: EnvironmentProxies | None = None,
    ) -> None:
        self._proxies = EnvironmentProxies() if proxies is None else proxies
        self.limit_per_host = limit_per_host or 0
        self.keepalive_seconds = keepalive_seconds
        self._ssl = ssl_context
        self._idle: dict[_Key, list[_Connection]] = {}
        self._all = _Slots(limit) if limit else None
        self._per_host: dict[_Key, _Slots] = {}
        self._heads: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[_Key, bytes]] = {}
        # The same lookup by the headers' identity, which holds them (so their id is never
        # another's): an endpoint's headers are never changed in place (`Endpoint`), so a
        # request with the same mapping needs no key built from its items.
        self._heads_of: dict[tuple[str, int], tuple[Mapping[str, str], _Key, bytes]] = {}
        self._deadlines = EarliestTimer()
        self._opening: set[asyncio.Task[None]] = set()  # replacement connections (`_replace`)
        self.closed = False

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()  # certificates and host names checked
        return self._ssl

    def post(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        http_timeout: aiohttp.ClientTimeout | None,
    ) -> Coroutine[Any, Any, Reply]:
        """A POST whose reply is read whole (the request's own coroutine: no frame around it)."""
        return cast("Coroutine[Any, Any, Reply]", self._request(url, headers, body, http_timeout))

    def stream(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        http_timeout: aiohttp.ClientTimeout | None,
    ) -> Coroutine[Any, Any, StreamReply]:
        """A POST whose reply is read as it arrives: done once its head is in. The caller
        must `release()` it; the timeouts hold until then."""
        request = self._request(url, headers, body, http_timeout, stream=True)
        return cast("Coroutine[Any, Any, StreamReply]", request)

    async def _request(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        http_timeout: aiohttp.ClientTimeout | None,
        stream: bool = False,
    ) -> Reply | StreamReply:
        if self.closed:
            raise aiohttp.ClientConnectionError("upstream client closed")
        key, head = self._head(url, headers)
        request = b"%s%d\r\n\r\n%s" % (head, len(body), body)
        total = read = None
        if http_timeout is not None:
            total, read = http_timeout.total, http_timeout.sock_read
        deadline = None if total is None else asyncio.get_running_loop().time() + total
        host = self._host_slots(key)
        conn = None
        taken: list[_Slots] = []
        if self._take_now(host, taken):
            conn = self._reuse(key)
        done = stopped = False
        try:
            if conn is None:
                async with asyncio.timeout_at(deadline):  # a wait for a slot or a connection
                    for slots in (self._all, host):
                        if slots is not None and slots not in taken:
                            await slots.take()
                            taken.append(slots)
                    conn = self._reuse(key) or await self._connect(key, http_timeout)
            reply = await conn.start(request, read, deadline, stream)
            done = True
        except asyncio.CancelledError:
            stopped = True
            raise
        finally:
            if not done:
                if conn is not None:
                    conn.close()  # cancelled or failed mid-reply: never reused
                for slots in taken:
                    slots.release()
                if stopped:
                    self._stopped(key)
        lent = conn
        if isinstance(reply, StreamReply):
            reply._release = lambda whole, cut: self._give_back(key, lent, taken, whole, cut)
        else:
            self._give_back(key, lent, taken, True)
        return reply

    def _take_now(self, host: _Slots | None, taken: list[_Slots]) -> bool:
        """Both slots if they are free at once (no wait to bound), else none."""
        for slots in (self._all, host):
            if slots is not None:
                if not slots.take_now():
                    for held in taken:
                        held.release()
                    taken.clear()
                    return False
                taken.append(slots)
        return True

    def _give_back(
        self, key: _Key, conn: _Connection, taken: list[_Slots], whole: bool, stopped: bool = False
    ) -> None:
        if whole and conn.open:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(key, []).append(conn)
        else:
            conn.close()  # a body left unread, or a reply that ends the connection
        for slots in taken:
            slots.release()
        if stopped:
            self._stopped(key)

    def _stopped(self, key: _Key) -> None:
        """A request to `key` was cancelled and its connection closed (or its connection
        setup abandoned): told to the context's `Replacements`, if it keeps them."""
        replacements = REPLACEMENTS.get()
        if replacements is not None:
            replacements.closed(self, key)

    def _replace(self, key: _Key) -> None:
        """Open one idle connection to `key` in the background, if the pool has room for it:
        a free slot now (held while it connects), and fewer connections to the host, idle and
        in use, than its limit."""
        if self.closed:
            return
        host = self._host_slots(key)
        if host is not None:
            in_use = self.limit_per_host - host.free
            if len(self._idle.get(key, ())) + in_use >= self.limit_per_host:
                return
        taken: list[_Slots] = []
        if not self._take_now(host, taken):
            return
        task = asyncio.get_running_loop().create_task(self._open_idle(key, taken))
        self._opening.add(task)
        task.add_done_callback(self._opening.discard)

    async def _open_idle(self, key: _Key, taken: list[_Slots]) -> None:
        try:
            conn = await self._connect(key, _REPLACEMENT_TIMEOUT)
        except (OSError, TimeoutError):
            return  # nobody waits on it: the next request connects, and fails, as usual
        finally:
            for slots in taken:
                slots.release()
        if self.closed:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.setdefault(key, []).append(conn)

    def _host_slots(self, key: _Key) -> _Slots | None:
        if not self.limit_per_host:
            return None
        slots = self._per_host.get(key)
        if slots is None:
            slots = self._per_host[key] = _Slots(self.limit_per_host)
        return slots

    def _reuse(self, key: _Key) -> _Connection | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.open and now - conn.idle_since < self.keepalive_seconds:
                return conn
            conn.close()
        return None

    async def _connect(self, key: _Key, http_timeout: aiohttp.ClientTimeout | None) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        limit = None
        if http_timeout is not None:
            limit = http_timeout.sock_connect or http_timeout.connect
        tls = self._context() if scheme == "https" else None
        route = self._proxies.route(scheme, host, port)

        def made() -> _Connection:
            return _Connection(self._deadlines)

        try:
            async with asyncio.timeout(limit):  # the tunnel and the TLS handshake included
                if route is None:
                    _, conn = await loop.create_connection(
                        made, host, port, ssl=tls, server_hostname=host if tls else None
                    )
                elif tls is None:  # absolute-form requests to the proxy (`_new_head`)
                    _, conn = await loop.create_connection(made, route.host, route.port)
                else:
                    conn = await self._through_tunnel(made(), route, host, port, tls)
        except TimeoutError:
            raise  # the connect timeout, a timeout as with aiohttp
        except ProxyError as exc:
            raise UpstreamConnectError(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:  # refused, no such host, a certificate refused
            raise UpstreamConnectError(f"{type(exc).__name__}") from exc
        return conn

    @staticmethod
    async def _through_tunnel(
        conn: _Connection, route: ProxyRoute, host: str, port: int, tls: ssl.SSLContext
    ) -> _Connection:
        raw = await open_tunnel(route, host, port)
        try:
            secured = await asyncio.get_running_loop().start_tls(
                raw, conn, tls, server_hostname=host
            )
        except BaseException:
            raw.close()
            raise
        if secured is None:  # the tunnel closed during the handshake
            raise ConnectionResetError("proxy closed the tunnel")
        conn.connection_made(secured)
        return conn

    def _head(self, url: str, headers: Mapping[str, str]) -> tuple[_Key, bytes]:
        """Where to connect, and the request head up to its Content-Length value: built once
        per URL and headers."""
        same = self._heads_of.get((url, id(headers)))
        if same is not None and same[0] is headers:
            return same[1], same[2]
        cache_key = (url, tuple(headers.items()))
        found = self._heads.get(cache_key)
        if found is None:
            if len(self._heads) >= 1024:  # URLs and headers are the configuration's: few
                self._heads.clear()
                self._heads_of.clear()
            found = self._heads[cache_key] = self._new_head(url, headers)
        if len(self._heads_of) >= 1024:  # mappings replaced over time (refreshed tokens)
            self._heads_of.clear()
        self._heads_of[(url, id(headers))] = (headers, *found)
        return found

    def _new_head(self, url: str, headers: Mapping[str, str]) -> tuple[_Key, bytes]:
        target = URL(url)
        scheme, host, port = target.scheme, target.raw_host, target.port
        if scheme not in ("http", "https") or not host or port is None:
            raise aiohttp.InvalidURL(url)
        named = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
        authority = named if target.is_default_port() else f"{named}:{port}"
        request_target = target.raw_path_qs
        extra: list[str] = []
        if scheme == "http" and (route := self._proxies.route(scheme, host, port)) is not None:
            request_target = f"http://{authority}{request_target}"  # absolute form, for a proxy
            if route.authorization is not None:
                extra.append(f"Proxy-Authorization: {route.authorization}")
        lines = [f"POST {request_target} HTTP/1.1", f"Host: {authority}", *extra]
        for name, value in headers.items():
            if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
                continue
            if any(c in value for c in "\r\n\0") or any(c in name for c in "\r\n\0: "):
                raise ValueError(f"header {name!r}: not a valid header")
            lines.append(f"{name}: {value}")
        head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        return (scheme, host, port), head

    async def close(self) -> None:
        self.closed = True
        self._deadlines.close()
        for task in list(self._opening):
            task.cancel()
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports finish closing
