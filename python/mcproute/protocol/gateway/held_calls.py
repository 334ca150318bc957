"""Calls to a legacy upstream held open while a 2026-07-28 client answers its questions.

A legacy server asks for input with a request on the call's stream and waits; a stateless
client is asked with an InputRequiredResult and comes back with a new request. The gateway
bridges the two by holding the upstream call: each upstream request becomes an input request
(keyed `upstream-<n>`), the call's key travels in our sealed requestState, and the retry's
`inputResponses` answer the waiting upstream requests. A held call lives in the replica that
started it, for at most `ttl_s`; a retry that reaches another replica, or comes too late, gets
a clear error. A round that is cancelled (the client closed its stream or sent
notifications/cancelled) ends the held call and cancels its upstream request. A held call
belongs to the principal that started it (as the requestState naming it does): another caller
cannot answer its questions or take its result.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from mcproute.protocol.jsonrpc import INVALID_PARAMS, INVALID_REQUEST, Json, MCPError
from mcproute.protocol.server.input_required import CAPABILITY, InputRequired

OnRequest = Callable[[str, Json], Awaitable[Json]]
DEFAULT_TTL_S = 600.0  # as long as a requestState stays valid


@dataclass(eq=False)
class HeldCall:
    task: asyncio.Task[Json] | None = None
    # Upstream requests not yet answered: key -> (method, params, where the answer goes).
    asked: dict[str, tuple[str, Json, asyncio.Future[Json]]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    counter: itertools.count[int] = field(default_factory=itertools.count)
    can_answer: Callable[[str], bool] = lambda method: True
    principal: str | None = None  # who started it: only they may continue it

    async def relay(self, method: str, params: Json) -> Json:
        """The upstream's `on_request`: park the request until the client answers it."""
        if method not in CAPABILITY or not self.can_answer(method):
            raise MCPError(INVALID_REQUEST, f"{method}: the client cannot answer it")
        answer: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self.asked[f"upstream-{next(self.counter)}"] = (method, params, answer)
        self.changed.set()
        return await answer


class HeldCalls:
    def __init__(self, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._calls: dict[str, HeldCall] = {}

    async def start(
        self,
        run: Callable[[OnRequest], Coroutine[Any, Any, Json]],
        can_answer: Callable[[str], bool],
        principal: str | None = None,
    ) -> Json:
        """Run `run(on_request)`: its result, or InputRequired for its first question. Asked
        for what `can_answer` refuses, the upstream gets an error instead."""
        call = HeldCall(can_answer=can_answer, principal=principal)
        key = secrets.token_urlsafe(16)
        call.task = asyncio.create_task(run(call.relay))
        self._calls[key] = call
        asyncio.get_running_loop().call_later(self.ttl_s, self._expire, key)
        return await self._next(key, call)

    async def resume(self, key: str, answers: Json, principal: str | None = None) -> Json:
        """Answer the held call's questions from `answers`; its result or its next question.
        Another principal's call is as gone as one that expired."""
        call = self._calls.get(key)
        if call is None or call.principal != principal:
            raise MCPError(
                INVALID_PARAMS,
                "params.requestState: the upstream call it continues is gone "
                "(expired, or held by another replica)",
            )
        for asked_key in [k for k in call.asked if k in answers]:
            _, _, answer = call.asked.pop(asked_key)
            if not answer.done():
                answer.set_result(answers[asked_key])
        return await self._next(key, call)

    async def _next(self, key: str, call: HeldCall) -> Json:
        assert call.task is not None
        while not call.asked and not call.task.done():
            call.changed.clear()
            waiter = asyncio.ensure_future(call.changed.wait())
            try:
                await asyncio.wait({call.task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                self._expire(key)  # the client cancelled: the upstream request is released
                raise
            finally:
                waiter.cancel()
        if call.asked:
            requests = {k: {"method": m, "params": p} for k, (m, p, _) in call.asked.items()}
            raise InputRequired(requests, {"held": key})
        del self._calls[key]
        return call.task.result()

    def _expire(self, key: str) -> None:
        call = self._calls.pop(key, None)
        if call is not None and call.task is not None:
            call.task.cancel()

    def cancel_all(self) -> None:
        for key in list(self._calls):
            self._expire(key)


def held_key(carried: Any) -> str | None:
    """The held call a retry continues, from its (verified) carried state."""
    return carried.get("held") if isinstance(carried, dict) else None
