"""What the request being served learns on the way, for the request log: the tokens its model
calls used and the deployment that answered. Set by the history middleware; filled by the
token-usage hook in `metrics` and by the Router's observer (child tasks, such as a hedge,
share the same object)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field


@dataclass(slots=True)
class CurrentRequest:
    tokens: list[int] = field(default_factory=lambda: [0, 0])  # input, output
    deployment: str | None = None


CURRENT: contextvars.ContextVar[CurrentRequest | None] = contextvars.ContextVar(
    "mcproute_current_request", default=None
)


def note_tokens(input: int = 0, output: int = 0) -> None:
    """Count a model call's tokens toward the request being served (if one is)."""
    current = CURRENT.get()
    if current is not None:
        current.tokens[0] += input
        current.tokens[1] += output
