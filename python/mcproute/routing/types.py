"""What the Router routes: deployments of model groups, and what one attempt must honour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class Deployment:
    """One upstream that serves a model group."""

    name: str  # unique within its group, e.g. "openai/gpt-4#0"
    group: str  # the model group it serves, e.g. "gpt-4"
    weight: float = 1.0
    max_concurrency: int | None = None
    # This deployment's own timeouts (RouterPolicy.TIMEOUT_KEYS), over its group's and the policy's.
    timeouts: Mapping[str, float | None] = field(default_factory=dict)
    target: object = None  # opaque to the Router: the provider adapter's own settings


@dataclass(frozen=True)
class AttemptContext:
    """The timeouts one attempt must apply to its upstream call (seconds; None: no limit)."""

    attempt: int  # 0 for the first try of a call
    connect_timeout: float | None
    first_byte_timeout: float | None
    total_timeout: float | None
    stream_idle_timeout: float | None
    hedge: bool = False  # True for the second, hedged attempt


class AttemptEvent(NamedTuple):
    """Reported to the Router's observer after every attempt (for metrics). A named tuple:
    made once per attempt, at a third of a frozen dataclass's cost."""

    group: str
    deployment: str
    outcome: str  # "success", "failure", "rate_limited", "cancelled", "rejected"
    latency_s: float
    error_kind: str | None = None
