"""HTTP proxies from the environment for the lean upstream client (`upstream_client`), with
the standard semantics (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`, lower case first, as
`urllib.request` reads them): plain HTTP goes to the proxy as absolute-form requests, HTTPS
through a `CONNECT` tunnel with TLS to the origin inside it (certificates checked against the
origin's name, as without a proxy). Credentials in a proxy URL are sent as
`Proxy-Authorization: Basic` and appear in no error message.
"""

from __future__ import annotations

import asyncio
import base64
import re
import urllib.request
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies_environment

_bypass: Callable[[str, dict[str, str]], bool] = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # not in typeshed

_MAX_HEAD = 64 * 1024
_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})[ \r]")


class ProxyError(ConnectionError):
    """The proxy could not be used: a URL we cannot speak, or a tunnel it refused."""


class ProxyRoute(NamedTuple):
    host: str
    port: int
    authorization: str | None  # the Proxy-Authorization value, or None without credentials


class EnvironmentProxies:
    """Which proxy, if any, serves each origin: the environment read once, when made."""

    def __init__(self, proxies: dict[str, str] | None = None) -> None:
        self._proxies = getproxies_environment() if proxies is None else proxies
        self._routes: dict[tuple[str, str, int], ProxyRoute | None] = {}

    def route(self, scheme: str, host: str, port: int) -> ProxyRoute | None:
        key = (scheme, host, port)
        if key not in self._routes:
            self._routes[key] = self._find(scheme, host, port)
        return self._routes[key]

    def _find(self, scheme: str, host: str, port: int) -> ProxyRoute | None:
        url = self._proxies.get(scheme)
        if not url:
            return None
        named = f"[{host}]" if ":" in host else host
        if _bypass(f"{named}:{port}", self._proxies):
            return None
        return _parse(url, scheme)


def _parse(url: str, scheme: str) -> ProxyRoute:
    parts = urlsplit(url if "://" in url else "http://" + url)
    variable = f"{scheme.upper()}_PROXY"
    if parts.scheme != "http":  # the URL is not quoted: it may hold credentials
        raise ProxyError(f"{variable}: only http:// proxies are supported")
    try:
        host, port = parts.hostname, parts.port or 80
    except ValueError:  # a port that is not a number
        raise ProxyError(f"{variable}: not a valid proxy URL") from None
    if not host:
        raise ProxyError(f"{variable}: not a valid proxy URL")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return ProxyRoute(host, port, authorization)


class _TunnelReply(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT: its head, and nothing after it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.head: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.head.done():  # bytes after the head, before TLS started: not a tunnel
            assert self.transport is not None
            self.transport.close()
            return
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end >= 0:
            if end + 4 < len(self.buffer):
                self.head.set_exception(ProxyError("proxy sent bytes after its CONNECT reply"))
            else:
                self.head.set_result(bytes(self.buffer[:end]))
        elif len(self.buffer) > _MAX_HEAD:
            self.head.set_exception(ProxyError("proxy's CONNECT reply head too long"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head.done():
            self.head.set_exception(ConnectionResetError("proxy closed the connection"))


async def open_tunnel(route: ProxyRoute, host: str, port: int) -> asyncio.Transport:
    """A TCP connection to `host:port` through the proxy's CONNECT, ready for TLS."""
    loop = asyncio.get_running_loop()
    transport, tunnel = await loop.create_connection(_TunnelReply, route.host, route.port)
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    if route.authorization is not None:
        lines.append(f"Proxy-Authorization: {route.authorization}")
    transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    try:
        head = await tunnel.head
        status = _STATUS.match(head + b"\r")
        if status is None:
            raise ProxyError("proxy's CONNECT reply is not HTTP/1.x")
        code = int(status.group(1))
        if not 200 <= code < 300:
            raise ProxyError(f"proxy refused CONNECT with status {code}")
    except BaseException:
        transport.close()
        raise
    return transport
