"""This worker's recent traffic, kept for the dashboard: ring buffers and the request log.

- per second, the last hour: requests, 4xx, 5xx, input and output tokens, and a latency
  histogram (the HTTP buckets of `metrics`), so percentiles survive merging across workers;
- per minute, the last hour: requests, errors, tokens and latency by model, key, route and
  status; upstream attempts by deployment (successes, failures, 401/403s, 429s); the most
  frequent error messages, redacted;
- the last `log_size` requests: time, key id, model, deployment, status, latency, tokens, and
  the bodies only for keys listed in `debug_bodies`.

Everything is bounded: 3600 + 60 slots, label values the configuration and the key store
produced (models the registry knew, key ids that authenticated, route labels; a minute keeps
one row per combination a request had, summed by dimension when read), at most
`MAX_ERRORS` distinct error messages per minute, and the log's length. The dashboard's own
polling and health checks are not recorded, so watching does not change what is watched.
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from mcproute.config import DashboardSettings
from mcproute.proxy.current_request import CURRENT, CurrentRequest
from mcproute.proxy.metrics import HTTP_BUCKETS
from mcproute.redact import redact
from mcproute.routing.types import AttemptEvent

SECONDS = 3600
MINUTES = 60
# The per-second ring, read as 60 runs of 60 slots (one minute each): a run whose seconds are
# all over is encoded once and kept until one of its slots is written again, so the snapshot
# published every second encodes the current minute only (the whole hour took ~1 ms of the
# event loop, once a second: a stall of every request in flight).
RUN = 60
# The request log's entries are encoded a block at a time as each block fills (at 1,000 req/s
# the whole log is new every second: encoding it at each publish was another ~1 ms stall).
LOG_BLOCK = 100
MAX_ERRORS = 50  # distinct (status, route, model, message) per minute; the rest are "other"
MAX_KEY_NAMES = 10_000
MESSAGE_CHARS = 300
BODY_CHARS = 16384
UNRECORDED = ("/dashboard", "/healthz", "/readyz", "/metrics")
DIMENSIONS = ("model", "key", "route", "status")
# A per-second row: [second, requests, 4xx, 5xx, tokens in, tokens out, *latency buckets].
SECOND_FIELDS = 6
# A breakdown row: [requests, errors, tokens in, tokens out, latency ms sum].
# A deployment row: [attempts, successes, failures, auth (401/403), rate limited (429),
# latency ms sum]. Attempts the caller cancelled count as attempts only.
LOG_FIELDS = ("time", "request_id", "key_id", "method", "route", "model", "deployment",
              "status", "latency_ms", "tokens_in", "tokens_out", "cost", "error",
              "bodies")  # fmt: skip


@dataclass(slots=True)
class _Minute:
    minute: int
    # A breakdown row per (model, key, route, status) seen: a request adds to one row, and the
    # rows are summed by dimension only when the dashboard reads them (`breakdown`).
    requests: dict[tuple[str | None, str | None, str, int], list[float]] = field(
        default_factory=dict
    )
    deployments: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    errors: dict[tuple[int, str, str, str], list[float]] = field(default_factory=dict)

    # The breakdown of a minute that has ended, summed once (nothing adds to it any more, but a
    # request that does, after a clock step, drops it).
    summed: dict[tuple[str, str], list[float]] | None = None

    def breakdown(self, ended: bool = False) -> dict[tuple[str, str], list[float]]:
        """(dimension, value) -> its breakdown row, for every dimension a request had."""
        if self.summed is not None:
            return self.summed
        cells: dict[tuple[str, str], list[float]] = {}
        for (model, key_id, route, status), row in self.requests.items():
            for dimension, value in (("model", model), ("key", key_id), ("route", route),
                                     ("status", str(status))):  # fmt: skip
                if value is None:
                    continue
                cell = cells.get((dimension, value))
                if cell is None:
                    cells[(dimension, value)] = list(row)
                else:
                    for i, amount in enumerate(row):
                        cell[i] += amount
        if ended:
            self.summed = cells
        return cells

    def json(self, ended: bool = False) -> dict[str, Any]:
        """JSON-ready; `ended`: the minute is over, so its breakdown is summed only once."""
        return {
            "minute": self.minute,
            "breakdown": [[d, v, *row] for (d, v), row in self.breakdown(ended).items()],
            "deployments": [[g, n, *row] for (g, n), row in self.deployments.items()],
            "errors": [[s, r, m, msg, *row] for (s, r, m, msg), row in self.errors.items()],
        }


class History:
    """This worker's ring buffers and request log. Methods run on the event loop only."""

    def __init__(self, settings: DashboardSettings | None = None) -> None:
        self.settings = settings or DashboardSettings()
        self.version = 0  # bumped on every change: the publisher skips unchanged snapshots
        self._seconds: list[list[int] | None] = [None] * SECONDS
        self._minutes: list[_Minute | None] = [None] * MINUTES
        self.log: deque[list[Any]] = deque(maxlen=self.settings.request_log)
        self.key_names: dict[str, str] = {}  # of the keys that made requests, if they have one
        self._runs: dict[int, tuple[int, bytes]] = {}  # run -> (its minute, its rows encoded)
        self._logged = 0  # entries ever appended to the log: the next one's number
        self._log_blocks: dict[int, bytes] = {}  # block -> its entries encoded

    def follow(self, settings: DashboardSettings) -> None:
        """Take the settings of a reloaded configuration; the newest log entries are kept."""
        if settings is self.settings:
            return
        if settings.request_log != self.log.maxlen:
            self.log = deque(self.log, maxlen=settings.request_log)
        self.settings = settings

    # --- recording -----------------------------------------------------------------------

    def _second(self, now: float) -> list[int]:
        second = int(now)
        slot = self._seconds[second % SECONDS]
        if slot is None or slot[0] != second:
            slot = [second] + [0] * (SECOND_FIELDS - 1 + len(HTTP_BUCKETS) + 1)
            self._seconds[second % SECONDS] = slot
        if self._runs:  # (a written run is encoded again; the current one never is kept)
            self._runs.pop(second % SECONDS // RUN, None)
        return slot

    def _minute(self, now: float) -> _Minute:
        minute = int(now // 60)
        slot = self._minutes[minute % MINUTES]
        if slot is None or slot.minute != minute:
            slot = self._minutes[minute % MINUTES] = _Minute(minute)
        return slot

    def attempt(self, event: AttemptEvent) -> None:
        """The Router's observer: one upstream attempt ended."""
        now = time.time()
        rows = self._minute(now).deployments
        row = rows.get((event.group, event.deployment))
        if row is None:
            row = rows[(event.group, event.deployment)] = [0.0] * 6
        row[0] += 1
        if event.outcome == "success":
            row[1] += 1
        elif event.outcome == "failure":
            row[2] += 1
        elif event.outcome == "rate_limited":
            row[4] += 1
        elif event.error_kind == "auth":
            row[3] += 1
        row[5] += event.latency_s * 1000
        current = CURRENT.get()
        if current is not None:
            current.deployment = event.deployment
        self.version += 1

    def request_done(
        self,
        *,
        now: float,
        request_id: str,
        key_id: str | None,
        key_name: str | None,
        method: str,
        route: str,
        model: str | None,
        status: int,
        seconds: float,
        current: CurrentRequest,
        error: str | None,
        bodies: dict[str, str] | None,
    ) -> None:
        tokens_in, tokens_out = current.tokens
        if key_id is not None and key_name is not None and self.key_names.get(key_id) != key_name:
            if len(self.key_names) >= MAX_KEY_NAMES:
                self.key_names.clear()  # keys that made no request for long: start over
            self.key_names[key_id] = key_name
        row = self._second(now)
        row[1] += 1
        if 400 <= status < 500:
            row[2] += 1
        elif status >= 500:
            row[3] += 1
        row[4] += tokens_in
        row[5] += tokens_out
        row[SECOND_FIELDS + bisect.bisect_left(HTTP_BUCKETS, seconds)] += 1
        minute = self._minute(now)
        failed = 1.0 if status >= 400 else 0.0
        latency_ms = seconds * 1000
        combination = (model, key_id, route, status)
        cell = minute.requests.get(combination)
        if cell is None:
            cell = minute.requests[combination] = [0.0] * 5
        cell[0] += 1
        cell[1] += failed
        cell[2] += tokens_in
        cell[3] += tokens_out
        cell[4] += latency_ms
        minute.summed = None  # (if the clock went back into a minute taken as over)
        if error is not None:
            key = (status, route, model or "", error)
            if key not in minute.errors and len(minute.errors) >= MAX_ERRORS:
                key = (status, route, model or "", "(other messages)")
            found = minute.errors.get(key)
            if found is None:
                found = minute.errors[key] = [0.0, now]
            found[0] += 1
            found[1] = now
        if self.log.maxlen:
            self._logged += 1
            self.log.append(
                [
                    round(now, 3),
                    request_id,
                    key_id,
                    method,
                    route,
                    model,
                    current.deployment,
                    status,
                    round(latency_ms, 3),
                    tokens_in,
                    tokens_out,
                    None if current.cost_nusd is None else current.cost_nusd / 1e9,
                    error,
                    bodies,
                ]
            )
            if self._logged % LOG_BLOCK == 0 and len(self.log) >= LOG_BLOCK:
                self._keep_log_block()
        self.version += 1

    def _keep_log_block(self) -> None:
        """Encode the block of the log that just filled (its last `LOG_BLOCK` entries)."""
        newest = list(itertools.islice(reversed(self.log), LOG_BLOCK))[::-1]
        self._log_blocks[self._logged // LOG_BLOCK - 1] = orjson.dumps(newest)[1:-1]
        while len(self._log_blocks) > (self.log.maxlen or 0) // LOG_BLOCK + 1:
            del self._log_blocks[next(iter(self._log_blocks))]  # gone from the log

    # --- reading -------------------------------------------------------------------------

    def snapshot(self, now: float) -> dict[str, Any]:
        """Everything of the last hour, as the dashboard merges it (JSON-ready)."""
        oldest_second = int(now) - SECONDS + 1
        return {
            "seconds": [s for s in self._seconds if s is not None and s[0] >= oldest_second],
            **self._rest(now),
        }

    def encodable(self, now: float) -> dict[str, Any]:
        """`snapshot(now)` for `orjson.dumps`, the same JSON, with the seconds of minutes that
        are over taken from their kept encoding."""
        return {
            "seconds": self._encoded_seconds(int(now)),
            **self._rest(now),
            "log": self._encoded_log(),
        }

    def _encoded_seconds(self, now: int) -> orjson.Fragment:
        oldest_second = now - SECONDS + 1
        this_minute = now // 60
        parts = []
        for run in range(SECONDS // RUN):
            kept = self._runs.get(run)
            # The minute of the last hour whose seconds this run holds; over, it is all in
            # the hour (the current one's run also holds what is left of an hour ago).
            minute = this_minute - (this_minute - run) % MINUTES
            over = minute < this_minute
            if over and kept is not None and kept[0] == minute:
                encoded = kept[1]
            else:
                rows = [
                    s
                    for s in self._seconds[run * RUN : (run + 1) * RUN]
                    if s is not None and s[0] >= oldest_second
                ]
                encoded = orjson.dumps(rows)[1:-1]
                if over and all(s[0] // 60 == minute for s in rows):
                    self._runs[run] = (minute, encoded)
            if encoded:
                parts.append(encoded)
        return orjson.Fragment(b"[" + b",".join(parts) + b"]")

    def _encoded_log(self) -> orjson.Fragment:
        """The log, with the blocks of `LOG_BLOCK` entries encoded as they filled (an entry
        never changes once logged; a block is dropped once its first entry leaves the log)."""
        entries = list(self.log)
        first = self._logged - len(entries)  # the number of the oldest entry kept
        for block in [b for b in self._log_blocks if b * LOG_BLOCK < first]:
            del self._log_blocks[block]
        parts = []
        number = first
        while number < self._logged:
            block, offset = divmod(number, LOG_BLOCK)
            end = min((block + 1) * LOG_BLOCK, self._logged)
            whole = offset == 0 and end - number == LOG_BLOCK
            encoded = self._log_blocks.get(block) if whole else None
            if encoded is None:
                encoded = orjson.dumps(entries[number - first : end - first])[1:-1]
                if whole:
                    self._log_blocks[block] = encoded
            parts.append(encoded)
            number = end
        return orjson.Fragment(b"[" + b",".join(parts) + b"]")

    def _rest(self, now: float) -> dict[str, Any]:
        this_minute = int(now // 60)
        oldest_minute = this_minute - MINUTES + 1
        return {
            "minutes": [
                m.json(m.minute < this_minute)
                for m in self._minutes
                if m is not None and m.minute >= oldest_minute
            ],
            "log": list(self.log),
            "key_names": self.key_names,
        }


def error_message(response: web.StreamResponse | None) -> str | None:
    """The message of an error reply we sent (OpenAI, Anthropic or JSON-RPC shape), redacted."""
    body = getattr(response, "body", None)
    if not isinstance(body, bytes) or len(body) > 65536:
        return None
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    error = decoded.get("error") if isinstance(decoded, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str):
        return None
    return redact(message)[:MESSAGE_CHARS]


def bodies_of(request: web.Request, response: web.StreamResponse | None) -> dict[str, str]:
    """Request and response bodies for a key with debug bodies on: truncated and redacted."""
    sent = getattr(request, "_read_bytes", None)  # what the handler read; never read it here
    reply = getattr(response, "body", None)
    return {
        "request": redact(sent[:BODY_CHARS].decode("utf-8", "replace")) if sent else "",
        "response": redact(reply[:BODY_CHARS].decode("utf-8", "replace"))
        if isinstance(reply, bytes)
        else "(streamed)",
    }


def status_of(response: web.StreamResponse | None, raised: BaseException | None) -> int:
    """The status the caller got: the response's, an HTTPException's, else 500."""
    if response is not None:
        return response.status
    return raised.status if isinstance(raised, web.HTTPException) else 500


HISTORY = web.AppKey("history", History)
