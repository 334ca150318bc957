"""Numbers a worker reads from its environment, checked at start-up."""

from __future__ import annotations

from collections.abc import Mapping


def positive(environ: Mapping[str, str], name: str, kind: type[float]) -> float | None:
    """The variable `name` as a positive `kind`, None if it is unset or empty; ValueError
    naming it if it is anything else."""
    text = environ.get(name)
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):
        raise ValueError(f"{name} must be a positive {kind.__name__}, not {text!r}")
    return value
