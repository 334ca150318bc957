"""Admission-time reservations: before a request goes upstream, its worst case (a bound on its
tokens and on its cost) is reserved against every limit that applies to it (its key's, its
tenant's) in one atomic step on the shared counters; the reservation is settled to what the
request really used when its response or stream ends, and released when it fails or the
client leaves. Refused requests get a `LimitExceeded` naming the limit (the proxy answers 429).

Because a request is admitted only if its worst case fits, concurrent requests and replicas
cannot overshoot a limit: nothing is counted after the fact. The bound holds because the output
is capped: a request without `max_tokens` gets the model's output cap (`DEFAULT_OUTPUT_CAP`)
set on it when a token or money limit applies, so a stream never needs to be cut.

For ensembles and other multi-call requests: one `reserve` may cover several upstream calls
(reserve the sum of their bounds), each call's usage is `record`ed as it ends, and `finish`
settles the total once (one more round trip, shared with the other settlements due then).

A key and tenant with no limits never touch the counters. The lease on a slot in flight
(`max_parallel`) is renewed while the request runs and expires by itself if its process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mcproute.governance.counters import (
    WINDOW_SECONDS,
    Admission,
    Ask,
    Charge,
    Settlement,
    SubjectUsage,
    Ticket,
    UsageCounter,
    micros,
    ticket,
)
from mcproute.governance.journal import SettlementJournal
from mcproute.governance.leases import LEASE_LIFE_S, Lease, Leases
from mcproute.governance.limits import NO_LIMITS, Limits
from mcproute.governance.prices import NANO_PER_USD, Price, PriceTable
from mcproute.models.token_estimate import input_token_bound

if TYPE_CHECKING:
    from mcproute.config import Config

log = logging.getLogger("mcproute.governance")
DEFAULT_OUTPUT_CAP = 4_096  # a model's output cap when neither request nor config gives one
LEASE_S = 60.0  # a slot in flight held by a process that died frees up after this long
OUTPUT_FIELDS = ("max_completion_tokens", "max_tokens", "max_output_tokens")
LIMIT_NAMES = {
    "rpm": "requests per minute",
    "tpm": "tokens per minute",
    "max_parallel": "requests in flight",
    "budget": "budget",
}


CHARGES_CACHED = 10_000  # keys and tenants whose charges are kept (then the cache starts over)
READ_TRIES = 3  # usage reads retried while a lease grant raced them (then taken as read)


class _Rids:
    """Reservation ids: a random prefix per process and a counter (unique across processes and
    replicas like 16 random hex digits, without a system call per request)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._count = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._count):x}"


_rids = _Rids()
os.register_at_fork(after_in_child=_rids.reset)  # pre-forked workers each draw their own


class LimitExceeded(Exception):
    """A request refused by a limit: which subject and limit, and when it frees up."""

    def __init__(self, message: str, limit: str, retry_after: float, headers: dict[str, str]):
        super().__init__(message)
        self.limit = limit
        self.retry_after = retry_after
        self.headers = headers


@dataclass(frozen=True)
class Bound:
    """A request's worst case: tokens in and out, and its cost (None: price unknown)."""

    input_tokens: int
    output_tokens: int
    cost_nusd: int | None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


UNBOUNDED = Bound(0, 0, 0)  # what a request reserves when no token or money limit applies


class Charges(list[Charge]):
    """The charges of a key (and its tenant), with what admission needs to know of them."""

    limits: tuple[Limits, Limits] = (NO_LIMITS, NO_LIMITS)  # the key's and the tenant's
    bounded = False  # `needs_bound`


def needs_bound(charges: Sequence[Charge]) -> bool:
    """Whether any charge limits tokens or money (else only the request itself is counted)."""
    return any(c.limits.tpm is not None or c.limits.budget_usd is not None for c in charges)


def _nusd_to_micros(nusd: int) -> int:
    return -(-nusd // 1000)


def rate_headers(
    charges: Sequence[Charge], usage: Sequence[SubjectUsage], counted: bool
) -> dict[str, str]:
    """OpenAI's `x-ratelimit-*` headers for the tightest request and token limits."""
    headers: dict[str, str] = {}
    for kind, field in (("requests", "rpm"), ("tokens", "tpm")):
        best: tuple[int, int, float] | None = None
        for charge, used in zip(charges, usage, strict=True):
            limit = getattr(charge.limits, field)
            if limit is None:
                continue
            spent, reset = getattr(used, kind), getattr(used, f"{kind}_reset")
            spent += 1 if counted and kind == "requests" else 0
            remaining = max(limit - spent, 0)
            if best is None or remaining < best[1]:
                best = (limit, remaining, reset or WINDOW_SECONDS)
        if best is not None:
            headers[f"x-ratelimit-limit-{kind}"] = str(best[0])
            headers[f"x-ratelimit-remaining-{kind}"] = str(best[1])
            headers[f"x-ratelimit-reset-{kind}"] = f"{best[2]:.3f}s"
    return headers


class Reservation:
    """One admission's hold on its limits; `finish` settles it once. `carve`: it was admitted
    from this process's lease (`governance.leases`), and settles there."""

    __slots__ = (
        "_done",
        "_governor",
        "bound",
        "by_part",
        "carve",
        "charges",
        "headers",
        "reserved_micros",
        "reserved_tokens",
        "ticket",
        "used_nusd",
        "used_tokens",
    )

    def __init__(
        self,
        governor: Governor,
        charges: Sequence[Charge],
        ask: Ask,
        admission: Admission,
        bound: Bound,
        carve: Lease | None = None,
    ) -> None:
        self._governor = governor
        self.charges = tuple(charges)
        self.carve = carve
        if carve is None:
            self.ticket: Ticket = ticket(charges, ask, admission)
            self.headers: dict[str, str] = rate_headers(charges, admission.usage, counted=True)
        else:  # settled through its lease, whose ticket it shares
            self.ticket = carve.ticket
            self.headers = carve.headers()
        self.reserved_tokens = ask.tokens
        self.reserved_micros = ask.cost_micros
        self.bound = bound
        self.used_tokens = 0
        self.used_nusd = 0
        self._done = False
        self.by_part = False  # settled call by call (an ensemble's parts), not at the end

    @classmethod
    def carved(
        cls,
        governor: Governor,
        charges: Sequence[Charge],
        lease: Lease,
        bound: Bound,
        tokens: int,
        cost_micros: int,
    ) -> Reservation:
        """A request admitted from `lease` (the hot path: no `Ask`, no ticket of its own)."""
        self = cls.__new__(cls)
        self._governor = governor
        self.charges = charges  # type: ignore[assignment]  # (read only)
        self.carve = lease
        self.ticket = lease.ticket
        self.headers = lease.headers()
        self.reserved_tokens = tokens
        self.reserved_micros = cost_micros
        self.bound = bound
        self.used_tokens = 0
        self.used_nusd = 0
        self._done = False
        self.by_part = False
        return self

    def record(self, input_tokens: int, output_tokens: int, cost_nusd: int | None) -> None:
        """One upstream call's usage (an ensemble records each member's); no round trip.
        An unknown cost is counted at the reserved bound's rate (never less than reserved)."""
        self.used_tokens += max(input_tokens, 0) + max(output_tokens, 0)
        if cost_nusd is None:
            cost_nusd = self.bound.cost_nusd or 0
        self.used_nusd += max(cost_nusd, 0)

    async def finish(self) -> None:
        """Settle to what was recorded (nothing recorded: a release) and free the slot in
        flight; safe to call twice. The settlement is sent off the request's path, with the
        others due at the same moment (`Settler`)."""
        self.finish_now()

    def finish_now(self) -> None:
        """`finish`, which never waits."""
        if self._done:
            return
        self._done = True
        tokens = self.used_tokens - self.reserved_tokens
        cost = -(-self.used_nusd // 1000) - self.reserved_micros
        if self.carve is None:
            self._governor.forget(self)
            self._governor.settler.add(Settlement(self.ticket, tokens, cost))
            return
        settlement = self._governor.leases_settle(self.carve, tokens, cost)
        if settlement is not None:  # its lease ended meanwhile
            self._governor.settler.add(settlement)

    async def release(self) -> None:
        """The request failed or its client left: give back what it had not used."""
        self.finish_now()


class Settler:
    """Settlements are sent together: one round trip for all that fell due while the last one
    was on its way. A batch the counters refuse (the store is down) goes to the data
    directory's journal (`governance.journal.SettlementJournal`), fsynced, and is replayed
    from there once the counters answer again, by whichever worker of the host gets there
    first, also after a restart; the counters apply a reservation id's settlement once, so a
    replay never counts twice. Until then its reservations stay counted at their worst case,
    so a limit errs on the refusing side. Without a journal (library use) a refused batch is
    kept in memory and retried. On shutdown what is pending is sent, else journaled."""

    MAX_BATCH = 256
    MAX_PENDING = 100_000
    RETRY_S = 1.0

    def __init__(self, counter: UsageCounter, journal: SettlementJournal | None = None) -> None:
        self._counter = counter
        self.journal = journal
        self._pending: list[Settlement] = []
        self._task: asyncio.Task[None] | None = None
        self._journal_lock = asyncio.Lock()  # one append or replay of this process at a time
        self._failing = False
        self.on_failure: Callable[[], None] = lambda: None  # the counters refused a batch

    def add(self, settlement: Settlement) -> None:
        self._pending.append(settlement)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def _send(self, settlements: Sequence[Settlement]) -> None:
        for at in range(0, len(settlements), self.MAX_BATCH):
            await self._counter.settle(settlements[at : at + self.MAX_BATCH])

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # settlements of this same turn of the loop join the batch
        while self._pending:
            batch = self._pending[: self.MAX_BATCH]
            del self._pending[: self.MAX_BATCH]
            try:
                await self._counter.settle(batch)
            except asyncio.CancelledError:  # shutting down: `drain` sends it (or journals it)
                self._pending[:0] = batch
                raise
            except Exception as exc:
                self.on_failure()
                try:
                    kept = await self._keep(batch, exc)
                except asyncio.CancelledError:  # `drain` sends it (a replay applies it once)
                    self._pending[:0] = batch
                    raise
                if kept:
                    continue
                self._pending[:0] = batch
                if len(self._pending) > self.MAX_PENDING:
                    lost = len(self._pending) - self.MAX_PENDING
                    del self._pending[self.MAX_PENDING :]
                    log.error("%d settlements dropped: the counters are unreachable", lost)
                log.warning("%d settlements wait for the counters: %s", len(self._pending), exc)
                await asyncio.sleep(self.RETRY_S)
            else:
                if self._failing:
                    self._failing = False
                    log.warning("the counters take settlements again")

    async def _keep(self, batch: list[Settlement], exc: Exception) -> bool:
        """Journal a batch the counters refused; whether it is on disk."""
        if self.journal is None:
            return False
        try:
            async with self._journal_lock:
                await asyncio.to_thread(self.journal.append, batch)
        except OSError:
            log.exception("cannot write the settlement journal; settlements kept in memory")
            return False
        if not self._failing:
            self._failing = True
            log.warning(
                "the counters refused %d settlements (%s): journaled until they are back",
                len(batch),
                type(exc).__name__,
            )
        return True

    async def replay(self) -> int:
        """Send the journaled settlements, if any (raises when the counters still refuse);
        how many were sent."""
        if self.journal is None or not self.journal.pending():
            return 0
        async with self._journal_lock:
            replayed = await self.journal.replay_async(self._send)
        if replayed:
            log.warning("%d journaled settlements sent to the counters", replayed)
        return replayed

    async def keep_replaying(self) -> None:
        """Replay the journal whenever it has settlements (a task for the process's life)."""
        while True:
            try:
                await self.replay()
            except Exception as exc:  # still unreachable: next time
                log.debug("journaled settlements wait: %s", exc)
            await asyncio.sleep(self.RETRY_S)

    async def drain(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending:
            pending, self._pending = self._pending, []
            try:
                await self._send(pending)
            except Exception as exc:
                if not await self._keep(pending, exc):
                    log.error("%d settlements not sent at shutdown: %s", len(pending), exc)


class Governor:
    """Admits requests against key and tenant limits on `counter`."""

    def __init__(
        self,
        counter: UsageCounter,
        tenant_limits: Callable[[str], Awaitable[Limits]] | None = None,
        config: Callable[[], Config] | None = None,
        lease_s: float = LEASE_S,
        journal: SettlementJournal | None = None,
        leases: bool = True,
        lease_life_s: float = LEASE_LIFE_S,
        tenant_cached: Callable[[str], Limits | None] | None = None,
    ) -> None:
        self.counter = counter
        self._tenant_limits = tenant_limits
        # A tenant's limits when they are at hand without waiting (None: ask `tenant_limits`).
        self._tenant_cached = tenant_cached
        self._config = config  # the configuration now (it may be reloaded): its prices
        self._priced: tuple[Config, PriceTable, dict[str, list[str]]] | None = None
        self.lease_s = lease_s
        self._live: set[Reservation] = set()
        self.settler = Settler(counter, journal)
        # Leases of headroom (`governance.leases`); without them every request is reserved
        # on its own, one round trip (shared with the others of its turn of the loop) each.
        self.leases = (
            Leases(counter, self.settler.add, lease_life_s, _rids.next) if leases else None
        )
        self.settler.on_failure = self.drop_leases
        self._charges: dict[tuple[str, int, str, int], Charges] = {}
        self._bound_prices: dict[str, tuple[Price, ...] | None] = {}  # per model, this config
        self._bounds: dict[tuple[str, int, int], Bound] = {}  # the same bounds recur
        self._unpriced_told: set[tuple[str, ...]] = set()

    def __repr__(self) -> str:
        return f"Governor({self.counter!r})"

    async def charges(self, key_id: str, key_limits: Limits, tenant: str) -> Charges:
        """The subjects a request of this key counts against (empty: none has limits); the
        same list for as long as the key's and the tenant's limits stay the same (the same
        objects: a cached key record and tenant policy keep theirs, so identity is enough)."""
        return self._charges_of(key_id, key_limits, tenant, await self.tenant_policy(tenant))

    def charges_now(self, key_id: str, key_limits: Limits, tenant: str) -> Charges | None:
        """`charges` without waiting, when the tenant's limits are at hand (else None)."""
        if self._tenant_limits is None:
            return self._charges_of(key_id, key_limits, tenant, NO_LIMITS)
        tenant_limits = None if self._tenant_cached is None else self._tenant_cached(tenant)
        if tenant_limits is None:
            return None
        return self._charges_of(key_id, key_limits, tenant, tenant_limits)

    def _charges_of(
        self, key_id: str, key_limits: Limits, tenant: str, tenant_limits: Limits
    ) -> Charges:
        cache_key = (key_id, id(key_limits), tenant, id(tenant_limits))
        cached = self._charges.get(cache_key)
        if cached is not None and cached.limits == (key_limits, tenant_limits):
            return cached
        out = Charges([] if key_limits.empty else [Charge("key:" + key_id, key_limits)])
        if not tenant_limits.empty:
            out.append(Charge("tenant:" + tenant, tenant_limits))
        out.limits = (key_limits, tenant_limits)  # (kept alive: their ids stay theirs)
        out.bounded = needs_bound(out)
        if len(self._charges) >= CHARGES_CACHED:
            self._charges.clear()
        self._charges[cache_key] = out
        return out

    async def tenant_policy(self, tenant: str) -> Limits:
        if self._tenant_limits is None:
            return NO_LIMITS
        limits: Limits = await self._tenant_limits(tenant)
        return limits

    def _prices(self) -> PriceTable | None:
        """The price table of the configuration now, built once per configuration."""
        if self._config is None:
            return None
        config = self._config()
        if self._priced is None or self._priced[0] is not config:
            groups = {g: [d.name for d in ds] for g, ds in config.model_groups().items()}
            self._priced = (config, PriceTable(config), groups)
            self._bound_prices = {}
            self._bounds = {}
        return self._priced[1]

    def _groups(self, model: str) -> list[str]:
        return self._priced[2].get(model, []) if self._priced is not None else []

    def _model_prices(self, model: str) -> tuple[Price, ...] | None:
        """The prices of every deployment of model group `model` (None: one is unknown, or
        no configuration), looked up once per configuration."""
        table = self._prices()
        if table is None:
            return None
        if model in self._bound_prices:
            return self._bound_prices[model]
        prices = tuple(table.price(model, d) for d in self._groups(model) or (None,))
        found = None if any(p is None for p in prices) else prices
        if len(self._bound_prices) < CHARGES_CACHED:  # model names come from requests
            self._bound_prices[model] = found  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def price_nusd(
        self, model: str, deployment: str | None, input_t: int, output_t: int, cached: int = 0
    ) -> int | None:
        table = self._prices()
        price = None if table is None else table.price(model, deployment)
        return None if price is None else price.cost_nusd(input_t, output_t, cached)

    def bound(
        self,
        model: str,
        raw: bytes,
        body: MutableMapping[str, Any],
        output: bool,
        extra_input: int = 0,
    ) -> Bound:
        """The worst case of a request to model group `model`; sets the output cap on `body`
        when it has none (`output`: the operation produces tokens). `extra_input`: tokens the
        call reads besides `raw` (an ensemble's judge reads the members' answers)."""
        input_tokens = input_token_bound(raw) + extra_input
        output_tokens = 0
        if output:
            cap = None
            for field in OUTPUT_FIELDS:
                value = body.get(field)
                if isinstance(value, int):
                    cap = value
                    break
            if cap is None:
                cap = DEFAULT_OUTPUT_CAP
                body[
                    "max_output_tokens"
                    if "input" in body and "messages" not in body
                    else "max_tokens"
                ] = cap
            choices = body.get("n")
            output_tokens = cap * (choices if isinstance(choices, int) and choices > 1 else 1)
        self._prices()  # (a new configuration starts the caches over)
        at = (model, input_tokens, output_tokens)
        known = self._bounds.get(at)
        if known is not None:
            return known
        prices = self._model_prices(model)
        cost = None
        if prices is not None:
            cost = max(p.max_cost_nusd(input_tokens, output_tokens) for p in prices)
        bound = Bound(input_tokens, output_tokens, cost)
        if len(self._bounds) >= CHARGES_CACHED:
            self._bounds.clear()
        self._bounds[at] = bound
        return bound

    def from_lease(self, charges: Sequence[Charge], bound: Bound) -> Reservation | None:
        """`bound` admitted from this process's lease, if it has room (no waiting)."""
        leases = self.leases
        # A store that lost its connection (`RedisState.reachable`) is asked, not trusted.
        if leases is None or not getattr(self.counter, "reachable", True):
            return None
        tokens, cost = bound.input_tokens + bound.output_tokens, -(-(bound.cost_nusd or 0) // 1000)
        lease = leases.take(charges, tokens, cost)
        if lease is None:
            return None
        if bound.cost_nusd is None:
            self._unpriced(charges)
        return Reservation.carved(self, charges, lease, bound, tokens, cost)

    def _unpriced(self, charges: Sequence[Charge]) -> None:
        """Say once per key (and tenant) that its budget cannot count an unpriced model's
        cost (once: every request of it would say it again, on the hot path)."""
        if not any(c.limits.budget_usd is not None for c in charges):
            return
        subjects = tuple(c.subject for c in charges)
        if subjects in self._unpriced_told:
            return
        if len(self._unpriced_told) >= CHARGES_CACHED:
            self._unpriced_told.clear()
        self._unpriced_told.add(subjects)
        log.warning(
            "a budget applies to %s but the model's price is unknown: cost not counted",
            " and ".join(subjects),
        )

    async def reserve(self, charges: Sequence[Charge], bound: Bound) -> Reservation:
        """Reserve `bound` against `charges` (from this process's lease when it has room, else
        one round trip), or raise `LimitExceeded`."""
        found = self.from_lease(charges, bound)
        if found is not None:
            return found
        leases, carve = self.leases, None
        if leases is not None and leases.asking(charges) is not None:  # a lease is on its way
            await asyncio.shield(leases.asking(charges))  # type: ignore[arg-type]
            found = self.from_lease(charges, bound)
            if found is not None:
                return found
        if bound.cost_nusd is None:
            self._unpriced(charges)
        tokens, cost = bound.input_tokens + bound.output_tokens, -(-(bound.cost_nusd or 0) // 1000)
        parallel = any(c.limits.max_parallel is not None for c in charges)
        ask = Ask(_rids.next(), tokens, cost, self.lease_s if parallel else 0.0)
        try:
            if leases is None:
                admission = await self.counter.reserve(charges, ask)
            else:
                admission, carve = await leases.reserve(charges, ask)
        except Exception:
            self.drop_leases()  # the store failed: admit nothing more from what it granted
            raise
        if carve is not None:
            return Reservation.carved(self, charges, carve, bound, tokens, cost)
        if not admission.allowed:
            raise _refused(charges, admission, ask)
        reservation = Reservation(self, charges, ask, admission, bound)
        if ask.lease_s:
            self._live.add(reservation)
        return reservation

    def leases_settle(self, carve: Lease, tokens: int, cost_micros: int) -> Settlement | None:
        assert self.leases is not None
        return self.leases.settle(carve, tokens, cost_micros)

    def drop_leases(self) -> None:
        """End every lease of this process (its leftovers go back through the settler)."""
        if self.leases is not None:
            for settlement in self.leases.drop():
                self.settler.add(settlement)

    async def read(self, charges: Sequence[Charge]) -> tuple[SubjectUsage, ...]:
        """The subjects' usage now, not counting what this process's leases hold unused."""
        if self.leases is None:
            return await self.counter.read(charges)
        subjects = frozenset(c.subject for c in charges)
        for _ in range(READ_TRIES):  # a read taken while no grant was on its way
            await asyncio.gather(*self.leases.granting(subjects))
            read = await self.counter.read(charges)
            if not self.leases.granting(subjects):
                break
        out = []
        for charge, used in zip(charges, read, strict=True):
            requests, tokens, cost, slots = self.leases.unused(charge.subject)
            out.append(
                replace(
                    used,
                    requests=max(used.requests - requests, 0),
                    tokens=max(used.tokens - tokens, 0),
                    spend_micros=max(used.spend_micros - cost, 0),
                    in_flight=max(used.in_flight - slots, 0)
                    if charge.limits.max_parallel is not None
                    else used.in_flight,
                )
            )
        return tuple(out)

    def forget(self, reservation: Reservation) -> None:
        self._live.discard(reservation)

    async def keep_leases(self) -> None:
        """Renew the leases of the reservations still running, and give back the leases of
        headroom that expired unused (a key that went quiet, or whose limits changed, would
        otherwise hold its slice until its next request). A task for the process's life."""
        renew_s = self.lease_s / 3
        tick = renew_s if self.leases is None else min(renew_s, self.leases.life_s)
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(tick)
            if self.leases is not None:
                for settlement in self.leases.expired():
                    self.settler.add(settlement)
            if time.monotonic() - renewed < renew_s:
                continue
            renewed = time.monotonic()
            live = [r.ticket for r in self._live]
            if self.leases is not None:
                live += self.leases.tickets()
            if live:
                try:
                    await self.counter.renew(live, self.lease_s)
                except Exception as exc:
                    self.drop_leases()
                    log.warning("leases of %d requests in flight not renewed: %s", len(live), exc)

    async def close(self) -> None:
        for reservation in list(self._live):
            await reservation.release()
        if self.leases is not None:
            await self.leases.renewed()
        self.drop_leases()
        await self.settler.drain()


def _refused(charges: Sequence[Charge], admission: Admission, ask: Ask) -> LimitExceeded:
    charge = charges[admission.refused]
    kind, _, name = charge.subject.partition(":")
    limits, used = charge.limits, admission.usage[admission.refused]
    limit = admission.limit
    if limit == "budget":
        spent = used.spend_micros / 1_000_000
        what = (
            f"budget of ${limits.budget_usd:g} per {limits.budget_period} does not cover this"
            f" request (${spent:.6f} spent or reserved, this one may cost up to"
            f" ${ask.cost_micros / 1_000_000:.6f}; max_tokens bounds it)"
        )
        if limits.budget_period == "total":
            what = what.replace(" per total", " in total")
    elif limit == "tpm" and limits.tpm is not None and used.tokens < limits.tpm:
        what = (
            f"{limits.tpm} tokens per minute do not cover this request ({used.tokens} used or"
            f" reserved, this one may use up to {ask.tokens}; max_tokens bounds it)"
        )
    else:
        value = getattr(limits, limit)
        what = f"{value} {LIMIT_NAMES[limit]} reached"
    subject = "this API key" if kind == "key" else f"tenant {name!r}"
    headers = rate_headers(charges, admission.usage, counted=False)
    if math.isfinite(admission.retry_after):
        headers["Retry-After"] = str(max(1, math.ceil(admission.retry_after)))
    message = f"rate limit: {subject}'s {what}; limit {kind}.{limit}"
    return LimitExceeded(message, f"{kind}.{limit}", admission.retry_after, headers)


def usage_json(charge: Charge, usage: SubjectUsage) -> dict[str, Any]:
    """A subject's limits and current usage, as `/v1/usage` and `/admin/keys` show them."""
    limits = charge.limits
    out: dict[str, Any] = {
        "limits": limits.as_json(),
        "usage": {
            "requests_per_minute": usage.requests,
            "tokens_per_minute": usage.tokens,
            "in_flight": usage.in_flight,
        },
    }
    if limits.budget_usd is not None:
        spent = usage.spend_micros / 1_000_000
        out["usage"]["budget"] = {
            "period": limits.budget_period,
            "spent_usd": spent,
            "remaining_usd": max(limits.budget_usd - spent, 0.0),
            "resets_in_s": None if math.isinf(usage.period_reset) else round(usage.period_reset),
        }
    return out


__all__ = [
    "DEFAULT_OUTPUT_CAP",
    "NANO_PER_USD",
    "UNBOUNDED",
    "Bound",
    "Governor",
    "LimitExceeded",
    "Reservation",
    "micros",
    "needs_bound",
    "usage_json",
]
