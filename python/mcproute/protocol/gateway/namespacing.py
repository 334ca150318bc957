"""How the gateway names its upstreams' tools and prompts: `<upstream><separator><name>` with
namespacing on (the default), else the upstream's own names (which must then not collide: the
first upstream that lists a name wins)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Namespace:
    enabled: bool = True
    separator: str = "__"

    def expose(self, upstream: str, name: str) -> str:
        """The name a client sees for an upstream's own `name`."""
        return f"{upstream}{self.separator}{name}" if self.enabled else name

    def owner(self, exposed: str) -> str | None:
        """The upstream an exposed name points at by its prefix; None without namespacing."""
        if not self.enabled:
            return None
        return exposed.split(self.separator, 1)[0]
