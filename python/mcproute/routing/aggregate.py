"""Ask several model groups at once and combine their answers.

Modes: "first" (first success wins, the rest are cancelled), "all" (every answer and every
error), "majority" (most common normalized answer; returns early once one has a majority),
"best" (highest score from the caller's function) and "merge" (the caller's function over all
answers). Every mode has a deadline: groups still running then are cancelled and listed as
pending, and the result is built from what arrived.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from mcproute.routing.router import Attempt, Router

T = TypeVar("T")
Mode = Literal["first", "all", "majority", "best", "merge"]
MODES: tuple[Mode, ...] = ("first", "all", "majority", "best", "merge")


class AggregateError(Exception):
    """No group produced an answer the mode could use."""

    def __init__(self, message: str, errors: dict[str, BaseException], pending: list[str]):
        super().__init__(message)
        self.errors = errors
        self.pending = pending


@dataclass
class AggregateResult(Generic[T]):
    value: T | None  # the combined answer (None for mode "all")
    results: dict[str, T] = field(default_factory=dict)  # group -> answer
    errors: dict[str, BaseException] = field(default_factory=dict)  # group -> failure
    pending: list[str] = field(default_factory=list)  # cut off by the deadline

    @property
    def complete(self) -> bool:
        return not self.pending


def default_normalize(answer: object) -> str:
    return " ".join(str(answer).split()).lower()


async def aggregate(
    router: Router,
    groups: Sequence[str],
    attempt: Attempt[T],
    *,
    mode: Mode = "all",
    deadline: float | None = None,
    normalize: Callable[[T], object] = default_normalize,
    score: Callable[[T], float] | None = None,
    merge: Callable[[list[T]], T] | None = None,
) -> AggregateResult[T]:
    if mode not in MODES:
        raise ValueError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    if not groups:
        raise ValueError("groups: at least one model group is required")
    if len(set(groups)) != len(groups):
        raise ValueError("groups: each group may appear once")
    if mode == "best" and score is None:
        raise ValueError("mode 'best' needs a score function")
    if mode == "merge" and merge is None:
        raise ValueError("mode 'merge' needs a merge function")
    tasks = {asyncio.ensure_future(router.call(g, attempt)): g for g in groups}
    out: AggregateResult[T] = AggregateResult(value=None)
    votes: Counter[object] = Counter()
    first_of: dict[object, T] = {}
    loop = asyncio.get_running_loop()
    end = None if deadline is None else loop.time() + deadline
    pending = set(tasks)
    try:
        while pending:
            timeout = None if end is None else max(0.0, end - loop.time())
            done, pending = await asyncio.wait(
                pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                break  # deadline
            for task in done:
                group = tasks[task]
                if task.exception() is not None:
                    out.errors[group] = task.exception()  # type: ignore[assignment]
                    continue
                answer = task.result()
                out.results[group] = answer
                if mode == "first":
                    out.value = answer
                    return out
                if mode == "majority":
                    key = normalize(answer)
                    votes[key] += 1
                    first_of.setdefault(key, answer)
                    if votes[key] * 2 > len(groups):
                        out.value = first_of[key]
                        return out
    finally:
        out.pending = [tasks[t] for t in tasks if not t.done()]
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        out.pending = [g for g in out.pending if g not in out.results and g not in out.errors]
    if mode == "all":
        return out
    if not out.results:
        raise AggregateError(f"no answer from any of {', '.join(groups)}", out.errors, out.pending)
    answers = list(out.results.values())
    if mode == "majority":
        # no strict majority: the most common answer, ties to the one that arrived first
        key, _ = votes.most_common(1)[0]
        out.value = first_of[key]
    elif mode == "best":
        assert score is not None
        out.value = max(answers, key=score)
    elif mode == "merge":
        assert merge is not None
        out.value = merge(answers)
    else:  # "first" with every group failed or cut off
        raise AggregateError(f"no answer from any of {', '.join(groups)}", out.errors, out.pending)
    return out
