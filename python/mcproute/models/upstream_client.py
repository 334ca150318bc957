"""A lean HTTP/1.1 client for the non-streaming JSON POSTs to providers, on the loop's own
transports (uvloop in `serve`): in the load benchmark aiohttp's client costs more CPU per
request than all of a bare pass-through proxy (docs/architecture.md, "Hot path").

What it keeps of aiohttp's client: keep-alive connections pooled per host with the same
limits (`PoolSettings`), idle ones dropped after the keep-alive time; TLS with the default
context's certificate and host name checks; the `aiohttp.ClientTimeout` of the attempt (total,
connect, and read: the longest wait for the next bytes); replies framed strictly
(`reply_framing`). Failures raise what aiohttp's would, so `classify_exception` maps them the
same way: `TimeoutError`, `ConnectionError` (refused, reset, closed early, a reply that may not
be read), `aiohttp.ClientPayloadError` (a body cut short). HTTP proxies are taken from the
environment as aiohttp's `trust_env` takes them (`upstream_proxy`). Streams, GETs and requests
with trace headers stay on aiohttp's client.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from typing import NamedTuple

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from mcproute.models.reply_framing import ReplyFramingError, ReplyParser
from mcproute.models.upstream_proxy import EnvironmentProxies, ProxyError, ProxyRoute, open_tunnel


class UpstreamConnectError(ConnectionError):
    """No connection: refused, unreachable, no such host, or its certificate not accepted."""


class Reply(NamedTuple):
    status: int
    headers: CIMultiDict[str]
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = ReplyParser()
        self.waiter: asyncio.Future[Reply] | None = None
        self.open = True
        self.idle_since = 0.0
        self._read_timeout: float | None = None
        self._deadline: float | None = None  # loop time the whole request must end by
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def start(
        self, request: bytes, read_timeout: float | None, deadline: float | None
    ) -> asyncio.Future[Reply]:
        """Send `request`; the reply, or TimeoutError when no bytes come for `read_timeout`
        seconds or the loop's clock passes `deadline` (one timer for both)."""
        loop = asyncio.get_running_loop()
        self.parser = ReplyParser()
        self.waiter = loop.create_future()
        self._read_timeout, self._deadline = read_timeout, deadline
        self._arm()
        assert self.transport is not None
        self.transport.write(request)
        return self.waiter

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        when = self._deadline
        if self._read_timeout is not None:
            read_by = asyncio.get_running_loop().time() + self._read_timeout
            when = read_by if when is None else min(when, read_by)
        if when is not None:
            self._timer = asyncio.get_running_loop().call_at(when, self._timed_out)

    def _timed_out(self) -> None:
        self._timer = None
        self._fail(TimeoutError("upstream read timed out"))

    def _fail(self, exc: BaseException) -> None:
        self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():  # bytes while idle: this connection is unusable
            self.close()
            return
        try:
            complete = self.parser.feed(data)
        except ReplyFramingError as exc:
            self._fail(exc)
            return
        if complete:
            self._settle()
        else:
            self._arm()

    def eof_received(self) -> bool | None:
        if self.waiter is not None and not self.waiter.done() and self.parser.finish_at_eof():
            self.parser.keep_alive = False
            self._settle()
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.waiter is not None and not self.waiter.done():
            if self.parser.started:
                error: BaseException = aiohttp.ClientPayloadError("upstream reply cut short")
            else:
                error = ConnectionResetError("upstream closed the connection")
            self.waiter.set_exception(error)

    def _settle(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        parser = self.parser
        if not parser.keep_alive:
            self.close()
        assert self.waiter is not None
        self.waiter.set_result(Reply(parser.status, parser.headers, parser.body))

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()


_Key = tuple[str, str, int]  # scheme, host, port


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
        self._all = asyncio.Semaphore(limit) if limit else None
        self._per_host: dict[_Key, asyncio.Semaphore] = {}
        self._heads: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[_Key, bytes]] = {}
        self.closed = False

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()  # certificates and host names checked
        return self._ssl

    async def post(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        http_timeout: aiohttp.ClientTimeout | None,
    ) -> Reply:
        if self.closed:
            raise aiohttp.ClientConnectionError("upstream client closed")
        key, head = self._head(url, headers)
        request = b"%s%d\r\n\r\n%s" % (head, len(body), body)
        total = read = None
        if http_timeout is not None:
            total, read = http_timeout.total, http_timeout.sock_read
        deadline = None if total is None else asyncio.get_running_loop().time() + total
        slots = [s for s in (self._all, self._host_slot(key)) if s is not None]
        conn: _Connection | None = None
        done = False
        taken: list[asyncio.Semaphore] = []
        try:
            if all(not s.locked() for s in slots) and (conn := self._reuse(key)) is not None:
                for slot in slots:  # free: taken at once, no wait to bound
                    await slot.acquire()
                    taken.append(slot)
            else:
                async with asyncio.timeout_at(deadline):  # a wait for a slot or a connection
                    for slot in slots:
                        await slot.acquire()
                        taken.append(slot)
                    conn = self._reuse(key) or await self._connect(key, http_timeout)
            reply = await conn.start(request, read, deadline)
            done = True
            return reply
        finally:
            if conn is not None:
                if done and conn.open:
                    conn.idle_since = time.monotonic()
                    self._idle.setdefault(key, []).append(conn)
                elif not done:
                    conn.close()  # cancelled or failed mid-reply: never reused
            for slot in taken:
                slot.release()

    def _host_slot(self, key: _Key) -> asyncio.Semaphore | None:
        if not self.limit_per_host:
            return None
        slot = self._per_host.get(key)
        if slot is None:
            slot = self._per_host[key] = asyncio.Semaphore(self.limit_per_host)
        return slot

    def _reuse(self, key: _Key) -> _Connection | None:
        idle = self._idle.get(key)
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
        try:
            async with asyncio.timeout(limit):  # the tunnel and the TLS handshake included
                if route is None:
                    _, conn = await loop.create_connection(
                        _Connection, host, port, ssl=tls, server_hostname=host if tls else None
                    )
                elif tls is None:  # absolute-form requests to the proxy (`_new_head`)
                    _, conn = await loop.create_connection(_Connection, route.host, route.port)
                else:
                    conn = await self._through_tunnel(route, host, port, tls)
        except TimeoutError:
            raise  # the connect timeout, a timeout as with aiohttp
        except ProxyError as exc:
            raise UpstreamConnectError(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:  # refused, no such host, a certificate refused
            raise UpstreamConnectError(f"{type(exc).__name__}") from exc
        return conn

    @staticmethod
    async def _through_tunnel(
        route: ProxyRoute, host: str, port: int, tls: ssl.SSLContext
    ) -> _Connection:
        raw = await open_tunnel(route, host, port)
        conn = _Connection()
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
        cache_key = (url, tuple(headers.items()))
        found = self._heads.get(cache_key)
        if found is None:
            if len(self._heads) >= 1024:  # URLs and headers are the configuration's: few
                self._heads.clear()
            found = self._heads[cache_key] = self._new_head(url, headers)
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
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports finish closing
