"""The model lane: `POST /v1/chat/completions` and `/v1/messages` on the server front, served
by one coroutine in place of the app's middleware chain.

For these routes the chain is `mcp_chain` (nothing to do: not `/mcp`), `per_request` (the
request id and timing, then the one end-of-request record), `auth` (the API key:
`authenticate`, `Authenticator.authenticate` and `record`, the manager's `averify`, the
store's `load`, a coroutine each) and `surface.unknown_routes` (router 404s and 405s, which
a routed POST never raises). The lane does what they do for these routes in one function,
with the functions `per_request` uses (`start`, `entered`, `Books.done`: HTTP metrics, spend
rows, history row, access log): the key is checked without a coroutine from its cached
record (`Authenticator.record_now`: the same checks, the same 401 and log line as
`averify`'s), then the route's own handler runs (contract check, admission, Router, upstream
call, error mapping). A request whose key is out of the ordinary goes on through the rest of
the chain below `per_request` (auth and all), inside the lane's own record: no key in the
headers (its 401), a key whose record is not cached (the awaited read) or that must sign its
requests. With tracing on the app has no lane at all (its server span is a middleware).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from aiohttp import web
from aiohttp.typedefs import Middleware

from mcproute.proxy.auth import RECORD, Authenticator, key_in
from mcproute.proxy.current_request import CurrentRequest
from mcproute.proxy.metrics import route_label
from mcproute.proxy.per_request import Books, entered, start

if TYPE_CHECKING:
    from mcproute.proxy.front.protocol import Chain
    from mcproute.proxy.front.request import FrontRequest

Compose = Callable[[Sequence[Middleware], "Chain"], "Chain"]


class Lane:
    """What the lane needs of the app: its key checks, its books, and its `per_request`
    middleware (one of `app.middlewares`, recording with the same books); `build_app` sets
    one as `app[LANE]` unless tracing is on."""

    __slots__ = ("authenticator", "books", "recording")

    def __init__(self, authenticator: Authenticator, books: Books, recording: Middleware) -> None:
        self.authenticator = authenticator
        self.books = books
        self.recording = recording


LANE = web.AppKey("model_lane", Lane)


def serving(app: web.Application, path: str, handler: Chain, compose: Compose) -> Chain | None:
    """The lane for model route `path`, whose own handler is `handler`, or None where the app
    has none; `compose(middlewares, handler)` wraps a handler as aiohttp does."""
    lane = app.get(LANE)
    if lane is None:
        return None
    middlewares = list(app.middlewares)
    below = compose(middlewares[middlewares.index(lane.recording) + 1 :], handler)
    record_now = lane.authenticator.record_now
    done = lane.books.done
    route = route_label(path)

    async def serve(request: web.Request) -> web.StreamResponse:
        timing = start(request)  # before the key check: a refusal's log line has the id
        current = CurrentRequest()
        tokens = entered(timing, current)
        response: web.StreamResponse | None = None
        raised: BaseException | None = None
        try:
            key = key_in(request.headers)
            found = record_now(request, key) if key else None
            if found is None:
                response = await below(request)  # the chain's own key check
            elif isinstance(found, web.Response):  # the key was refused
                response = found
            else:  # as the auth middleware does for a model route (scopes: per model)
                request[RECORD] = found
                timing.key_id = found.key_id
                response = await handler(request)
            if not response.prepared:
                timing.mark_first_byte(response)
            ending = cast("FrontRequest", request).send(response)
            if ending is not None:
                await ending
            return response
        except BaseException as exc:
            raised = exc
            raise
        finally:
            done(request, timing, route, True, current, response, raised, tokens)

    return serve
