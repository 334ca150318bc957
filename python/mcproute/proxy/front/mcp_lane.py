"""`POST /mcp` on the server front in one function: what `mcp_chain`, the auth middleware,
the caller binding and the transport's `post` do for it, without the middleware layers between
them, and a whole JSON reply written as bytes (no `web.Response`).

Every piece is the one the chain runs: the request id, timing, store failures and the record
(`mcp_chain.served`, with `mcp_chain.recorder`'s HTTP metrics, history row and access log), the
key check and scope (`Authenticator.authenticate`, `auth.admit`), the gateway's CALLER
(`mcp_caller.enter_caller`), the transport's checks and dispatch (`StreamableHTTP.answer`: the
2026-07-28 header checks, cancellation, the gateway's bytes fast path). A 2026-07-28 reply
answered as JSON goes out as its bytes with the headers `StreamableHTTP.post` and the chain
give it; any other outcome (legacy sessions, 202s, SSE streams, refusals, errors with their
own status) is the transport's own response, sent as the chain sends it.

The lane is installed only where nothing else wraps `/mcp`: no OAuth resource (its tokens and
challenges are the chain's) and no tracing (its server span is a middleware). It is made with
the gateway (`mcp_service`), on the first `/mcp` request the front serves (`McpMount.serving`).
A request whose body came late goes the chain's way, which answers its 408.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from aiohttp import web

from mcproute.protocol.server.dispatch import Reply
from mcproute.protocol.server.http import StreamableHTTP, reply_response, reply_status
from mcproute.proxy.auth import Authenticator, Refused, admit
from mcproute.proxy.front.request import FrontRequest
from mcproute.proxy.mcp_caller import enter_caller, leave_caller
from mcproute.proxy.mcp_chain import Done, served
from mcproute.proxy.observe import TIMING

if TYPE_CHECKING:
    from mcproute.proxy.front.protocol import Chain

# The head of a 2026-07-28 JSON reply as `StreamableHTTP.post` and the chain make it, up to
# the request id (the response's own headers, in order; `FrontRequest.send_whole` adds the rest).
JSON_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: "


class Sent:
    """What the request's record reads of a reply written as bytes: its status, body and
    length (`history.status_of`, the debug bodies, the access log's `bytes_out`)."""

    __slots__ = ("body", "body_length", "status")
    prepared = True

    def __init__(self, status: int, body: bytes, body_length: int) -> None:
        self.status = status
        self.body = body
        self.body_length = body_length


class McpLane:
    """`authenticator`, `transport`, `done` and `refused`: the very ones the app's chain uses."""

    def __init__(
        self,
        authenticator: Authenticator,
        transport: StreamableHTTP,
        done: Done,
        refused: Refused | None = None,
    ) -> None:
        self.authenticator = authenticator
        self.transport = transport
        self.done = done
        self.refused = refused

    def serving(self, chain: Chain) -> Chain:
        """`/mcp`'s handler on the front, `chain` (the app's) taking what the lane does not."""
        produce, done = self._produce, self.done

        async def mcp_lane(request: web.Request) -> web.StreamResponse:
            if cast(FrontRequest, request).late:
                return await chain(request)
            return await served(request, produce, done)

        return mcp_lane

    async def _produce(self, request: web.Request) -> web.StreamResponse:
        """The response, or a 2026-07-28 JSON reply sent here as bytes (`Sent`)."""
        record = await self.authenticator.authenticate(request)
        admitted = await admit(request, record, self.refused)
        if isinstance(admitted, web.Response):
            return admitted
        tokens = enter_caller(request)
        try:
            outcome = await self.transport.answer(request)
        finally:
            leave_caller(tokens)
        if not isinstance(outcome, Reply):
            return outcome
        body = outcome.body
        if body is None or reply_status(outcome) != 200:
            return reply_response(outcome)
        head = f"{JSON_HEAD}{request[TIMING].request_id}\r\n"
        length = cast(FrontRequest, request).send_whole(head, body)
        return cast(web.StreamResponse, Sent(200, body, length))
