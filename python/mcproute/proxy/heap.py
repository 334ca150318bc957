"""A worker's C heap (glibc malloc): fewer arenas, and freed memory given back after a burst.

Every thread that allocates gets a malloc arena of its own (up to 8 per CPU), and what a burst
of requests freed stays resident in them: a worker's RSS after a load run was about 7 MiB
above its RSS at start, about 1 MiB of it free heap `malloc_trim` hands back. Two arenas are
plenty for one event loop and a few store threads, and a trim once requests have stopped for
a second costs nothing a request waits on (it runs on a thread, and only when none came).
Other C libraries (musl, macOS) have neither call: both are then no-ops.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
from collections.abc import Callable

M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)
ARENAS = 2
QUIET_S = 1.0  # no request for this long: the burst is over


@functools.cache  # (`find_library` runs `ldconfig -p` in a subprocess: once per process)
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc only
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def limit_arenas() -> None:
    """At most `ARENAS` malloc arenas from now on (threads made later share them)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, ARENAS)


def trim() -> None:
    """Hand the heap's free pages back to the system (on a thread: it walks the heap)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


async def keep_trimming(
    served: Callable[[], int], quiet_s: float = QUIET_S, give_back: Callable[[], None] = trim
) -> None:
    """`give_back()` once `served()` (a count that grows with every request) has stood still
    for `quiet_s` after it moved: once per burst. A task for the worker's life."""
    if _libc() is None and give_back is trim:
        return
    seen = trimmed = served()
    while True:
        await asyncio.sleep(quiet_s)
        now = served()
        if now == seen and now != trimmed:
            await asyncio.to_thread(give_back)
            trimmed = now
        seen = now
