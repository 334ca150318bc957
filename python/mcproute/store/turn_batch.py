"""Calls gathered over one turn of the event loop and handed on together: the admissions of
the requests that arrived together become one store round trip (`sqlite_tx.SqliteLane.batched`,
`redis_usage.RedisUsage`) instead of one each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")


class TurnBatch(Generic[Item]):
    """`add` queues an item and returns the future of its outcome; at the end of the loop's
    turn `flush` gets everything queued, and later hands the outcomes to `deliver`."""

    def __init__(self, flush: Callable[[list[tuple[Item, asyncio.Future[Any]]]], None]) -> None:
        self._flush = flush
        self._queue: list[tuple[Item, asyncio.Future[Any]]] = []

    def add(self, item: Item) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._queue:
            loop.call_soon(self._run)
        self._queue.append((item, future))
        return future

    def _run(self) -> None:
        batch, self._queue = self._queue, []
        if batch:
            self._flush(batch)


def deliver(batch: Sequence[tuple[Any, asyncio.Future[Any]]], outcomes: Sequence[Any]) -> None:
    """Each waiter its outcome (an exception is raised to it); a waiter gone is skipped."""
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
