"""Run the gateway in front of upstream MCP servers (for conformance runs and local trials).

python -m mcproute.testing.gateway_server --port P --upstream NAME=URL [...] [--no-namespacing]
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from mcproute.protocol.gateway import Gateway
from mcproute.protocol.http import StreamableHTTP


async def serve(host: str, port: int, upstreams: dict[str, str], namespacing: bool) -> None:
    gateway = Gateway(upstreams, namespacing=namespacing)
    runner = web.AppRunner(StreamableHTTP(gateway).app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(f"gateway on http://{host}:{port}/mcp", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await gateway.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3002)
    parser.add_argument("--upstream", action="append", required=True, metavar="NAME=URL")
    parser.add_argument("--no-namespacing", action="store_true")
    args = parser.parse_args()
    upstreams = {}
    for spec in args.upstream:
        name, sep, url = spec.partition("=")
        if not sep or not name or not url:
            parser.error(f"--upstream: expected NAME=URL, got {spec!r}")
        upstreams[name] = url
    asyncio.run(serve(args.host, args.port, upstreams, not args.no_namespacing))


if __name__ == "__main__":
    main()
