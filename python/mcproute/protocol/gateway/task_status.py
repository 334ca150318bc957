"""The status notifications of upstreams' tasks (`notifications/tasks`, SEP-2663), passed on to
the callers that started them.

An upstream tells of its tasks on one of two streams:

- the stream the gateway watches it on (`fan_in.UpstreamWatch`: a `subscriptions/listen` that
  asked for task notifications, or its legacy session's standalone stream), shared by every
  caller whose call went on the gateway's own connections. Whose task a notification is about is
  remembered here when its CreateTaskResult goes by (`started`), on this process, while the task
  runs (the last `MAX_FOLLOWED`). A notification can overtake the CreateTaskResult it follows
  (they travel on different streams): it waits here, `EARLY_WAIT_S` at most, for it.
- a legacy client's own upstream session's stream (`fan_in.relay_session`): whose task it is
  needs no memory (`on_own_session`).

Either way the client hears it as it would from the upstream directly: with its own id for the
task (`RelayedTasks.client_id`, the id the CreateTaskResult gave it), on the legacy session that
started it and on that caller's listen streams that asked for task notifications
(`MCPServer.notify_task_status`). A task started through another replica is told to the
listeners there.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from mcproute.protocol.gateway.relayed_tasks import RelayedTasks
from mcproute.protocol.jsonrpc import Json
from mcproute.protocol.server.context import Session
from mcproute.protocol.server.tasks import TERMINAL

MAX_FOLLOWED = 10_000  # tasks whose caller is remembered; the oldest is forgotten first
MAX_EARLY = 1_000  # tasks whose notifications wait for their CreateTaskResult
MAX_EARLY_NOTES = 16  # of one such task; later ones are dropped (tasks/get still tells)
EARLY_WAIT_S = 10.0

# (upstream, the notification's params for the client, its caller, the session that started it)
Deliver = Callable[[str, Json, str | None, Session | None], None]


@dataclass
class _Caller:
    principal: str | None
    session: Session | None  # the legacy session that started it, if any
    own_session: bool  # started on the client's own upstream session: told there


@dataclass
class _Early:
    heard_at: float
    notes: list[Json] = field(default_factory=list)


class TaskStatus:
    def __init__(self, tasks: RelayedTasks, deliver: Deliver) -> None:
        self._tasks = tasks
        self._deliver = deliver
        self._callers: OrderedDict[tuple[str, str], _Caller] = OrderedDict()
        self._early: OrderedDict[tuple[str, str], _Early] = OrderedDict()

    def started(
        self,
        upstream: str,
        task_id: str,
        principal: str | None,
        session: Session | None,
        *,
        own_session: bool = False,
    ) -> None:
        """The upstream's task `task_id` was started for `principal` (by the legacy `session`,
        on its `own_session` with the upstream or the gateway's)."""
        key = (upstream, task_id)
        caller = _Caller(principal, session, own_session)
        self._callers[key] = caller
        while len(self._callers) > MAX_FOLLOWED:
            self._callers.popitem(last=False)
        early = self._early.pop(key, None)
        for params in early.notes if early is not None else ():
            self._tell(key, caller, params)

    def on_watch(self, upstream: str, params: Json) -> None:
        """A notification heard on the stream the gateway watches `upstream` on."""
        task_id = params.get("taskId")
        if not isinstance(task_id, str):
            return
        key = (upstream, task_id)
        caller = self._callers.get(key)
        if caller is not None:
            self._tell(key, caller, params)
            return
        self._forget_early()
        early = self._early.get(key)
        if early is None:
            early = self._early[key] = _Early(time.monotonic())
        if len(early.notes) < MAX_EARLY_NOTES:
            early.notes.append(params)
        while len(self._early) > MAX_EARLY:
            self._early.popitem(last=False)

    def on_own_session(self, upstream: str, params: Json, session: Session) -> None:
        """A notification on `session`'s own session with `upstream`: that client's task."""
        if isinstance(params.get("taskId"), str):
            self._send(upstream, params, session.principal, session)

    def _tell(self, key: tuple[str, str], caller: _Caller, params: Json) -> None:
        if params.get("status") in TERMINAL:
            self._callers.pop(key, None)
        if not caller.own_session:  # that session's own stream tells it (`on_own_session`)
            self._send(key[0], params, caller.principal, caller.session)

    def _send(
        self, upstream: str, params: Json, principal: str | None, session: Session | None
    ) -> None:
        out = {k: v for k, v in params.items() if k != "_meta"}  # the upstream's, per hop
        out["taskId"] = self._tasks.client_id(upstream, params["taskId"], principal)
        self._deliver(upstream, out, principal, session)

    def _forget_early(self) -> None:
        """Drop what waited too long: a task started through another replica, or by a caller
        that never declared the extension."""
        deadline = time.monotonic() - EARLY_WAIT_S
        while self._early:
            key, early = next(iter(self._early.items()))
            if early.heard_at > deadline:
                break
            del self._early[key]
