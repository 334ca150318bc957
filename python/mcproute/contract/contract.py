"""`Contract`: one API's request body, checked before any work is done for it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mcproute.contract.compiled import compile_shape
from mcproute.contract.shapes import Invalid, Obj, format_path

# A semantic rule of an API (beyond shapes): raises `Invalid` naming the path it objects to.
Rule = Callable[[dict[str, Any]], None]


class ContractError(Exception):
    """A request body that breaks its API's contract: a 400 naming `param`, the JSON path."""

    def __init__(self, param: str, problem: str) -> None:
        super().__init__(f"{param}: {problem}")
        self.param = param
        self.problem = problem


class Contract:
    """The shape of one endpoint's body plus that API's semantic rules, run in order after the
    shape holds. Per-API semantics are added as rules; the shape stays one table.

    The shape is compiled once into a predicate (`compiled.py`) that answers "valid?" fast; the
    shape tree is walked only for a body the predicate refuses, to name the path and problem."""

    def __init__(self, name: str, shape: Obj, rules: Iterable[Rule] = ()) -> None:
        self.name = name
        self.shape = shape
        self.rules: list[Rule] = list(rules)
        self.valid = compile_shape(shape)

    def rule(self, fn: Rule) -> Rule:
        """Add a semantic rule (usable as a decorator)."""
        self.rules.append(fn)
        return fn

    def check(self, body: Any) -> None:
        """Raise `ContractError` for the first problem in `body` (already parsed)."""
        try:
            if not self.valid(body):
                self.shape.check(body)  # raises, naming where
            for rule in self.rules:
                rule(body)
        except Invalid as exc:
            raise ContractError(format_path(reversed(exc.path)), exc.problem) from None
