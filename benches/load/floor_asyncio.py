"""The floor: a bare pass-through proxy on raw asyncio protocols (uvloop). Each request's bytes go
as they are to a pooled keep-alive upstream connection and the reply's bytes come back as they
arrive; nothing is parsed but where each message ends. No auth, limits, metrics or routing:
what Python cannot go below.

    python -m benches.load.floor_asyncio PORT UPSTREAM_PORT [--busy-us N]

`--busy-us N` makes it a calibration instead: N µs of pure computation before each of its two
writes (the request upstream, the reply back), so it spends as much CPU per request as a
heavier proxy, all of it on the request's path, with no stall of any kind (no threads, no
timers, no allocations). What its latency distribution then shows is what the host gives any
process that spends that much CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time

import uvloop


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Small replies go out at once (uvloop sets it too; this makes it explicit)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Framing:
    """Where one HTTP/1.1 message ends (Content-Length or chunked; no trailers, no pipelining)."""

    def __init__(self) -> None:
        self.pending = b""
        self.in_head = True
        self.left = 0  # bytes of body (or of the current chunk and its CRLF) still to come
        self.chunked = self.last = False

    def done(self, data: bytes) -> bool:
        """Feed bytes; True when they complete the message (the framing is then reset)."""
        data = self.pending + data
        self.pending = b""
        while True:
            if self.in_head:
                end = data.find(b"\r\n\r\n")
                if end < 0:
                    self.pending = data
                    return False
                head, data = data[:end].lower(), data[end + 4 :]
                self.in_head, self.chunked, self.last = False, b"chunked" in head, False
                at = head.find(b"content-length:")
                self.left = 0 if at < 0 else int(head[at + 15 :].split(b"\r\n", 1)[0])
                if not self.chunked and self.left == 0:
                    self.in_head = True
                    return True
            take = min(self.left, len(data))
            self.left -= take
            data = data[take:]
            if self.left:
                return False
            if not self.chunked or self.last:
                self.in_head = True
                return True
            line_end = data.find(b"\r\n")
            if line_end < 0:
                self.pending = data
                return False
            size = int(data[:line_end].split(b";", 1)[0], 16)
            data = data[line_end + 2 :]
            self.left, self.last = size + 2, size == 0


class Upstream(asyncio.Protocol):
    """One keep-alive connection to the upstream, lent to one request at a time."""

    def __init__(self, pool: list[Upstream]) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.client: Client | None = None
        self.framing = Framing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        no_delay(transport)

    def data_received(self, data: bytes) -> None:
        client = self.client
        if client is None:
            return
        client.transport.write(data)
        if self.framing.done(data):
            self.client = None
            client.upstream = None
            self.pool.append(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self in self.pool:
            self.pool.remove(self)
        if self.client is not None:
            self.client.transport.close()


class Client(asyncio.Protocol):
    upstream_type = Upstream

    def __init__(self, pool: list[Upstream], port: int) -> None:
        self.pool, self.port = pool, port
        self.upstream: Upstream | None = None
        self.waiting: list[bytes] | None = None  # bytes that came while connecting upstream

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        no_delay(transport)

    def data_received(self, data: bytes) -> None:
        if self.waiting is not None:
            self.waiting.append(data)
        elif self.upstream is not None:
            self.upstream.transport.write(data)  # type: ignore[union-attr]
        elif self.pool:
            self.upstream = self.pool.pop()
            self.upstream.client = self
            self.upstream.transport.write(data)  # type: ignore[union-attr]
        else:
            self.waiting = [data]
            self.connecting = asyncio.ensure_future(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        _, upstream = await loop.create_connection(
            lambda: self.upstream_type(self.pool), "127.0.0.1", self.port
        )
        waiting, self.waiting = self.waiting or [], None
        self.upstream, upstream.client = upstream, self
        upstream.transport.write(b"".join(waiting))  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.upstream is not None:  # mid-reply: that upstream connection is not reusable
            self.upstream.client = None
            self.upstream.transport.close()  # type: ignore[union-attr]


def busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def busy_protocols(seconds: float) -> type[Client]:
    """A `Client` (and its `Upstream`) that computes for `seconds` before each write
    (subclasses, so the plain floor's path has no extra call)."""

    class BusyUpstream(Upstream):
        def data_received(self, data: bytes) -> None:
            if self.client is not None:  # bytes to relay: a write follows
                busy(seconds)
            super().data_received(data)

    class BusyClient(Client):
        upstream_type = BusyUpstream

        def data_received(self, data: bytes) -> None:
            busy(seconds)
            super().data_received(data)

    return BusyClient


async def main(port: int, upstream_port: int, busy_us: float) -> None:
    pool: list[Upstream] = []
    client = busy_protocols(busy_us / 1e6) if busy_us else Client
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: client(pool, upstream_port), "127.0.0.1", port)
    await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benches.load.floor_asyncio")
    parser.add_argument("port", type=int)
    parser.add_argument("upstream_port", type=int)
    parser.add_argument("--busy-us", type=float, default=0.0, help="computation per write")
    args = parser.parse_args(sys.argv[1:])
    uvloop.run(main(args.port, args.upstream_port, args.busy_us))
