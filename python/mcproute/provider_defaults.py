"""Well-known provider endpoints and the environment variables that conventionally hold keys."""

from __future__ import annotations

from collections.abc import Mapping

# Base URLs of well-known OpenAI-compatible servers, used when a provider is named after one of
# them and gives no endpoint of its own.
KNOWN_BASE_URLS: Mapping[str, str] = {
    "vllm": "http://127.0.0.1:8000/v1",
    "ollama": "http://127.0.0.1:11434/v1",
    "llamacpp": "http://127.0.0.1:8080/v1",
    "groq": "https://api.groq.com/openai/v1",
    "together": "https://api.together.xyz/v1",
    "mistral": "https://api.mistral.ai/v1",
    "openrouter": "https://openrouter.ai/api/v1",
}

DEFAULT_ENDPOINTS: Mapping[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
}

KEY_ENV_VARS: Mapping[str, str] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "bedrock": "AWS_BEARER_TOKEN_BEDROCK",  # a Bedrock API key, as AWS's SDKs read it
    "azure": "AZURE_OPENAI_API_KEY",
    "azure/entra_id": "AZURE_OPENAI_AD_TOKEN",  # the openai SDK's name for an Entra ID token
    "gemini": "GEMINI_API_KEY",
    "groq": "GROQ_API_KEY",
    "together": "TOGETHER_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
}
