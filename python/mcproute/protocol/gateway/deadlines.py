"""Call deadlines on one timer per event loop.

Every forwarded call runs under its upstream's call timeout. A timer per call costs each call
a timer's setup and cancellation on the loop, though almost every call ends long before its
deadline. Here the calls in flight are kept in a set, and one timer is armed for the earliest
deadline among them: a call that ends leaves the set and touches no timer. When the timer fires,
the calls past their deadline are expired and the timer is armed again for the next one. With
the same timeout for every call, a new deadline is never earlier than the armed one, so the
timer is rearmed only when it fires.
"""

from __future__ import annotations

import asyncio
import math

# A timer may fire this much before its time (the loops' clocks count milliseconds): a deadline
# that close is due, as `asyncio`'s own timers count one within the clock's resolution.
SLACK_S = 0.001


class Deadline:
    """One call's deadline: the task it cancels when it passes, and whether it did."""

    __slots__ = ("at", "expired", "task")

    def __init__(self, at: float, task: asyncio.Task[object]) -> None:
        self.at = at
        self.task = task
        self.expired = False


class Deadlines:
    """The deadlines of the calls in flight on one loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._pending: set[Deadline] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._armed_at = math.inf

    def add(self, timeout_s: float, task: asyncio.Task[object]) -> Deadline:
        """`task` is cancelled once `timeout_s` have passed, unless `remove`d before."""
        deadline = Deadline(self.loop.time() + timeout_s, task)
        self._pending.add(deadline)
        if deadline.at < self._armed_at:
            self._arm(deadline.at)
        return deadline

    def remove(self, deadline: Deadline) -> None:
        self._pending.discard(deadline)

    def _arm(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed_at = at
        self._timer = self.loop.call_at(at, self._fire)

    def _fire(self) -> None:
        self._timer, self._armed_at = None, math.inf
        now = self.loop.time() + SLACK_S
        due = [d for d in self._pending if d.at <= now]
        for deadline in due:
            self._pending.discard(deadline)
            deadline.expired = True
            deadline.task.cancel()
        if self._pending:
            self._arm(min(d.at for d in self._pending))


_current: Deadlines | None = None  # the running loop's (a test may run several loops)


def deadlines() -> Deadlines:
    """The running loop's deadlines."""
    global _current
    loop = asyncio.get_running_loop()
    if _current is None or _current.loop is not loop:
        _current = Deadlines(loop)
    return _current
