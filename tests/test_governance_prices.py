"""Prices: configuration, shipped defaults, exact costs."""

from __future__ import annotations

import logging
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcproute.config import ConfigError, parse_config
from mcproute.governance.prices import Price, PriceTable, default_price


def _config(extra_models: list[object] | None = None, prices: object = None) -> dict[str, object]:
    mcp: dict[str, object] = {
        "models": {
            "openai": {
                "api_key": "sk-test",
                "models": [
                    "gpt-4o-2024-08-06",
                    {
                        "name": "house",
                        "model": "llama-3",
                        "price": {"input_per_mtok": 0.1, "output_per_mtok": 0.25},
                    },
                    "local-model",
                    *(extra_models or []),
                ],
            },
            "anthropic": {"api_key": "sk-ant", "models": ["claude-sonnet-4-5-20250929"]},
        }
    }
    if prices is not None:
        mcp["prices"] = prices
    return {"mcp": mcp}


def test_price_sources_in_order() -> None:
    config = parse_config(
        _config(prices={"local-model": {"input_per_mtok": 1, "output_per_mtok": 2}}), env={}
    )
    table = PriceTable(config)
    own = table.price("house", "openai/house#0")
    assert own == Price.per_mtok("0.1", "0.25")
    assert table.price("local-model", "openai/local-model#0") == Price.per_mtok(1, 2)
    dated = table.price("gpt-4o-2024-08-06", "openai/gpt-4o-2024-08-06#0")
    assert dated is not None
    assert dated.source == "default"
    assert dated == default_price("gpt-4o")
    claude = table.price("claude-sonnet-4-5-20250929")  # no deployment: the group's one price
    assert claude == default_price("claude-sonnet-4-5")


def test_configured_price_overrides_default() -> None:
    override = {"gpt-4o-2024-08-06": {"input_per_mtok": 9, "output_per_mtok": 9}}
    table = PriceTable(parse_config(_config(prices=override), env={}))
    assert table.price("gpt-4o-2024-08-06", "openai/gpt-4o-2024-08-06#0") == Price.per_mtok(9, 9)


def test_unknown_price_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    table = PriceTable(parse_config(_config(), env={}))
    with caplog.at_level(logging.WARNING, logger="mcproute.governance.prices"):
        for _ in range(3):
            assert table.price("local-model", "openai/local-model#0") is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert "local-model" in lines[0]
    assert "cost not tracked" in lines[0]


def test_worst_price_of_a_group() -> None:
    config = parse_config(
        _config(
            extra_models=[
                {"name": "mixed", "model": "gpt-4o-mini"},
                {"name": "mixed", "model": "gpt-4o"},
            ]
        ),
        env={},
    )
    table = PriceTable(config)
    assert table.worst_price("mixed") == default_price("gpt-4o")
    assert table.price("mixed") is None  # two prices: the deployment decides
    assert table.worst_price("local-model") is None


def test_defaults_for_known_spellings() -> None:
    assert default_price("us.anthropic.claude-3-5-sonnet-20240620-v1:0") == default_price(
        "claude-3-5-sonnet"
    )
    assert default_price("openai/gpt-4o-mini") == default_price("gpt-4o-mini")
    assert default_price("gpt-4o-mini-2024-07-18") == default_price("gpt-4o-mini")
    assert default_price("gpt-4-0613") == default_price("gpt-4")
    assert default_price("gpt-4.1x") is None
    assert default_price("llama3") is None


def test_cost_is_exact() -> None:
    price = Price.per_mtok("3", "15", "0.3")
    # 1000 input of which 400 cached, 200 output: 600*3 + 400*0.3 + 200*15 = 4920 µ$
    assert price.cost_nusd(1000, 200, 400) == 4_920_000
    assert price.cost_usd(1000, 200, 400) == 0.00492
    assert price.max_cost_nusd(1000, 200) == 6_000_000  # every input token at the input rate
    assert Price.per_mtok("0.075", "0.6").cost_nusd(1, 1) == 675  # 75 + 600 nanodollars
    tiny = Price.per_mtok("0.0004", "0.0005")  # 0.4 and 0.5 nanodollars a token
    assert tiny.cost_nusd(1, 0) == 0
    assert tiny.cost_nusd(0, 1) == 1  # half up
    assert tiny.cost_nusd(3, 0) == 1  # 1.2
    assert tiny.max_cost_nusd(1, 0) == 1  # a bound rounds up


@given(
    st.lists(
        st.tuples(st.integers(0, 200_000), st.integers(0, 50_000), st.integers(0, 200_000)),
        max_size=50,
    )
)
def test_costs_sum_without_drift(calls: list[tuple[int, int, int]]) -> None:
    price = Price.per_mtok("2.5", "10", "1.25")
    total = sum(price.cost_nusd(i, o, c) for i, o, c in calls)
    exact = sum(
        (
            Decimal(i - min(c, i)) * Decimal("2.5")
            + Decimal(min(c, i)) * Decimal("1.25")
            + Decimal(o) * Decimal("10")
        )
        * 1000  # nanodollars per token per (USD per million tokens)
        for i, o, c in calls
    )
    assert total == exact  # these rates give whole nanodollars: no rounding at all
    for i, o, c in calls:
        assert price.cost_nusd(i, o, c) <= price.max_cost_nusd(i, o)


@pytest.mark.parametrize(
    ("price", "path", "reason"),
    [
        ({"input_per_mtok": -1, "output_per_mtok": 1}, "price.input_per_mtok", "at least 0"),
        ({"input_per_mtok": "3", "output_per_mtok": 1}, "price.input_per_mtok", "must be a number"),
        ({"input_per_mtok": 1}, "price.output_per_mtok", "missing"),
        ({"input_per_mtok": 1, "output_per_mtok": 1, "per_call": 1}, "price.per_call", "unknown"),
        ({"input_per_mtok": 1e-7, "output_per_mtok": 1}, "price.input_per_mtok", "decimal places"),
        ({"input_per_mtok": True, "output_per_mtok": 1}, "price.input_per_mtok", "number"),
        (7, "price", "must be an object"),
    ],
)
def test_bad_prices_are_named(price: object, path: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_config(extra_models=[{"name": "x", "price": price}]), env={})
    issues = [str(i) for i in caught.value.issues]
    assert any(f"models[3].{path}" in i and reason in i for i in issues), issues


def test_prices_for_unknown_models_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            _config(prices={"gtp-4o": {"input_per_mtok": 1, "output_per_mtok": 1}}), env={}
        )
    assert "mcp.prices.gtp-4o: names no configured model" in str(caught.value)


def test_config_check_reports_prices(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(
        orjson.dumps(_config(extra_models=[{"name": "x", "price": {"input_per_mtok": 1}}]))
    )
    run = [sys.executable, "-m", "mcproute.cli", "config", "check"]
    failed = subprocess.run([*run, str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert (
        "mcp.models.openai.models[3].price.output_per_mtok: missing"
        in failed.stderr + failed.stdout
    )
    good = tmp_path / "good.json"
    good.write_bytes(orjson.dumps(_config()))
    ok = subprocess.run([*run, str(good)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "cost not tracked (no price) for: openai/local-model#0" in ok.stdout


def test_the_input_bound_counts_every_byte_and_a_cap_per_media_part() -> None:
    from mcproute.models.token_estimate import MEDIA_TOKEN_BOUND, input_token_bound

    text = b'{"model":"m","messages":[{"role":"user","content":"hello"}]}'
    assert input_token_bound(text) == len(text)
    for part in (b'"image_url"', b'"input_image"', b'"document"', b'"input_file"', b'"image"'):
        raw = b'{"messages":[{"content":[{"type":' + part + b"}]}]}"
        assert input_token_bound(raw) >= len(raw) + MEDIA_TOKEN_BOUND, part
