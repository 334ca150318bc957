"""Message channels for MCPConnection: transports on which the server's messages arrive on a
stream of their own instead of as the reply to a POST.

- `StdioChannel`: a child process speaking newline-delimited JSON-RPC on stdin/stdout (every
  revision). Its stderr goes to the `mcproute.mcp.stdio` logger (INFO; when the child exits
  without being asked to, its last lines again at WARNING). The child gets a minimal
  environment (`INHERITED_ENV`: what finds and runs programs, and the proxy and CA settings a
  child needs to reach the network the way the parent does; or the names an entry's
  `inheritEnv` lists) plus the configured variables, so the parent's secrets do not leak into
  it; on close, stdin is closed, then SIGTERM, then SIGKILL, as the lifecycle asks.
- `SseChannel`: the 2024-11-05 HTTP+SSE transport. A GET opens the event stream, whose first
  `endpoint` event names the URL the client POSTs its messages to (same origin only).

A channel only moves bytes: the connection matches replies to requests by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import shlex
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import aiohttp

from mcproute.protocol.server import MAX_MESSAGE_BYTES, MCPError
from mcproute.protocol.sse_reader import SseCursor, events
from mcproute.redact import redact_url

Deliver = Callable[[bytes], Awaitable[None]]
Ended = Callable[[str], None]

log = logging.getLogger("mcproute.mcp.stdio")
CONNECTION_CLOSED = -32000  # implementation-defined: the transport is gone
# What a child inherits from our environment (as the official SDKs do): enough to find and run
# programs and to reach the network through the same proxy and CAs, nothing that could hold a
# credential (a proxy URL with credentials in it is the operator's choice to pass on).
INHERITED_ENV = (
    "HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
    "no_proxy", "all_proxy", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
)  # fmt: skip
EXIT_GRACE_S = 2.0  # per shutdown step: after closing stdin, after SIGTERM
ENDPOINT_WAIT_S = 30.0  # for the HTTP+SSE `endpoint` event
STDERR_TAIL_LINES = 20  # of a stdio child's stderr, kept to explain its failure


class Channel(ABC):
    """A bidirectional message stream. `open` starts delivering the server's messages, one
    at a time and in order, to `deliver`; `ended(reason)` is called once when the stream is
    gone (the process exited, the SSE stream closed)."""

    def __init__(self) -> None:
        self.ended_reason: str | None = None
        self._ended: Ended | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @abstractmethod
    async def open(self, deliver: Deliver, ended: Ended) -> None: ...

    @abstractmethod
    async def send(self, message: bytes) -> None: ...

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._end("the connection was closed")

    def _end(self, reason: str) -> None:
        if self.ended_reason is None:
            self.ended_reason = reason
            if self._ended is not None:
                self._ended(reason)

    def _closed_error(self) -> MCPError:
        return MCPError(CONNECTION_CLOSED, f"the connection is closed: {self.ended_reason}")

    def _pump(self, messages: AsyncIterator[bytes], deliver: Deliver, reason: str) -> None:
        """Deliver `messages` in the background; the channel ends when they run out."""

        async def run() -> None:
            why = reason
            try:
                async for message in messages:
                    await deliver(message)
            except MCPError as e:
                why = str(e)
            except (OSError, aiohttp.ClientError) as e:
                why = f"{reason}: {e}"
            self._end(why)

        self._tasks.append(asyncio.create_task(run()))


@dataclass(frozen=True)
class StdioServer:
    """How to start an MCP server that speaks stdio (the `command` form of `mcpServers`)."""

    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    inherit: tuple[str, ...] = INHERITED_ENV  # the parent's variables the child gets

    def __str__(self) -> str:
        return shlex.join([self.command, *self.args])

    def environment(self) -> dict[str, str]:
        inherited = {k: os.environ[k] for k in self.inherit if k in os.environ}
        return {**inherited, **self.env}


class StdioChannel(Channel):
    def __init__(self, server: StdioServer) -> None:
        super().__init__()
        self.server = server
        self._proc: asyncio.subprocess.Process | None = None
        self._closing = False  # a live child is being stopped: its exit is no failure
        self._relay: asyncio.Task[None] | None = None
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    async def open(self, deliver: Deliver, ended: Ended) -> None:
        self._ended = ended
        try:
            self._proc = await asyncio.create_subprocess_exec(
                self.server.command,
                *self.server.args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self.server.environment(),
                cwd=self.server.cwd,
                limit=MAX_MESSAGE_BYTES + 1,
            )
        except OSError as e:
            # The command alone: its arguments may carry credentials.
            self._end(f"cannot start {self.server.command}: {e.strerror or e}")
            raise self._closed_error() from None
        assert self._proc.stdout is not None
        assert self._proc.stderr is not None
        self._pump(self._messages(self._proc.stdout), deliver, f"{self.server.command} exited")
        # A fresh context: the child outlives the request that started it, so its lines must
        # not carry that request's id.
        relay = self._relay_stderr(self._proc, self._proc.stderr)
        self._relay = asyncio.create_task(relay, context=contextvars.Context())
        self._tasks.append(self._relay)

    async def _messages(self, stdout: asyncio.StreamReader) -> AsyncIterator[bytes]:
        while True:
            try:
                line = await stdout.readline()
            except ValueError:
                raise MCPError(
                    CONNECTION_CLOSED,
                    f"{self.server.command} sent a message over {MAX_MESSAGE_BYTES}",
                ) from None
            if not line:
                return
            if line.strip():
                yield line.strip()

    async def _relay_stderr(
        self, proc: asyncio.subprocess.Process, stderr: asyncio.StreamReader
    ) -> None:
        tail = self.stderr_tail
        while line := await stderr.readline():
            text = line.decode(errors="replace").rstrip()
            tail.append(text)
            log.info("%s: %s", self.server.command, text)
        status = await proc.wait()
        if not self._closing:  # it failed: say so where operators look, with what it said
            said = "\n".join(f"  {t}" for t in tail) if tail else "  (nothing on stderr)"
            log.warning(
                "%s exited with status %s; its last stderr lines:\n%s",
                self.server.command,
                status,
                said,
            )

    async def send(self, message: bytes) -> None:
        proc = self._proc
        if self.ended_reason is not None or proc is None or proc.stdin is None:
            raise self._closed_error()
        try:
            proc.stdin.write(message + b"\n")
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            self._end(f"{self.server.command} exited")
            raise self._closed_error() from None

    async def close(self) -> None:
        proc = self._proc
        self._closing = self.ended_reason is None
        if not self._closing and self._relay is not None:  # it exited: let it be reported
            await asyncio.wait({self._relay}, timeout=EXIT_GRACE_S)
        if proc is not None and proc.returncode is None:
            if proc.stdin is not None:
                proc.stdin.close()
            for stop in (None, proc.terminate, proc.kill):
                if stop is not None:
                    with contextlib.suppress(ProcessLookupError):
                        stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), EXIT_GRACE_S)
                    break
        await super().close()


class SseChannel(Channel):
    """The 2024-11-05 HTTP+SSE transport."""

    def __init__(self, http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> None:
        super().__init__()
        self._http = http
        self.url = url
        self._headers = headers
        self.endpoint: str | None = None
        self._response: aiohttp.ClientResponse | None = None

    async def open(self, deliver: Deliver, ended: Ended) -> None:
        self._ended = ended
        headers = {**self._headers, "Accept": "text/event-stream"}
        # The stream lives as long as the connection: no total timeout.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
        resp = await self._http.get(self.url, headers=headers, timeout=timeout)
        self._response = resp
        if resp.status != 200 or resp.content_type != "text/event-stream":
            resp.release()
            raise MCPError(
                CONNECTION_CLOSED, f"HTTP+SSE: GET {redact_url(self.url)}: HTTP {resp.status}"
            )
        stream = events(resp.content, SseCursor())
        try:
            async with asyncio.timeout(ENDPOINT_WAIT_S):
                async for kind, data in stream:
                    if kind == "endpoint":
                        self.endpoint = self._check_endpoint(data.decode(errors="replace"))
                        break
        except TimeoutError:
            pass
        if self.endpoint is None:
            resp.release()
            raise MCPError(CONNECTION_CLOSED, "HTTP+SSE: the stream sent no endpoint event")
        self._pump(self._messages(stream), deliver, "the server closed the SSE stream")

    def _check_endpoint(self, value: str) -> str:
        endpoint = urljoin(self.url, value.strip())
        ours, theirs = urlsplit(self.url), urlsplit(endpoint)
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            raise MCPError(
                CONNECTION_CLOSED, f"HTTP+SSE: the endpoint {endpoint!r} is on another origin"
            )
        return endpoint

    @staticmethod
    async def _messages(stream: AsyncIterator[tuple[str, bytes]]) -> AsyncIterator[bytes]:
        async for kind, data in stream:
            if kind == "message":
                yield data

    async def send(self, message: bytes) -> None:
        if self.ended_reason is not None or self.endpoint is None:
            raise self._closed_error()
        headers = {**self._headers, "Content-Type": "application/json"}
        async with self._http.post(self.endpoint, data=message, headers=headers) as resp:
            await resp.read()
            if resp.status >= 400:
                raise MCPError(CONNECTION_CLOSED, f"HTTP+SSE: POST: HTTP {resp.status}")

    async def close(self) -> None:
        await super().close()
        if self._response is not None:
            self._response.release()
