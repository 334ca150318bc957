"""One `mcproute serve` per host and port.

The workers of one `serve` share the port with SO_REUSEPORT, and the kernel would let a second
`serve` of the same user join them and split the traffic. So, before any worker binds, the
parent claims the port twice over:

- a probe binds it without SO_REUSEPORT: that fails while anything listens there (another
  `serve`, or any other program), and reports the OS error;
- an exclusive `flock` on a lock file named after host and port, in a per-user runtime
  directory, closes the window between two `serve` starting at once. The kernel drops the lock
  when its holder exits, even on SIGKILL, so a stale file never blocks a restart; the file
  holds the holder's pid for the message.

Workers do not keep the lock: a parent killed with SIGKILL frees it at once, and its draining
workers still hold the port (the probe) only until they stop listening.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import stat
import tempfile
from pathlib import Path

RUNTIME_DIR_ENV = "MCPROUTE_RUNTIME_DIR"


class PortBusy(Exception):
    """The port is already served (by mcproute, or by something else)."""


def runtime_dir() -> Path:
    """`$MCPROUTE_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/mcproute`, else a per-user directory in
    the temporary directory (owned by this user, mode 0700, never a symlink)."""
    given = os.environ.get(RUNTIME_DIR_ENV)
    if given:
        path = Path(given)
    elif xdg := os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(xdg) / "mcproute"
    else:
        path = Path(tempfile.gettempdir()) / f"mcproute-{os.getuid()}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{path}: not a directory owned by this user; set {RUNTIME_DIR_ENV}")
    return path


def _lock_name(host: str, port: int) -> str:
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in host) or "any"
    return f"serve-{safe}-{port}.lock"


def _holder(path: Path) -> int | None:
    """The pid in a lock file whose lock is held now, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(text) if text.isdigit() else None
        return None  # nobody holds it: a file left by a process that died
    finally:
        os.close(fd)


def _mcproute_on(directory: Path, port: int) -> int | None:
    """The pid of a running `serve` on this port, on any host address."""
    for path in directory.glob(f"serve-*-{port}.lock"):
        pid = _holder(path)
        if pid is not None:
            return pid
    return None


def _probe(host: str, port: int) -> None:
    """Bind (without SO_REUSEPORT) every address `host` resolves to, as the server will."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    for family, kind, proto, _, address in dict.fromkeys(infos):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            probe.bind(address)


def _busy(port: int, pid: int | None) -> PortBusy:
    by = "mcproute" if pid is None else f"mcproute (pid {pid})"
    return PortBusy(f"port {port} is already served by {by}")


class PortClaim:
    """Held by the `serve` parent for its lifetime; `release_in_child()` after a fork."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    def release_in_child(self) -> None:
        """Close a forked worker's copy, so the lock lives exactly as long as the parent."""
        self.release()

    def release(self) -> None:
        """Unlock (the file stays: unlinking a lock file races with the next claimant)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def claim_port(host: str, port: int) -> PortClaim:
    """Claim host:port for this process, or raise PortBusy saying who has it."""
    directory = runtime_dir()
    try:
        _probe(host, port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        pid = _mcproute_on(directory, port)
        if pid is not None:
            raise _busy(port, pid) from None
        raise PortBusy(f"port {port} on {host or 'every address'}: {exc.strerror}") from None
    path = directory / _lock_name(host, port)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        raise _busy(port, int(text) if text.isdigit() else None) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return PortClaim(fd, path)
