"""Router policy: retries, backoff, timeouts, hedging, balancing and fallbacks."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from mcproute._core import STRATEGIES

# The timeouts a group (``groups``) or a model entry may set for itself.
TIMEOUT_KEYS = (
    "connect_timeout_s",
    "first_byte_timeout_s",
    "total_timeout_s",
    "stream_idle_timeout_s",
)


def _non_negative(name: str, value: float | None, *, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: must be >= 0, got {value!r}")


@dataclass(frozen=True)
class RouterPolicy:
    """Every knob has a production default; unknown keys are rejected by name."""

    num_retries: int = 2  # further attempts within a group after the first
    backoff_base_s: float = 0.05  # full-jitter exponential backoff: U(0, base * 2^n)
    backoff_max_s: float = 2.0
    retry_after_max_s: float = 30.0  # longest Retry-After the Router will wait out
    # Timeouts (None: no limit). A first byte that takes longer is retried on another
    # deployment; after the first byte nothing is retried, a stream idle for longer is ended
    # with an error event. Overridable per group (``groups``) and per model entry.
    connect_timeout_s: float | None = 10.0
    first_byte_timeout_s: float | None = 30.0
    total_timeout_s: float | None = 600.0
    stream_idle_timeout_s: float | None = 60.0
    # Hedging: a second attempt on another deployment after the group's observed latency
    # quantile (clamped), the loser cancelled. Off by default: it spends upstream capacity.
    hedge: bool = False
    hedge_quantile: float = 0.95
    hedge_min_delay_s: float = 0.05
    hedge_max_delay_s: float = 5.0
    hedge_default_delay_s: float = 1.0  # until enough latencies are observed
    strategy: str = "peak_ewma"
    consecutive_failures: int = 5
    base_ejection_s: float = 30.0
    max_ejection_s: float = 300.0
    max_ejected_share: float = 0.5
    panic_threshold: float = 0.5
    default_cooldown_s: float = 1.0
    slow_start_s: float = 0.0
    # Latency outlier ejection: a deployment whose latency (first byte for streams) is this
    # multiple of the median of the rest of its group, and above latency_min_s, is ejected like
    # a failing one (0: off).
    latency_multiple: float = 5.0
    latency_min_s: float = 1.0
    # Per-group timeout overrides: {"gpt-4": {"first_byte_timeout_s": 10}}.
    groups: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    fallbacks: Mapping[str, Sequence[str]] = field(default_factory=dict)
    context_window_fallbacks: Mapping[str, str] = field(default_factory=dict)
    content_policy_fallbacks: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.num_retries, int) or self.num_retries < 0:
            raise ValueError(f"num_retries: expected an integer >= 0, got {self.num_retries!r}")
        for f in fields(self):
            if f.name.endswith("_s"):
                _non_negative(f.name, getattr(self, f.name))
        _non_negative("latency_multiple", self.latency_multiple, allow_none=False)
        if not isinstance(self.groups, Mapping):
            raise ValueError("groups: expected a mapping of group names to timeouts")
        for group, overrides in self.groups.items():
            check_timeouts(overrides, f"groups.{group}")
        if not 0 < self.hedge_quantile <= 1:
            raise ValueError(f"hedge_quantile: must be in (0, 1], got {self.hedge_quantile!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy: {self.strategy!r} is not one of {', '.join(STRATEGIES)}")
        for name in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise ValueError(f"{name}: expected a mapping of group names")
        for group, targets in self.fallbacks.items():
            if isinstance(targets, str) or not all(isinstance(t, str) for t in targets):
                raise ValueError(f"fallbacks.{group}: expected a list of group names")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RouterPolicy:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown routing option(s): {', '.join(unknown)}")
        return cls(**data)

    def balancer_options(self) -> dict[str, Any]:
        return {
            "consecutive_failures": self.consecutive_failures,
            "base_ejection_s": self.base_ejection_s,
            "max_ejection_s": self.max_ejection_s,
            "max_ejected_share": self.max_ejected_share,
            "panic_threshold": self.panic_threshold,
            "default_cooldown_s": self.default_cooldown_s,
            "max_cooldown_s": self.retry_after_max_s,
            "slow_start_s": self.slow_start_s,
            "latency_multiple": self.latency_multiple,
            "latency_min_s": self.latency_min_s,
        }

    def timeouts(
        self, group: str, deployment: Mapping[str, float | None] | None = None
    ) -> dict[str, float | None]:
        """The timeouts of one deployment: its own, else its group's, else the policy's."""
        resolved: dict[str, float | None] = {k: getattr(self, k) for k in TIMEOUT_KEYS}
        resolved.update(self.groups.get(group, {}))
        resolved.update(deployment or {})
        return resolved


def check_timeouts(overrides: object, where: str) -> None:
    """Timeout overrides name only known timeouts, each a number >= 0 or None (no limit)."""
    if not isinstance(overrides, Mapping):
        raise ValueError(f"{where}: expected a mapping of timeouts ({', '.join(TIMEOUT_KEYS)})")
    for key, value in overrides.items():
        if key not in TIMEOUT_KEYS:
            raise ValueError(
                f"{where}: unknown timeout {key!r} (expected one of: {', '.join(TIMEOUT_KEYS)})"
            )
        _non_negative(f"{where}.{key}", value)
