"""What a request's handler sees: its legacy `Session` (if any), its `RequestContext` (log,
progress, asking the client for input), the `Outbound` its transport provides, and the
2026-07-28 `Listener` streams."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mcproute.protocol.jsonrpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    MISSING_CAPABILITY,
    SUBSCRIPTION_ID,
    Json,
    MCPError,
    request_bytes,
)
from mcproute.protocol.server.input_required import CAPABILITY, InputRequired, check_answer

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")

Notify = Callable[[bytes], Awaitable[None]]


class Outbound(Protocol):
    """How one request's messages reach the client; the transport provides it."""

    async def send(self, message: bytes) -> None: ...

    async def close(self) -> None:
        """End the transport's stream early where the session allows it (SSE polling): what
        follows waits for the client to resume. A no-op elsewhere."""
        ...

    async def wait_closed(self) -> None:
        """Return once the client has closed the stream (2026-07-28: the request's cancel)."""
        ...


def _log_params(threshold: str | None, level: str, data: Any, logger: str | None) -> Json | None:
    """A `notifications/message`'s params, or None below the client's chosen level."""
    if threshold is None or LOG_LEVELS.index(level) < LOG_LEVELS.index(threshold):
        return None
    params: Json = {"level": level, "data": data}
    if logger:
        params["logger"] = logger
    return params


@dataclass
class Session:
    """A legacy session: what `initialize` negotiated. Modern requests need none."""

    id: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    version: str | None = None
    initialized: bool = False
    client_info: Json = field(default_factory=dict)
    client_capabilities: Json = field(default_factory=dict)
    log_level: str | None = None  # no log notifications until the client sets a level
    subscriptions: set[str] = field(default_factory=set)
    # Server-to-client requests awaiting the client's response, by request id.
    pending: dict[str, asyncio.Future[Json]] = field(default_factory=dict)
    next_request: int = 0
    # Where messages not tied to a request go (HTTP: the standalone GET stream); None drops them.
    outbox: Notify | None = None
    # What a server keeps for the whole session, sealed into its id with session tokens.
    carry: Json = field(default_factory=dict)
    # Who opened it (the transport's principal hook; None without one): only they may use it.
    principal: str | None = None

    async def send(self, method: str, params: Json) -> None:
        """A notification outside any request."""
        if self.outbox is not None:
            await self.outbox(request_bytes(None, method, params))

    async def log(self, level: str, data: Any, logger: str | None = None) -> None:
        params = _log_params(self.log_level, level, data, logger)
        if params is not None:
            await self.send("notifications/message", params)


@dataclass
class RequestContext:
    """What a handler may do while it runs: log and report progress to the client, on the
    request's own stream (the transport decides how those messages travel), and ask the client
    for input in either era (`ask`, see `input_required`)."""

    session: Session | None
    progress_token: str | int | None
    log_level: str | None
    _outbound: Outbound | None
    modern: bool = False
    client_capabilities: Json = field(default_factory=dict)
    # Answers to input requests: from an echoed requestState, then this request's inputResponses.
    answers: Json = field(default_factory=dict)
    input_responses: Json = field(default_factory=dict)  # this round's, as the client sent them
    carried: Json | None = None  # what the previous round's InputRequired asked to carry
    state_verified: bool = False  # the request carried a requestState that passed its checks
    principal: str | None = None  # who sent the request, as the transport names callers
    # The tasks extension (see `tasks`): how `as_task` turns the call into a task, and how a
    # task asks for input once it is one.
    escalate: Callable[[], Awaitable[None]] | None = None
    asker: Callable[[dict[str, tuple[str, Json]]], Awaitable[dict[str, Json]]] | None = None

    def supports(self, method: str) -> bool:
        """Whether the client declared the capability a `method` input request needs."""
        return CAPABILITY[method] in self.client_capabilities

    async def ask(self, key: str, method: str, params: Json, *, wait_s: float = 60.0) -> Json:
        """The client's answer to one input request (elicitation, sampling, roots)."""
        return (await self.ask_all({key: (method, params)}, wait_s=wait_s))[key]

    async def ask_all(
        self, requests: dict[str, tuple[str, Json]], *, wait_s: float = 60.0
    ) -> dict[str, Json]:
        """Answers to several input requests, keyed as asked. In 2026-07-28 every unanswered
        one goes to the client in one InputRequiredResult."""
        for method, _ in requests.values():
            if not self.supports(method):
                capability = CAPABILITY[method]
                message = f"{method}: the client did not declare {capability!r}"
                if self.modern:
                    missing: Json = {"requiredCapabilities": {capability: {}}}
                    raise MCPError(MISSING_CAPABILITY, message, missing)
                raise MCPError(INVALID_REQUEST, message)
        if self.asker is not None:
            return await self.asker(requests)
        if not self.modern:
            return {
                key: await self.request(method, params, wait_s=wait_s)
                for key, (method, params) in requests.items()
            }
        missing = {
            key: {"method": method, "params": params}
            for key, (method, params) in requests.items()
            if key not in self.answers
        }
        if missing:
            raise InputRequired(missing)
        try:
            for key, (method, _) in requests.items():
                check_answer(key, method, self.answers[key])
        except ValueError as e:
            raise MCPError(INVALID_PARAMS, str(e)) from None
        return {key: self.answers[key] for key in requests}

    async def elicit(self, message: str, schema: Json, *, key: str = "elicitation") -> Json:
        return await self.ask(
            key, "elicitation/create", {"message": message, "requestedSchema": schema}
        )

    async def sample(self, params: Json, *, key: str = "sampling") -> Json:
        return await self.ask(key, "sampling/createMessage", params)

    async def list_roots(self, *, key: str = "roots") -> Json:
        return await self.ask(key, "roots/list", {})

    async def as_task(self) -> None:
        """Go on as a task when the client declared the tasks extension: the caller gets a
        CreateTaskResult now, this handler's outcome later through tasks/get, and nothing more
        on the request's stream. A no-op otherwise (and outside task-supporting tools)."""
        escalate, self.escalate = self.escalate, None
        if escalate is not None:
            self._outbound = None
            await escalate()

    async def send(self, method: str, params: Json) -> None:
        """Send a notification to the client on this request's stream."""
        if self._outbound is not None:
            await self._outbound.send(request_bytes(None, method, params))

    @property
    def streaming(self) -> bool:
        """Whether messages can reach the client while this request runs."""
        return self._outbound is not None

    async def wait_closed(self) -> None:
        """Return once the client has closed this request's stream."""
        if self._outbound is not None:
            await self._outbound.wait_closed()

    async def close_stream(self) -> None:
        """Let the client go while this request runs (2025-11-25 SSE polling): the transport
        ends the request's stream, and the client resumes it for the rest."""
        if self._outbound is not None:
            await self._outbound.close()

    async def send_request(self, request_id: str, method: str, params: Json) -> None:
        """Send the client a request whose answer nobody here waits for: it is claimed by its
        id (`MCPServer.unclaimed_answer`)."""
        if self._outbound is None:
            raise MCPError(INVALID_REQUEST, f"{method}: no stream to the client for this request")
        await self._outbound.send(request_bytes(request_id, method, params))

    async def request(self, method: str, params: Json, *, wait_s: float = 60.0) -> Json:
        """Ask the client (sampling, elicitation, roots) and wait for its answer. Legacy
        sessions only: the request travels on this request's stream."""
        session = self.session
        if session is None or self._outbound is None:
            raise MCPError(INVALID_REQUEST, f"{method}: no stream to the client for this request")
        session.next_request += 1
        request_id = f"s{session.next_request}"
        answer: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        session.pending[request_id] = answer
        try:
            await self._outbound.send(request_bytes(request_id, method, params))
            async with asyncio.timeout(wait_s):
                return await answer
        finally:
            session.pending.pop(request_id, None)

    async def log(self, level: str, data: Any, logger: str | None = None) -> None:
        """A `notifications/message`, sent only at or above the client's chosen level."""
        params = _log_params(self.log_level, level, data, logger)
        if params is not None:
            await self.send("notifications/message", params)

    async def progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """A `notifications/progress`, sent only when the request asked for progress."""
        if self.progress_token is None:
            return
        params: Json = {"progressToken": self.progress_token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self.send("notifications/progress", params)


@dataclass(eq=False)
class Listener:
    """A 2026-07-28 `subscriptions/listen` stream, and the notifications it agreed to carry."""

    id: str | int
    notifications: Json  # the agreed SubscriptionFilter
    ctx: RequestContext
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, method: str, params: Json) -> None:
        await self.ctx.send(method, {**params, "_meta": {SUBSCRIPTION_ID: self.id}})
