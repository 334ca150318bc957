"""Routing: weighted load balancing (Rust), retries, fallbacks, timeouts, hedging, aggregation."""

from mcproute._core import NoDeploymentAvailable
from mcproute.routing.aggregate import (
    AggregateError,
    AggregateResult,
    aggregate,
    default_normalize,
)
from mcproute.routing.policy import RouterPolicy
from mcproute.routing.router import Router, StreamCut, UnknownGroupError, classify
from mcproute.routing.types import AttemptContext, AttemptEvent, Deployment

__all__ = [
    "AggregateError",
    "AggregateResult",
    "AttemptContext",
    "AttemptEvent",
    "Deployment",
    "NoDeploymentAvailable",
    "Router",
    "RouterPolicy",
    "StreamCut",
    "UnknownGroupError",
    "aggregate",
    "classify",
    "default_normalize",
]
