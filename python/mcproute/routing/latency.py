"""A bounded window of recent latencies per group, for the hedging delay."""

from __future__ import annotations

from collections import deque

MIN_SAMPLES = 20


class LatencyWindow:
    def __init__(self, size: int = 256) -> None:
        self._samples: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)

    def quantile(self, q: float) -> float | None:
        """The q-quantile of the window, or None before MIN_SAMPLES observations."""
        if len(self._samples) < MIN_SAMPLES:
            return None
        ordered = sorted(self._samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
