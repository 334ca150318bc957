"""Each model call an ensemble makes (a member, its judge, merger or embeddings model), told as
it ends to whoever accounts for the request being served: the proxy settles the request's
reservation per call, prices it at the deployment that answered, and records it in the metrics
and the spend ledger. A member cancelled, failed or past the deadline is told too, with the
usage it reported (usually none). Unset in library use: nothing is told."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple

from mcproute.models import served


class Part(NamedTuple):
    model: str  # the member or helper as configured
    deployment: str | None  # the deployment that answered (None: none did)
    usage: Mapping[str, Any]  # its usage object as reported ({}: none)


PART_SINK: ContextVar[Callable[[Part], None] | None] = ContextVar(
    "mcproute_ensemble_parts", default=None
)


def report(model: str, deployment: str | None, usage: Mapping[str, Any] | None) -> None:
    sink = PART_SINK.get()
    if sink is not None:
        sink(Part(model, deployment, usage or {}))


@contextlib.contextmanager
def own_deployment() -> Iterator[Callable[[], str | None]]:
    """Calls made inside note their deployment in a holder of their own (the request's is
    shared by every member), read by the function yielded."""
    holder = [""]
    token = served.SERVED_BY.set(holder)
    try:
        yield lambda: holder[1] if len(holder) > 1 else None
    finally:
        served.SERVED_BY.reset(token)
