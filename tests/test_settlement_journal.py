"""Settlements the counters cannot take are journaled in the data directory and replayed once
they answer: by another worker after this one exited, exactly once (a replay of settlements
already applied changes nothing), so usage ends at what the requests used, not their worst
case. A real Redis, stopped and started again with its data (an RDB snapshot)."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import redis

from mcproute.governance.counters import Ask, Charge, Settlement, ticket
from mcproute.governance.journal import SETTLEMENT_JOURNAL_NAME, SettlementJournal
from mcproute.governance.limits import Limits
from mcproute.governance.reservation import Bound, Governor
from mcproute.store import DataDir
from mcproute.store.redis_state import RedisState
from mcproute.store.usage_sqlite import MemoryUsage, SqliteUsage
from stores_support import running_redis

LIMITS = Limits(tpm=10**9, max_parallel=100, budget_usd=100.0, budget_period="total")
WORST = Bound(10, 1000, 1_000_000_000)  # $1.00 at most
USED_NUSD = 5_000_000  # $0.005: 5,000 micro-dollars


async def test_settlements_refused_by_a_stopped_redis_survive_a_restart_and_count_once(
    tmp_path: Path,
) -> None:
    journal_path = DataDir(tmp_path).ensure().path / SETTLEMENT_JOURNAL_NAME
    charges = [Charge("key:" + secrets.token_hex(4), LIMITS)]
    with running_redis() as server:
        state = RedisState(server.url)
        worker = Governor(state, journal=SettlementJournal(journal_path), leases=False)
        finished = [await worker.reserve(charges, WORST) for _ in range(3)]
        left_running = await worker.reserve(charges, WORST)  # released at shutdown
        (reserved,) = await state.read(charges)
        assert (reserved.tokens, reserved.spend_micros, reserved.in_flight) == (4040, 4_000_000, 4)

        with redis.Redis(port=server.port) as sync:
            sync.save()  # what Redis holds comes back with it
        server.stop()
        for reservation in finished:
            reservation.record(10, 5, USED_NUSD)
            await reservation.finish()
        await worker.settler._task  # type: ignore[misc]  # the batch was refused, then journaled
        journal = SettlementJournal(journal_path)
        assert journal.count() == 3
        assert stat.S_IMODE(journal_path.stat().st_mode) == 0o600
        await worker.close()  # graceful shutdown: the one still running is journaled too
        assert journal.count() == 4
        await state.close()

        server.start()
        state = RedisState(server.url)
        restarted = Governor(state, journal=SettlementJournal(journal_path), leases=False)
        assert await restarted.settler.replay() == 4
        assert not journal.pending()
        (used,) = await state.read(charges)
        assert (used.tokens, used.spend_micros, used.in_flight) == (45, 15_000, 0)

        # A crash between the replay's writes and the journal's truncation replays them again:
        # each reservation's settlement still counts once.
        journal.append([Settlement(r.ticket, 15 - 1010, 5000 - 1_000_000) for r in finished])
        assert await restarted.settler.replay() == 3
        (again,) = await state.read(charges)
        assert (again.tokens, again.spend_micros, again.in_flight) == (45, 15_000, 0)
        assert left_running.ticket.rid  # settled by id, like the others
        await restarted.close()
        await state.close()


async def test_sqlite_counters_apply_a_settlement_once(tmp_path: Path) -> None:
    for counter in (SqliteUsage(DataDir(tmp_path / "data")), MemoryUsage()):
        charges = [Charge("key:" + secrets.token_hex(4), LIMITS)]
        ask = Ask(secrets.token_hex(8), 1010, 1_000_000, 60.0)
        admission = await counter.reserve(charges, ask)
        assert admission.allowed
        settlement = Settlement(ticket(charges, ask, admission), 15 - 1010, 5000 - 1_000_000)
        await counter.settle([settlement])
        await counter.settle([settlement, settlement])  # replayed: nothing changes
        (used,) = await counter.read(charges)
        assert (used.tokens, used.spend_micros, used.in_flight) == (15, 5000, 0)
        counter.close()
