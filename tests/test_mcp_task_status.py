"""`TaskStatus`: which caller an upstream's task notification is for, including a notification
that overtakes the CreateTaskResult it follows, one for a task started elsewhere, and one told
on the client's own upstream session."""

from __future__ import annotations

from typing import Any

import pytest

from mcproute.protocol.gateway import task_status
from mcproute.protocol.gateway.relayed_tasks import RelayedTasks
from mcproute.protocol.gateway.task_status import TaskStatus
from mcproute.protocol.server.context import Session
from mcproute.protocol.server.input_required import RequestStates

Sent = list[tuple[str, dict[str, Any], str | None, Session | None]]


def relay() -> tuple[TaskStatus, RelayedTasks, Sent]:
    sent: Sent = []
    tasks = RelayedTasks(RequestStates(b"k" * 32))
    return TaskStatus(tasks, lambda *told: sent.append(told)), tasks, sent


def test_a_notification_waits_for_the_task_it_overtook() -> None:
    status, tasks, sent = relay()
    status.on_watch("up", {"taskId": "t1", "status": "completed", "_meta": {"x": 1}})
    assert sent == []
    session = Session(principal="alice")
    status.started("up", "t1", "alice", session)
    client_id = tasks.client_id("up", "t1", "alice")
    assert sent == [("up", {"taskId": client_id, "status": "completed"}, "alice", session)]
    status.on_watch("up", {"taskId": "t1", "status": "completed"})  # ended: forgotten
    assert len(sent) == 1


def test_the_clients_id_is_the_one_its_create_task_result_gave() -> None:
    status, tasks, sent = relay()
    created = tasks.expose("up", {"taskId": "t1", "resultType": "task"}, "alice")
    status.started("up", "t1", "alice", None)
    status.on_watch("up", {"taskId": "t1", "status": "working"})
    assert sent[0][1]["taskId"] == created["taskId"]
    assert tasks.route({"taskId": created["taskId"]}, "alice") == ("up", {"taskId": "t1"})


def test_tasks_started_elsewhere_are_not_told_and_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    status, _, sent = relay()
    clock = [1000.0]
    monkeypatch.setattr(task_status.time, "monotonic", lambda: clock[0])
    status.on_watch("up", {"taskId": "elsewhere", "status": "working"})
    clock[0] += task_status.EARLY_WAIT_S + 1
    status.on_watch("up", {"taskId": "other", "status": "working"})  # the first one expires
    status.started("up", "elsewhere", "alice", None)
    assert sent == []
    status.on_watch("up", {"taskId": 7, "status": "working"})  # not a task id: ignored
    assert sent == []


def test_a_task_on_the_clients_own_upstream_session_is_told_there_only() -> None:
    status, tasks, sent = relay()
    session = Session(principal="bob")
    status.started("up", "t2", "bob", session, own_session=True)
    status.on_watch("up", {"taskId": "t2", "status": "completed"})  # the same, on the watch
    assert sent == []
    status.on_own_session("up", {"taskId": "t2", "status": "completed"}, session)
    assert sent == [
        (
            "up",
            {"taskId": tasks.client_id("up", "t2", "bob"), "status": "completed"},
            "bob",
            session,
        )
    ]


def test_what_waits_for_a_task_is_bounded() -> None:
    status, _, sent = relay()
    for _ in range(task_status.MAX_EARLY_NOTES + 5):
        status.on_watch("up", {"taskId": "busy", "status": "working"})
    for n in range(task_status.MAX_EARLY + 1):
        status.on_watch("up", {"taskId": f"t{n}", "status": "working"})
    status.started("up", "busy", "alice", None)  # the oldest made room for the newest
    status.started("up", f"t{task_status.MAX_EARLY}", "alice", None)
    assert len(sent) == 1
    status.on_watch("up", {"taskId": "second", "status": "working"})
    for _ in range(task_status.MAX_EARLY_NOTES + 5):
        status.on_watch("up", {"taskId": "second", "status": "working"})
    status.started("up", "second", "alice", None)
    assert len(sent) == 1 + task_status.MAX_EARLY_NOTES
