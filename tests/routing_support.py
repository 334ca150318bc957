"""A real local HTTP upstream that fails, stalls and rate-limits on command, and the attempt
functions the routing tests call it with."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from mcproute.errors import FailureKind, UpstreamError
from mcproute.routing import AttemptContext, Deployment


class Upstream:
    """POST /call/{name} and GET /stream/{name} on 127.0.0.1; behaviours are queued per name.

    Behaviours: "ok", "500", "503", "429:<retry-after>", "stall", "slow:<seconds>",
    "context_window", "content_policy", "bad_request", and for streams "cut" (stop after one
    chunk without the terminator) and "idle" (one chunk, then silence). Default: "ok".
    """

    def __init__(self) -> None:
        self.script: dict[str, deque[str]] = defaultdict(deque)
        self.hits: dict[str, int] = defaultdict(int)
        self.cancelled: dict[str, int] = defaultdict(int)
        self.url = ""
        self._runner: web.AppRunner | None = None

    def queue(self, name: str, *behaviours: str) -> None:
        self.script[name].extend(behaviours)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/call/{name}", self._call)
        app.router.add_get("/stream/{name}", self._stream)
        # handler_cancellation: a client that goes away cancels its handler, as tests check.
        self._runner = web.AppRunner(
            app, handle_signals=False, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _next(self, name: str) -> str:
        self.hits[name] += 1
        return self.script[name].popleft() if self.script[name] else "ok"

    async def _call(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        behaviour = self._next(name)
        try:
            return await self._respond(name, behaviour)
        except asyncio.CancelledError:
            self.cancelled[name] += 1
            raise

    async def _respond(self, name: str, behaviour: str) -> web.StreamResponse:
        kind, _, arg = behaviour.partition(":")
        if kind == "stall":
            await asyncio.sleep(3600)
        if kind == "slow":
            await asyncio.sleep(float(arg))
        if kind in ("500", "503"):
            return web.json_response({"error": {"message": "boom"}}, status=int(kind))
        if kind == "429":
            return web.json_response(
                {"error": {"message": "slow down"}}, status=429, headers={"Retry-After": arg or "1"}
            )
        if kind in ("context_window", "content_policy", "bad_request"):
            code = {"context_window": "context_length_exceeded", "content_policy": "content_filter"}
            return web.json_response(
                {"error": {"message": kind, "code": code.get(kind, "invalid_request")}}, status=400
            )
        return web.json_response({"answer": f"from {name}", "deployment": name})

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        behaviour = self._next(name)
        if behaviour not in ("ok", "cut", "idle"):
            return await self._respond(name, behaviour)
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            for i in range(3):
                await resp.write(f"chunk {i} from {name}\n".encode())
                if behaviour == "cut":
                    assert request.transport is not None
                    request.transport.close()
                    return resp
                if behaviour == "idle":
                    await asyncio.sleep(3600)
                await asyncio.sleep(0.001)
            await resp.write(b"[DONE]\n")
        except asyncio.CancelledError:
            self.cancelled[name] += 1
            raise
        return resp


def classify_response(status: int, body: dict[str, Any], headers: Any, name: str) -> UpstreamError:
    code = body.get("error", {}).get("code")
    retry_after = headers.get("Retry-After")
    if status == 429:
        kind = FailureKind.RATE_LIMITED
    elif status >= 500:
        kind = FailureKind.SERVER
    elif code == "context_length_exceeded":
        kind = FailureKind.CONTEXT_WINDOW
    elif code == "content_filter":
        kind = FailureKind.CONTENT_POLICY
    else:
        kind = FailureKind.BAD_REQUEST
    return UpstreamError(
        kind,
        f"upstream answered {status}",
        status=status,
        retry_after=float(retry_after) if retry_after else None,
        deployment=name,
    )


class Client:
    """Attempt functions over one pooled session, as a provider adapter would do."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.session = aiohttp.ClientSession()
        self.contexts: list[AttemptContext] = []

    async def close(self) -> None:
        await self.session.close()

    async def call(self, deployment: Deployment, ctx: AttemptContext) -> dict[str, Any]:
        self.contexts.append(ctx)
        timeout = aiohttp.ClientTimeout(total=ctx.total_timeout, connect=ctx.connect_timeout)
        url = f"{self.upstream.url}/call/{deployment.name}"
        async with self.session.post(url, json={}, timeout=timeout) as resp:
            body = await resp.json()
            if resp.status != 200:
                raise classify_response(resp.status, body, resp.headers, deployment.name)
            return dict(body)

    async def stream(self, deployment: Deployment, ctx: AttemptContext) -> AsyncIterator[str]:
        url = f"{self.upstream.url}/stream/{deployment.name}"
        async with self.session.get(url) as resp:
            if resp.status != 200:
                raise classify_response(
                    resp.status, await resp.json(), resp.headers, deployment.name
                )
            saw_done = False
            async for line in resp.content:
                text = line.decode().strip()
                if text == "[DONE]":
                    saw_done = True
                    break
                yield text
            if not saw_done:
                raise UpstreamError(
                    FailureKind.CONNECTION,
                    "stream cut before its terminator",
                    deployment=deployment.name,
                )


@contextlib.asynccontextmanager
async def running_upstream() -> AsyncIterator[tuple[Upstream, Client]]:
    upstream = Upstream()
    await upstream.start()
    client = Client(upstream)
    try:
        yield upstream, client
    finally:
        await client.close()
        await upstream.stop()


def group(name: str, *deployments: str, weight: float = 1.0) -> list[Deployment]:
    return [Deployment(name=d, group=name, weight=weight) for d in deployments]
