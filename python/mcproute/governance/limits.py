"""The limits a key or a tenant may carry, and how they are written in the admin API and on the
command line.

- `rpm`: requests per minute; `tpm`: tokens (input + output) per minute, over a sliding window;
- `max_parallel`: requests in flight at once;
- `budget_usd` per `budget_period` (`day`, `week`, `month`: calendar periods in UTC on the
  store's clock; `total`: never resets). A budget of 0 refuses everything.

None means "no such limit". A key or tenant with no limit at all never reaches the counters.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, get_args

Period = Literal["day", "week", "month", "total"]
PERIODS: tuple[str, ...] = get_args(Period)
DEFAULT_PERIOD: Period = "month"
INTEGER_FIELDS = ("rpm", "tpm", "max_parallel")
FIELDS = (*INTEGER_FIELDS, "budget_usd", "budget_period")
MAX_COUNT = 10**12
MAX_USD = 10.0**9


class LimitError(ValueError):
    """A limit given with a wrong value; the message names the field."""


@dataclass(frozen=True)
class Limits:
    rpm: int | None = None
    tpm: int | None = None
    max_parallel: int | None = None
    budget_usd: float | None = None
    budget_period: Period = DEFAULT_PERIOD

    @property
    def empty(self) -> bool:
        return (
            self.rpm is None
            and self.tpm is None
            and self.max_parallel is None
            and self.budget_usd is None
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: Mapping[str, Any]) -> Limits:
        """These limits with `changes` applied (a field set to None is removed)."""
        return replace(self, **parse_fields(changes))


NO_LIMITS = Limits()


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LimitError(f"{name}: expected a whole number >= 0, got {value!r}")
    if value < 0 or value != int(value) or value > MAX_COUNT:
        raise LimitError(f"{name}: expected a whole number from 0 to {MAX_COUNT}, got {value!r}")
    return int(value)


def _usd(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LimitError(f"{name}: expected an amount in USD >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0 or value > MAX_USD:
        raise LimitError(f"{name}: expected an amount in USD from 0 to {MAX_USD:g}, got {value!r}")
    return float(value)


def parse_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The limit fields of `values`, checked (unknown names are the caller's to refuse)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in FIELDS:
            raise LimitError(f"{name}: not a limit; expected one of {', '.join(FIELDS)}")
        if name == "budget_period":
            if value not in PERIODS:
                raise LimitError(f"budget_period: expected one of {', '.join(PERIODS)}")
            out[name] = value
        elif value is None:
            out[name] = None
        elif name == "budget_usd":
            out[name] = _usd(name, value)
        else:
            out[name] = _count(name, value)
    return out


def limits_from(values: Mapping[str, Any] | None) -> Limits:
    """Limits from their JSON form (stored records, request bodies)."""
    return Limits(**parse_fields(values)) if values else NO_LIMITS


def _cli(text: str, convert: Callable[[str], Any], expected: str) -> Any:
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def cli_count(text: str) -> int:
    """An argparse type for --rpm, --tpm, --max-parallel."""
    expected = f"a whole number from 0 to {MAX_COUNT}"
    return int(_cli(text, lambda t: _count("value", int(t)), expected))


def cli_usd(text: str) -> float:
    """An argparse type for --budget."""
    expected = f"an amount in USD from 0 to {MAX_USD:g}"
    return float(_cli(text, lambda t: _usd("budget", float(t)), expected))
