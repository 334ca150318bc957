"""mcproute: a high-performance MCP gateway and model router with a Rust core."""

from mcproute._core import __version__

__all__ = ["__version__"]
