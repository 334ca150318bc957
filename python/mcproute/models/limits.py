"""Per-deployment request and token budgets (rpm / tpm) over a sliding one-minute window.

A deployment over budget fails fast with a rate-limit error, so the Router tries another one
instead of sending a request the provider would refuse.

The window lives in a `governance.counters.UsageCounter`, under `deployment:<name>`, the same
counters that hold key and tenant limits: `MemoryUsage` in this process (library use),
`SqliteUsage` for the workers of one host, Redis for replicas; so N workers or replicas share
one budget instead of N. The deployment is chosen after the request's own admission (the Router
picks it), so its window is checked when the attempt starts; its tokens count when the
response says how many were used.
"""

from __future__ import annotations

import logging

from mcproute.errors import FailureKind, UpstreamError
from mcproute.governance.counters import Ask, Charge, Settlement, Ticket, UsageCounter
from mcproute.governance.limits import Limits
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.usage_sqlite import MemoryUsage

log = logging.getLogger("mcproute.limits")
NO_LEASE = Ask("")


class UsageWindow:
    """One deployment's budgets, counted in `counter` under the deployment's name."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        deployment: str | None = None,
        counter: UsageCounter | None = None,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.limited = rpm is not None or tpm is not None
        self._deployment = deployment
        subject = "deployment:" + (deployment or "")
        self._charges = (Charge(subject, Limits(rpm=rpm, tpm=tpm)),)
        self._tokens = Ticket("", (subject,), None, ("",), (False,))  # counted in the second now
        self._counter: UsageCounter = counter if counter is not None else MemoryUsage()

    async def admit(self) -> None:
        """Count one request, or raise a rate-limit error saying when budget frees up.
        A deployment without rpm/tpm never reaches the counter."""
        if not self.limited:
            return
        admission = await self._counter.reserve(self._charges, NO_LEASE)
        if admission.allowed:
            return
        limit = self.rpm if admission.limit == "rpm" else self.tpm
        budget = "requests" if admission.limit == "rpm" else "tokens"
        raise UpstreamError(
            FailureKind.RATE_LIMITED,
            f"local budget: {limit} {budget} per minute reached",
            retry_after=admission.retry_after,
            deployment=self._deployment,
        )

    async def record_tokens(self, tokens: int) -> None:
        if self.tpm is None or tokens <= 0:
            return
        try:
            await self._counter.settle([Settlement(self._tokens, tokens, 0)])
        except StoreUnavailableError as exc:
            # The response is already out; the next admission fails closed until it is back.
            log.warning("tokens of %s not counted: %s", self._deployment, exc)
