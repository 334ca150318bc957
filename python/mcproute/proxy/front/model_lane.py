"""The model lane: `POST /v1/chat/completions` and `/v1/messages` on the server front, served
by one coroutine in place of the app's middleware chain.

For these routes the chain (`mcp_chain`, `per_request`, `auth`, `surface.unknown_routes`)
does four things, each a coroutine or more: pass the request on (`mcp_chain`: not `/mcp`),
time it and keep its id, check its API key (`Authenticator.authenticate`, `record`, the
manager's `averify`, the store's `load`), and record it once it is sent. The lane does the
same in one function with the same shared pieces (`per_request.start` and `Books.done`,
`Authenticator.record_now`, `auth.accepted`), then awaits the route's own handler, so a
request costs one coroutine of its own before the route's.

Whatever is out of the ordinary goes to the chain, which has every feature: no key in the
headers (its 401), a key whose record is not cached (the awaited read) or that must sign its
requests. Tracing on: the app has no lane at all (its server span is a middleware).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from aiohttp import web

from mcproute.models.http import UPSTREAM_WAIT
from mcproute.proxy.auth import Authenticator, accepted, key_in
from mcproute.proxy.current_request import CURRENT, CurrentRequest
from mcproute.proxy.metrics import route_label
from mcproute.proxy.per_request import Books, start

if TYPE_CHECKING:
    from mcproute.proxy.front.protocol import Chain
    from mcproute.proxy.front.request import FrontRequest


class Lane:
    """What the lane needs of the app: its key checks and its books (`build_app` sets one
    as `app[LANE]` unless tracing is on)."""

    __slots__ = ("authenticator", "books")

    def __init__(self, authenticator: Authenticator, books: Books) -> None:
        self.authenticator = authenticator
        self.books = books


LANE = web.AppKey("model_lane", Lane)


def serving(app: web.Application, path: str, chain: Chain, handler: Chain) -> Chain:
    """What serves `path` (a model route, whose own handler is `handler`) on the front: the
    lane where the app has one, else the app's `chain`."""
    lane = app.get(LANE)
    if lane is None:
        return chain
    record_now = lane.authenticator.record_now
    done = lane.books.done
    route = route_label(path)

    async def serve(request: web.Request) -> web.StreamResponse:
        key = key_in(request.headers)
        if not key:
            return await chain(request)
        timing = start(request)  # before the key check: a refusal's log line has the id
        found = record_now(request, key)
        if found is None:
            return await chain(request)
        wait_token = UPSTREAM_WAIT.set(timing.upstream)
        current = CurrentRequest()
        current_token = CURRENT.set(current)
        response: web.StreamResponse | None = None
        raised: BaseException | None = None
        try:
            if isinstance(found, web.Response):  # the key was refused
                response = found
            else:
                response = accepted(request, found) or await handler(request)
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
            # Reset: the connection's next request may start from this task's context.
            UPSTREAM_WAIT.reset(wait_token)
            CURRENT.reset(current_token)
            done(request, timing, route, True, current, response, raised)

    return serve
