"""Many timeouts on one timer: `EarliestTimer` watches items that each have a deadline
(`expires`, the loop's clock) and a `timed_out()` to call once it passes, with one
`TimerHandle` armed at the earliest deadline. Watching an item re-arms the timer only when
its deadline is earlier than the armed one; forgetting it leaves the timer alone (when it
fires it times out what is due and re-arms at the earliest left); a deadline that moved
later needs nothing, one that moved earlier is told with `moved`. Under steady load (each
new deadline later than the ones before) the timer fires about once per timeout period
instead of being made and cancelled per wait, and a timeout still fires when it would have
on a timer of its own. Used by the Router's `deadline` blocks and the upstream client's
connections.
"""

from __future__ import annotations

import asyncio
import math
from typing import Protocol

# A timer may fire this early (uvloop's clock has millisecond resolution): a deadline within
# it has passed.
SLACK = 1e-3


class Timed(Protocol):
    expires: float

    def timed_out(self) -> None: ...


class EarliestTimer:
    """The deadlines of one loop's watched items, on one timer. `loop` None: the running
    loop when the timer is first armed."""

    __slots__ = ("_at", "_handle", "_loop", "_watched")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self._watched: set[Timed] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._at = math.inf

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    def watch(self, item: Timed) -> None:
        self._watched.add(item)
        if item.expires < self._at:
            self.moved(item.expires)

    def forget(self, item: Timed) -> None:
        self._watched.discard(item)  # the timer stays armed: it finds nothing due and moves on

    def watching(self, item: Timed) -> bool:
        return item in self._watched

    def moved(self, when: float) -> None:
        """A watched item's deadline is now `when`: the timer fires by then."""
        if when < self._at:
            if self._handle is not None:
                self._handle.cancel()
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            self._at = when
            self._handle = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._handle, self._at = None, math.inf
        assert self._loop is not None
        now = self._loop.time() + SLACK
        due = [item for item in self._watched if item.expires <= now]
        for item in due:
            self._watched.discard(item)
            item.timed_out()
        if self._watched:
            self.moved(min(item.expires for item in self._watched))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle, self._at = None, math.inf
        self._watched.clear()
