"""The dashboard history's per-minute breakdown: a request adds to one row per (model, key,
route, status); the dashboard sees them summed by dimension, and a minute that has ended is
summed once, unless a request still lands in it."""

from __future__ import annotations

from typing import Any

from mcproute.proxy.current_request import CurrentRequest
from mcproute.proxy.history import History

MINUTE = 1_000_000 * 60  # a whole minute, as unix seconds


def _done(history: History, now: float, **fields: Any) -> None:
    base: dict[str, Any] = {
        "request_id": "r",
        "key_id": "k1",
        "key_name": None,
        "method": "POST",
        "route": "/v1/chat/completions",
        "model": "gpt-4",
        "status": 200,
        "seconds": 0.002,
        "error": None,
        "bodies": None,
    }
    current = CurrentRequest(tokens=[fields.pop("tokens_in", 10), 3])
    history.request_done(now=now, current=current, **{**base, **fields})


def _cells(history: History, now: float) -> dict[tuple[str, str], list[float]]:
    [minute] = history.snapshot(now)["minutes"]
    return {(d, v): row for d, v, *row in minute["breakdown"]}


def test_rows_are_summed_by_dimension() -> None:
    history = History()
    _done(history, MINUTE + 1)
    _done(history, MINUTE + 2, key_id="k2", status=429, tokens_in=5)
    _done(history, MINUTE + 3, model=None, key_id=None, status=401)  # refused before a model
    cells = _cells(history, MINUTE + 4)
    assert cells[("model", "gpt-4")] == [2, 1, 15, 6, 4.0]
    assert cells[("key", "k1")] == [1, 0, 10, 3, 2.0]
    assert cells[("key", "k2")] == [1, 1, 5, 3, 2.0]
    assert cells[("route", "/v1/chat/completions")] == [3, 2, 25, 9, 6.0]
    assert cells[("status", "200")][0] == 1
    assert cells[("status", "401")][0] == 1
    assert ("model", None) not in cells
    assert len(cells) == 7


def test_an_ended_minute_is_summed_once_unless_it_changes() -> None:
    history = History()
    _done(history, MINUTE + 1)
    later = MINUTE + 61  # the minute has ended
    assert _cells(history, later)[("model", "gpt-4")][0] == 1
    assert _cells(history, later)[("model", "gpt-4")][0] == 1  # the kept sum
    _done(history, MINUTE + 59)  # a clock step back into it
    assert _cells(history, later)[("model", "gpt-4")][0] == 2
