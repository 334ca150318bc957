"""The model lane: `POST /v1/chat/completions` and `/v1/messages` on the server front, served
by the per-request middleware around one key check and the route's own handler, in place of
the app's whole chain.

For these routes the chain is `mcp_chain` (nothing to do: not `/mcp`), `per_request` (the
request id and timing, then the one end-of-request record: HTTP metrics, spend rows, history
row, access log), `auth` (the API key: `Authenticator.authenticate`, `record`, the manager's
`averify` and the store's `load`, a coroutine each) and `surface.unknown_routes` (router 404s
and 405s, which a routed POST never raises). The lane runs the very `per_request` middleware
of the app around `keyed`, which checks the key without a coroutine from its cached record
(`Authenticator.record_now`: the same checks and the same 401 and log line as `averify`'s)
and calls the route's handler. Whatever is out of the ordinary goes on through the rest of
the chain below `per_request` (auth and all): no key in the headers (its 401), a key whose
record is not cached (the awaited read) or that must sign its requests. With tracing on the
app has no lane at all (its server span is a middleware above these).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware

from mcproute.proxy.auth import RECORD, Authenticator, key_in
from mcproute.proxy.observe import TIMING

if TYPE_CHECKING:
    from mcproute.proxy.front.protocol import Chain

Compose = Callable[[Sequence[Middleware], "Chain"], "Chain"]


class Lane:
    """What the lane needs of the app: its key checks and its `per_request` middleware (one
    of `app.middlewares`); `build_app` sets one as `app[LANE]` unless tracing is on."""

    __slots__ = ("authenticator", "recording")

    def __init__(self, authenticator: Authenticator, recording: Middleware) -> None:
        self.authenticator = authenticator
        self.recording = recording


LANE = web.AppKey("model_lane", Lane)


def serving(app: web.Application, handler: Chain, compose: Compose) -> Chain | None:
    """The lane for a model route whose own handler is `handler`, or None where the app has
    none; `compose(middlewares, handler)` wraps a handler as aiohttp does."""
    lane = app.get(LANE)
    if lane is None:
        return None
    middlewares = list(app.middlewares)
    below = compose(middlewares[middlewares.index(lane.recording) + 1 :], handler)
    record_now = lane.authenticator.record_now

    async def keyed(request: web.Request) -> web.StreamResponse:
        key = key_in(request.headers)
        found = record_now(request, key) if key else None
        if found is None:
            return await below(request)  # the chain's own key check
        if isinstance(found, web.Response):  # the key was refused
            return found
        # What the auth middleware does for a model route (its scopes are checked per model).
        request[RECORD] = found
        request[TIMING].key_id = found.key_id
        return await handler(request)

    return functools.partial(lane.recording, handler=keyed)
