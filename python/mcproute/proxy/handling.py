"""What every JSON route of the proxy shares: reading the body, and mapping failures to
errors in the caller's format."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import orjson
from aiohttp import web

from mcproute.context import ContextNotFoundError
from mcproute.contract import Contract, ContractError
from mcproute.errors import UpstreamError
from mcproute.governance.reservation import LimitExceeded, Reservation
from mcproute.models import ModelNotFoundError
from mcproute.models.http import ReplyJson
from mcproute.proxy.current_request import after_reply
from mcproute.proxy.errors import error_response, upstream_error
from mcproute.proxy.front.request import FrontRequest
from mcproute.proxy.front.response import WholeReply
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.sqlite_contexts import ContextTooLargeError

BODY_TIMEOUT = web.AppKey("body_timeout", float)
RESERVATION = web.RequestKey("reservation", Reservation)  # the request's hold on its limits
MAX_BODY = 8 * 1024 * 1024


class BadRequest(Exception):
    pass


class BodyError(Exception):
    """The body could not be read: too large (413) or too slow to arrive (408)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: web.Request) -> bytes:
    """The whole body, within the size limit and the app's body timeout (a client that trickles
    its body must not hold a worker's memory and a connection forever)."""
    try:
        if request.content.is_eof():  # all of it arrived with the headers: no timer needed
            return await request.read()
        async with asyncio.timeout(request.app.get(BODY_TIMEOUT, 30.0)):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyError(413, f"body: over the limit of {request.client_max_size} bytes") from None
    except TimeoutError:
        raise BodyError(408, "body: not received in time") from None


async def _parsed(request: web.Request) -> Any:
    if isinstance(request, FrontRequest) and request.parsed is not None:
        return request.parsed  # the front read it already (to see whether it asks to stream)
    try:
        return orjson.loads(await read_body(request))
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body: not valid JSON ({exc})") from None


async def json_object(request: web.Request) -> dict[str, Any]:
    body = await _parsed(request)
    if not isinstance(body, dict):
        raise BadRequest("body: expected a JSON object")
    return body


async def checked_body(request: web.Request, contract: Contract) -> dict[str, Any]:
    """The body, parsed once and checked against its API's contract before any work."""
    body = await _parsed(request)
    contract.check(body)  # its root is an object shape: anything else is refused here
    return body  # type: ignore[no-any-return]


def checked_now(request: web.Request, contract: Contract) -> dict[str, Any] | None:
    """`checked_body` without a coroutine when the server front parsed the body already;
    None when it must be read (aiohttp's request, or a body that is not JSON)."""
    if not isinstance(request, FrontRequest) or request.parsed is None:
        return None
    body: dict[str, Any] = request.parsed
    contract.check(body)
    return body


def json_reply(value: Any) -> web.Response:
    """A JSON reply encoded once, straight to bytes (no str in between)."""
    return _json_bytes(orjson.dumps(value))


def relayed_reply(request: web.Request, value: Any) -> web.StreamResponse:
    """An upstream's reply that the route changed nothing of (a `ReplyJson`), as the bytes it
    came as: on the server front a `WholeReply` (the front writes it; no `web.Response`
    made), else a `web.Response`. Any other value is encoded (`json_reply`)."""
    if type(value) is not ReplyJson:
        return json_reply(value)
    if isinstance(request, FrontRequest):
        return cast(web.StreamResponse, WholeReply(value.raw))
    return _json_bytes(value.raw)


def _json_bytes(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json", charset="utf-8")


def guarded(handler: Any) -> Any:
    """Map the failures every model route shares to the caller's error format, and end the
    request's reservation (its limits' hold) whatever happened, once the reply is written
    (`after_reply`: after the route's own settlement, left there too). One wrapper, so one
    coroutine per request for both; ending a reservation never waits."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            try:
                response: web.StreamResponse = await handler(request)
            except LimitExceeded as exc:
                refused = error_response(request, 429, str(exc), "rate_limit_exceeded")
                refused.headers.update(exc.headers)
                return refused
            except BaseException:
                held = request.get(RESERVATION)
                if held is not None:  # released whatever went wrong (the client left too)
                    after_reply(held.finish_now)
                raise
            reservation = request.get(RESERVATION)
            if reservation is not None:
                after_reply(reservation.finish_now)  # a no-op where the route settled
                if not response.prepared:
                    response.headers.update(reservation.headers)
            return response
        except ContractError as exc:
            return error_response(request, 400, str(exc), "invalid_request", param=exc.param)
        except BadRequest as exc:
            return error_response(request, 400, str(exc), "invalid_request")
        except BodyError as exc:
            code = "request_too_large" if exc.status == 413 else "request_timeout"
            return error_response(request, exc.status, str(exc), code)
        except PermissionError as exc:
            return error_response(request, 403, str(exc), "forbidden")
        except ModelNotFoundError as exc:
            return error_response(request, 404, str(exc), "model_not_found")
        except ContextNotFoundError as exc:
            return error_response(request, 404, str(exc), "context_not_found")
        except FileExistsError as exc:
            return error_response(request, 409, str(exc), "context_exists")
        except ContextTooLargeError as exc:
            return error_response(request, 413, str(exc), "context_too_large")
        except StoreUnavailableError as exc:
            return error_response(request, 503, str(exc), "store_unavailable")
        except UpstreamError as exc:
            return upstream_error(request, exc)

    return wrapper
