"""Per-deployment request and token budgets (rpm / tpm) over a sliding one-minute window.

A deployment over budget fails fast with a rate-limit error, so the Router tries another one
instead of sending a request the provider would refuse.

The window itself lives in a `WindowCounter`: `LocalCounter` in this process (library use),
`store.usage_sqlite.SqliteCounter` for the workers of one host, `store.redis_state.RedisState`
for replicas; so N workers or replicas share one budget instead of N.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, Protocol

from mcproute.errors import FailureKind, UpstreamError
from mcproute.store.nonces import StoreUnavailableError

WINDOW_SECONDS = 60.0
log = logging.getLogger("mcproute.limits")

Budget = Literal["requests", "tokens"]


@dataclass(frozen=True)
class Verdict:
    """An admission's answer: when refused, which budget is full and when it frees up."""

    allowed: bool
    retry_after: float = 0.0
    budget: Budget | None = None


ADMITTED = Verdict(True)


def refused(now: float, oldest: float | None, budget: Budget) -> Verdict:
    """A refusal that frees up when the window's oldest entry (`oldest`, on `now`'s clock)
    leaves it; a window with nothing in it (a limit of 0) waits a whole window."""
    wait = WINDOW_SECONDS if oldest is None else oldest + WINDOW_SECONDS - now
    return Verdict(False, max(wait, 0.0), budget)


class WindowCounter(Protocol):
    async def admit(self, key: str, rpm: int | None, tpm: int | None) -> Verdict:
        """Atomically: if `key` saw fewer than `rpm` requests and fewer than `tpm` tokens in
        the last `WINDOW_SECONDS`, count one request and allow it; else refuse (None = no such
        limit). Raises `StoreUnavailableError` when the shared window cannot be reached."""
        ...

    async def add_tokens(self, key: str, tokens: int) -> None:
        """Count `tokens` used by an admitted request (settled after its response)."""
        ...


@dataclass
class _Window:
    requests: deque[float] = field(default_factory=deque)
    tokens: deque[tuple[float, int]] = field(default_factory=deque)
    token_total: int = 0

    def expire(self, now: float) -> None:
        horizon = now - WINDOW_SECONDS
        while self.requests and self.requests[0] <= horizon:
            self.requests.popleft()
        while self.tokens and self.tokens[0][0] <= horizon:
            self.token_total -= self.tokens.popleft()[1]


class LocalCounter:
    """A `WindowCounter` for one process: the windows of its deployments, in memory."""

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}

    def __repr__(self) -> str:
        return "LocalCounter()"

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window()
        return window

    async def admit(self, key: str, rpm: int | None, tpm: int | None) -> Verdict:
        now = time.monotonic()
        window = self._window(key)
        window.expire(now)
        if rpm is not None and len(window.requests) >= rpm:
            return refused(now, window.requests[0] if window.requests else None, "requests")
        if tpm is not None and window.token_total >= tpm:
            return refused(now, window.tokens[0][0] if window.tokens else None, "tokens")
        if rpm is not None:
            window.requests.append(now)
        return ADMITTED

    async def add_tokens(self, key: str, tokens: int) -> None:
        window = self._window(key)
        window.tokens.append((time.monotonic(), tokens))
        window.token_total += tokens


class UsageWindow:
    """One deployment's budgets, counted in `counter` under the deployment's name."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        deployment: str | None = None,
        counter: WindowCounter | None = None,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.limited = rpm is not None or tpm is not None
        self._deployment = deployment
        self._counter: WindowCounter = counter if counter is not None else LocalCounter()

    async def admit(self) -> None:
        """Count one request, or raise a rate-limit error saying when budget frees up.
        A deployment without rpm/tpm never reaches the counter."""
        if not self.limited:
            return
        verdict = await self._counter.admit(self._deployment or "", self.rpm, self.tpm)
        if verdict.allowed:
            return
        limit = self.rpm if verdict.budget == "requests" else self.tpm
        raise UpstreamError(
            FailureKind.RATE_LIMITED,
            f"local budget: {limit} {verdict.budget} per minute reached",
            retry_after=verdict.retry_after,
            deployment=self._deployment,
        )

    async def record_tokens(self, tokens: int) -> None:
        if self.tpm is None or tokens <= 0:
            return
        try:
            await self._counter.add_tokens(self._deployment or "", tokens)
        except StoreUnavailableError as exc:
            # The response is already out; the next admission fails closed until it is back.
            log.warning("tokens of %s not counted: %s", self._deployment, exc)
