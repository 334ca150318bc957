"""What a route leaves until its reply is written (`current_request.after_reply`): kept in order
while a request is being recorded, run once by `replied`, a failing step logged without
keeping the rest from running, and run at once where no request is being recorded."""

from __future__ import annotations

import logging

import pytest

from mcproute.proxy.current_request import CURRENT, CurrentRequest, after_reply, replied


def test_steps_wait_for_the_reply_and_run_once_in_order() -> None:
    ran: list[tuple[str, int]] = []
    current = CurrentRequest()
    token = CURRENT.set(current)
    try:
        after_reply(lambda n: ran.append(("settle", n)), 1)
        after_reply(lambda: ran.append(("release", 2)))
        assert ran == []  # nothing before the reply
    finally:
        CURRENT.reset(token)
    replied(current)
    assert ran == [("settle", 1), ("release", 2)]
    replied(current)  # a second call finds nothing left
    assert ran == [("settle", 1), ("release", 2)]


def test_a_failing_step_is_logged_and_the_rest_still_run(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []
    current = CurrentRequest()

    def settle() -> None:
        raise RuntimeError("store refused the settlement")

    token = CURRENT.set(current)
    try:
        after_reply(settle)
        after_reply(ran.append, "released")
    finally:
        CURRENT.reset(token)
    with caplog.at_level(logging.ERROR, logger="mcproute.proxy"):
        replied(current)
    assert ran == ["released"]  # the reservation is still released
    assert any("settle" in r.getMessage() for r in caplog.records)


def test_steps_run_at_once_where_no_request_is_recorded() -> None:
    ran: list[int] = []
    assert CURRENT.get() is None
    after_reply(ran.append, 7)
    assert ran == [7]
    replied(CurrentRequest())  # nothing left for a request that asked for nothing


def test_a_step_asked_for_after_the_reply_went_out_runs_at_once() -> None:
    """A child task that ends after the reply (a hedge's loser) is not left waiting."""
    ran: list[str] = []
    current = CurrentRequest()
    replied(current)
    token = CURRENT.set(current)
    try:
        after_reply(ran.append, "late attempt counted")
    finally:
        CURRENT.reset(token)
    assert ran == ["late attempt counted"]
