"""The ``ensembles`` block of the configuration: several models answering as one.

``{"consensus": {"models": ["gpt-4", "claude", "llama3"], "strategy": "majority",
"deadline_s": 20, "min_answers": 2}}``. Members are models, groups or aliases (never another
ensemble, so an ensemble cannot loop); ``best`` needs a ``judge``, ``merge`` a ``merger``, and
``majority`` with ``"match": "embedding"`` an ``embeddings`` model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from mcproute.routing.aggregate import MODES, Mode

if TYPE_CHECKING:
    from mcproute.config import Config, _Checker

Match = Literal["exact", "embedding"]
JudgeFallback = Literal["error", "fastest"]
DEFAULT_RUBRIC = (
    "Score each answer from 0 to 10 for how correct, complete and directly useful it is as a"
    " reply to the user's last message."
)

_KEYS = (
    "models",
    "strategy",
    "deadline_s",
    "min_answers",
    "judge",
    "rubric",
    "on_judge_error",
    "merger",
    "match",
    "embeddings",
    "similarity",
)


@dataclass(frozen=True)
class EnsembleConfig:
    name: str
    models: tuple[str, ...]
    strategy: Mode
    deadline_s: float = 60.0
    min_answers: int = 1
    judge: str | None = None  # strategy "best": the model that scores the answers
    rubric: str = DEFAULT_RUBRIC
    on_judge_error: JudgeFallback = "error"  # "fastest": malformed scores pick the fastest
    merger: str | None = None  # strategy "merge": the model that writes the one answer
    match: Match = "exact"  # strategy "majority": how answers are compared
    embeddings: str | None = None  # "match": "embedding": the embeddings model
    similarity: float = 0.85  # cosine similarity at which two answers agree

    def helpers(self) -> dict[str, str]:
        """The models the ensemble calls besides its members, by role."""
        roles = {"judge": self.judge, "merger": self.merger, "embeddings": self.embeddings}
        return {role: name for role, name in roles.items() if name is not None}


def _choice(value: Any, path: str, allowed: tuple[str, ...], check: _Checker) -> str | None:
    if value not in allowed:
        check.fail(path, f"must be one of {', '.join(allowed)}, got {value!r}")
        return None
    return cast(str, value)


def _parse_one(name: str, spec: Mapping[str, Any], path: str, check: _Checker) -> EnsembleConfig:
    check.known_keys(spec, path, _KEYS)
    models = check.string_list(spec.get("models"), f"{path}.models")
    if len(models) < 2 and "models" in spec:
        check.fail(f"{path}.models", "an ensemble needs at least two models")
    elif "models" not in spec:
        check.fail(f"{path}.models", "is required")
    strategy = _choice(spec.get("strategy"), f"{path}.strategy", MODES, check) or "all"
    deadline = check.number(spec.get("deadline_s"), f"{path}.deadline_s") or 60.0
    min_answers = check.number(spec.get("min_answers"), f"{path}.min_answers", integer=True) or 1
    if models and min_answers > len(models):
        check.fail(
            f"{path}.min_answers",
            f"{min_answers} is more than the ensemble's {len(models)} models",
        )
    if strategy == "first" and min_answers > 1:
        check.fail(f"{path}.min_answers", "strategy 'first' uses one answer: must be 1")
    match = _choice(spec.get("match", "exact"), f"{path}.match", ("exact", "embedding"), check)
    similarity = check.number(spec.get("similarity"), f"{path}.similarity")
    if similarity is not None and similarity > 1:
        check.fail(f"{path}.similarity", f"must be at most 1, got {similarity}")
    fallback = _choice(
        spec.get("on_judge_error", "error"), f"{path}.on_judge_error", ("error", "fastest"), check
    )
    config = EnsembleConfig(
        name=name,
        models=tuple(models),
        strategy=cast(Mode, strategy),
        deadline_s=float(deadline),
        min_answers=int(min_answers),
        judge=check.string(spec.get("judge"), f"{path}.judge"),
        rubric=check.string(spec.get("rubric"), f"{path}.rubric") or DEFAULT_RUBRIC,
        on_judge_error=cast(JudgeFallback, fallback or "error"),
        merger=check.string(spec.get("merger"), f"{path}.merger"),
        match=cast(Match, match or "exact"),
        embeddings=check.string(spec.get("embeddings"), f"{path}.embeddings"),
        similarity=float(similarity or 0.85),
    )
    needs = {
        "judge": config.strategy == "best",
        "merger": config.strategy == "merge",
        "embeddings": config.strategy == "majority" and config.match == "embedding",
    }
    given = config.helpers()
    for role, needed in needs.items():
        if needed and role not in given:
            check.fail(f"{path}.{role}", f"is required by strategy {config.strategy!r}")
        elif not needed and role in given:
            check.fail(f"{path}.{role}", f"is not used by strategy {config.strategy!r}")
    return config


def parse_ensembles(value: Any, check: _Checker) -> dict[str, EnsembleConfig]:
    block = check.mapping(value, "mcp.ensembles") or {}
    out = {}
    for name, spec in block.items():
        path = f"mcp.ensembles.{name}"
        mapping = check.mapping(spec, path)
        if mapping is not None:
            out[str(name)] = _parse_one(str(name), mapping, path, check)
    return out


def check_ensembles(config: Config, check: _Checker, capabilities: tuple[str, ...]) -> None:
    """Names and references: members and helpers must be models, groups or aliases."""
    groups = config.model_groups()
    for name, ensemble in config.ensembles.items():
        path = f"mcp.ensembles.{name}"
        if name in groups or name in config.aliases or name in capabilities:
            check.fail(path, "has the name of a model, group, alias or capability")
        seen: dict[str, str] = {}
        for i, member in enumerate(ensemble.models):
            where = f"{path}.models[{i}]"
            group = config.aliases.get(member, member)
            if member in config.ensembles:
                check.fail(where, f"{member!r} is an ensemble; members must be models")
            elif group not in groups:
                check.fail(where, f"unknown model {member!r}")
            elif group in seen:
                check.fail(where, f"{member!r} is the same model as {seen[group]!r}")
            else:
                seen[group] = member
        for role, helper in ensemble.helpers().items():
            where = f"{path}.{role}"
            if helper == name:
                check.fail(where, f"{helper!r} is this ensemble itself")
            elif helper in config.ensembles:
                check.fail(where, f"{helper!r} is an ensemble; the {role} must be a model")
            elif config.aliases.get(helper, helper) not in groups:
                check.fail(where, f"unknown model {helper!r}")
