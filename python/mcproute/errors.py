"""Exception types shared by the routing, provider and proxy layers."""

from __future__ import annotations

from enum import StrEnum


class FailureKind(StrEnum):
    """Why an upstream call failed; the Router decides retry/fallback from this alone."""

    RATE_LIMITED = "rate_limited"  # 429: cool the deployment down, honour Retry-After
    SERVER = "server"  # 5xx: retry elsewhere, counts toward ejection
    TIMEOUT = "timeout"  # connect / first byte / total / stream idle
    CONNECTION = "connection"  # refused, reset, stream cut
    CONTEXT_WINDOW = "context_window"  # prompt too long: fall back to a larger group
    CONTENT_POLICY = "content_policy"  # refused by the provider's filter: configured fallback
    BAD_REQUEST = "bad_request"  # 400/404/422: the caller's fault, never retried
    AUTH = "auth"  # 401/403 from the upstream: a configuration fault, never retried


RETRYABLE = frozenset(
    {FailureKind.RATE_LIMITED, FailureKind.SERVER, FailureKind.TIMEOUT, FailureKind.CONNECTION}
)


class UpstreamError(Exception):
    """A classified failure of one upstream attempt (one deployment)."""

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        deployment: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.deployment = deployment

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE
