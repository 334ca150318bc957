"""How the gateway keeps one upstream MCP server from holding up the others.

Every operation on an upstream is bounded by that upstream's timeouts: `connect_s` to start or
reach it and negotiate, `list_s` for a listing (all its pages), `call_s` for a forwarded call.
Failures of the upstream itself (a timeout, a refused or dropped connection, a child that could
not start or exited, an HTTP error status) are counted; an error the upstream answered is not (it
is alive). After `Breaker.failures` failures in a row (default `BREAKER_FAILURES`) its circuit
opens: for `Breaker.cooldown_s` (default `BREAKER_COOLDOWN_S`) nothing is sent to it (calls fail
at once, listings leave it out); then one operation is let through to probe it, which closes the
circuit on success and reopens it on failure. Both are per upstream (`breaker_failures`,
`breaker_cooldown_s` in its `mcpServers` entry).

`UpstreamHealth` also keeps what operators look at: the state, the last error (redacted: an
upstream may echo a credential), the tools it last listed, and a latency average. Transitions
are logged: WARNING when an upstream goes down, INFO when it is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from mcproute.deadline import deadline
from mcproute.protocol.client.connection import HTTPStatusError
from mcproute.protocol.jsonrpc import CONNECTION_CLOSED, MCPError
from mcproute.redact import redact

log = logging.getLogger("mcproute.mcp.upstream")
T = TypeVar("T")

DEFAULT_CONNECT_S = 10.0
DEFAULT_LIST_S = 10.0
DEFAULT_CALL_S = 300.0
BREAKER_FAILURES = 3
BREAKER_COOLDOWN_S = 30.0
LATENCY_WEIGHT = 0.2  # of the newest sample in the moving average
# mcpServers keys -> Timeouts fields; `timeout` is the call timeout, as Cline writes it.
TIMEOUT_KEYS = {
    "connect_timeout_s": "connect_s",
    "list_timeout_s": "list_s",
    "call_timeout_s": "call_s",
    "timeout": "call_s",
}
# mcpServers keys -> Breaker fields
BREAKER_KEYS = {"breaker_failures": "failures", "breaker_cooldown_s": "cooldown_s"}
# Implementation-defined: the upstream cannot serve the request now (the official SDKs' code for
# a request that timed out).
UNAVAILABLE = -32001


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = DEFAULT_CONNECT_S
    list_s: float = DEFAULT_LIST_S
    call_s: float = DEFAULT_CALL_S

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Timeouts:
        """From an `mcpServers` entry's timeout keys (seconds); the defaults for the others."""
        values: dict[str, float] = {}
        for key, field_name in TIMEOUT_KEYS.items():
            value = spec.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{key}: must be a positive number of seconds, got {value!r}")
            values[field_name] = float(value)
        return cls(**values)


@dataclass(frozen=True)
class Breaker:
    failures: int = BREAKER_FAILURES  # in a row, to open the circuit
    cooldown_s: float = BREAKER_COOLDOWN_S  # open for this long before one probe

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Breaker:
        """From an `mcpServers` entry's breaker keys; the defaults for the others."""
        values: dict[str, Any] = {}
        failures = spec.get("breaker_failures")
        if failures is not None:
            if isinstance(failures, bool) or not isinstance(failures, int) or failures < 1:
                raise ValueError(f"breaker_failures: must be a whole number >= 1, got {failures!r}")
            values["failures"] = failures
        cooldown = spec.get("breaker_cooldown_s")
        if cooldown is not None:
            if isinstance(cooldown, bool) or not isinstance(cooldown, int | float) or cooldown <= 0:
                raise ValueError(
                    f"breaker_cooldown_s: must be a positive number of seconds, got {cooldown!r}"
                )
            values["cooldown_s"] = float(cooldown)
        return cls(**values)


def is_upstream_failure(exc: BaseException) -> bool:
    """The upstream did not answer (as opposed to answering with an error)."""
    if isinstance(exc, TimeoutError | OSError | aiohttp.ClientError):
        return True
    # An HTTP status without a JSON-RPC body (a dead route, refused credentials) is no answer.
    return isinstance(exc, HTTPStatusError) or (
        isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED
    )


class UpstreamHealth:
    def __init__(self, name: str, breaker: Breaker | None = None) -> None:
        self.name = name
        self.breaker = breaker or Breaker()
        self.state = "unknown"  # "up", "down" (failing), "open" (circuit open)
        self.last_error: str | None = None
        self.last_error_at: float | None = None  # wall clock
        self.tools: int | None = None
        self.latency_s: float | None = None  # moving average of answered operations
        self.failures = 0  # in a row
        self._open_until = 0.0  # monotonic
        self._probing = False

    def admit(self) -> None:
        """Raise `UNAVAILABLE` while the circuit is open; after the cooldown let one probe
        through."""
        if self.state != "open":
            return
        if time.monotonic() < self._open_until or self._probing:
            raise self.unavailable()
        self._probing = True

    def unavailable(self) -> MCPError:
        why = f": {self.last_error}" if self.last_error else ""
        return MCPError(
            UNAVAILABLE,
            f"MCP server {self.name!r} is unavailable{why}",
            {"server": self.name, "state": self.state},
        )

    def succeeded(self, seconds: float) -> None:
        self._probing = False
        self.failures = 0
        if self.state != "up":
            if self.state in ("down", "open"):
                log.info("MCP server %r is available again", self.name)
            self.state = "up"
        previous = self.latency_s
        self.latency_s = (
            seconds if previous is None else previous + LATENCY_WEIGHT * (seconds - previous)
        )

    def failed(self, error: str) -> None:
        self._probing = False
        self.failures += 1
        self.last_error = redact(error)
        self.last_error_at = time.time()
        was = self.state
        if self.failures >= self.breaker.failures or was == "open":
            self.state = "open"
            self._open_until = time.monotonic() + self.breaker.cooldown_s
        else:
            self.state = "down"
        if was != self.state:
            log.warning("MCP server %r is %s: %s", self.name, _STATES[self.state], self.last_error)

    async def guard(self, operation: str, timeout_s: float, work: Callable[[], Awaitable[T]]) -> T:
        """`work()` within `timeout_s`, through the circuit breaker; a failure of the upstream
        becomes an `UNAVAILABLE` error that names it and says why."""
        self.admit()
        started = time.monotonic()
        try:
            with deadline(timeout_s):  # (`within`, without a coroutine of its own per call)
                result = await work()
        except MCPError as exc:
            if not is_upstream_failure(exc):
                self.succeeded(time.monotonic() - started)  # it answered
                raise
            self.failed(f"{operation}: {exc}")
        except TimeoutError:
            self.failed(f"{operation}: no answer within {timeout_s:g} s")
        except (OSError, aiohttp.ClientError, ValueError) as exc:
            # ValueError: aiohttp refusing what the entry asks (an Authorization header and
            # credentials in the URL, say); the upstream cannot be used as configured.
            self.failed(f"{operation}: {type(exc).__name__}: {exc}")
        except BaseException:
            self._probing = False  # cancelled: says nothing of the upstream
            raise
        else:
            self.succeeded(time.monotonic() - started)
            return result
        raise self.unavailable() from None

    def summary(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "tools": self.tools,
            "latency_ms": None if self.latency_s is None else round(self.latency_s * 1000, 3),
            "consecutive_failures": self.failures,
        }


async def within(timeout_s: float, work: Callable[[], Awaitable[T]]) -> T:
    """`await work()`, cancelled after `timeout_s` to raise `TimeoutError`: `asyncio.timeout`'s
    contract (a cancellation from elsewhere stays one, and wins over the timeout) without the
    context manager's coroutines or a timer of its own, which every forwarded call would pay
    (`deadline`: one timer per loop for all of them)."""
    with deadline(timeout_s):
        return await work()


_STATES = {"down": "failing", "open": "unavailable (circuit open)", "up": "up"}
