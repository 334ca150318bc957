"""`asyncio.timeout` for the Router's per-attempt and per-chunk limits, at a fraction of its
cost: a plain `with` (no coroutines for entering and leaving), no state machine, and no timer
of its own.

The semantics are `asyncio.Timeout`'s: when the delay passes, the task is cancelled; leaving
the block with that cancellation raises `TimeoutError` instead, unless the task was also
cancelled for another reason meanwhile (then the cancellation goes on, `uncancel` counting
ours out). ``None`` never expires; a delay at or below zero expires on the loop's next turn.

*One timer per loop* (`_Timer`), not one per block: the deadlines in force are a set, and
one `TimerHandle` is armed at the earliest of them. Entering adds to the set (re-arming only
for a deadline earlier than the armed one), leaving removes from it and leaves the timer
alone: when it fires it expires what is due and re-arms at the earliest left. Under steady
load (every attempt with the same timeout, each later than the one before) the timer fires
about once per timeout period, instead of being made and cancelled per attempt and per
streamed chunk; a deadline still fires when it did (the timer is at the earliest one).
"""

from __future__ import annotations

import asyncio
import math
import weakref
from types import TracebackType

# A timer may fire this early (uvloop's clock has millisecond resolution): a deadline within
# it has passed, as it would have for a timer of its own.
_SLACK = 1e-3


class _Timer:
    """The deadlines in force on one loop, on one timer."""

    __slots__ = ("_at", "_handle", "_loop", "_watched")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._watched: set[deadline] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._at = math.inf

    def watch(self, block: deadline) -> None:
        self._watched.add(block)
        if block._when < self._at:
            self._arm(block._when)

    def forget(self, block: deadline) -> None:
        self._watched.discard(block)  # the timer stays armed: it finds nothing due and moves on

    def _arm(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._at = when
        self._handle = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._handle, self._at = None, math.inf
        now = self._loop.time() + _SLACK
        due = [block for block in self._watched if block._when <= now]
        for block in due:
            self._watched.discard(block)
            block._expire()
        if self._watched:
            self._arm(min(block._when for block in self._watched))


_TIMERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Timer] = weakref.WeakKeyDictionary()


_last: _Timer | None = None  # the loop of the last lookup's (one loop per process, usually)


def _timer(loop: asyncio.AbstractEventLoop) -> _Timer:
    global _last
    last = _last
    if last is not None and last._loop is loop:
        return last
    timer = _TIMERS.get(loop)
    if timer is None:
        timer = _TIMERS[loop] = _Timer(loop)
    _last = timer
    return timer


class deadline:  # lower case: used as `asyncio.timeout` is
    __slots__ = ("_cancelling", "_delay", "_expired", "_handle", "_task", "_timer", "_when")

    def __init__(self, delay: float | None) -> None:
        self._delay = delay
        self._handle: asyncio.Handle | None = None  # a delay at or below zero: the next turn
        self._timer: _Timer | None = None  # a later one: the loop's shared timer
        self._expired = False

    def __enter__(self) -> deadline:
        if self._delay is None:
            return self
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("deadline: must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        if self._delay <= 0:
            self._handle = loop.call_soon(self._expire)
        else:
            self._when = loop.time() + self._delay
            self._timer = _timer(loop)
            self._timer.watch(self)
        return self

    def _expire(self) -> None:
        self._handle = None
        self._timer = None
        self._expired = True
        self._task.cancel()

    def expired(self) -> bool:
        return self._expired

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.forget(self)
            self._timer = None
        elif self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if (
            self._expired
            and self._task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise TimeoutError from exc
