"""What a model call costs, from the tokens the upstream reported.

A price is given per million tokens in US dollars::

    "price": {"input_per_mtok": 3.0, "output_per_mtok": 15.0, "cached_input_per_mtok": 0.3}

on a model entry of a provider (that deployment's price) or under ``mcp.prices`` by model name
(the upstream model id or the model group's name, for every deployment serving it). Without
either, well-known OpenAI and Anthropic model names have shipped defaults (`DEFAULT_PRICES`, the
providers' list prices; dated snapshots such as ``gpt-4o-2024-08-06`` match their family). A
call whose price is unknown has no cost: it is still counted in tokens, and the log says so once
per model.

Arithmetic is exact integers: a rate is held in picodollars per token (so a price may have up to
6 decimal places per million tokens) and a call's cost is an integer number of nanodollars
(USD × 10⁹, rounded half up), the unit the ledger stores, so sums of many calls never drift.
``input_tokens`` counts every prompt token, the cached ones included (OpenAI's
``prompt_tokens``); ``cached_input_tokens`` is the part billed at the cached rate (the input rate
when no cached rate is given). Anthropic's cache writes are billed at the input rate.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcproute.config import Config, _Checker

log = logging.getLogger(__name__)

NANO_PER_USD = 10**9
_PICO_PER_NANO = 1000
_PICO_PER_MTOK_USD = 10**6  # 1 USD per million tokens = 10^6 picodollars per token
PRICE_KEYS = ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok")


@dataclass(frozen=True, slots=True)
class Price:
    """Rates in picodollars per token; build one with `Price.per_mtok`."""

    input_pusd: int
    output_pusd: int
    cached_input_pusd: int
    source: str = "config"  # "config", or "default" for a shipped default

    @classmethod
    def per_mtok(
        cls,
        input: float | str | Decimal,
        output: float | str | Decimal,
        cached_input: float | str | Decimal | None = None,
        source: str = "config",
    ) -> Price:
        """From USD per million tokens; raises `ValueError` for a negative rate or one with
        more than 6 decimal places."""
        rates = [_pico(value) for value in (input, output)]
        cached = rates[0] if cached_input is None else _pico(cached_input)
        return cls(rates[0], rates[1], cached, source)

    def cost_nusd(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0) -> int:
        """The call's cost in nanodollars, rounded half up."""
        return (self._pico(input_tokens, output_tokens, cached_input_tokens) + 500) // 1000

    def cost_usd(
        self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0
    ) -> float:
        return self.cost_nusd(input_tokens, output_tokens, cached_input_tokens) / NANO_PER_USD

    def max_cost_nusd(self, input_tokens: int, max_output_tokens: int) -> int:
        """A bound no call with at most these tokens can exceed, whatever part of the input
        is cached (nanodollars, rounded up): what a reservation holds."""
        pico = input_tokens * max(self.input_pusd, self.cached_input_pusd)
        pico += max_output_tokens * self.output_pusd
        return -(-pico // _PICO_PER_NANO)

    def max_cost_usd(self, input_tokens: int, max_output_tokens: int) -> float:
        return self.max_cost_nusd(input_tokens, max_output_tokens) / NANO_PER_USD

    def as_json(self) -> dict[str, Any]:
        """USD per million tokens, as the configuration writes it."""
        return {
            "input_per_mtok": _usd(self.input_pusd),
            "output_per_mtok": _usd(self.output_pusd),
            "cached_input_per_mtok": _usd(self.cached_input_pusd),
            "source": self.source,
        }

    def _pico(self, input_tokens: int, output_tokens: int, cached_input_tokens: int) -> int:
        if cached_input_tokens == 0 and input_tokens >= 0 and output_tokens >= 0:  # most calls
            return input_tokens * self.input_pusd + output_tokens * self.output_pusd
        cached = min(max(cached_input_tokens, 0), max(input_tokens, 0))
        return (
            (max(input_tokens, 0) - cached) * self.input_pusd
            + cached * self.cached_input_pusd
            + max(output_tokens, 0) * self.output_pusd
        )


def _pico(value: float | str | Decimal) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        # str() of a float is its shortest repr: 0.1 stays 0.1, not 0.1000000000000000055...
        exact = Decimal(str(value)) * _PICO_PER_MTOK_USD
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not exact.is_finite() or exact < 0:
        raise ValueError(f"must be a number of at least 0, got {value}")
    if exact != exact.to_integral_value():
        raise ValueError(f"has more than 6 decimal places: {value}")
    return int(exact)


def _usd(pico: int) -> float:
    return float(Decimal(pico) / _PICO_PER_MTOK_USD)


def nusd_to_usd(nanodollars: int) -> float:
    return nanodollars / NANO_PER_USD


# USD per million tokens: input, output, cached input. The providers' published list prices;
# a configured price wins over these.
_DEFAULTS: dict[str, tuple[str, str, str | None]] = {
    # OpenAI
    "gpt-5": ("1.25", "10", "0.125"),
    "gpt-5-mini": ("0.25", "2", "0.025"),
    "gpt-5-nano": ("0.05", "0.4", "0.005"),
    "gpt-4.1": ("2", "8", "0.5"),
    "gpt-4.1-mini": ("0.4", "1.6", "0.1"),
    "gpt-4.1-nano": ("0.1", "0.4", "0.025"),
    "gpt-4o": ("2.5", "10", "1.25"),
    "gpt-4o-mini": ("0.15", "0.6", "0.075"),
    "gpt-4-turbo": ("10", "30", None),
    "gpt-4": ("30", "60", None),
    "gpt-3.5-turbo": ("0.5", "1.5", None),
    "o1": ("15", "60", "7.5"),
    "o1-mini": ("1.1", "4.4", "0.55"),
    "o3": ("2", "8", "0.5"),
    "o3-mini": ("1.1", "4.4", "0.55"),
    "o4-mini": ("1.1", "4.4", "0.275"),
    "text-embedding-3-small": ("0.02", "0", None),
    "text-embedding-3-large": ("0.13", "0", None),
    "text-embedding-ada-002": ("0.1", "0", None),
    # Anthropic (cached: cache reads)
    "claude-opus-4-5": ("5", "25", "0.5"),
    "claude-opus-4-1": ("15", "75", "1.5"),
    "claude-opus-4": ("15", "75", "1.5"),
    "claude-sonnet-4-5": ("3", "15", "0.3"),
    "claude-sonnet-4": ("3", "15", "0.3"),
    "claude-haiku-4-5": ("1", "5", "0.1"),
    "claude-3-7-sonnet": ("3", "15", "0.3"),
    "claude-3-5-sonnet": ("3", "15", "0.3"),
    "claude-3-5-haiku": ("0.8", "4", "0.08"),
    "claude-3-opus": ("15", "75", "1.5"),
    "claude-3-haiku": ("0.25", "1.25", "0.03"),
}
DEFAULT_PRICES: Mapping[str, Price] = {
    name: Price.per_mtok(*rates, source="default") for name, rates in _DEFAULTS.items()
}
# Bedrock ("us.anthropic.claude-...-v1:0") and router ("openai/gpt-4o") spellings of a name.
_VENDOR_PREFIX = re.compile(r"^(?:[a-z]{2,4}\.)?(?:anthropic|openai)[./]")


def default_price(model: str) -> Price | None:
    """The shipped price of a well-known model name: exact, else the longest known name it
    extends with a ``-`` (a dated snapshot or version suffix)."""
    name = _VENDOR_PREFIX.sub("", model.lower())
    found = DEFAULT_PRICES.get(name)
    if found is not None:
        return found
    best = ""
    for known in DEFAULT_PRICES:
        if name.startswith(known + "-") and len(known) > len(best):
            best = known
    return DEFAULT_PRICES[best] if best else None


def parse_price(value: Any, path: str, check: _Checker) -> Price | None:
    """A ``price`` object of the configuration; issues are reported to `check`."""
    block = check.mapping(value, path)
    if block is None:
        if value is None:
            check.fail(path, "must be an object with input_per_mtok and output_per_mtok")
        return None
    check.known_keys(block, path, PRICE_KEYS)
    rates: dict[str, int] = {}
    for key in PRICE_KEYS:
        if key not in block:
            if key != "cached_input_per_mtok":
                check.fail(f"{path}.{key}", "missing (USD per million tokens)")
            continue
        raw = block[key]
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            check.fail(f"{path}.{key}", f"must be a number (USD per million tokens), got {raw!r}")
            continue
        try:
            rates[key] = _pico(raw)
        except ValueError as exc:
            check.fail(f"{path}.{key}", str(exc))
    if "input_per_mtok" not in rates or "output_per_mtok" not in rates:
        return None
    return Price(
        rates["input_per_mtok"],
        rates["output_per_mtok"],
        rates.get("cached_input_per_mtok", rates["input_per_mtok"]),
    )


def parse_prices(value: Any, check: _Checker) -> dict[str, Price]:
    """``mcp.prices``: model name -> price."""
    block = check.mapping(value, "mcp.prices") or {}
    prices = {}
    for name, spec in block.items():
        price = parse_price(spec, f"mcp.prices.{name}", check)
        if price is not None:
            prices[str(name)] = price
    return prices


class PriceTable:
    """The prices of one loaded configuration: `price(model, deployment)`."""

    def __init__(self, config: Config) -> None:
        self._deployments = {d.name: d for d in config.deployments}
        self._groups = config.model_groups()
        self._configured = dict(config.prices)
        self._warned: set[tuple[str, str | None]] = set()
        self._found: dict[tuple[str, str | None], Price | None] = {}  # per request: memoized

    def price(self, model: str, deployment: str | None = None) -> Price | None:
        """The price of a call to `model` (the requested model or group) answered by
        `deployment` (its configured name, ``provider/group#n``), or None (cost not tracked).
        Without a deployment, the group's price when all its deployments agree."""
        at = (model, deployment)
        if at in self._found:
            return self._found[at]
        found = self._lookup(model, deployment)
        if len(self._found) < 10_000:  # model names come from requests: bounded
            self._found[at] = found
        if found is None and (model, deployment) not in self._warned:
            self._warned.add((model, deployment))
            log.warning(
                "cost not tracked for model %r%s: no price configured and no default for it"
                ' (set "price" on the model entry or under mcp.prices)',
                model,
                "" if deployment is None else f" (deployment {deployment})",
            )
        return found

    def worst_price(self, model: str) -> Price | None:
        """The dearest of the group's deployments (by input, then output rate): a bound for a
        call not yet routed. None when any of them has no price."""
        members = self._groups.get(model, [])
        prices = [self._lookup(model, d.name) for d in members] or [self._lookup(model, None)]
        if any(p is None for p in prices):
            return None
        return max(
            (p for p in prices if p is not None),
            key=lambda p: (max(p.input_pusd, p.cached_input_pusd), p.output_pusd),
        )

    def _lookup(self, model: str, deployment: str | None) -> Price | None:
        entry = self._deployments.get(deployment) if deployment is not None else None
        if entry is not None:
            return (
                entry.price
                or self._configured.get(entry.model)
                or self._configured.get(entry.group)
                or self._configured.get(model)
                or default_price(entry.model)
            )
        members = self._groups.get(model, [])
        if members:
            prices = {self._lookup(model, d.name) for d in members}
            return prices.pop() if len(prices) == 1 else None
        return self._configured.get(model) or default_price(model)

    def known(self) -> Iterable[tuple[str, Price | None]]:
        """Each deployment's price, for `config check` and the dashboard."""
        for name, entry in self._deployments.items():
            yield name, self._lookup(entry.group, name)
