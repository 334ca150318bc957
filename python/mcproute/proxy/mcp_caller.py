"""The gateway's caller during an MCP request: the admitted key as the gateway's CALLER, and
an OAuth caller's access token as the SUBJECT_TOKEN of token exchanges. Set by the `/mcp`
route (`with_caller`) and by the server front's lane (`front/mcp_lane.py`)."""

from __future__ import annotations

import contextvars
from typing import Any

from aiohttp import web

from mcproute.protocol.gateway import CALLER
from mcproute.protocol.gateway.token_exchange import SUBJECT_TOKEN
from mcproute.proxy import auth
from mcproute.proxy.errors import error_response
from mcproute.proxy.handling import BodyError, read_body

CallerTokens = tuple[contextvars.Token[Any], contextvars.Token[str | None]]


def enter_caller(request: web.Request) -> CallerTokens:
    """The request's caller, until `leave_caller`."""
    record = request[auth.RECORD]
    token = CALLER.set(record)
    subject = SUBJECT_TOKEN.set(
        auth.presented_key(request) if record.env == auth.OAUTH_ENV else None
    )
    return token, subject


def leave_caller(tokens: CallerTokens) -> None:
    SUBJECT_TOKEN.reset(tokens[1])
    CALLER.reset(tokens[0])


def with_caller(handler: auth.Handler) -> auth.Handler:
    """An MCP transport handler run with the request's caller set (its body read first,
    under the body timeout; the transport reads it cached)."""

    async def with_caller(request: web.Request) -> web.StreamResponse:
        try:
            await read_body(request)
        except BodyError as exc:
            return error_response(request, exc.status, str(exc))
        tokens = enter_caller(request)
        try:
            return await handler(request)
        finally:
            leave_caller(tokens)

    return with_caller
