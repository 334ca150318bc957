"""Prometheus metrics in the text exposition format: requests by route and status, their
latency, and the Router's per-deployment state."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from mcproute.routing import Router

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROUTES = ("/v1/chat/completions", "/v1/messages", "/v1/embeddings", "/v1/models", "/mcp")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)

    def middleware(self) -> Middleware:
        @web.middleware
        async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
            route = request.path if request.path in ROUTES else "other"
            start = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                self.requests[(route, status)] += 1
                self.seconds[route] += time.perf_counter() - start
                self.count[route] += 1

        return measure

    def render(self, router: Router | None) -> str:
        lines = [
            "# HELP mcproute_requests_total HTTP requests by route and status.",
            "# TYPE mcproute_requests_total counter",
        ]
        for (route, status), n in sorted(self.requests.items()):
            lines.append(f'mcproute_requests_total{{route="{route}",status="{status}"}} {n}')
        lines += [
            "# HELP mcproute_request_seconds Time spent serving requests, by route.",
            "# TYPE mcproute_request_seconds summary",
        ]
        for route in sorted(self.count):
            lines.append(
                f'mcproute_request_seconds_sum{{route="{route}"}} {self.seconds[route]:.6f}'
            )
            lines.append(f'mcproute_request_seconds_count{{route="{route}"}} {self.count[route]}')
        if router is not None:
            gauges = {
                "in_flight": "gauge",
                "successes": "counter",
                "failures": "counter",
                "ejections": "counter",
                "rate_limited": "counter",
                "latency_ewma": "gauge",
            }
            stats = router.stats()
            for field, kind in gauges.items():
                name = f"mcproute_deployment_{field}"
                lines.append(f"# TYPE {name} {kind}")
                for group, deployments in stats.items():
                    for deployment, values in deployments.items():
                        labels = f'group="{_label(group)}",deployment="{_label(deployment)}"'
                        lines.append(f"{name}{{{labels}}} {float(values[field])}")  # type: ignore[arg-type]
        return "\n".join(lines) + "\n"
