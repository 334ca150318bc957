"""What the request being served learns on the way, for the request log and the spend ledger:
the tokens its model calls used, the deployment that answered, the usage object the reply
carried and, for an ensemble, each model it called. Set by the per-request middleware; filled by the
token-usage hook in `metrics`, by the routes (`note_usage`, `note_part`) and by the Router's
observer (child tasks, such as a hedge, share the same object). It also holds what a route
leaves until its reply is written (`after_reply`: a call's metrics and its settlement), so
the caller's reply waits for none of it."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcproute.governance.usage import Usage

_log = logging.getLogger("mcproute.proxy")
_RAN: list[Any] = []  # `CurrentRequest.after` once `replied` ran (never appended to)


@dataclass(slots=True)
class CurrentRequest:
    tokens: list[int] = field(default_factory=lambda: [0, 0])  # input, output
    deployment: str | None = None
    usage: dict[str, Any] | None = None  # the reply's usage object, as the upstream gave it
    # (model, deployment or None, usage object): the calls an ensemble made
    parts: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    cost_nusd: int | None = None  # what the spend ledger recorded; None: no price known
    # (usage object, model, deployment, its counts, their cost or None): counted once by the
    # reservation's settlement, reused by the spend ledger's row for the same call
    counted: tuple[Mapping[str, Any], str, str | None, Usage, int | None] | None = None
    # what runs once the reply is written, in order (`after_reply`); None: nothing yet;
    # `_RAN` once it ran (a child task that ends later, such as a hedge's loser, runs at once)
    after: list[tuple[Callable[..., object], tuple[Any, ...]]] | None = None


CURRENT: contextvars.ContextVar[CurrentRequest | None] = contextvars.ContextVar(
    "mcproute_current_request", default=None
)


def note_tokens(input: int = 0, output: int = 0) -> None:
    """Count a model call's tokens toward the request being served (if one is)."""
    current = CURRENT.get()
    if current is not None:
        current.tokens[0] += input
        current.tokens[1] += output


def note_usage(usage: Any) -> None:
    """The usage object of the request's reply (its final one, for a stream)."""
    current = CURRENT.get()
    if current is not None and isinstance(usage, dict):
        current.usage = usage


def note_part(model: str, usage: Any, deployment: str | None = None) -> None:
    """One model call an ensemble made (a member, its judge or its merger), for the ledger:
    its own model, the deployment that answered when known, and its usage object."""
    current = CURRENT.get()
    if current is not None:
        current.parts.append((model, deployment, usage if isinstance(usage, dict) else {}))


def after_reply(fn: Callable[..., object], *args: Any) -> None:
    """Call `fn(*args)` once the request's reply is written (or its sending failed), before
    the request's record (`per_request.Books.done`, which calls `replied`), in the order
    asked; at once where no request is being recorded, or its reply went out already."""
    current = CURRENT.get()
    if current is None or current.after is _RAN:
        fn(*args)
    elif current.after is None:
        current.after = [(fn, args)]
    else:
        current.after.append((fn, args))


def replied(current: CurrentRequest) -> None:
    """Run what `after_reply` left for `current`; one that fails is logged and the rest still
    run (a settlement left undone would hold its limits' reservation)."""
    waiting = current.after
    current.after = _RAN
    if not waiting:
        return
    for fn, args in waiting:
        try:
            fn(*args)
        except Exception:
            _log.exception("after the reply: %s failed", getattr(fn, "__qualname__", "a step"))
