"""HTTP proxies from the environment (`models/upstream_proxy.py`): the lean client's posts and
streams go through a forwarding proxy started here (absolute-form requests for
plain HTTP, CONNECT tunnels for HTTPS, Basic credentials required), to aiohttp upstreams on TCP
and on TLS with a CA made in the test; `NO_PROXY` bypasses it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from mcproute.models.http import (
    Endpoint,
    PoolSettings,
    close_session,
    configure_pool,
    open_stream,
    post_json,
)
from mcproute.models.upstream_client import UpstreamClient
from mcproute.models.upstream_proxy import EnvironmentProxies, ProxyError
from upstream_support import make_test_ca, serve_fixture  # noqa: F401  # the `serve` fixture

USER, PASSWORD = "proxyuser", "p@ss:word"
QUOTED = "http://proxyuser:p%40ss%3Aword@127.0.0.1:{port}"


class ForwardingProxy:
    """An HTTP/1.1 forwarding proxy: CONNECT tunnels, absolute-form requests rewritten to
    origin form; every request it sees is recorded by its first line."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, lines = self._accepted(head)
            if method is None:
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n")
                writer.write(b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
                return
            url = urlsplit(target)
            up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port)
            replies = asyncio.create_task(_pipe(up_reader, writer))
            while method is not None and method != "CONNECT":  # each request on the connection
                url = urlsplit(target)
                assert url.scheme == "http", target  # absolute form only
                assert url.hostname, target
                kept = [line for line in lines if not line.lower().startswith("proxy-")]
                origin_form = f"{method} {url.path or '/'} HTTP/1.1"
                up_writer.write(("\r\n".join([origin_form, *kept]) + "\r\n\r\n").encode())
                length = next(
                    (int(line.split(":", 1)[1]) for line in lines
                     if line.lower().startswith("content-length:")), 0
                )  # fmt: skip
                up_writer.write(await reader.readexactly(length))
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                method, target, lines = self._accepted(head)
            up_writer.close()
            await replies
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _accepted(self, head: bytes) -> tuple[str | None, str, list[str]]:
        """The request's method, target and header lines; no method without the credentials."""
        first, *lines = head.decode("latin-1").split("\r\n")
        self.seen.append(first)
        lines = [line for line in lines if line]
        fields = dict(line.split(": ", 1) for line in lines)
        method, target, _ = first.split(" ")
        if fields.get("Proxy-Authorization") != self.expected:
            return None, target, lines
        return method, target, lines


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[ForwardingProxy, int]]:
    forwarding = ForwardingProxy()
    port = await forwarding.start()
    yield forwarding, port
    await forwarding.stop()


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "path": request.path,
            "body": body.decode(),
            "proxied": "Proxy-Authorization" in request.headers,
        }
    )


@pytest.fixture
async def plain_via_proxy(
    serve: Callable[..., Awaitable[str]],
    proxy: tuple[ForwardingProxy, int],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[ForwardingProxy, str]:
    """HTTP_PROXY naming the forwarding proxy, and the URL of a plain-HTTP upstream."""
    forwarding, port = proxy
    monkeypatch.setenv("HTTP_PROXY", QUOTED.format(port=port))
    return forwarding, await serve(_echo)


async def test_plain_http_goes_to_the_proxy_in_absolute_form_with_its_credentials(
    plain_via_proxy: tuple[ForwardingProxy, str],
) -> None:
    forwarding, base = plain_via_proxy
    client = UpstreamClient()
    try:
        for n in range(2):
            reply = await client.post(base + "/v1/chat", {}, b'{"n": %d}' % n, None)
            assert reply.status == 200
            assert (
                reply.body == b'{"path": "/v1/chat", "body": "{\\"n\\": %d}", "proxied": false}' % n
            )
    finally:
        await client.close()
    assert forwarding.seen == [f"POST {base}/v1/chat HTTP/1.1"] * 2
    assert forwarding.connections == 1  # kept alive


async def test_https_goes_through_a_connect_tunnel_with_the_origins_certificate_checked(
    serve: Callable[..., Awaitable[str]],
    proxy: tuple[ForwardingProxy, int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    forwarding, port = proxy
    server_tls, trusting = make_test_ca(tmp_path)
    base = await serve(_echo, server_tls)
    origin = base.removeprefix("https://")
    monkeypatch.setenv("HTTPS_PROXY", QUOTED.format(port=port))
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # not the one for https
    trusted, default = UpstreamClient(ssl_context=trusting), UpstreamClient()
    try:
        reply = await trusted.post(base + "/v1/chat", {}, b"{}", None)
        assert reply.body == b'{"path": "/v1/chat", "body": "{}", "proxied": false}'
        with pytest.raises(ConnectionError) as raised:  # the system's CAs: not the test CA
            await default.post(base + "/v1/chat", {}, b"{}", None)
        assert isinstance(raised.value.__cause__, ssl.SSLCertVerificationError)
    finally:
        await trusted.close()
        await default.close()
    assert forwarding.seen == [f"CONNECT {origin} HTTP/1.1"] * 2


async def test_no_proxy_bypasses_the_proxy(
    plain_via_proxy: tuple[ForwardingProxy, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    forwarding, base = plain_via_proxy
    monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.1")
    client = UpstreamClient()
    try:
        assert (await client.post(base + "/x", {}, b"{}", None)).status == 200
    finally:
        await client.close()
    assert forwarding.seen == []


async def test_refused_credentials_are_a_connection_failure_that_does_not_name_them(
    serve: Callable[..., Awaitable[str]],
    proxy: tuple[ForwardingProxy, int],
    tmp_path: Path,
) -> None:
    _, port = proxy
    server_tls, trusting = make_test_ca(tmp_path)
    base = await serve(_echo, server_tls)
    wrong = EnvironmentProxies({"https": f"http://{USER}:wrong-secret@127.0.0.1:{port}"})
    client = UpstreamClient(ssl_context=trusting, proxies=wrong)
    try:
        with pytest.raises(ConnectionError) as raised:
            await client.post(base + "/x", {}, b"{}", None)
    finally:
        await client.close()
    assert "407" in str(raised.value)
    assert "wrong-secret" not in repr(raised.value)
    assert USER not in repr(raised.value)


def test_a_proxy_url_we_cannot_speak_is_refused_without_quoting_it() -> None:
    proxies = EnvironmentProxies({"https": "socks5://u:secret@127.0.0.1:1080"})
    with pytest.raises(ProxyError) as raised:
        proxies.route("https", "api.example.com", 443)
    assert "HTTPS_PROXY" in str(raised.value)
    assert "secret" not in str(raised.value)


async def test_streams_take_the_proxy_from_the_environment_too(
    serve: Callable[..., Awaitable[str]],
    proxy: tuple[ForwardingProxy, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forwarding, port = proxy

    async def events(request: web.Request) -> web.StreamResponse:
        if request.path == "/v1/lean":
            return web.json_response({})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"n": 1}\n\n')
        await response.write(b"data: [DONE]\n\n")
        return response

    base = await serve(events)
    monkeypatch.setenv("HTTP_PROXY", QUOTED.format(port=port))
    try:
        async with open_stream(Endpoint(base, {}, "d"), "/v1/chat", {}, None) as stream:
            received = [event.data async for event in stream]
        assert received[0] == b'{"n": 1}'
        await post_json(Endpoint(base, {}, "d"), "/v1/lean", {}, None)
    finally:
        await close_session()
    assert forwarding.seen == [f"POST {base}/v1/chat HTTP/1.1", f"POST {base}/v1/lean HTTP/1.1"]


async def test_streams_take_origin_credentials_from_netrc_as_trust_env_does(
    serve: Callable[..., Awaitable[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On aiohttp's client (the lean client off, or tracing on), ~/.netrc's login for the
    provider's host goes on a stream without its own Authorization header; a request that has
    one keeps it (aiohttp would refuse both). The lean client reads no ~/.netrc."""
    seen: list[str | None] = []

    async def events(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Authorization"))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"n": 1}\n\ndata: [DONE]\n\n')
        return response

    base = await serve(events)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {urlsplit(base).hostname} login netuser password netpass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    configure_pool(PoolSettings(lean_client=False))
    try:
        for headers in ({}, {}, {"Authorization": "Bearer sk-own"}):
            async with open_stream(Endpoint(base, headers, "d"), "/v1/chat", {}, None) as stream:
                assert [event.data async for event in stream] == [b'{"n": 1}', b"[DONE]"]
    finally:
        configure_pool(PoolSettings())
        await close_session()
    basic = "Basic " + base64.b64encode(b"netuser:netpass").decode()
    assert seen == [basic, basic, "Bearer sk-own"]
