"""Any server speaking the OpenAI API at its own base URL (vLLM, Ollama, llama.cpp, Groq, ...)."""

from __future__ import annotations

from collections.abc import Mapping

from mcproute.models.openai import OpenAIAdapter
from mcproute.provider_defaults import KNOWN_BASE_URLS
from mcproute.secret import Secret

__all__ = ["KNOWN_BASE_URLS", "OpenAICompatibleAdapter"]


class OpenAICompatibleAdapter(OpenAIAdapter):
    """The OpenAI adapter against another base URL; a key is optional for local servers."""

    def __init__(
        self,
        base_url: str,
        api_key: Secret | None = None,
        *,
        model: str | None = None,
        deployment: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(base_url, api_key, model=model, deployment=deployment, headers=headers)

    @classmethod
    def for_server(
        cls, server: str, api_key: Secret | None = None, *, model: str | None = None
    ) -> OpenAICompatibleAdapter:
        """An adapter for a well-known server by name (``"ollama"``, ``"groq"``, ...)."""
        return cls(KNOWN_BASE_URLS[server], api_key, model=model, deployment=server)
