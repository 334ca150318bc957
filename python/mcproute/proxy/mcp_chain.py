"""`/mcp`'s own middleware chain: what an MCP request needs of the proxy's, without the model
proxy's per-request bookkeeping.

The proxy's chain is built for model calls: the spend rows, the upstream wait and the
current-request record a model route fills. An MCP request has none of those to give (its
own monitoring is `mcp_metrics`, per upstream and tool), so on `/mcp` this middleware, placed
right after tracing's, runs only what applies: the request id (kept from `x-request-id` or
made, answered in that header and carried by the logs), authentication (API key or OAuth
token, the scope check, with the very middleware the other routes use), the HTTP request
metrics, the dashboard's history (its request count and log hold MCP requests too) and the
access log line. A method the route does not serve goes the ordinary way, where it gets its
error in the caller's format.

Its parts are shared with the server front's `/mcp` lane (`front/mcp_lane.py`), which runs
them without the middleware layers: `served` (request id to record) and `recorder` (the
record). Neither needs the MCP modules, which a worker loads with its gateway (`mcp_mount`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from mcproute.config import DashboardSettings
from mcproute.proxy.current_request import CurrentRequest
from mcproute.proxy.errors import error_response
from mcproute.proxy.history import History, status_of
from mcproute.proxy.metrics import Metrics
from mcproute.proxy.observe import RequestTiming, finish
from mcproute.proxy.per_request import recorded, start
from mcproute.store.nonces import StoreUnavailableError

MCP_PATH = "/mcp"
NO_MODEL_CALLS = CurrentRequest()  # what an MCP request used of models: nothing (only read)
Done = Callable[[web.Request, RequestTiming, web.StreamResponse | None, BaseException | None], None]


def recorder(metrics: Metrics, history: History, settings: Callable[[], DashboardSettings]) -> Done:
    """What a finished MCP request leaves: its HTTP metrics, its history row and its access
    log line, from one status and one clock reading. `settings()`, the current
    configuration's dashboard block."""

    def done(
        request: web.Request,
        timing: RequestTiming,
        response: web.StreamResponse | None,
        raised: BaseException | None,
    ) -> None:
        elapsed = time.perf_counter() - timing.start
        status = status_of(response, raised)
        metrics.request_done(MCP_PATH, status, elapsed)
        recorded(history, settings, request, timing, MCP_PATH, status, elapsed,
                 NO_MODEL_CALLS, response, None)  # fmt: skip

    return done


def fail_closed(request: web.Request, exc: StoreUnavailableError) -> web.Response:
    """A store the request needs is down (the ended sessions' Redis, say): 503, not served."""
    return error_response(request, 503, str(exc), "store_unavailable")


async def served(
    request: web.Request,
    produce: Callable[[web.Request], Awaitable[web.StreamResponse]],
    done: Done,
) -> web.StreamResponse:
    """An MCP request from its id and timing to its record: `produce`'s response (a store
    that is down: 503) with the request id, sent (unless `produce` sent it), then `done`."""
    timing = start(request)
    response: web.StreamResponse | None = None
    raised: BaseException | None = None
    try:
        try:
            response = await produce(request)
        except StoreUnavailableError as exc:
            response = fail_closed(request, exc)
        if not response.prepared:
            response.headers["x-request-id"] = timing.request_id
        await finish(request, response)
        return response
    except BaseException as exc:
        raised = exc
        raise
    finally:
        done(request, timing, response, raised)


def middleware(done: Done, authenticate: Middleware) -> Middleware:
    """`authenticate`: the proxy's auth middleware, run here in front of the MCP route; `done`,
    the request's record (`recorder`)."""

    @web.middleware
    async def mcp_chain(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != MCP_PATH:  # (the server front's requests have no match_info)
            return await handler(request)
        match = request.match_info
        if match.http_exception is not None:
            return await handler(request)
        return await served(request, functools.partial(authenticate, handler=match.handler), done)

    return mcp_chain
