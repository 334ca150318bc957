"""The three usage-counter backends answer alike (in this process, the data directory's
SQLite, Redis), and the shared ones never admit more than a limit when several processes race.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mcproute.governance.counters import (
    WINDOW_SECONDS,
    Ask,
    Charge,
    Settlement,
    UsageCounter,
    period_of,
    ticket,
)
from mcproute.governance.limits import Limits
from mcproute.governance.reservation import Bound, Governor, Settler
from mcproute.models.limits import UsageWindow
from mcproute.store import DataDir
from mcproute.store.nonces import StoreUnavailableError
from mcproute.store.redis_state import RedisState
from mcproute.store.usage_sqlite import MemoryUsage, SqliteUsage
from stores_support import RedisServer, running_redis

BACKENDS = ["local", "sqlite", "redis"]


@pytest.fixture(params=BACKENDS)
async def counter(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UsageCounter]:
    if request.param == "local":
        memory = MemoryUsage()
        yield memory
        memory.close()
    elif request.param == "sqlite":
        sqlite = SqliteUsage(DataDir(tmp_path / "data"))
        yield sqlite
        sqlite.close()
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        state = RedisState(server.url)
        yield state
        await state.close()


def fresh(kind: str = "deployment") -> str:
    return f"{kind}:{secrets.token_hex(4)}"


def rid() -> str:
    return secrets.token_hex(8)


async def test_rpm_admits_the_limit_then_refuses_until_the_oldest_leaves(
    counter: UsageCounter,
) -> None:
    charges = [Charge(fresh(), Limits(rpm=3))]
    for _ in range(3):
        assert (await counter.reserve(charges, Ask(rid()))).allowed
    admission = await counter.reserve(charges, Ask(rid()))
    assert (admission.allowed, admission.limit, admission.refused) == (False, "rpm", 0)
    assert 0 < admission.retry_after <= WINDOW_SECONDS + 1  # whole-second buckets
    assert admission.usage[0].requests == 3
    assert (await counter.reserve([Charge(fresh(), Limits(rpm=3))], Ask(rid()))).allowed


async def test_tpm_counts_reservations_and_settles_them_to_what_was_used(
    counter: UsageCounter,
) -> None:
    charges = [Charge(fresh("key"), Limits(tpm=100))]
    ask = Ask(rid(), tokens=80)
    first = await counter.reserve(charges, ask)
    assert first.allowed
    assert not (await counter.reserve(charges, Ask(rid(), tokens=30))).allowed  # 80 + 30 > 100
    await counter.settle([Settlement(ticket(charges, ask, first), 20 - 80, 0)])  # it used 20
    assert (await counter.read(charges))[0].tokens == 20
    assert (await counter.reserve(charges, Ask(rid(), tokens=80))).allowed  # 20 + 80 fits
    refused = await counter.reserve(charges, Ask(rid(), tokens=1))
    assert (refused.allowed, refused.limit) == (False, "tpm")


async def test_every_charge_must_fit_or_none_is_counted(counter: UsageCounter) -> None:
    key, tenant = Charge(fresh("key"), Limits(rpm=10)), Charge(fresh("tenant"), Limits(rpm=1))
    assert (await counter.reserve([key, tenant], Ask(rid()))).allowed
    refused = await counter.reserve([key, tenant], Ask(rid()))
    assert (refused.allowed, refused.refused, refused.limit) == (False, 1, "rpm")
    assert [u.requests for u in await counter.read([key, tenant])] == [1, 1]


async def test_leases_bound_requests_in_flight_and_free_on_settlement_or_expiry(
    counter: UsageCounter,
) -> None:
    charges = [Charge(fresh("key"), Limits(max_parallel=2))]
    asks = [Ask(rid(), lease_s=30.0), Ask(rid(), lease_s=0.2)]
    admissions = [await counter.reserve(charges, a) for a in asks]
    assert all(a.allowed for a in admissions)
    refused = await counter.reserve(charges, Ask(rid(), lease_s=30.0))
    assert (refused.allowed, refused.limit) == (False, "max_parallel")
    await counter.settle([Settlement(ticket(charges, asks[0], admissions[0]), 0, 0)])
    assert (await counter.read(charges))[0].in_flight == 1
    await asyncio.sleep(0.3)  # the second one's holder never settles (a crash): its lease ends
    assert (await counter.read(charges))[0].in_flight == 0


async def test_budgets_reserve_worst_case_cost_and_settle_to_the_actual(
    counter: UsageCounter,
) -> None:
    charges = [Charge(fresh("key"), Limits(budget_usd=1.0, budget_period="day"))]
    ask = Ask(rid(), cost_micros=600_000)
    admitted = await counter.reserve(charges, ask)
    assert admitted.allowed
    period, end = period_of("day", datetime.now(UTC).timestamp())
    assert admitted.usage[0].period == period
    assert 0 < admitted.usage[0].period_reset <= 86400
    refused = await counter.reserve(charges, Ask(rid(), cost_micros=500_000))
    assert (refused.allowed, refused.limit) == (False, "budget")
    assert refused.retry_after == pytest.approx(end - datetime.now(UTC).timestamp(), abs=5)
    await counter.settle([Settlement(ticket(charges, ask, admitted), 0, 100_000 - 600_000)])
    assert (await counter.read(charges))[0].spend_micros == 100_000
    assert (await counter.reserve(charges, Ask(rid(), cost_micros=900_000))).allowed
    assert not (await counter.reserve(charges, Ask(rid(), cost_micros=1))).allowed


async def test_a_zero_limit_refuses_everything(counter: UsageCounter) -> None:
    for limits, name in [
        (Limits(rpm=0), "rpm"),
        (Limits(budget_usd=0.0, budget_period="total"), "budget"),
        (Limits(max_parallel=0), "max_parallel"),
    ]:
        refused = await counter.reserve([Charge(fresh("key"), limits)], Ask(rid(), lease_s=1))
        assert (refused.allowed, refused.limit) == (False, name)
    total = await counter.reserve(
        [Charge(fresh("key"), Limits(budget_usd=0.0, budget_period="total"))], Ask(rid())
    )
    assert math.isinf(total.retry_after)


async def test_deployment_windows_ride_on_the_same_counters(counter: UsageCounter) -> None:
    window = UsageWindow(None, 100, "d", counter)
    await window.admit()
    await window.record_tokens(100)
    with pytest.raises(Exception, match="100 tokens per minute"):
        await window.admit()


async def test_deployment_rpm_windows_admit_from_the_governors_leases(
    counter: UsageCounter,
) -> None:
    """Two processes' governors on one counter: each window admits from its governor's lease
    of headroom, and together they admit exactly the rpm, then refuse with the window's own
    rate-limit error."""
    from mcproute.errors import UpstreamError

    rpm, name = 40, secrets.token_hex(4)
    governors = [Governor(counter), Governor(counter)]
    windows = [UsageWindow(rpm, None, name, counter, g) for g in governors]
    admitted, refused = 0, []
    for attempt in range(3 * rpm):
        try:
            await windows[attempt % 2].admit()
            admitted += 1
        except UpstreamError as exc:
            refused.append(exc)
        if attempt == 0:  # the first admission took a lease: the next ones are local
            assert governors[0].leases is not None
            assert governors[0].leases.unused("deployment:" + name)[0] > 0
    assert admitted == rpm
    assert len(refused) == 2 * rpm
    assert f"local budget: {rpm} requests per minute" in str(refused[0])
    assert refused[0].retry_after is not None
    assert refused[0].retry_after > 0
    for governor in governors:
        await governor.close()


def test_periods_are_utc_calendar_periods() -> None:
    at = datetime(2026, 12, 31, 23, 59, tzinfo=UTC).timestamp()
    assert period_of("month", at)[1] == datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    assert period_of("week", at)[1] == datetime(2027, 1, 4, tzinfo=UTC).timestamp()  # a Monday
    assert period_of("day", at)[1] == datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    assert period_of("total", at) == ("total", math.inf)


RACER = textwrap.dedent(
    """
    import asyncio, secrets, sys
    from pathlib import Path
    from mcproute.governance.counters import Ask, Charge
    from mcproute.governance.limits import Limits
    from mcproute.store import DataDir
    from mcproute.store.redis_state import RedisState
    from mcproute.store.usage_sqlite import SqliteUsage

    async def main(kind, where, key, limit, tries):
        if kind == "sqlite":
            counter = SqliteUsage(DataDir(Path(where)))
        else:
            counter = RedisState(where)
        charges = [Charge(key, Limits(rpm=limit, budget_usd=limit / 100, budget_period="day"))]
        asks = [Ask(secrets.token_hex(8), cost_micros=10_000) for _ in range(tries)]
        admissions = await asyncio.gather(*[counter.reserve(charges, a) for a in asks])
        print(sum(a.allowed for a in admissions))
        if kind == "sqlite":
            counter.close()
        else:
            await counter.close()

    kind, where, key, limit, tries = sys.argv[1:]
    asyncio.run(main(kind, where, key, int(limit), int(tries)))
    """
)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
@pytest.mark.parametrize("budget_first", [False, True])
async def test_processes_racing_for_one_subject_never_exceed_its_limit(
    kind: str, budget_first: bool, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        where = str(tmp_path / "data")
    else:
        where = request.getfixturevalue("redis_server").url
    # The rpm limit or the budget ($0.01 a request) is the one that binds.
    key, processes, tries = fresh("key"), 4, 10
    limit = 7
    racers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RACER.replace("limit / 100", "(limit - 2) / 100") if budget_first else RACER,
            kind,
            where,
            key,
            str(limit),
            str(tries),
            stdout=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    outputs = [await racer.communicate() for racer in racers]
    assert [racer.returncode for racer in racers] == [0] * processes
    assert sum(int(out) for out, _ in outputs) == (limit - 2 if budget_first else limit)


async def test_settlements_wait_out_an_outage_and_land_after_it() -> None:
    """A settlement the counters cannot take stays queued (its reservation counted at worst
    case meanwhile, refusing rather than overshooting) and is sent once Redis is back."""
    with running_redis() as server:
        state = RedisState(server.url)
        governor = Governor(state)
        Settler.RETRY_S = 0.05
        charges = [Charge(fresh("key"), Limits(tpm=1000, max_parallel=1))]
        reservation = await governor.reserve(charges, Bound(600, 0, 0))
        server.process.send_signal(signal.SIGSTOP)  # unreachable, its data kept
        reservation.record(100, 0, 0)
        await reservation.finish()  # queued: Redis does not answer
        await asyncio.sleep(1.5)  # past the client's timeout: the batch failed at least once
        server.process.send_signal(signal.SIGCONT)
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            try:
                (used,) = await state.read(charges)
            except StoreUnavailableError:
                used = None
            if used is not None and used.tokens == 100 and used.in_flight == 0:
                break
            assert asyncio.get_running_loop().time() < deadline, used
            await asyncio.sleep(0.05)
        # A batch that timed out may have run before its retry: it counts once either way.
        again = Settlement(reservation.ticket, 100 - 600, 0)
        await state.settle([again])
        assert (await state.read(charges))[0].tokens == 100
        await governor.close()
        await state.close()


async def test_host_local_admissions_wait_for_a_held_write_lock_off_the_event_loop(
    tmp_path: Path,
) -> None:
    """Admissions of one loop turn share a transaction; when another writer holds the data
    directory's lock they wait for it on the store's thread, and the loop keeps serving."""
    data = DataDir(tmp_path / "data")
    counter = SqliteUsage(data)
    charges = [Charge(fresh("key"), Limits(rpm=2))]
    other_writer = data.write_lock()
    with other_writer.held():
        waiting = [asyncio.ensure_future(counter.reserve(charges, Ask(rid()))) for _ in range(3)]
        await asyncio.sleep(0.05)  # the loop runs meanwhile
        assert not any(task.done() for task in waiting)
    admitted = [(await task).allowed for task in waiting]
    assert admitted == [True, True, False]  # in order, each seeing the ones before it
    other_writer.close()
    counter.close()
