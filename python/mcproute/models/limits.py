"""Per-deployment request and token budgets (rpm / tpm) over a sliding one-minute window.

A deployment over budget fails fast with a rate-limit error, so the Router tries another one
instead of sending a request the provider would refuse.
"""

from __future__ import annotations

import time
from collections import deque

from mcproute.errors import FailureKind, UpstreamError

WINDOW_SECONDS = 60.0


class UsageWindow:
    def __init__(self, rpm: int | None, tpm: int | None, deployment: str | None = None) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self._deployment = deployment
        self._requests: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()
        self._token_total = 0

    def _expire(self, now: float) -> None:
        horizon = now - WINDOW_SECONDS
        while self._requests and self._requests[0] <= horizon:
            self._requests.popleft()
        while self._tokens and self._tokens[0][0] <= horizon:
            self._token_total -= self._tokens.popleft()[1]

    def admit(self) -> None:
        """Count one request, or raise a rate-limit error saying when budget frees up."""
        if self.rpm is None and self.tpm is None:
            return
        now = time.monotonic()
        self._expire(now)
        if self.rpm is not None and len(self._requests) >= self.rpm:
            wait = self._requests[0] + WINDOW_SECONDS - now
            raise UpstreamError(
                FailureKind.RATE_LIMITED,
                f"local budget: {self.rpm} requests per minute reached",
                retry_after=max(wait, 0.0),
                deployment=self._deployment,
            )
        if self.tpm is not None and self._token_total >= self.tpm:
            wait = self._tokens[0][0] + WINDOW_SECONDS - now
            raise UpstreamError(
                FailureKind.RATE_LIMITED,
                f"local budget: {self.tpm} tokens per minute reached",
                retry_after=max(wait, 0.0),
                deployment=self._deployment,
            )
        if self.rpm is not None:
            self._requests.append(now)

    def record_tokens(self, tokens: int) -> None:
        if self.tpm is None or tokens <= 0:
            return
        self._tokens.append((time.monotonic(), tokens))
        self._token_total += tokens
