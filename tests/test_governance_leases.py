"""Leases of headroom (`governance.leases`): a process takes a slice of a limit's headroom in
one atomic step and admits from it locally. The counters (in memory, the data directory's
SQLite, a real Redis) never count less than what was admitted, usage reads stay exact, near
a limit every request is reserved on its own, leftovers go back, requests still running when
their lease ends settle on their own, and a lease stops admitting once its store is gone."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcproute.governance.counters import (
    LEASE_MIN,
    LEASE_SHARE,
    Ask,
    Charge,
    Settlement,
    SubjectUsage,
    Ticket,
    UsageCounter,
    lease_size,
)
from mcproute.governance.journal import SettlementJournal
from mcproute.governance.limits import Limits
from mcproute.governance.reservation import Bound, Governor, LimitExceeded
from mcproute.store import DataDir
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.redis_state import RedisState
from mcproute.store.usage_sqlite import MemoryUsage, SqliteUsage
from stores_support import running_redis

REQUEST = Bound(10, 90, 1_000_000)  # 100 tokens and $0.001 at most: 1,000 micro-dollars


def charge(**limits: object) -> list[Charge]:
    return [Charge("key:" + secrets.token_hex(4), Limits(**limits))]  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def counter(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UsageCounter]:
    if request.param == "memory":
        yield MemoryUsage()
    elif request.param == "sqlite":
        usage = SqliteUsage(DataDir(tmp_path).ensure())
        yield usage
        usage.close()
    else:
        with running_redis() as server:
            state = RedisState(server.url)
            yield state
            await state.close()


def test_a_grant_is_a_share_of_the_headroom_and_none_near_a_limit() -> None:
    limits = Limits(rpm=1000, budget_usd=1.0)
    ask = Ask("r", tokens=100, cost_micros=1000, want=64)
    fresh = SubjectUsage()
    assert lease_size([Charge("k", limits)], [fresh], ask) == (64, 1)
    # $1.00 left covers 1,000 requests of $0.001: an eighth of that is 125, the rpm's 125 too.
    assert lease_size([Charge("k", limits)], [fresh], Ask("r", 100, 1000, want=500)) == (125, 1)
    near = SubjectUsage(requests=1000 - LEASE_SHARE * LEASE_MIN + 1)
    assert lease_size([Charge("k", limits)], [near], ask) == (1, 1)
    parallel = Limits(max_parallel=LEASE_SHARE * LEASE_MIN - 1)
    assert lease_size([Charge("k", parallel)], [fresh], Ask("r", lease_s=60, want=64)) == (1, 1)
    wide = Ask("r", lease_s=60, want=64, slots=16)
    assert lease_size([Charge("k", Limits(max_parallel=800))], [fresh], wide) == (64, 16)


async def test_leases_admit_exactly_the_limit_and_reads_stay_exact(counter: UsageCounter) -> None:
    rpm = 500
    charges = charge(rpm=rpm, tpm=10**9, max_parallel=1000, budget_usd=100.0)
    worker = Governor(counter)
    admitted = [await worker.reserve(charges, REQUEST) for _ in range(rpm)]
    with pytest.raises(LimitExceeded) as refused:
        await worker.reserve(charges, REQUEST)
    assert len(admitted) == rpm  # leases near the limit give way to one reservation each
    assert "key.rpm" in str(refused.value)
    (store,) = await counter.read(charges)
    assert store.requests == rpm  # everything was handed out, nothing is left unused
    (seen,) = await worker.read(charges)
    assert (seen.requests, seen.tokens, seen.in_flight) == (rpm, rpm * 100, rpm)
    assert seen.spend_micros == rpm * 1000

    for reservation in admitted:
        reservation.record(10, 5, 15_000)  # used less than reserved: $0.000015 each
        await reservation.finish()
    await worker.close()
    (used,) = await counter.read(charges)
    assert (used.requests, used.tokens, used.in_flight) == (rpm, rpm * 15, 0)
    assert used.spend_micros == rpm * 15


async def test_two_processes_with_leases_never_admit_more_than_a_budget(
    counter: UsageCounter,
) -> None:
    charges = charge(budget_usd=0.3, budget_period="total")  # 300 requests at their worst case
    workers = [Governor(counter), Governor(counter)]

    async def until_refused(worker: Governor) -> int:
        count = 0
        while True:
            try:
                reservation = await worker.reserve(charges, REQUEST)
            except LimitExceeded:
                return count
            count += 1
            reservation.record(10, 90, 1_000_000)  # every request costs its worst case
            await reservation.finish()

    counts = await asyncio.gather(*(until_refused(w) for w in workers for _ in range(8)))
    assert sum(counts) == 300
    for worker in workers:
        await worker.close()
    (used,) = await counter.read(charges)
    assert used.spend_micros == 300_000


async def test_requests_running_when_their_lease_ends_settle_on_their_own(
    counter: UsageCounter,
) -> None:
    charges = charge(tpm=10**9, max_parallel=10_000)
    worker = Governor(counter)
    first = await worker.reserve(charges, REQUEST)
    second = await worker.reserve(charges, REQUEST)
    assert first.carve is not None  # both from one lease
    assert second.carve is not None
    held = first.carve.slots
    (store,) = await counter.read(charges)
    assert store.in_flight == held >= LEASE_MIN
    worker.drop_leases()  # as when the store failed: the leftovers go back
    await worker.settler.drain()
    (store,) = await counter.read(charges)
    assert (store.in_flight, store.tokens) == (2, 200)  # the two still running keep theirs
    first.record(10, 5, None)
    await first.finish()
    second.record(20, 5, None)
    await second.finish()
    await worker.settler.drain()
    (store,) = await counter.read(charges)
    assert (store.in_flight, store.tokens) == (0, 40)
    await worker.close()


async def test_a_lease_left_unused_is_given_back_when_its_life_ends(
    counter: UsageCounter,
) -> None:
    charges = charge(budget_usd=1.0, budget_period="total")  # money does not leave a window
    worker = Governor(counter, lease_life_s=0.2)
    keeper = asyncio.create_task(worker.keep_leases())
    reservation = await worker.reserve(charges, REQUEST)
    assert reservation.carve is not None
    reservation.record(10, 90, 1_000_000)
    await reservation.finish()
    (held,) = await counter.read(charges)
    assert held.spend_micros > 1000  # the lease's slice
    for _ in range(200):  # the key goes quiet: the slice comes back within about its life
        (now,) = await counter.read(charges)
        if now.spend_micros == 1000:
            break
        await asyncio.sleep(0.05)
    assert now.spend_micros == 1000
    keeper.cancel()
    await worker.close()


async def test_a_lease_stops_admitting_when_its_store_is_gone(tmp_path: Path) -> None:
    charges = charge(rpm=10**6, max_parallel=10_000)
    with running_redis() as server:
        state = RedisState(server.url)
        journal = SettlementJournal(tmp_path / "settlements.jsonl")
        worker = Governor(state, journal=journal, lease_life_s=0.5)
        admitted = await worker.reserve(charges, REQUEST)
        assert admitted.carve is not None
        server.stop()
        # Until its life ends (at most `lease_life_s`) the lease admits; then the store is asked.
        with pytest.raises(StoreUnavailableError):
            await until_it_fails(worker, charges)
        assert worker.leases is not None
        assert worker.leases.unused(charges[0].subject) == (0, 0, 0, 0)
        with pytest.raises(StoreUnavailableError):  # dropped: nothing is admitted locally
            await worker.reserve(charges, REQUEST)
        await worker.close()
        assert journal.count() >= 1  # the lease's leftovers wait in the journal
        await state.close()


async def test_a_lease_is_not_used_once_the_store_connection_drops(tmp_path: Path) -> None:
    charges = charge(rpm=10**6)
    with running_redis() as server:
        state = RedisState(server.url)
        state.listen_for_key_changes(lambda _: None, lambda _: None)  # a connection kept open
        worker = Governor(state, lease_life_s=3600.0)  # only the dropped connection ends it
        first = await worker.reserve(charges, REQUEST)
        assert first.carve is not None
        server.stop()
        for _ in range(200):  # the listener sees its connection close
            if not state.reachable:
                break
            await asyncio.sleep(0.05)
        with pytest.raises(StoreUnavailableError):
            await worker.reserve(charges, REQUEST)
        await worker.close()
        await state.close()


async def until_it_fails(worker: Governor, charges: list[Charge]) -> None:
    for _ in range(200):  # 10 s at most
        await worker.reserve(charges, REQUEST)
        await asyncio.sleep(0.05)


def test_journaled_lease_settlements_keep_their_fields(tmp_path: Path) -> None:
    charges = charge(rpm=100, max_parallel=100)
    lease_ticket = Settlement(
        Ticket("abc", (charges[0].subject,), 123, ("",), (True,), 8),
        -50,
        -7,
        -3,
        (2, 8),
        "abc.end",
    )
    journal = SettlementJournal(tmp_path / "j.jsonl")
    journal.append([lease_ticket])
    replayed: list[Settlement] = []
    journal.replay(replayed.extend)
    assert replayed == [lease_ticket]
    assert replayed[0].freed() == [f"abc.{i}" for i in range(2, 8)]


async def test_the_next_lease_is_granted_before_the_current_one_runs_out(
    counter: UsageCounter,
) -> None:
    charges = charge(rpm=1_000_000, tpm=10**9)
    worker = Governor(counter)
    await (await worker.reserve(charges, REQUEST)).finish()  # the first lease
    leases, spent_unrenewed, made = [], 0, 0
    while made < 400:  # (a turn that waits for the next lease makes no request)
        reservation = worker.from_lease(charges, REQUEST)
        if reservation is None:  # spent: its successor must be on its way already
            asking = worker.leases.asking(charges) if worker.leases else None
            if asking is None:
                spent_unrenewed += 1
                reservation = await worker.reserve(charges, REQUEST)
            else:
                await asking
                continue
        if not leases or reservation.carve is not leases[-1]:
            leases.append(reservation.carve)
        await reservation.finish()
        made += 1
        await asyncio.sleep(0.001)  # the next request comes a moment later
    assert spent_unrenewed == 0
    assert len(leases) > 2
    await worker.close()
    (used,) = await counter.read(charges)
    assert used.requests == 401  # the leftovers of every lease went back
