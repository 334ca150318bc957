"""The data directory: `MCPROUTE_DATA_DIR` (default `./.mcproute`), shared by every command.

It holds `mcproute.db` (SQLite in WAL mode; `synchronous=FULL`, because keys and audit data
must survive a crash once acknowledged; the database and its `-wal` and `-shm` files mode 0600,
like every file here, whatever the umask) and `pepper`, the server-side secret that API key
hashes depend on (created once, mode 0600, never printed), and `write.lock`, which serializes
write transactions across workers (`WriteLock`).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

DEFAULT = ".mcproute"
PEPPER_BYTES = 32
PEPPER_VAR = "MCPROUTE_PEPPER"


WAL_TRIES = 200  # 10 s at most


def use_wal(conn: sqlite3.Connection) -> None:
    """Put the database in WAL mode. Switching needs an exclusive lock, and SQLite may answer
    SQLITE_BUSY at once, without its busy handler, while another connection (another worker
    starting at the same moment) holds one: retry briefly rather than fail the worker."""
    for attempt in range(WAL_TRIES):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_TRIES - 1:
                raise
            time.sleep(0.05)


def data_dir_from_env() -> DataDir:
    return DataDir(Path(os.environ.get("MCPROUTE_DATA_DIR") or DEFAULT))


class DataDir:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"DataDir({str(self.path)!r})"

    def ensure(self) -> DataDir:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @property
    def database(self) -> Path:
        return self.path / "mcproute.db"

    def connect(self) -> sqlite3.Connection:
        """A connection with the durability settings every store relies on."""
        self.ensure()
        # SQLite creates the -wal, -shm and journal files with the database file's own mode, so
        # a database created 0600 here keeps all of them 0600. Files of a data directory made by
        # an earlier version (created 0644 under the usual umask) are tightened.
        private_file(self.database)
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                tighten(self.database.with_name(self.database.name + suffix))
        conn = sqlite3.connect(self.database, timeout=30, isolation_level=None)
        use_wal(conn)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def write_lock(self) -> WriteLock:
        return WriteLock(self.ensure().path / "write.lock")

    def pepper(self) -> bytes:
        """The API key pepper, created on first use and never printed. `MCPROUTE_PEPPER` (its
        32 bytes in base64) wins: replicas with data directories of their own get the same
        pepper from wherever the operator keeps secrets, as with `MCPROUTE_KEYRING`."""
        given = os.environ.get(PEPPER_VAR)
        if given:
            try:
                data = base64.b64decode(given, validate=True)
            except ValueError:
                data = b""
            if len(data) != PEPPER_BYTES:
                raise RuntimeError(f"${PEPPER_VAR}: expected {PEPPER_BYTES} bytes in base64")
            return data
        path = self.ensure().path / "pepper"
        create_once(path, lambda: secrets.token_bytes(PEPPER_BYTES))
        data = path.read_bytes()
        if len(data) != PEPPER_BYTES:
            raise RuntimeError(f"{path}: expected {PEPPER_BYTES} bytes, found {len(data)}")
        return data


class WriteLock:
    """Serializes write transactions across the workers that share the database.

    SQLite's own busy handler polls with growing sleeps, so a worker that writes back to back
    can starve another worker's writes until the busy timeout. A blocking `flock` wakes the
    waiter as soon as the holder lets go. The kernel releases it when a holder dies, even
    under `kill -9`. Each store holds its own lock (flock is per open file), opened lazily so
    a forked worker never shares its parent's."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def tighten(path: Path) -> None:
    """Make an existing file owner-only (0600) if it is readable by anyone else."""
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists; tighten it if it does."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _written_beside(path: Path, content: bytes) -> Path:
    """A new, fsynced temporary file (mode 0600) in `path`'s directory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def create_once(path: Path, content: Callable[[], bytes]) -> None:
    """Create a secret file unless it exists. Several processes may race to create it: the
    first atomic link wins and everyone reads the winner's bytes."""
    if path.exists():
        return
    tmp = _written_beside(path, content())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def replace_atomically(path: Path, content: bytes) -> None:
    """Replace a secret file so that a crash leaves either the old or the new one, never a mix."""
    os.replace(_written_beside(path, content), path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
