"""The proxy process (`mcproute serve`): OpenAI- and Anthropic-compatible model endpoints, the
MCP gateway, API key auth, health checks and Prometheus metrics, on aiohttp."""

from mcproute.proxy.app import build_app

__all__ = ["build_app"]
