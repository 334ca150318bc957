"""`mcproute serve`: the proxy on uvloop, in one process or N pre-forked workers that share the
port (SO_REUSEPORT). SIGTERM or SIGINT stops accepting, drains requests and streams in flight
(up to `--drain` seconds), then exits.

Slow clients: a connection idle for `idle_timeout` seconds, including one that never finishes
its request headers, is closed; a body that takes longer than `body_timeout` gets a 408."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass

from aiohttp import web

from mcproute.config import Config
from mcproute.proxy import routes
from mcproute.proxy.app import build_app
from mcproute.proxy.malformed import MalformedRequestRunner
from mcproute.redact import RedactingFilter
from mcproute.store import DataDir


@dataclass(frozen=True)
class Limits:
    drain: float = 30.0  # seconds to finish requests and streams on stop
    idle_timeout: float = 60.0  # seconds a connection may sit idle or mid-headers
    body_timeout: float = 30.0  # seconds to receive a request body


async def _serve_one(
    config: Config, data_dir: DataDir, host: str, port: int, limits: Limits
) -> None:
    app = build_app(config, data_dir, body_timeout=limits.body_timeout)
    runner = MalformedRequestRunner(
        app,
        access_log=None,
        shutdown_timeout=limits.drain,
        handle_signals=False,
        keepalive_timeout=limits.idle_timeout,
    )
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=True).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"mcproute serving on http://{host}:{port} (pid {os.getpid()})", file=sys.stderr, flush=True
    )
    await stop.wait()
    # Streams still running at the drain deadline end with an error event, not a silent cut.
    deadline = asyncio.create_task(app[routes.STREAMS].end_at_deadline(limits.drain))
    await runner.cleanup()  # stops listening, waits for in-flight handlers, runs on_cleanup
    deadline.cancel()


def _run_worker(config: Config, data_dir: DataDir, host: str, port: int, limits: Limits) -> None:
    try:
        import uvloop

        uvloop.run(_serve_one(config, data_dir, host, port, limits))
    except ImportError:  # pragma: no cover - uvloop is a declared dependency
        asyncio.run(_serve_one(config, data_dir, host, port, limits))


def configure_logging(access_log: bool) -> None:
    """Warnings and errors to stderr; the access log, one JSON object per line, too if asked."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:  # no credential leaves in a log line
        handler.addFilter(RedactingFilter())
    access = logging.getLogger("mcproute.access")
    access.propagate = False
    if access_log:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)


def _exit_with_parent(parent: int) -> None:
    """A worker must not outlive a parent killed with SIGKILL (which cannot forward signals):
    ask the kernel for a SIGTERM when the parent dies, so the worker drains and exits."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def serve(
    config: Config,
    data_dir: DataDir,
    host: str,
    port: int,
    workers: int,
    limits: Limits | None = None,
) -> int:
    limits = limits or Limits()
    if workers < 1:
        raise ValueError("workers: must be at least 1")
    data_dir.pepper()  # create shared state once, before any worker races for it
    if workers == 1:
        _run_worker(config, data_dir, host, port, limits)
        return 0
    children: list[int] = []
    parent = os.getpid()
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker: serve until signalled, never return into the parent's code
            code = 0
            _exit_with_parent(parent)
            try:
                _run_worker(config, data_dir, host, port, limits)
            except BaseException:  # report, then exit the forked child
                import traceback

                traceback.print_exc()
                code = 1
            os._exit(code)
        children.append(pid)

    def forward(sig: int, _: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.kill(child, sig)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return status
