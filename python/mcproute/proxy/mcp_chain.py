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
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from mcproute.config import DashboardSettings
from mcproute.proxy.current_request import CurrentRequest
from mcproute.proxy.errors import error_response
from mcproute.proxy.history import History, status_of
from mcproute.proxy.metrics import Metrics
from mcproute.proxy.observe import finish
from mcproute.proxy.per_request import recorded, start
from mcproute.store.nonces import StoreUnavailableError

MCP_PATH = "/mcp"
NO_MODEL_CALLS = CurrentRequest()  # what an MCP request used of models: nothing (only read)


def middleware(
    metrics: Metrics,
    history: History,
    settings: Callable[[], DashboardSettings],
    authenticate: Middleware,
) -> Middleware:
    """`authenticate`: the proxy's auth middleware, run here in front of the MCP route;
    `settings()`, the current configuration's dashboard block."""

    @web.middleware
    async def mcp_chain(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != MCP_PATH:  # (the server front's requests have no match_info)
            return await handler(request)
        match = request.match_info
        if match.http_exception is not None:
            return await handler(request)
        timing = start(request)
        request_id = timing.request_id
        response: web.StreamResponse | None = None
        raised: BaseException | None = None
        try:
            try:
                response = await authenticate(request, match.handler)
            except StoreUnavailableError as exc:  # e.g. the ended sessions' Redis: fail closed
                response = error_response(request, 503, str(exc), "store_unavailable")
            if not response.prepared:
                response.headers["x-request-id"] = request_id
            await finish(request, response)
            return response
        except BaseException as exc:
            raised = exc
            raise
        finally:
            elapsed = time.perf_counter() - timing.start
            status = status_of(response, raised)
            metrics.request_done(MCP_PATH, status, elapsed)
            recorded(history, settings, request, timing, MCP_PATH, status, elapsed,
                     NO_MODEL_CALLS, response, None)  # fmt: skip

    return mcp_chain
