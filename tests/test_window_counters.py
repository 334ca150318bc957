"""The three rpm/tpm window backends answer alike (in this process, the data directory's SQLite,
Redis), and the shared ones never admit more than the limit when several processes race."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcproute.models.limits import WINDOW_SECONDS, LocalCounter, WindowCounter
from mcproute.store import DataDir
from mcproute.store.redis_state import RedisState
from mcproute.store.usage_sqlite import SqliteCounter
from stores_support import RedisServer

BACKENDS = ["local", "sqlite", "redis"]


@pytest.fixture(params=BACKENDS)
async def counter(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[WindowCounter]:
    if request.param == "local":
        yield LocalCounter()
    elif request.param == "sqlite":
        sqlite = SqliteCounter(DataDir(tmp_path / "data"))
        yield sqlite
        sqlite.close()
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        state = RedisState(server.url)
        yield state
        await state.close()


def fresh() -> str:
    return f"deployment-{secrets.token_hex(4)}"


async def test_rpm_admits_the_limit_then_refuses_until_the_oldest_leaves(
    counter: WindowCounter,
) -> None:
    key = fresh()
    for _ in range(3):
        assert (await counter.admit(key, 3, None)).allowed
    verdict = await counter.admit(key, 3, None)
    assert not verdict.allowed
    assert verdict.budget == "requests"
    assert 0 < verdict.retry_after <= WINDOW_SECONDS + 1  # SQLite counts whole seconds
    assert (await counter.admit(fresh(), 3, None)).allowed  # windows are per deployment


async def test_tpm_refuses_once_the_recorded_tokens_reach_it(counter: WindowCounter) -> None:
    key = fresh()
    assert (await counter.admit(key, None, 100)).allowed
    await counter.add_tokens(key, 60)
    assert (await counter.admit(key, None, 100)).allowed
    await counter.add_tokens(key, 40)
    verdict = await counter.admit(key, None, 100)
    assert (verdict.allowed, verdict.budget) == (False, "tokens")
    assert 0 < verdict.retry_after <= WINDOW_SECONDS + 1  # SQLite counts whole seconds
    # A tpm-only window counts no requests: an rpm check on it sees none.
    assert (await counter.admit(key, 1, None)).allowed


async def test_a_zero_limit_refuses_everything(counter: WindowCounter) -> None:
    verdict = await counter.admit(fresh(), 0, None)
    assert (verdict.allowed, verdict.budget, verdict.retry_after) == (
        False,
        "requests",
        WINDOW_SECONDS,
    )


RACER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from mcproute.store import DataDir
    from mcproute.store.redis_state import RedisState
    from mcproute.store.usage_sqlite import SqliteCounter

    async def main(kind, where, key, limit, tries):
        if kind == "sqlite":
            counter = SqliteCounter(DataDir(Path(where)))
        else:
            counter = RedisState(where)
        verdicts = await asyncio.gather(*[counter.admit(key, limit, None) for _ in range(tries)])
        print(sum(v.allowed for v in verdicts))
        if kind == "sqlite":
            counter.close()
        else:
            await counter.close()

    kind, where, key, limit, tries = sys.argv[1:]
    asyncio.run(main(kind, where, key, int(limit), int(tries)))
    """
)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_processes_racing_for_one_window_never_exceed_its_limit(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        where = str(tmp_path / "data")
    else:
        where = request.getfixturevalue("redis_server").url
    key, limit, processes, tries = fresh(), 7, 4, 10
    racers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RACER,
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
    assert sum(int(out) for out, _ in outputs) == limit
