"""The stdio transport: a child process speaking newline-delimited JSON-RPC on stdin/stdout
(every revision).

Its stderr goes to the `mcproute.mcp.stdio` logger (INFO; when the child exits without being
asked to, its last lines again at WARNING). The child gets a minimal environment
(`INHERITED_ENV`: what finds and runs programs, and the proxy and CA settings a child needs to
reach the network the way the parent does; or the names an entry's `inheritEnv` lists) plus the
configured variables, so the parent's secrets do not leak into it; on close, stdin is closed,
then SIGTERM, then SIGKILL, as the lifecycle asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import shlex
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from mcproute.protocol.client.transport import Deliver, Ended, MessageStream
from mcproute.protocol.jsonrpc import CONNECTION_CLOSED, MAX_MESSAGE_BYTES, MCPError

log = logging.getLogger("mcproute.mcp.stdio")
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
STDERR_TAIL_LINES = 20  # of a stdio child's stderr, kept to explain its failure


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


class StdioTransport(MessageStream):
    kind = "stdio"

    def __init__(self, server: StdioServer) -> None:
        super().__init__()
        self.server = server
        self._proc: asyncio.subprocess.Process | None = None
        self._closing = False  # a live child is being stopped: its exit is no failure
        self._relay: asyncio.Task[None] | None = None
        self._stderr: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    @property
    def stderr_tail(self) -> list[str]:
        return list(self._stderr)

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
        tail = self._stderr
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

    async def send(self, message: bytes, method: str | None = None) -> None:
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
