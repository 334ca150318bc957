"""Leases of headroom: a worker takes a slice of what is left of its limits from the shared
counters in one atomic step (requests and tokens of the window, money of the budget period,
slots in flight), admits requests from it locally, settles them locally, and gives back what
is left when the lease ends. A request admitted from a lease costs no store round trip.

A lease can never let the workers and replicas together admit more than a limit: the store
counts the whole slice as reserved when it grants it, and a worker admits from a lease only
what fits in it. Sizes adapt: a slice asks for what the worker used of its last lease (twice
as much when that ran out early), and the store cuts it to 1/`LEASE_SHARE` of each limit's
headroom, granting none below `LEASE_MIN` requests (`counters.lease_size`): near a limit
every request is reserved on its own, and leftovers are given back (in the same order, before
the next reservation) whenever a lease cannot cover a request, so the last requests under a
limit are admitted exactly.

A lease's requests and tokens are counted in the window's bucket `LEASE_LIFE_S` ahead, the
end of the lease's life on the store's clock: every request admitted from it stays counted
for a whole window after it. The life is measured locally from before the grant was asked
for, so it ends before the store's. Failing closed: a lease is used for at most
`LEASE_LIFE_S`, and all leases are dropped when a call to the store fails.

Requests still running when their lease ends settle on their own, against the lease's bucket,
and free one of its slots each.

Renewal ahead: once a lease has admitted `RENEW_AT` of its requests or lived `RENEW_AT` of its
life, the next lease is asked for in the background (one in flight per set of charges), while
the current one goes on admitting; when the grant arrives it takes the current one's place,
and the replaced lease's leftovers go back with the next call to the store (the next grant or
give-back; the keeper sends them once they have waited a lease's life), so a turnover costs
the request path nothing and one store step, one hop to the store's thread, instead of two.
Both leases are counted in full while they overlap, which errs on the refusing side. A request
that finds its lease spent while a grant is on its way waits for that grant.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from mcproute.governance.counters import (
    WINDOW_SECONDS,
    Admission,
    Ask,
    Charge,
    Settlement,
    Ticket,
    UsageCounter,
    ticket,
)

LEASE_LIFE_S = 1.0  # how long a worker admits from a lease (and at most after its store left)
FIRST_WANT = 32  # requests a first lease asks for
MAX_WANT = 8_192
MAX_SLOTS = 256  # slots in flight a lease asks for at most
RENEW_AT = 0.75  # the share of a lease's requests or life after which the next is asked for
log = logging.getLogger("mcproute.governance")


def _random_rid() -> str:
    return f"{random.getrandbits(64):016x}"


class Lease:
    """A slice of headroom held by this process, and what was admitted from it."""

    def __init__(
        self,
        charges: Sequence[Charge],
        ask: Ask,
        admission: Admission,
        expires: float,
        life_s: float = LEASE_LIFE_S,
    ) -> None:
        self.charges = charges  # (kept: `Leases` finds a lease by the identity of its charges)
        self.ask = ask  # the grant's ask: the next lease is asked for alike
        self.ticket: Ticket = ticket(charges, ask, admission)
        self.requests = admission.granted
        self.tokens = admission.granted * ask.tokens
        self.cost_micros = admission.granted * ask.cost_micros
        self.slots = admission.slots if any(self.ticket.leased) else 0
        self.expires = expires
        self.started = time.monotonic()
        # When the next lease is asked for ahead (`Leases._renew`), and whether it was.
        self.renew_requests = int(self.requests * RENEW_AT)
        self.renew_at = expires - life_s * (1 - RENEW_AT)
        self.renewing = False
        self.live = True
        self.used_requests = 0
        self.used_tokens = 0  # reserved by requests running, used by those that ended
        self.used_micros = 0
        self.in_flight = 0  # requests holding a slot
        self.held = self.slots  # slots still held in the store (0 .. held - 1)
        self.running = 0  # requests admitted from it and not yet settled
        self._stragglers = 0  # settlements sent after the lease ended (each has its own id)
        # The headers' parts that stay the same, and per kind (name, limit, count at the
        # grant) of the tightest limit (the same one while the lease lives: every charge
        # counts this process's admissions alike).
        self._fixed: dict[str, str] = {}
        self._requests: tuple[str, int, int] | None = None
        self._tokens: tuple[str, int, int] | None = None
        for kind, field in (("requests", "rpm"), ("tokens", "tpm")):
            best: tuple[int, int, float] | None = None
            for charge, used in zip(charges, admission.usage, strict=True):
                limit = getattr(charge.limits, field)
                if limit is not None:
                    spent = getattr(used, kind)
                    if best is None or limit - spent < best[0] - best[1]:
                        best = (limit, spent, getattr(used, f"{kind}_reset") or WINDOW_SECONDS)
            if best is not None:
                self._fixed[f"x-ratelimit-limit-{kind}"] = str(best[0])
                self._fixed[f"x-ratelimit-reset-{kind}"] = f"{best[2]:.3f}s"
                remaining = (f"x-ratelimit-remaining-{kind}", best[0], best[1])
                if kind == "requests":
                    self._requests = remaining
                else:
                    self._tokens = remaining

    def take(self, tokens: int, cost_micros: int, now: float) -> bool:
        """Admit a request of `tokens` and `cost_micros` from the lease, if it is live and
        fits (with a slot in flight when the lease has slots)."""
        if (
            not self.live
            or now >= self.expires
            or self.used_requests >= self.requests
            or self.used_tokens + tokens > self.tokens
            or self.used_micros + cost_micros > self.cost_micros
            or (self.slots and self.in_flight >= self.slots)
        ):
            return False
        self.used_requests += 1
        self.used_tokens += tokens
        self.used_micros += cost_micros
        if self.slots:
            self.in_flight += 1
        self.running += 1
        return True

    def headers(self) -> dict[str, str]:
        """OpenAI's `x-ratelimit-*` headers: the counts at the grant plus what this process
        admitted from the lease since (other processes' admissions show at the next grant)."""
        out = dict(self._fixed)
        if self._requests is not None:
            name, limit, base = self._requests
            out[name] = str(max(limit - base - self.used_requests, 0))
        if self._tokens is not None:
            name, limit, base = self._tokens
            out[name] = str(max(limit - base - self.used_tokens, 0))
        return out

    def unused(self) -> tuple[int, int, int, int]:
        """(requests, tokens, micro-dollars, slots) held and not used."""
        return (
            self.requests - self.used_requests,
            self.tokens - self.used_tokens,
            self.cost_micros - self.used_micros,
            self.held - self.in_flight if self.live else 0,
        )

    def end(self) -> Settlement:
        """Stop admitting; the settlement that gives back what is left (the slots of requests
        still running stay held until each ends)."""
        self.live = False
        free = (self.in_flight, self.held)
        self.held = self.in_flight
        return Settlement(
            self.ticket,
            self.used_tokens - self.tokens,
            self.used_micros - self.cost_micros,
            self.used_requests - self.requests,
            free,
            sid=self.ticket.rid + ".end",
        )

    def settle(self, tokens: int, cost_micros: int) -> Settlement | None:
        """A request admitted from the lease ended, using `tokens` and `cost_micros` more
        (negative: less) than it took: counted in the lease while it lives, else the
        settlement to send (which frees one of the lease's slots)."""
        self.running -= 1
        slot = 1 if self.slots else 0
        self.in_flight -= slot
        if self.live:
            self.used_tokens += tokens
            self.used_micros += cost_micros
            return None
        free = (self.held - 1, self.held) if slot else (0, 0)
        self.held -= slot
        self._stragglers += 1
        sid = f"{self.ticket.rid}.s{self._stragglers}"
        return Settlement(self.ticket, tokens, cost_micros, 0, free, sid=sid)


class Leases:
    """The leases of one process, one per set of charges (a key, with its tenant)."""

    def __init__(
        self,
        counter: UsageCounter,
        keep: Callable[[Settlement], None],
        life_s: float = LEASE_LIFE_S,
        rid: Callable[[], str] = _random_rid,
    ) -> None:
        self._counter = counter
        self.life_s = life_s
        self._rid = rid  # a new reservation id (for the grants asked for ahead)
        self._keep = keep  # where a give-back the store refused goes (the settler: journaled)
        self._leases: dict[tuple[Charge, ...], Lease] = {}
        self._by_id: dict[int, Lease] = {}  # the same leases, by the identity of their charges
        self._asking: dict[tuple[Charge, ...], asyncio.Future[None]] = {}
        self._want: dict[tuple[Charge, ...], int] = {}
        self._ended: set[Lease] = set()  # ended, with slots still held by running requests
        # Give-backs of leases replaced by one granted ahead, sent with the next store call
        # (or by the keeper once the oldest has waited a lease's life), and since when.
        self._returns: list[Settlement] = []
        self._returns_since = 0.0
        self._generation = 0  # one more at every `drop`: a grant asked for before is not used
        self._renewals: set[asyncio.Future[None]] = set()

    def take(self, charges: Sequence[Charge], tokens: int, cost_micros: int) -> Lease | None:
        """The lease a request of `tokens` and `cost_micros` was admitted from, or None."""
        lease = self._by_id.get(id(charges))
        if lease is None or lease.charges is not charges:  # (a list of the same charges)
            lease = self._leases.get(tuple(charges))
        now = time.monotonic()
        if lease is not None and lease.take(tokens, cost_micros, now):
            if not lease.renewing and (
                lease.used_requests >= lease.renew_requests or now >= lease.renew_at
            ):
                self._renew_ahead(lease)
            return lease
        return None

    def _renew_ahead(self, lease: Lease) -> None:
        """Ask for the lease after `lease` in the background (unless a grant is on its way)."""
        lease.renewing = True
        key = tuple(lease.charges)
        # A store that lost its connection (`RedisState.reachable`) is not asked ahead.
        if key in self._asking or not getattr(self._counter, "reachable", True):
            return
        asked = asyncio.get_running_loop().create_future()
        self._asking[key] = asked
        task = asyncio.ensure_future(self._renew(key, lease, asked))
        self._renewals.add(task)
        task.add_done_callback(self._renewals.discard)

    async def _renew(
        self, key: tuple[Charge, ...], old: Lease, asked: asyncio.Future[None]
    ) -> None:
        """Grant the lease that replaces `old`, which admits meanwhile. The leftovers of
        leases replaced before go back in the same store step (the same turn of the loop)."""
        generation = self._generation
        try:
            want = self._next_want(key, old)
            slots = min(MAX_SLOTS, want) if old.ask.lease_s > 0 else 1
            grant = replace(old.ask, rid=self._rid(), want=want, slots=slots)
            expires = time.monotonic() + self.life_s
            if self._returns:
                self._send_back(self._take_returns())
            admission = await self._counter.reserve(key, grant)
        except Exception as exc:  # fail closed: admit nothing more from what the store granted
            log.warning("a lease of headroom was not renewed: %s", type(exc).__name__)
            for settlement in self.drop():
                self._keep(settlement)
            return
        finally:
            del self._asking[key]
            asked.set_result(None)
        if not admission.allowed:
            return
        lease = Lease(old.charges, grant, admission, expires, self.life_s)
        if (
            admission.granted <= 1  # near a limit: requests are reserved one by one
            or generation != self._generation  # the leases were dropped meanwhile
            or self._leases.get(key) is not old
        ):
            self._keep(lease.end())
            return
        self._pop(key)
        if not self._returns:
            self._returns_since = time.monotonic()
        self._returns.append(self._end(old))
        self._leases[key] = lease
        self._by_id[id(old.charges)] = lease

    async def renewed(self) -> None:
        """Wait for the grants asked for ahead (before a close gives everything back), for
        at most a lease's life (a grant later than that is given back when it comes)."""
        if self._renewals:
            await asyncio.wait(set(self._renewals), timeout=self.life_s)

    def _take_returns(self) -> list[Settlement]:
        returns, self._returns = self._returns, []
        return returns

    def asking(self, charges: Sequence[Charge]) -> asyncio.Future[None] | None:
        """The grant being asked for these charges, if one is on its way."""
        return self._asking.get(tuple(charges))

    async def reserve(self, charges: Sequence[Charge], ask: Ask) -> tuple[Admission, Lease | None]:
        """One round trip: give back the last lease's leftovers, then ask for a new lease (or,
        near a limit, just this request). The admission, and the lease when it was one."""
        key = tuple(charges)
        if key in self._asking:  # another request is asking: this one is reserved alone
            return await self._counter.reserve(charges, ask), None
        asked = asyncio.get_running_loop().create_future()
        self._asking[key] = asked
        try:
            old = self._pop(key)
            returns = self._take_returns()
            if old is not None:
                returns.append(self._end(old))
            if returns:
                await self._give_back(returns)
            want = self._next_want(key, old)
            slots = min(MAX_SLOTS, want) if ask.lease_s > 0 else 1
            expires = time.monotonic() + self.life_s
            grant = replace(ask, want=want, slots=slots, ahead_s=self.life_s)
            admission = await self._counter.reserve(charges, grant)
            if not admission.allowed or admission.granted <= 1:
                return admission, None
            lease = Lease(charges, grant, admission, expires, self.life_s)
            self._leases[key] = lease
            self._by_id[id(charges)] = lease
            taken = lease.take(ask.tokens, ask.cost_micros, time.monotonic())
            return admission, lease if taken else None
        finally:
            del self._asking[key]
            asked.set_result(None)

    def _pop(self, key: tuple[Charge, ...]) -> Lease | None:
        lease = self._leases.pop(key, None)
        if lease is not None and self._by_id.get(id(lease.charges)) is lease:
            del self._by_id[id(lease.charges)]
        return lease

    async def _give_back(self, settlements: list[Settlement]) -> None:
        """Send `settlements` before the next reservation (so that one sees the leftovers)."""
        await asyncio.shield(self._send_back(settlements))

    def _send_back(self, settlements: list[Settlement]) -> asyncio.Future[None]:
        """Send `settlements`; those the store refuses, or that a caller leaving cut short,
        go to the settler."""
        sent = asyncio.ensure_future(self._counter.settle(settlements))

        def refused(done: asyncio.Future[None]) -> None:
            if done.cancelled() or done.exception() is not None:
                for settlement in settlements:
                    self._keep(settlement)

        sent.add_done_callback(refused)
        return sent

    def _next_want(self, key: tuple[Charge, ...], old: Lease | None) -> int:
        want = self._want.get(key, FIRST_WANT)
        if old is not None:
            if old.used_requests >= old.requests:  # ran out: ask for more, unless it took long
                lived = time.monotonic() - old.started
                want = want * 2 if lived < self.life_s / 2 else want
            else:  # expired or could not cover a request: about what was used
                want = max(FIRST_WANT, old.used_requests * 2)
        want = min(want, MAX_WANT)
        self._want[key] = want
        return want

    def _end(self, lease: Lease) -> Settlement:
        settlement = lease.end()
        if lease.held:
            self._ended.add(lease)
        return settlement

    def settle(self, lease: Lease, tokens: int, cost_micros: int) -> Settlement | None:
        settlement = lease.settle(tokens, cost_micros)
        if not lease.held:
            self._ended.discard(lease)
        return settlement

    def drop(self) -> list[Settlement]:
        """End every lease (the store failed, or the process stops): what gives them back."""
        self._generation += 1
        leases, self._leases, self._by_id = list(self._leases.values()), {}, {}
        return self._take_returns() + [self._end(lease) for lease in leases]

    def expired(self) -> list[Settlement]:
        """End the leases whose life is over: what gives them back (with the leftovers of
        leases replaced since the last store call)."""
        now = time.monotonic()
        over = [key for key, lease in self._leases.items() if now >= lease.expires]
        ended = [self._end(lease) for key in over if (lease := self._pop_idle(key)) is not None]
        if ended or (self._returns and now - self._returns_since >= self.life_s):
            return self._take_returns() + ended  # (else they wait for the next grant)
        return ended

    def _pop_idle(self, key: tuple[Charge, ...]) -> Lease | None:
        return None if key in self._asking else self._pop(key)

    def tickets(self) -> Iterator[Ticket]:
        """The leases holding slots in flight, whose expiry must be renewed."""
        for lease in (*self._leases.values(), *self._ended):
            if lease.held:
                yield lease.ticket

    def granting(self, subjects: frozenset[str]) -> list[asyncio.Future[None]]:
        """The grants on their way for leases of any of `subjects`: while one is, the store
        may count a lease (or take back leftovers) this process does not hold yet."""
        return [
            asked for key, asked in self._asking.items() if any(c.subject in subjects for c in key)
        ]

    def unused(self, subject: str) -> tuple[int, int, int, int]:
        """What this process's live leases hold of `subject` and have not used."""
        total = [0, 0, 0, 0]
        for key, lease in self._leases.items():
            if lease.live and any(c.subject == subject for c in key):
                for i, value in enumerate(lease.unused()):
                    total[i] += value
        for s in self._returns:  # replaced, not given back yet
            if subject in s.ticket.subjects:
                total[0] -= s.requests
                total[1] -= s.tokens
                total[2] -= s.cost_micros
                if s.free is not None and any(s.ticket.leased):
                    total[3] += s.free[1] - s.free[0]
        return total[0], total[1], total[2], total[3]
