"""Run the gateway in front of upstream MCP servers (for conformance runs and local trials).

python -m mcproute.testing.gateway_server --port P --upstream NAME=URL [...]
    [--stdio-upstream NAME="COMMAND ARGS..."] [--no-namespacing]
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
from typing import Any

from aiohttp import web

from mcproute.protocol.gateway import Gateway
from mcproute.protocol.server.http import StreamableHTTP


async def serve(
    host: str, port: int, upstreams: dict[str, str | dict[str, Any]], namespacing: bool
) -> None:
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
    parser.add_argument("--upstream", action="append", default=[], metavar="NAME=URL")
    parser.add_argument(
        "--stdio-upstream", action="append", default=[], metavar='NAME="COMMAND ARGS"'
    )
    parser.add_argument("--no-namespacing", action="store_true")
    args = parser.parse_args()
    upstreams: dict[str, str | dict[str, Any]] = {}
    for option, specs in (("--upstream", args.upstream), ("--stdio-upstream", args.stdio_upstream)):
        for spec in specs:
            name, sep, value = spec.partition("=")
            if not sep or not name or not value.strip():
                parser.error(f"{option}: expected NAME=VALUE, got {spec!r}")
            if option == "--upstream":
                upstreams[name] = value
            else:
                command, *rest = shlex.split(value)
                upstreams[name] = {"command": command, "args": rest}
    if not upstreams:
        parser.error("give at least one --upstream or --stdio-upstream")
    asyncio.run(serve(args.host, args.port, upstreams, not args.no_namespacing))


if __name__ == "__main__":
    main()
