"""`asyncio.timeout` for the Router's per-attempt and per-chunk limits and the gateway's
forwarded calls, at a fraction of its cost: a plain `with` (no coroutines for entering and
leaving), no state machine, and no timer of its own.

The semantics are `asyncio.Timeout`'s: when the delay passes, the task is cancelled; leaving
the block with that cancellation raises `TimeoutError` instead, unless the task was also
cancelled for another reason meanwhile (then the cancellation goes on, `uncancel` counting
ours out). ``None`` never expires; a delay at or below zero expires on the loop's next turn.

*One timer per loop* (`earliest_timer.EarliestTimer`), not one per block: entering adds the
block's deadline to the loop's timer, leaving removes it. Under steady load (every attempt
with the same timeout, each later than the one before) that timer fires about once per
timeout period, instead of one being made and cancelled per attempt and per streamed chunk;
a deadline still fires when it did (the timer is at the earliest one).
"""

from __future__ import annotations

import asyncio
import weakref
from types import TracebackType

from mcproute.earliest_timer import EarliestTimer

_TIMERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, EarliestTimer] = (
    weakref.WeakKeyDictionary()
)
_last: EarliestTimer | None = None  # the last lookup's (one loop per process, usually)


def _timer(loop: asyncio.AbstractEventLoop) -> EarliestTimer:
    global _last
    last = _last
    if last is not None and last.loop is loop:
        return last
    timer = _TIMERS.get(loop)
    if timer is None:
        timer = _TIMERS[loop] = EarliestTimer(loop)
    _last = timer
    return timer


class deadline:  # lower case: used as `asyncio.timeout` is
    __slots__ = ("_cancelling", "_delay", "_expired", "_handle", "_task", "_timer", "expires")

    def __init__(self, delay: float | None) -> None:
        self._delay = delay
        self._handle: asyncio.Handle | None = None  # a delay at or below zero: the next turn
        self._timer: EarliestTimer | None = None  # a later one: the loop's shared timer
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
            self._handle = loop.call_soon(self.timed_out)
        else:
            self.expires = loop.time() + self._delay
            self._timer = _timer(loop)
            self._timer.watch(self)
        return self

    def timed_out(self) -> None:
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
