"""One middleware, one record per request: the request id and timing (`observe`), then, once
the response is sent, the spend ledger's rows (`spend`), the HTTP metrics (`metrics`), the
dashboard's history (`history`) and the access log line, from one status, one route label and
one clock reading.

The dashboard's own polling and health checks (`history.UNRECORDED`) are left out of the
history but counted in the metrics. The current-request holder (`current_request`) is set here
for the recorded requests, so the routes and the Router fill it. Request ids are 64 bits from
`random` (reseeded in every forked worker): unique enough to find a request by, and never a
secret, so they cost no system call.
"""

from __future__ import annotations

import contextvars
import logging
import random
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from mcproute.config import DashboardSettings
from mcproute.logs import REQUEST_ID
from mcproute.models.http import UPSTREAM_WAIT
from mcproute.proxy.auth import RECORD
from mcproute.proxy.current_request import CURRENT, CurrentRequest, replied
from mcproute.proxy.history import UNRECORDED, History, bodies_of, error_message, status_of
from mcproute.proxy.metrics import Metrics, route_label
from mcproute.proxy.observe import (
    MODEL_ROUTES,
    TIMING,
    VALID_REQUEST_ID,
    RequestTiming,
    access_log,
    finish,
    log_access,
)
from mcproute.proxy.spend import Recorder

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Books:
    """Where a finished model-proxy request is recorded: the HTTP metrics, the spend ledger,
    the dashboard's history and the access log. One per app, shared by this middleware and
    the server front's model lane (`front.model_lane`), so both record alike.
    `settings()` is the current configuration's dashboard block, so a reload takes effect."""

    __slots__ = ("history", "metrics", "settings", "spend")

    def __init__(
        self,
        metrics: Metrics,
        history: History,
        settings: Callable[[], DashboardSettings],
        spend: Recorder | None = None,
    ) -> None:
        self.metrics = metrics
        self.history = history
        self.settings = settings
        self.spend = spend

    def done(
        self,
        request: web.Request,
        timing: RequestTiming,
        route: str,
        model_route: bool,
        current: CurrentRequest | None,
        response: web.StreamResponse | None,
        raised: BaseException | None,
        tokens: Tokens,
    ) -> None:
        """The one record of a request that ended with `response` (or raised `raised`);
        `current` None: left out of the history and the ledger. `tokens` (`entered`) are
        reset first: a front connection's next request may start from this task's context,
        after what the route left until its reply was written (`current_request.replied`)."""
        if current is not None:
            replied(current)
        UPSTREAM_WAIT.reset(tokens[0])
        if tokens[1] is not None:
            CURRENT.reset(tokens[1])
        elapsed = time.perf_counter() - timing.start
        status = status_of(response, raised)
        overhead = timing.first_byte_overhead
        if model_route and overhead is None:
            overhead = timing.overhead()
        self.metrics.request_done(route, status, elapsed, overhead if model_route else None)
        if current is not None and self.spend is not None:
            self.spend.request_done(request, current, timing, response, raised)
        recorded(self.history, self.settings, request, timing, route, status, elapsed, current,
                 response, overhead)  # fmt: skip


def middleware(books: Books) -> Middleware:
    @web.middleware
    async def per_request(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        timing = start(request)
        request_id = timing.request_id
        current = None if path.startswith(UNRECORDED) else CurrentRequest()
        tokens = entered(timing, current)
        route = route_label(path)
        model_route = route in MODEL_ROUTES
        response: web.StreamResponse | None = None
        raised: BaseException | None = None
        try:
            response = await handler(request)
            if not response.prepared:
                if model_route:
                    timing.mark_first_byte(response)
                else:
                    response.headers["x-request-id"] = request_id
            await finish(request, response)
            return response
        except BaseException as exc:
            raised = exc
            raise
        finally:
            books.done(request, timing, route, model_route, current, response, raised, tokens)

    return per_request


_new_id = random.getrandbits
Tokens = tuple[
    contextvars.Token[list[float] | None], contextvars.Token[CurrentRequest | None] | None
]


def entered(timing: RequestTiming, current: CurrentRequest | None) -> Tokens:
    """The request's upstream wait and current-request record set for what it calls (the
    routes, the Router, the adapters); `Books.done` resets them."""
    wait = UPSTREAM_WAIT.set(timing.upstream)
    return wait, None if current is None else CURRENT.set(current)


def start(request: web.Request) -> RequestTiming:
    """The request's id (its valid `x-request-id`, else 64 random bits) and timing, on the
    request and in the logs' context."""
    given = request.headers.get("x-request-id")
    request_id = given if given and VALID_REQUEST_ID.fullmatch(given) else f"{_new_id(64):016x}"
    timing = request[TIMING] = RequestTiming(time.perf_counter(), request_id)
    # Not reset: the request's task (and its context) ends with the request, and aiohttp's
    # own "Error handling request" line, logged after the middleware, keeps the id.
    REQUEST_ID.set(request_id)
    return timing


def recorded(
    history: History,
    settings: Callable[[], DashboardSettings],
    request: web.Request,
    timing: RequestTiming,
    route: str,
    status: int,
    elapsed: float,
    current: CurrentRequest | None,
    response: web.StreamResponse | None,
    overhead: float | None,
) -> None:
    """A finished request's history row (unless `current` is None: not recorded) and access
    log line."""
    if current is not None:
        _history(history, settings(), request, timing, route, status, elapsed, current, response)
    if access_log.isEnabledFor(logging.INFO):
        log_access(request, timing, status, elapsed, overhead, response)


def _history(
    history: History,
    settings: DashboardSettings,
    request: web.Request,
    timing: RequestTiming,
    route: str,
    status: int,
    elapsed: float,
    current: CurrentRequest,
    response: web.StreamResponse | None,
) -> None:
    history.follow(settings)
    error = None
    if status >= 400:
        error = error_message(response)
        if error is None:
            error = f"HTTP {status}"
    bodies = None
    if timing.key_id is not None and timing.key_id in settings.debug_bodies:
        bodies = bodies_of(request, response)
    record = request.get(RECORD)
    history.request_done(
        now=time.time(),
        request_id=timing.request_id,
        key_id=timing.key_id,
        key_name=None if record is None else record.name,
        method=request.method,
        route=route,
        model=timing.model,
        status=status,
        seconds=elapsed,
        current=current,
        error=error,
        bodies=bodies,
    )
