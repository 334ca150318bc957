"""`asyncio.timeout` for the Router's per-attempt and per-chunk limits, at a fraction of its
cost: a plain `with` (no coroutines for entering and leaving), no state machine, one timer.

The semantics are `asyncio.Timeout`'s: when the delay passes, the task is cancelled; leaving
the block with that cancellation raises `TimeoutError` instead, unless the task was also
cancelled for another reason meanwhile (then the cancellation goes on, `uncancel` counting
ours out). ``None`` never expires; a delay at or below zero expires on the loop's next turn.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class deadline:  # lower case: used as `asyncio.timeout` is
    __slots__ = ("_cancelling", "_delay", "_expired", "_handle", "_task")

    def __init__(self, delay: float | None) -> None:
        self._delay = delay
        self._handle: asyncio.TimerHandle | asyncio.Handle | None = None
        self._expired = False

    def __enter__(self) -> deadline:
        if self._delay is None:
            return self
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("deadline: must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        loop = asyncio.get_running_loop()
        if self._delay <= 0:
            self._handle = loop.call_soon(self._expire)
        else:
            self._handle = loop.call_later(self._delay, self._expire)
        return self

    def _expire(self) -> None:
        self._handle = None
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
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if (
            self._expired
            and self._task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise TimeoutError from exc
