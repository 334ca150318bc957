"""Which provider served a call, named as the OpenTelemetry GenAI conventions name providers
(`gen_ai.provider.name`), for span attributes and the `gen_ai_provider_name` metric label.

The proxy sets a one-item holder per request in `SERVED_BY` (`begin`; each request runs in
its own task, so the holder is that request's); every attempt writes its deployment's provider
there as it starts, so after the call it names the provider of the last attempt started: the
one that answered or last failed (with a hedge, the hedge's even when the first attempt won;
a group's deployments are normally of one provider). Unset (None) in library use.
"""

from __future__ import annotations

from contextvars import ContextVar

from mcproute.config import DeploymentConfig

# provider type or configured provider name -> the conventions' well-known value
_WELL_KNOWN = {
    "openai": "openai",
    "anthropic": "anthropic",
    "bedrock": "aws.bedrock",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "gemini": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "vertex_ai": "gcp.vertex_ai",
    "mistral": "mistral_ai",
    "groq": "groq",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
    "xai": "x_ai",
    "cohere": "cohere",
}

SERVED_BY: ContextVar[list[str] | None] = ContextVar("mcproute_served_by", default=None)


def provider_name(config: DeploymentConfig) -> str:
    """`openai`, `anthropic`, `aws.bedrock`...; an OpenAI-compatible server by the name its
    provider block has in the configuration (`groq`, `vllm`, ...)."""
    if config.provider_type == "openai_compatible":
        name = config.provider.lower()
        return _WELL_KNOWN.get(name, name)
    return _WELL_KNOWN.get(config.provider_type, config.provider_type)


def note(config: DeploymentConfig) -> None:
    """Record that an attempt goes to this deployment's provider (for the proxy's metrics)."""
    holder = SERVED_BY.get()
    if holder is not None:
        holder[0] = provider_name(config)
        holder[1:] = [config.name]  # the deployment, for its price (`governance`)


def begin() -> None:
    """Give the running request a holder (kept if the request has one already)."""
    if SERVED_BY.get() is None:
        SERVED_BY.set([""])


def current() -> str:
    """The provider the running request's last attempt went to ("" if none yet)."""
    holder = SERVED_BY.get()
    return "" if holder is None else holder[0]


def deployment() -> str | None:
    """The deployment the running request's last attempt went to (None if none yet)."""
    holder = SERVED_BY.get()
    return holder[1] if holder is not None and len(holder) > 1 else None
