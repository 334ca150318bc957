"""A histogram folds its observations in batches: what is read (series, quantiles, the
Prometheus text) is every observation made so far, folded or not."""

from __future__ import annotations

import bisect

from hypothesis import given
from hypothesis import strategies as st

from mcproute.proxy.metrics import FOLD_AT, Histogram

BUCKETS = (0.001, 0.01, 0.1, 1.0)
LABELS = ((("route", "/a"),), (("route", "/b"),))


def _expected(observed: list[tuple[int, float]]) -> dict[tuple[tuple[str, str], ...], list[float]]:
    out: dict[tuple[tuple[str, str], ...], list[float]] = {}
    for which, value in observed:
        series = out.setdefault(LABELS[which], [0.0] * (len(BUCKETS) + 2))
        series[bisect.bisect_left(BUCKETS, value)] += 1
        series[-1] += value
    return out


@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0, 10)), max_size=50))
def test_series_read_hold_every_observation(observed: list[tuple[int, float]]) -> None:
    histogram = Histogram("h", "help", BUCKETS)
    for which, value in observed:
        histogram.observe(LABELS[which], value)
    assert histogram.series == _expected(observed)
    histogram.observe(LABELS[0], 0.5)  # after a read, more come in as before
    assert histogram.series == _expected([*observed, (0, 0.5)])


def test_a_full_batch_is_folded_without_a_read() -> None:
    histogram = Histogram("h", "help", BUCKETS)
    for _ in range(FOLD_AT):
        histogram.observe(LABELS[0], 0.05)
    assert not histogram._pending  # folded as the batch filled
    assert histogram.series[LABELS[0]][2] == FOLD_AT


def test_render_and_quantile_see_unfolded_observations() -> None:
    histogram = Histogram("h", "help", BUCKETS)
    histogram.observe(LABELS[1], 0.005)
    out: list[str] = []
    histogram.render(out)
    assert 'h_count{route="/b"} 1' in out
    assert histogram.quantile(0.5) is not None
