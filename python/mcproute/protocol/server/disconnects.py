"""Noticing 2026-07-28 clients that have gone, so their requests are cancelled.

A stateless client cancels by closing its connection, and aiohttp tells only a handler it
cancels (which an application's runner may not do). So the requests in flight are looked at
now and then: one timer per transport for all of them, running only while there are any (a
timer per request would cost every call a timer's setup and cancellation).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import count
from typing import Generic, TypeVar

from aiohttp import web

Key = TypeVar("Key")
CHECK_S = 0.25  # how often the requests in flight look for their client's disconnect


class DisconnectWatch(Generic[Key]):
    """`gone(key)` is called once for each watched request whose client has gone."""

    def __init__(self, gone: Callable[[Key], None], check_s: float = CHECK_S) -> None:
        self._gone = gone
        self.check_s = check_s
        self._watched: dict[int, tuple[web.Request, Key]] = {}
        self._ids = count()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def watch(self, request: web.Request, key: Key) -> int:
        """Watch `request` until `unwatch` with the returned ticket."""
        ticket = next(self._ids)
        self._watched[ticket] = (request, key)
        if self._timer is None or self._loop is None or self._loop.is_closed():
            # (a server may outlive the loop its timer was on)
            self._loop = asyncio.get_running_loop()
            self._timer = self._loop.call_later(self.check_s, self._check)
        return ticket

    def unwatch(self, ticket: int) -> None:
        self._watched.pop(ticket, None)

    def _check(self) -> None:
        self._timer = None
        for ticket, (request, key) in list(self._watched.items()):
            transport = request.transport
            if transport is None or transport.is_closing():
                del self._watched[ticket]
                self._gone(key)
        if self._watched and self._loop is not None:
            self._timer = self._loop.call_later(self.check_s, self._check)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._watched.clear()
