"""The cost of one balancer pick + report from Python (the Router does one per attempt).

Run with `make bench` (or `python -m benches.run routing`). Never part of `make test`.
"""

from __future__ import annotations

from typing import Any

from mcproute._core import Balancer


def test_pick_from_python(benchmark: Any) -> None:
    b = Balancer("least_request", seed=1)
    for i, w in enumerate([5.0, 3.0, 1.0, 1.0]):
        b.upsert(f"deployment-{i}", w)

    def pick_and_report() -> None:
        b.pick().success(0.01)

    benchmark.group = "routing: one pick + report from Python (4 deployments)"
    benchmark.extra_info.update(role="ours")
    benchmark(pick_and_report)
