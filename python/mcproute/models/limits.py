"""Per-deployment request and token budgets (rpm / tpm) over a sliding one-minute window.

A deployment over budget fails fast with a rate-limit error, so the Router tries another one
instead of sending a request the provider would refuse.

The window lives in a `governance.counters.UsageCounter`, under `deployment:<name>`, the same
counters that hold key and tenant limits: `MemoryUsage` in this process (library use),
`SqliteUsage` for the workers of one host, Redis for replicas; so N workers or replicas share
one budget instead of N. The deployment is chosen after the request's own admission (the Router
picks it), so its window is checked when the attempt starts; its tokens count when the
response says how many were used.

With the process's `Governor` (the server's), a window with an rpm and no tpm is admitted
from the Governor's per-process leases of headroom (`governance.leases`), like key and tenant
limits: no store round trip on most requests, the same exactness across workers and replicas,
and the same failing closed. A tpm window is reserved request by request: its tokens are only
known after the response, so a lease could not bound them.
"""

from __future__ import annotations

import logging

from mcproute.errors import FailureKind, UpstreamError
from mcproute.governance.counters import Ask, Charge, Settlement, Ticket, UsageCounter
from mcproute.governance.limits import Limits
from mcproute.governance.reservation import Bound, Governor, LimitExceeded
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.usage_sqlite import MemoryUsage

log = logging.getLogger("mcproute.limits")
NO_LEASE = Ask("")
NOTHING = Bound(0, 0, 0)  # a window counts the request; its tokens come after the response


class UsageWindow:
    """One deployment's budgets, counted in `counter` under the deployment's name."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        deployment: str | None = None,
        counter: UsageCounter | None = None,
        governor: Governor | None = None,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.limited = rpm is not None or tpm is not None
        self._deployment = deployment
        subject = "deployment:" + (deployment or "")
        self._charges = (Charge(subject, Limits(rpm=rpm, tpm=tpm)),)
        self._tokens = Ticket("", (subject,), None, ("",), (False,))  # counted in the second now
        self._counter: UsageCounter = counter if counter is not None else MemoryUsage()
        # Leased (the governor counts on `counter`): see the module's docstring.
        leased = governor is not None and governor.counter is self._counter and tpm is None
        self._governor = governor if leased else None

    async def admit(self) -> None:
        """Count one request, or raise a rate-limit error saying when budget frees up.
        A deployment without rpm/tpm never reaches the counter."""
        if not self.limited:
            return
        if self._governor is not None:
            await self._admit_leased(self._governor)
            return
        admission = await self._counter.reserve(self._charges, NO_LEASE)
        if not admission.allowed:
            raise self._refused(admission.limit, admission.retry_after)

    async def _admit_leased(self, governor: Governor) -> None:
        reservation = governor.from_lease(self._charges, NOTHING)
        if reservation is None:
            try:
                reservation = await governor.reserve(self._charges, NOTHING)
            except LimitExceeded as exc:
                raise self._refused(exc.limit.rpartition(".")[2], exc.retry_after) from None
        reservation.finish_now()  # counted; nothing to settle (no tokens were reserved)

    def _refused(self, limit_name: str, retry_after: float) -> UpstreamError:
        limit = self.rpm if limit_name == "rpm" else self.tpm
        budget = "requests" if limit_name == "rpm" else "tokens"
        return UpstreamError(
            FailureKind.RATE_LIMITED,
            f"local budget: {limit} {budget} per minute reached",
            retry_after=retry_after,
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
