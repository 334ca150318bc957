"""The Rust balancer from Python: weights (chi-square), health properties (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcproute._core import STRATEGIES, Balancer, NoDeploymentAvailable

# 99.9th percentile of chi-square, by degrees of freedom.
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47}


def chi_square(observed: dict[str, int], weights: dict[str, float]) -> float:
    n = sum(observed.values())
    total = sum(weights.values())
    return sum(
        (observed.get(k, 0) - n * w / total) ** 2 / (n * w / total)
        for k, w in weights.items()
        if w > 0
    )


@pytest.mark.parametrize("strategy", ["round_robin", "random", "least_request", "peak_ewma"])
def test_selection_follows_weights(strategy: str) -> None:
    weights = {"a": 5.0, "b": 3.0, "c": 1.0, "d": 1.0}
    b = Balancer(strategy, seed=12345)
    for name, w in weights.items():
        b.upsert(name, w)
    counts: dict[str, int] = {}
    for _ in range(20_000):
        p = b.pick()
        counts[p.name] = counts.get(p.name, 0) + 1
        p.success(0.01)
    if strategy == "peak_ewma":
        # latency-driven: with equal latencies the weights still order the choices
        assert counts["a"] > counts["b"] > max(counts.get("c", 0), counts.get("d", 0))
    else:
        assert chi_square(counts, weights) < CHI2_999[3], counts


deployments = st.lists(
    st.tuples(st.sampled_from("abcdef"), st.sampled_from([0.0, 0.5, 1.0, 3.0])),
    min_size=1,
    max_size=6,
    unique_by=lambda t: t[0],
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    deps=deployments,
    failing=st.sets(st.sampled_from("abcdef")),
    strategy=st.sampled_from(STRATEGIES),
)
def test_health_properties(deps: list[tuple[str, float]], failing: set[str], strategy: str) -> None:
    b = Balancer(strategy, consecutive_failures=1, max_ejected_share=1.0, panic_threshold=0.5)
    for name, w in deps:
        b.upsert(name, w)
    for _ in range(3 * len(deps)):
        try:
            p = b.pick()
        except NoDeploymentAvailable:
            break
        if p.name in failing:
            p.failure(0.01)
        else:
            p.success(0.01)
    stats = b.stats()
    weighted = [n for n, w in deps if w > 0]
    healthy = [n for n in weighted if not stats[n]["ejected"]]
    panic = len(healthy) < 0.5 * len(weighted) or not healthy
    for _ in range(50):
        if not weighted:
            with pytest.raises(NoDeploymentAvailable, match="positive weight"):
                b.pick()
            return
        p = b.pick()
        assert dict(deps)[p.name] > 0, "weight 0 picked"
        if not panic:
            assert not stats[p.name]["ejected"], "ejected deployment picked outside panic mode"
        p.cancel()
    assert all(s["in_flight"] == 0 for s in b.stats().values())


def test_guard_reports_once_and_drop_releases() -> None:
    b = Balancer("round_robin")
    b.upsert("a", max_concurrency=1)
    p = b.pick()
    with pytest.raises(NoDeploymentAvailable, match="concurrency limit"):
        b.pick()
    assert p.success() is True
    assert p.failure() is False  # only the first report counts
    assert b.stats()["a"]["failures"] == 0
    q = b.pick()
    del q  # dropped without a report: released as a cancellation
    assert b.stats()["a"]["in_flight"] == 0
    assert b.pick().name == "a"


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match='strategy: unknown strategy "fast"'):
        Balancer("fast")
    with pytest.raises(ValueError, match="max_ejected_share"):
        Balancer(max_ejected_share=2.0)
    b = Balancer()
    with pytest.raises(ValueError, match="weight"):
        b.upsert("a", -1.0)
    with pytest.raises(ValueError, match="max_concurrency"):
        b.upsert("a", 1.0, 0)
    with pytest.raises(NoDeploymentAvailable):
        b.pick()


def test_latency_ejection_and_first_byte_from_python() -> None:
    b = Balancer(seed=3, latency_min_s=0.0, latency_multiple=3.0)
    assert b.strategy == "peak_ewma"
    for name in ("a", "b", "c"):
        b.upsert(name)
    for _ in range(30):
        p = b.pick()
        p.success(0.01 if p.name != "c" else 0.5)
        if b.stats()["c"]["ejected"]:
            break
    stats = b.stats()
    assert stats["c"]["ejected_reason"] == "latency"
    assert stats["a"]["ejected_reason"] is None
    # A stream's first byte is its latency; the final report does not count the stream's length.
    p = b.pick()
    assert p.name != "c"
    assert p.first_byte()
    assert not p.first_byte()  # only the first call counts
    assert p.success()
    assert b.stats()[p.name]["latency_ewma"] < 0.5
    with pytest.raises(ValueError, match="latency_multiple"):
        Balancer(latency_multiple=-1.0)
