"""The shared counters every limit is held on: per subject (`key:<id>`, `tenant:<name>`,
`deployment:<name>`), a sliding one-minute window of requests and tokens, the leases of the
requests in flight, and the spend of the current budget period.

A `UsageCounter` reserves a request's worst case against every subject that applies in one
atomic step (`reserve`: one Redis script, or one SQLite transaction), and later settles the
reservation to what the request really used (`settle`: one more, shared by the settlements
that are due together). Backends:
`store.usage_sqlite.MemoryUsage` (one process, library use), `store.usage_sqlite.SqliteUsage`
(the workers of one host, on the data directory), `store.redis_state.RedisState` (replicas, on
Redis `TIME`). Both shared ones raise `StoreUnavailableError` when they cannot be reached, and
the caller refuses the request (fail closed).

Windows are kept in one-second buckets: a bucket counts while any part of it is inside the
window, so the window is at most a second longer than `WINDOW_SECONDS`, never shorter, and a
limit is never exceeded. Money is counted in whole micro-dollars (integers add exactly).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from mcproute.governance.limits import Limits

WINDOW_SECONDS = 60.0
DAY_S = 86400
MICROS = 1_000_000


def micros(usd: float) -> int:
    """USD as whole micro-dollars, rounded up (a reservation or a charge never shrinks)."""
    return max(0, math.ceil(round(usd * MICROS, 6)))


@dataclass(frozen=True)
class Charge:
    """One subject a request counts against, with that subject's limits."""

    subject: str
    limits: Limits


@dataclass(frozen=True)
class Ask:
    """What a request reserves: one request, its worst-case tokens and cost, and a lease on a
    slot in flight (`lease_s`: how long the slot is held if nobody settles it, say after a
    crash) named `rid`.

    `want` > 1 asks for a grant of headroom instead (`governance.leases`): up to `want` times
    the request (requests, tokens, cost) and up to `slots` slots in flight, counted in the
    window's bucket `ahead_s` seconds from now (the grant is used until then, so every request
    admitted from it stays counted for a whole window after it). The store sizes the grant to
    a share of what is left (`lease_size`) and falls back to this one request near a limit."""

    rid: str
    tokens: int = 0
    cost_micros: int = 0
    lease_s: float = 0.0
    want: int = 1
    slots: int = 1
    ahead_s: float = 0.0


@dataclass(frozen=True)
class SubjectUsage:
    """One subject's usage as the store saw it just before an admission (or a read)."""

    requests: int = 0  # in the window
    tokens: int = 0  # in the window
    in_flight: int = 0
    spend_micros: int = 0  # in the budget period
    period: str = ""  # the budget period's id ("" without a budget)
    requests_reset: float = 0.0  # seconds until the window's oldest request leaves it
    tokens_reset: float = 0.0
    period_reset: float = 0.0  # seconds until the budget period ends (inf: never)


@dataclass(frozen=True)
class Admission:
    allowed: bool
    second: int  # the window bucket the request was counted in
    usage: tuple[SubjectUsage, ...]  # per charge, in the order given
    refused: int = -1  # the index of the charge that refused
    limit: str = ""  # which of its limits: rpm, tpm, max_parallel, budget
    retry_after: float = 0.0
    granted: int = 1  # how many times the ask was counted (> 1: a grant of headroom)
    slots: int = 1  # the slots in flight taken (per subject with max_parallel)


@dataclass(frozen=True)
class Ticket:
    """What a settlement needs to find an admission's counts again."""

    rid: str
    subjects: tuple[str, ...]
    second: int | None  # None: count in the current second (tokens after the fact)
    periods: tuple[str, ...]  # per subject: its budget period at admission ("": none)
    leased: tuple[bool, ...]  # per subject: whether a slot in flight was taken
    slots: int = 1  # slots in flight: `rid` itself (1), or `rid.0` .. `rid.<slots - 1>`

    def members(self, lo: int = 0, hi: int | None = None) -> list[str]:
        """The names of slots `lo` to `hi` (exclusive) in the sets of requests in flight."""
        if self.slots == 1:
            return [self.rid] if lo == 0 and (hi is None or hi > 0) else []
        return [f"{self.rid}.{i}" for i in range(lo, self.slots if hi is None else hi)]


@dataclass(frozen=True)
class Settlement:
    """What to add to an admission's counts (negative: give back), and its slots to free
    (`free`: slots `lo` to `hi` of the ticket; None: all of them). A settlement applies once
    per id (`sid`, else the ticket's reservation id)."""

    ticket: Ticket
    tokens: int
    cost_micros: int
    requests: int = 0  # requests given back to the admission's bucket (<= 0)
    free: tuple[int, int] | None = None
    sid: str = ""

    @property
    def id(self) -> str:
        return self.sid or self.ticket.rid

    def freed(self) -> list[str]:
        """The slot names this settlement frees (per subject that took slots)."""
        return self.ticket.members() if self.free is None else self.ticket.members(*self.free)


def ticket(charges: Sequence[Charge], ask: Ask, admission: Admission) -> Ticket:
    return Ticket(
        ask.rid,
        tuple(c.subject for c in charges),
        admission.second,
        tuple(u.period for u in admission.usage),
        tuple(c.limits.max_parallel is not None and ask.lease_s > 0 for c in charges),
        admission.slots,
    )


def given_back(charges: Sequence[Charge], ask: Ask, admission: Admission) -> Settlement:
    """What gives back an admission whose caller left before it heard of it (the request
    itself stays counted, like any that was sent)."""
    n = admission.granted
    return Settlement(ticket(charges, ask, admission), -n * ask.tokens, -n * ask.cost_micros, 1 - n)


LEASE_SHARE = 8  # a grant takes at most this share of what is left of a limit...
LEASE_MIN = 4  # ...and is made only if it covers this many requests (and slots): else one


def lease_size(
    charges: Sequence[Charge], usage: Sequence[SubjectUsage], ask: Ask
) -> tuple[int, int]:
    """(requests, slots) to grant for `ask` (which fits): `ask.want` requests and `ask.slots`
    slots, cut to 1/LEASE_SHARE of every limit's headroom; (1, 1) when that is under
    LEASE_MIN, so near a limit every request is reserved on its own. Mirrored in
    `store.redis_usage.RESERVE`."""
    if ask.want <= 1:
        return 1, 1
    count, slots, parallel = ask.want, ask.slots, False
    for charge, used in zip(charges, usage, strict=True):
        limits = charge.limits
        if limits.rpm is not None:
            count = min(count, (limits.rpm - used.requests) // LEASE_SHARE)
        if limits.tpm is not None and ask.tokens > 0:
            count = min(count, (limits.tpm - used.tokens) // (ask.tokens * LEASE_SHARE))
        if limits.budget_usd is not None and ask.cost_micros > 0:
            left = micros(limits.budget_usd) - used.spend_micros
            count = min(count, left // (ask.cost_micros * LEASE_SHARE))
        if limits.max_parallel is not None and ask.lease_s > 0:
            parallel = True
            slots = min(slots, (limits.max_parallel - used.in_flight) // LEASE_SHARE)
    slots = min(slots, count) if parallel else 1
    if count < LEASE_MIN or (parallel and slots < LEASE_MIN):
        return 1, 1
    return count, slots


class UsageCounter(Protocol):
    async def reserve(self, charges: Sequence[Charge], ask: Ask) -> Admission:
        """Atomically: if every charge's limits hold with `ask` added, count it against all
        of them; else count nothing and say which limit refused."""
        ...

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        """Apply settlements (several in one round trip): add their tokens and cost to their
        admissions' counts and free their slots in flight."""
        ...

    async def renew(self, tickets: Sequence[Ticket], lease_s: float) -> None:
        """Extend the leases of admissions still running."""
        ...

    async def read(self, charges: Sequence[Charge]) -> tuple[SubjectUsage, ...]:
        """The subjects' usage now, counting nothing."""
        ...


def period_of(kind: str, now: float) -> tuple[str, float]:
    """(id, end) of the budget period of `kind` holding `now` (UTC calendar periods)."""
    day = int(now // DAY_S)
    if kind == "day":
        return f"d{day}", (day + 1) * DAY_S
    if kind == "week":  # ISO weeks start on Monday; day 0 (1970-01-01) was a Thursday
        week = (day + 3) // 7
        return f"w{week}", ((week + 1) * 7 - 3) * DAY_S
    if kind == "month":
        at = datetime.fromtimestamp(now, UTC)
        index = at.year * 12 + at.month - 1
        year, month = divmod(index + 1, 12)
        return f"m{index}", datetime(year, month + 1, 1, tzinfo=UTC).timestamp()
    return "total", math.inf


def refusal(limits: Limits, usage: SubjectUsage, ask: Ask) -> tuple[str, float] | None:
    """(the limit, seconds until it frees up) that `ask` would break, or None: it fits."""
    if limits.rpm is not None and usage.requests + 1 > limits.rpm:
        return "rpm", usage.requests_reset if usage.requests else WINDOW_SECONDS
    if limits.tpm is not None and (
        usage.tokens >= limits.tpm or usage.tokens + ask.tokens > limits.tpm
    ):
        return "tpm", usage.tokens_reset if usage.tokens else WINDOW_SECONDS
    if limits.max_parallel is not None and usage.in_flight + 1 > limits.max_parallel:
        return "max_parallel", 1.0
    if limits.budget_usd is not None:
        budget = micros(limits.budget_usd)
        if usage.spend_micros >= budget or usage.spend_micros + ask.cost_micros > budget:
            return "budget", usage.period_reset
    return None
