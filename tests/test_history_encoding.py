"""The snapshot a worker publishes keeps the encoding of minutes that are over: it must be the
same JSON as encoding the whole hour again, whatever the clock does."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from mcproute.config import DashboardSettings
from mcproute.proxy.current_request import CurrentRequest
from mcproute.proxy.history import History

START = 1_800_000_000.0
# Steps of the clock between requests: within a second, across seconds and minutes, back
# (a clock step) and over an hour ahead.
STEPS = st.sampled_from([0.001, 0.3, 1.7, 13.0, 61.0, -5.0, -70.0, 400.0, 3700.0])
READS = st.sampled_from([0.0, 1.0, 59.0, -3.0, 120.0, 3700.0])


def _request(history: History, now: float, seconds: float) -> None:
    history.request_done(
        now=now, request_id="r", key_id="k1", key_name=None, method="POST",
        route="/v1/chat/completions", model="gpt-4", status=200, seconds=seconds,
        current=CurrentRequest(tokens=[1, 2]), error=None, bodies=None,
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(STEPS, st.integers(0, 40), READS), min_size=1, max_size=40))
def test_kept_encoding_is_the_whole_encoding(script: list[tuple[float, int, float]]) -> None:
    history = History()
    now = START
    for step, requests, read in script:
        now += step
        for i in range(requests):
            _request(history, now + i * 0.05, 0.001 * i)
        at = now + read
        assert orjson.dumps(history.encodable(at)) == orjson.dumps(history.snapshot(at))


def test_a_minute_that_is_over_is_encoded_once_until_written_again() -> None:
    history = History()
    for i in range(120):
        _request(history, START + i, 0.002)
    first = orjson.dumps(history.encodable(START + 130))
    kept = dict(history._runs)
    assert kept  # the two minutes that are over
    assert orjson.dumps(history.encodable(START + 131)) == first
    assert history._runs == kept  # nothing encoded again
    _request(history, START + 5, 0.002)  # a clock step back into a minute that is over
    assert orjson.dumps(history.encodable(START + 131)) == orjson.dumps(
        history.snapshot(START + 131)
    )
    assert orjson.dumps(history.encodable(START + 131)) != first


def test_the_current_minute_is_never_taken_from_a_kept_encoding() -> None:
    """The current minute's run also holds what is left of the minute an hour before it."""
    history = History()
    _request(history, START + 30, 0.002)  # an hour and a bit ago, seen from below
    _request(history, START + 3605, 0.002)  # the same run of slots
    history.encodable(START + 3665)  # that minute is over: kept
    back = START + 3620  # the clock steps back into it; START + 30 is in the hour again
    assert orjson.dumps(history.encodable(back)) == orjson.dumps(history.snapshot(back))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 260), min_size=1, max_size=12),
    st.sampled_from([0, 1, 99, 100, 150, 1000]),
    st.sampled_from([None, 0, 50, 100, 333]),
)
def test_kept_log_encoding_is_the_whole_log(
    bursts: list[int], request_log: int, reloaded: int | None
) -> None:
    """Whole blocks of the request log are encoded once; the log's length can change on a
    reload, which keeps its newest entries."""
    history = History(DashboardSettings(request_log=request_log))
    now = START
    for i, burst in enumerate(bursts):
        for _ in range(burst):
            now += 0.01
            _request(history, now, 0.001)
        if reloaded is not None and i == len(bursts) // 2:
            history.follow(DashboardSettings(request_log=reloaded))
        assert orjson.dumps(history.encodable(now)) == orjson.dumps(history.snapshot(now))
