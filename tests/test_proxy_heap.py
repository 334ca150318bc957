"""The worker gives freed heap back once per burst of requests, only when they have stopped."""

from __future__ import annotations

import asyncio

from mcproute.proxy import heap


async def test_the_heap_is_trimmed_once_after_each_burst() -> None:
    # What the request count reads at each look: nothing yet, a burst, quiet, another burst.
    script = [0, 0, 0, 1, 2, 3, 3, 3, 3, 7, 8, 8, 8]
    reads: list[int] = []
    trims: list[int] = []
    done = asyncio.Event()

    def served() -> int:
        reads.append(script[min(len(reads), len(script) - 1)])
        if len(reads) > len(script) + 3:
            done.set()
        return reads[-1]

    task = asyncio.create_task(heap.keep_trimming(served, 0, lambda: trims.append(reads[-1])))
    try:
        await asyncio.wait_for(done.wait(), 10)
    finally:
        task.cancel()
    # One trim at the first quiet look after each burst, none while it lasts or before it.
    assert trims == [3, 8]


def test_trim_and_arena_limit_run_on_this_libc() -> None:
    heap.limit_arenas()
    heap.trim()
