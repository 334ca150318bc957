"""Real Redis and PostgreSQL servers for tests and benchmarks, each started on a free port in
a temporary directory of its own and stopped at the end (`make servers` installs them from
Debian). A missing engine raises `EngineMissing`.

PostgreSQL's initdb refuses to run as root: under root the cluster belongs to `nobody`, whom
`runuser` runs it as; it listens on 127.0.0.1 only, with trust authentication.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis


class EngineMissing(RuntimeError):
    """The engine's programs are not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


START_TIMEOUT_S = 30.0
UNPRIVILEGED = "nobody"


def _postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: `pg_config --bindir`, else Debian's versioned directory."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for path in candidates:
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def start(self) -> None:
        """Start again on the same port (after `stop`, for outage tests)."""
        self.process = _spawn_redis(self.port, self.directory)


def _spawn_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    assert binary is not None
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_S
    # The client confirms the server answers, not only that the port is open.
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    try:
        while True:
            assert process.poll() is None, f"redis-server exited with {process.returncode}"
            try:
                if client.ping():
                    return process
            except redis.ConnectionError:
                pass
            assert time.monotonic() < deadline, "redis-server did not answer in time"
            time.sleep(0.05)
    finally:
        client.close()


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        raise EngineMissing("redis-server not installed (make servers)")
    with tempfile.TemporaryDirectory(prefix="mcproute-redis-") as tmp:
        port = free_port()
        server = RedisServer(port, _spawn_redis(port, Path(tmp)), Path(tmp))
        try:
            yield server
        finally:
            server.stop()


@dataclass
class PostgresServer:
    port: int
    bindir: Path
    data: Path
    as_user: list[str]
    options: str = ""

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    def start(self) -> None:
        """Start the cluster (again, after `stop`, for outage tests)."""
        self.pg_ctl("start", "-w", "-t", str(int(START_TIMEOUT_S)), "-o", self.options,
                    "-l", str(self.data.parent / "server.log"))  # fmt: skip

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast", "-w")

    def new_database(self, name: str) -> str:
        """A fresh, empty database on this server and its URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bindir = _postgres_bindir()
    if bindir is None:
        raise EngineMissing("PostgreSQL's initdb/pg_ctl not installed (make servers)")
    as_user: list[str] = []
    root = tempfile.mkdtemp(prefix="mcproute-postgres-")
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise EngineMissing("runuser (util-linux) not installed")
        as_user = ["runuser", "-u", UNPRIVILEGED, "--"]
        os.chmod(root, 0o755)  # the server's user must reach its directory
        shutil.chown(root, UNPRIVILEGED)
    data = Path(root) / "data"
    server = PostgresServer(free_port(), bindir, data, as_user)
    try:
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth", "trust", "--encoding", "UTF8", "--no-instructions"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        server.options = (
            f"-c listen_addresses=127.0.0.1 -c port={server.port} -c unix_socket_directories={root}"
            " -c fsync=on -c max_connections=100"
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
