"""`mcproute serve`: the proxy on uvloop, in one process or N pre-forked workers that share the
port (SO_REUSEPORT). SIGTERM or SIGINT stops accepting, drains requests and streams in flight
(up to `--drain` seconds), then exits. A port already served (by another `serve`, or anything
else) is refused before any worker binds it (`port_claim`). SIGHUP reloads the configuration
file in every worker (`reload`); `--watch-config` also reloads it when it changes.

Connections go to the raw-protocol front (`proxy/front`), which serves the plainest model calls
itself and hands every other connection to aiohttp's server; `--no-front` or `MCPROUTE_FRONT=0`
(and tracing, whose spans are aiohttp middleware) leave every request to aiohttp.

Slow clients: a connection idle for `idle_timeout` seconds, including one that never finishes
its request headers, is closed; a body that takes longer than `body_timeout` gets a 408."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from mcproute import tracing
from mcproute.config import Config, ConfigWatcher
from mcproute.proxy import routes
from mcproute.proxy.app import build_app
from mcproute.proxy.front.server import Front
from mcproute.proxy.malformed import MalformedRequestRunner
from mcproute.proxy.port_claim import PortClaim, claim_port
from mcproute.proxy.reload import RELOADER
from mcproute.proxy.worker_snapshots import instance_id
from mcproute.store import DataDir

CLEANUP_GRACE_S = 10.0  # after the drain: for closing stores and clients on stop


@dataclass(frozen=True)
class Limits:
    drain: float = 30.0  # seconds to finish requests and streams on stop
    idle_timeout: float = 60.0  # seconds a connection may sit idle or mid-headers
    body_timeout: float = 30.0  # seconds to receive a request body
    watch_config: bool = False  # reload when the configuration file changes, not only on SIGHUP
    front: bool = True  # the raw-protocol front (`proxy/front`) before aiohttp's server


FRONT_ENV = "MCPROUTE_FRONT"  # "0" (or "false", "off", "no"): aiohttp's server alone


def front_enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(FRONT_ENV, "1").strip().lower() not in ("0", "false", "off", "no")


WATCH_INTERVAL_S = 1.0
# Young-generation collections every 20,000 net allocations rather than 700: a request makes a
# few hundred container objects, nearly all freed by reference counting, so the default ran a
# collection every other request or so for nothing.
GC_THRESHOLDS = (20_000, 20, 20)
log = logging.getLogger("mcproute.serve")


def _start_reloads(
    app: web.Application, limits: Limits, parent: int | None
) -> ConfigWatcher | None:
    """SIGHUP (and, if asked, a change of the file) reloads this worker; an admin reload here
    asks the parent to pass SIGHUP on to every worker."""
    reloader = app[RELOADER]
    if parent is not None:
        reloader.notify_peers = lambda: os.kill(parent, signal.SIGHUP)
    if reloader.path is None:
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGHUP, log.warning, "SIGHUP: no configuration file to reload"
        )
        return None
    interval = WATCH_INTERVAL_S if limits.watch_config else None
    watcher = ConfigWatcher(reloader.path, reloader.on_signal, interval=interval)
    watcher.start()
    # The parent read the file before forking: catch up with a change (or a SIGHUP, ignored
    # until now) made since. An unchanged file changes nothing.
    watcher.reload()
    return watcher


async def _serve_one(
    config: Config, data_dir: DataDir, host: str, port: int, limits: Limits, parent: int | None
) -> None:
    tracing.start(config.tracing)  # in the worker: the exporter's thread does not survive a fork
    app = build_app(config, data_dir, body_timeout=limits.body_timeout, instance=instance_id(port))
    runner = _Runner(
        app,
        access_log=None,
        shutdown_timeout=limits.drain,
        handle_signals=False,
        keepalive_timeout=limits.idle_timeout,
    )
    await runner.setup()
    watcher = _start_reloads(app, limits, parent)
    front = None
    if limits.front and not tracing.ACTIVE:  # spans are aiohttp's middleware's to open
        front = Front(runner, idle_timeout=limits.idle_timeout, body_timeout=limits.body_timeout)
        await front.start(host, port)
    else:
        await web.TCPSite(runner, host, port, reuse_port=True).start()
    _settle_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("mcproute serving on http://%s:%s (pid %s)", host, port, os.getpid())
    await stop.wait()
    if watcher is not None:
        await watcher.stop()
    # Streams still running at the drain deadline end with an error event, not a silent cut.
    deadline = asyncio.create_task(app[routes.STREAMS].end_at_deadline(limits.drain))
    # Stops listening, waits for in-flight handlers (the front's and those of connections
    # handed to aiohttp, side by side), runs on_cleanup (stores and clients close, journals
    # flush). Bounded: a SIGTERM always ends the worker, even if a store hangs.
    cleanup = asyncio.ensure_future(_stop(front, runner, limits.drain))
    bound = limits.drain + CLEANUP_GRACE_S
    done, _ = await asyncio.wait({cleanup}, timeout=bound)
    if not done:
        log.error(
            "worker %s: shutdown not finished %.0f s after the drain; exiting now",
            os.getpid(),
            CLEANUP_GRACE_S,
        )
        logging.shutdown()
        os._exit(1)
    cleanup.result()
    deadline.cancel()
    await asyncio.to_thread(tracing.shutdown)  # exports the spans still buffered


CUT_S = 0.01  # aiohttp's wait for its handlers once the deadline passed: none, then cancelled


class _Runner(MalformedRequestRunner):
    """The runner of `serve`: one drain deadline for every request in flight. aiohttp's own
    shutdown waits its timeout for a handler, then as long again once it has cancelled the
    handler's body read (two drains); here its handlers get what is left of the deadline after
    `on_shutdown` (MCP sessions end, their GET streams close), and what still runs then is
    cancelled. The front's requests drain beside them, and `on_cleanup` (stores and clients
    close) waits for both."""

    front_stopped: asyncio.Future[None] | None = None
    deadline: float | None = None  # loop time

    async def shutdown(self) -> None:
        await super().shutdown()
        if self.deadline is None or self.server is None:
            return
        running = [
            handler._task_handler
            for handler in self.server.connections
            if handler._task_handler is not None and not handler._task_handler.done()
        ]
        if running:
            remaining = self.deadline - asyncio.get_running_loop().time()
            await asyncio.wait(running, timeout=max(0.0, remaining))
        self._shutdown_timeout = CUT_S

    async def _cleanup_server(self) -> None:
        if self.front_stopped is not None:
            await self.front_stopped
        await super()._cleanup_server()


async def _stop(front: Front | None, runner: _Runner, drain: float) -> None:
    runner.deadline = asyncio.get_running_loop().time() + drain
    if front is not None:
        runner.front_stopped = asyncio.ensure_future(front.stop(drain))
    await runner.cleanup()


def _settle_heap() -> None:
    """Once the worker is up: what start-up made (modules, the app, the configuration) is kept
    for the worker's life, so move it out of the collector's sight (`gc.freeze`): full
    collections then walk only what requests made, and no request waits on a walk of the
    whole heap. Collect first, so the garbage of start-up is not frozen with it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _run_worker(
    config: Config,
    data_dir: DataDir,
    host: str,
    port: int,
    limits: Limits,
    parent: int | None = None,
) -> None:
    try:
        import uvloop

        uvloop.run(_serve_one(config, data_dir, host, port, limits, parent))
    except ImportError:  # pragma: no cover - uvloop is a declared dependency
        asyncio.run(_serve_one(config, data_dir, host, port, limits, parent))


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
    # Until a worker's loop handles SIGHUP (a reload), it must not end the process.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    claim = claim_port(host, port) if port else None  # raises PortBusy
    try:
        return _serve_claimed(config, data_dir, host, port, workers, limits, claim)
    finally:
        if claim is not None:
            claim.release()


def _serve_claimed(
    config: Config,
    data_dir: DataDir,
    host: str,
    port: int,
    workers: int,
    limits: Limits,
    claim: PortClaim | None,
) -> int:
    data_dir.pepper()  # create shared state once, before any worker races for it
    try:
        tracing.check(config.tracing)
    except tracing.TracingUnavailable as exc:
        print(f"mcproute: {exc}", file=sys.stderr)
        return 1
    if config.oauth is not None:
        from mcproute.proxy.oauth import check_authorization_servers

        problem = check_authorization_servers(config.oauth)
        if problem is not None:
            print(f"mcproute: {problem}", file=sys.stderr)
            return 1
    if workers == 1:
        _run_worker(config, data_dir, host, port, limits)
        return 0
    children: list[int] = []
    parent = os.getpid()
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker: serve until signalled, never return into the parent's code
            code = 0
            if claim is not None:
                claim.release_in_child()
            _exit_with_parent(parent)
            try:
                _run_worker(config, data_dir, host, port, limits, parent)
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
    signal.signal(signal.SIGHUP, forward)  # every worker reloads its configuration
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return status
