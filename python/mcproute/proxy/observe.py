"""Per-request observation: timing, the gateway's overhead, request ids and the access log
(written by the one per-request middleware, `per_request`).

The overhead is the request's time minus the time it waited on upstreams (adapters add that
wait to `UPSTREAM_WAIT`); for a stream it is taken when the first byte goes to the caller.
With hedging, two upstream waits overlap and the sum can exceed the wall time: the overhead is
then reported as 0 rather than negative.

The access log is one JSON object per line on the `mcproute.access` logger: no header values,
no bodies, only the key's public id. `bytes_out` is what was written to the connection for the
response (status line, headers and body): the middleware finishes sending the response itself,
so the line is written once that is known.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson
from aiohttp import web

from mcproute.logs import ACCESS_LOGGER
from mcproute.proxy.front.request import FrontRequest

access_log = logging.getLogger(ACCESS_LOGGER)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MODEL_ROUTES = frozenset(
    {"/v1/chat/completions", "/v1/messages", "/v1/embeddings", "/v1/completions"}
)
OVERHEAD_HEADER = "x-mcproute-overhead-ms"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass(slots=True)
class RequestTiming:
    start: float
    request_id: str
    upstream: list[float] = field(default_factory=lambda: [0.0])
    model: str | None = None
    key_id: str | None = None
    first_byte_overhead: float | None = None

    def overhead(self) -> float:
        return max(0.0, time.perf_counter() - self.start - self.upstream[0])

    def mark_first_byte(self, response: web.StreamResponse) -> None:
        """Call just before a stream's headers go out."""
        self.first_byte_overhead = self.overhead()
        response.headers[OVERHEAD_HEADER] = f"{self.first_byte_overhead * 1000:.3f}"
        response.headers["x-request-id"] = self.request_id


TIMING = web.RequestKey("timing", RequestTiming)


async def finish(request: web.Request, response: web.StreamResponse) -> None:
    """Send what aiohttp would send after the middleware (both calls are idempotent), so that
    `body_length` is known; a caller gone mid-way is aiohttp's to handle, as usual."""
    if isinstance(request, FrontRequest):  # the server front writes the reply itself
        ending = request.send(response)  # a whole reply: written, no coroutine made
        if ending is not None:
            await ending
        return
    try:  # (not `contextlib.suppress`: one object less per request)
        await response.prepare(request)
        await response.write_eof()
    except ConnectionError:
        pass


def log_access(
    request: web.Request,
    timing: RequestTiming,
    status: int,
    elapsed: float,
    overhead: float | None,
    response: web.StreamResponse | None,
) -> None:
    entry = {
        "ts": round(time.time(), 3),
        "request_id": timing.request_id,
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": round(elapsed * 1000, 3),
        "overhead_ms": None if overhead is None else round(overhead * 1000, 3),
        "model": timing.model,
        "key_id": timing.key_id,
        "bytes_in": request.content_length,
        "bytes_out": None if response is None or not response.prepared else response.body_length,
        "client": request.remote,
    }
    access_log.info(orjson.dumps(entry).decode())
