"""Model providers behind the Router: registry, routed models and provider adapters.

Names are imported on first use, so that using one adapter does not load the registry, the
configuration layer and the Router.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcproute.models.anthropic import AnthropicAdapter
    from mcproute.models.openai import OpenAIAdapter
    from mcproute.models.openai_compatible import OpenAICompatibleAdapter
    from mcproute.models.registry import ModelNotFoundError, ModelRegistry
    from mcproute.models.routed import Generation, GenerationChunk, RoutedModel

_HOMES = {
    "AnthropicAdapter": "mcproute.models.anthropic",
    "OpenAIAdapter": "mcproute.models.openai",
    "OpenAICompatibleAdapter": "mcproute.models.openai_compatible",
    "ModelNotFoundError": "mcproute.models.registry",
    "ModelRegistry": "mcproute.models.registry",
    "Generation": "mcproute.models.routed",
    "GenerationChunk": "mcproute.models.routed",
    "RoutedModel": "mcproute.models.routed",
}

__all__ = [
    "AnthropicAdapter",
    "Generation",
    "GenerationChunk",
    "ModelNotFoundError",
    "ModelRegistry",
    "OpenAIAdapter",
    "OpenAICompatibleAdapter",
    "RoutedModel",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mcproute.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
