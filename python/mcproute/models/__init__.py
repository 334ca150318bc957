"""Model providers behind the Router: registry, routed models and provider adapters."""

from mcproute.models.anthropic import AnthropicAdapter
from mcproute.models.openai import OpenAIAdapter
from mcproute.models.openai_compatible import OpenAICompatibleAdapter
from mcproute.models.registry import ModelNotFoundError, ModelRegistry
from mcproute.models.routed import Generation, GenerationChunk, RoutedModel

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
