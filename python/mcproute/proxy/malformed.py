"""Requests that fail while their request line or headers are parsed.

aiohttp answers these itself, before any middleware runs, with the parser's message as the body
and a traceback at ERROR; the message quotes the offending line, which may hold a credential
(`Authorization: Bearer ...` with one bad byte). `MalformedRequestRunner` replaces that answer
with a fixed 400 naming only the kind of problem, and logs one WARNING line per `LOG_EVERY_S`
(with the count of those not logged), never the line itself. A body whose framing breaks while
its handler reads it (a bad chunk) fails that read at once, and gets the same 400.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import (
    BadHttpMethod,
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    PayloadEncodingError,
)
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

log = logging.getLogger("mcproute.proxy")
LOG_EVERY_S = 10.0
# Most specific first: BadHttpMethod is a BadStatusLine.
PROBLEMS: tuple[tuple[type[HttpProcessingError], str], ...] = (
    (LineTooLong, "request line or header too long"),
    (BadHttpMethod, "invalid method"),
    (BadStatusLine, "malformed request line"),
    (InvalidURLError, "malformed request target"),
    (InvalidHeader, "malformed header"),
    (PayloadEncodingError, "malformed body framing"),
)
OTHER_PROBLEM = "malformed request line, header or framing"


def problem_of(exc: HttpProcessingError) -> str:
    """What is wrong, from the exception's class alone: its message quotes the input."""
    return next((text for kind, text in PROBLEMS if isinstance(exc, kind)), OTHER_PROBLEM)


def malformed_body(problem: str) -> bytes:
    message = f"malformed HTTP request: {problem}"
    error = {"message": message, "type": "invalid_request_error", "param": None}
    return orjson.dumps({"error": {**error, "code": "malformed_request"}})


class _RateLimitedWarning:
    """At most one line per `every` seconds; the next one counts those left out."""

    def __init__(self, every: float) -> None:
        self._every = every
        self._next = 0.0
        self._skipped = 0

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now < self._next:
            self._skipped += 1
            return
        self._next = now + self._every
        if self._skipped:
            message += " (and %d more since the last report)"
            args = (*args, self._skipped)
        self._skipped = 0
        log.warning(message, *args)


_warn = _RateLimitedWarning(LOG_EVERY_S)


def warn_malformed(remote: str | None, problem: str) -> None:
    """Log a refused request's problem (rate-limited; the server front's refusals too)."""
    _warn("malformed HTTP request from %s: %s; answered 400", remote, problem)


def _reported(remote: str | None, exc: HttpProcessingError) -> bytes:
    """Log the problem (rate-limited) and return the 400's body."""
    problem = problem_of(exc)
    warn_malformed(remote, problem)
    return malformed_body(problem)


class _RequestHandler(RequestHandler):
    def data_received(self, data: bytes) -> None:
        in_flight = self._current_request
        queued = len(self._messages)
        super().data_received(data)
        if in_flight is None or len(self._messages) == queued:
            return
        # A parse error queues an error "message" for after the request in flight. aiohttp's C
        # parser does not fail that request's body (a bad chunk mid-body), so its handler would
        # wait for the rest until the body timeout: fail its body read with the 400 instead.
        exc = getattr(self._messages[-1][0], "exc", None)
        if isinstance(exc, HttpProcessingError) and not in_flight.content.is_eof():
            self._messages.pop()  # answered through the request in flight
            self._lingering_time = 0.0  # nothing more of that body will come; just close
            error = web.HTTPBadRequest(
                body=_reported(in_flight.remote, exc), content_type="application/json"
            )
            error.force_close()
            in_flight.content.set_exception(error)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        if request.writer.output_size > 0:  # as aiohttp: too late for another response
            raise ConnectionError("response already started; cannot send the error")
        body = _reported(request.remote, exc)
        response = web.Response(status=400, body=body, content_type="application/json")
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _RequestHandler(self, loop=self._loop, **self._kwargs)


class MalformedRequestRunner(web.AppRunner):
    """An `AppRunner` whose connections answer malformed requests as described above."""

    async def _make_server(self) -> web.Server:
        # The app's own server (its startup has run), rebuilt with the same settings.
        app_server = await super()._make_server()
        handler_kwargs: dict[str, Any] = app_server._kwargs
        return _Server(
            app_server.request_handler,
            request_factory=app_server.request_factory,
            handler_cancellation=app_server.handler_cancellation,
            loop=app_server._loop,
            **handler_kwargs,
        )
