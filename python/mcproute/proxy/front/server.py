"""The server front of one worker: the listening socket (`SO_REUSEPORT`, as aiohttp's site),
its connections, their timeouts and the graceful stop.

The fast routes run the app's own middleware chain (`app.middlewares`, outermost first) around
the route's own handler, both taken from the app once it is set up, so the front serves them
with the very code aiohttp runs. Handed-off connections belong to the runner's server, which
drains and closes them in `runner.cleanup()` as it does without a front.

The model routes take the model lane (`model_lane`) and `/mcp` its own (`mcp_lane`) in place
of their chains where the app has them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Sequence

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_protocol import RequestHandler

from mcproute.proxy.front import framing, model_lane
from mcproute.proxy.front.framing import FAST_PATHS, MCP_PATH
from mcproute.proxy.front.protocol import Chain, FrontProtocol
from mcproute.proxy.front.request import FrontMatch
from mcproute.proxy.mcp_mount import MCP_MOUNT

SWEEP_S = 1.0  # how often idle connections and late bodies are looked for


def _handler(app: web.Application, path: str) -> Chain:
    """The app's POST handler of `path`."""
    return next(
        route.handler
        for route in app.router.routes()
        if route.method == "POST" and route.resource is not None
        and route.resource.canonical == path
    )  # fmt: skip


def _chain(app: web.Application, path: str) -> Chain:
    """The app's middlewares around its POST handler of `path`, as aiohttp composes them."""
    return _wrapped(app.middlewares, _handler(app, path))


def _wrapped(middlewares: Sequence[Middleware], handler: Chain) -> Chain:
    """`middlewares` (outermost first) around `handler`, as aiohttp composes them."""
    chain = handler
    for middleware in reversed(middlewares):
        chain = functools.partial(middleware, handler=chain)
    return chain


class Front:
    """`runner` is set up (the app's startup has run): its server makes hand-off handlers."""

    def __init__(
        self,
        runner: web.AppRunner,
        *,
        idle_timeout: float,
        body_timeout: float,
    ) -> None:
        app = runner.app
        server = runner.server
        assert isinstance(app, web.Application)
        assert server is not None
        self.app = app
        self.loop = asyncio.get_running_loop()
        self.make_handler: Callable[[], RequestHandler] = server
        self.chains = {path: _chain(app, path) for path in FAST_PATHS}
        mcp = app.get(MCP_MOUNT)
        if mcp is not None and mcp.lane:  # `/mcp` in one function, the chain taking the rest
            self.chains[MCP_PATH] = mcp.serving(self.chains[MCP_PATH])
        # `/mcp`'s own middleware reads its route's handler from the match (`mcp_chain`).
        self.matches = {MCP_PATH: FrontMatch(_handler(app, MCP_PATH))}
        self.max_body = int(app._client_max_size)
        for path in framing.MODEL_PATHS:  # one coroutine in place of the chain (`model_lane`)
            lane = model_lane.serving(app, path, _handler(app, path), _wrapped)
            if lane is not None:
                self.chains[path] = lane
        self.connections: set[FrontProtocol] = set()
        self.stopping = False
        self._idle_timeout = idle_timeout
        self._body_timeout = body_timeout
        self._servers: list[asyncio.Server] = []
        self._sweeper: asyncio.Task[None] | None = None
        self._drained = asyncio.Event()  # stopping, and no request in flight any more

    def idle_deadline(self) -> float:
        return time.monotonic() + self._idle_timeout

    def body_deadline(self) -> float:
        return time.monotonic() + self._body_timeout

    def request_done(self) -> None:
        """A connection finished a request (or closed): the drain may be over."""
        if self.stopping and not any(c.busy for c in self.connections):
            self._drained.set()

    async def start(self, host: str, port: int) -> None:
        server = await self.loop.create_server(
            lambda: FrontProtocol(self), host, port, reuse_port=True, backlog=128
        )
        self._servers.append(server)
        if self._sweeper is None:
            self._sweeper = self.loop.create_task(self._sweep())

    @property
    def sockets(self) -> list[object]:
        return [sock for server in self._servers for sock in server.sockets]

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            now = time.monotonic()
            for connection in list(self.connections):
                connection.timed_out(now)

    async def stop(self, drain: float) -> None:
        """Stop accepting, close idle connections, let the requests in flight finish (each
        connection closes once its response is out) for up to `drain` seconds, then close the
        rest."""
        self.stopping = True
        for server in self._servers:
            server.close()
        for connection in list(self.connections):
            connection.close_idle()
        self.request_done()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), drain)
        for connection in list(self.connections):
            connection.abort()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
