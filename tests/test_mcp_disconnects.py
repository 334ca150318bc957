"""The disconnect watch of 2026-07-28 requests (`server/disconnects.py`): one timer for every
request in flight, a request whose client has gone reported once, the timer armed only while
something is watched, and armed again on a new loop when its own has closed."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiohttp import web

from mcproute.protocol.server.disconnects import DisconnectWatch


class FakeTransport:
    def __init__(self) -> None:
        self.closing = False

    def is_closing(self) -> bool:
        return self.closing


class FakeRequest:
    def __init__(self) -> None:
        self.transport: FakeTransport | None = FakeTransport()


def request() -> tuple[FakeRequest, web.Request]:
    fake = FakeRequest()
    return fake, cast(web.Request, fake)


async def test_one_timer_reports_each_gone_client_once() -> None:
    gone: list[Any] = []
    watch: DisconnectWatch[str] = DisconnectWatch(gone.append, check_s=0.01)
    (stays, stays_req), (leaves, leaves_req), (drops, drops_req) = request(), request(), request()
    tickets = [watch.watch(r, key) for r, key in ((stays_req, "a"), (leaves_req, "b"))]
    watch.watch(drops_req, "c")
    timer = watch._timer
    assert timer is not None
    watch.watch(request()[1], "d")
    assert watch._timer is timer  # one timer for all of them
    assert leaves.transport is not None
    leaves.transport.closing = True  # the client closed its connection
    drops.transport = None  # aiohttp's request lost its transport
    await asyncio.sleep(0.05)
    assert sorted(gone) == ["b", "c"]  # once each, however many checks ran
    watch.unwatch(tickets[0])
    watch.unwatch(tickets[1])  # already reported: nothing happens
    watch.close()
    assert watch._timer is None
    await asyncio.sleep(0.03)
    assert sorted(gone) == ["b", "c"]
    assert stays.transport is not None
    assert not stays.transport.closing


async def test_the_timer_stops_when_nothing_is_watched() -> None:
    watch: DisconnectWatch[str] = DisconnectWatch(lambda key: None, check_s=0.01)
    ticket = watch.watch(request()[1], "a")
    watch.unwatch(ticket)
    await asyncio.sleep(0.03)
    assert watch._timer is None  # the check found nothing and did not arm itself again


def test_a_watch_outliving_its_loop_arms_on_the_next() -> None:
    gone: list[str] = []
    watch: DisconnectWatch[str] = DisconnectWatch(gone.append, check_s=0.01)

    async def watch_one(closed: bool) -> None:
        fake, req = request()
        assert fake.transport is not None
        fake.transport.closing = closed
        watch.watch(req, "closed" if closed else "open")
        await asyncio.sleep(0.03 if closed else 0)

    asyncio.run(watch_one(False))  # its loop ends with the timer still armed
    asyncio.run(watch_one(True))
    assert gone == ["closed"]
