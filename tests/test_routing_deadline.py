"""The Router's `deadline` behaves as `asyncio.timeout` does, case by case, on both loops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import uvloop

from mcproute.deadline import deadline


async def _under(limit: Callable[[float | None], Any], delay: float | None, body: Any) -> str:
    """What leaving the block under `limit(delay)` gives: "done", or the exception's name."""
    try:
        if limit is deadline:
            with deadline(delay):
                await body()
        else:
            async with asyncio.timeout(delay):
                await body()
    except BaseException as exc:  # compared across the two: anything is an outcome
        return type(exc).__name__
    return "done"


async def _slow() -> None:
    await asyncio.sleep(0.2)


async def _fast() -> None:
    await asyncio.sleep(0)


async def _raises() -> None:
    raise ValueError("inside")


CASES = {
    "expires": (0.01, _slow),
    "in time": (0.5, _fast),
    "never": (None, _fast),
    "already past": (0.0, _slow),
    "negative": (-1.0, _slow),
    "own error": (0.5, _raises),
}


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_outcome_as_asyncio_timeout(case: str, loop: str) -> None:
    delay, body = CASES[case]
    run = asyncio.run if loop == "asyncio" else uvloop.run

    async def both() -> tuple[str, str]:
        return await _under(deadline, delay, body), await _under(asyncio.timeout, delay, body)

    ours, theirs = run(both())
    assert ours == theirs
    assert ours in {"TimeoutError", "done", "ValueError"}


@pytest.mark.parametrize("limit", [deadline, asyncio.timeout])
async def test_an_outside_cancel_is_not_turned_into_a_timeout(limit: Any) -> None:
    """Cancelled for another reason as the deadline passes: the cancellation goes on."""
    started = asyncio.Event()

    async def waits() -> None:
        await asyncio.sleep(0.2)

    async def guarded() -> str:
        return await _under(limit, 0.0, lambda: (started.set(), waits())[1])

    task = asyncio.ensure_future(guarded())
    await started.wait()
    task.cancel()  # the caller went away too
    assert await task == "CancelledError"


async def test_the_task_is_not_left_cancelling() -> None:
    """After a deadline ends a wait, the task goes on as if never cancelled."""
    with pytest.raises(TimeoutError), deadline(0.01):
        await asyncio.sleep(1)
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await asyncio.sleep(0)  # not cancelled again
    with deadline(1):
        await asyncio.sleep(0)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_one_timer_serves_deadlines_of_every_length(loop: str) -> None:
    """The loop's one timer, armed for a long deadline, still fires a shorter one entered
    after it in time, and each block ends by its own deadline only."""
    run = asyncio.run if loop == "asyncio" else uvloop.run

    async def under(delay: float, sleep: float) -> str:
        return await _under(deadline, delay, lambda: asyncio.sleep(sleep))

    async def all_at_once() -> list[str]:
        return list(
            await asyncio.gather(
                under(30.0, 0.05),  # armed first, at the far deadline
                under(0.02, 1.0),  # earlier: re-arms the timer
                under(0.05, 1.0),
                under(0.5, 0.01),  # leaves before its deadline
            )
        )

    assert run(all_at_once()) == ["done", "TimeoutError", "TimeoutError", "done"]


async def test_nested_deadlines_end_at_the_inner_and_the_outer() -> None:
    with pytest.raises(TimeoutError), deadline(0.05), deadline(10.0):
        await asyncio.sleep(1)  # the outer one fires; the inner is left without a timeout
    with deadline(10.0):
        with pytest.raises(TimeoutError), deadline(0.01):
            await asyncio.sleep(1)
        await asyncio.sleep(0)  # the outer one did not fire


def test_deadlines_on_two_loops_in_turn() -> None:
    """A new loop gets its own timer (the last one's is not reused)."""
    for run in (asyncio.run, uvloop.run, asyncio.run):

        async def one() -> str:
            return await _under(deadline, 0.01, _slow)

        assert run(one()) == "TimeoutError"
