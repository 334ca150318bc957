"""An ensemble request's worst case, reserved at admission: every member's, plus that of the
helper its strategy calls (a judge, a merger, an embeddings model), whose input holds the
members' answers, bounded by the members' output caps (an answer of n tokens is read as at
most n tokens more). Each part's own bound is kept: a part whose price is unknown is counted
at it."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson

from mcproute.governance.reservation import Bound, Governor
from mcproute.models.ensemble_combine import judge_request, merge_request
from mcproute.models.token_estimate import input_token_bound


@dataclass(frozen=True)
class EnsembleBound:
    total: Bound
    parts: Mapping[str, Bound]  # by member or helper as configured (the dearer if both)


def _helper_bound(
    governor: Governor,
    role: str,
    group: str,
    raw: bytes,
    body: MutableMapping[str, Any],
    answers: tuple[int, int],  # how many members, and their output caps summed
    rubric: str,
) -> Bound:
    count, tokens = answers
    blanks = [""] * count  # the prompt's frame; the answers are counted as `tokens`
    if role == "judge":
        request = judge_request([], blanks, rubric)
        extra = input_token_bound(raw) + tokens  # the conversation, then the answers
        return governor.bound(group, orjson.dumps(request), request, True, extra)
    if role == "merger":
        request = merge_request(body, blanks)  # the caller's request, with its output cap
        return governor.bound(group, orjson.dumps(request), request, True, tokens)
    request = {"input": blanks}
    return governor.bound(group, orjson.dumps(request), request, False, tokens)


def ensemble_bound(
    governor: Governor,
    members: Mapping[str, str],
    helpers: Mapping[str, tuple[str, str]],
    rubric: str,
    raw: bytes,
    body: MutableMapping[str, Any],
    output: bool,
) -> EnsembleBound:
    """`members`: as configured -> model group; `helpers`: role -> (as configured, group).
    Sets the output cap on `body` (which every member gets) when it has none."""
    named = [(name, governor.bound(group, raw, body, output)) for name, group in members.items()]
    answers = (len(named), sum(b.output_tokens for _, b in named))
    for role, (name, group) in helpers.items():
        named.append((name, _helper_bound(governor, role, group, raw, body, answers, rubric)))
    costs = [b.cost_nusd for _, b in named if b.cost_nusd is not None]
    total = Bound(
        sum(b.input_tokens for _, b in named),
        sum(b.output_tokens for _, b in named),
        sum(costs) if costs else None,  # unpriced parts are not counted, as a lone call's
    )
    parts: dict[str, Bound] = {}
    for name, bound in named:
        if name not in parts or (bound.cost_nusd or 0) > (parts[name].cost_nusd or 0):
            parts[name] = bound
    return EnsembleBound(total, parts)
