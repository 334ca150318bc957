"""Handing a connection to aiohttp: its own `RequestHandler` (from the runner's server, so
its limits, timeouts, malformed-request answers and shutdown apply) takes the transport and
every byte the front buffered, unparsed, so it reads the exact request the client sent. The
connection stays with aiohttp from then on: a front never takes one back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp.web_protocol import RequestHandler


def hand_off(
    transport: asyncio.Transport,
    make_handler: Callable[[], RequestHandler],
    buffered: bytes | bytearray,
    reading_paused: bool,
    writing_paused: bool,
) -> None:
    handler = make_handler()
    transport.set_protocol(handler)
    handler.connection_made(transport)
    if writing_paused:  # the client is not reading what it was sent: aiohttp waits as well
        handler.pause_writing()
    if reading_paused:
        transport.resume_reading()
    if buffered:
        handler.data_received(bytes(buffered))
