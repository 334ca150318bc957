"""Provider keys given as ``file:PATH`` or ``${VAR}``, read again when they change.

A check runs at most once per ``security.provider_key_refresh_seconds``, in a worker thread
(a file is only re-read when its mtime, size or inode changed), so the event loop never touches
the disk for it and a request pays one clock read. A key that cannot be read any more (file
removed, variable unset) keeps the deployment on its current key and is logged, never shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from mcproute.config import DeploymentConfig
from mcproute.secret import FileStamp, Secret, SecretSource, SecretSourceError

log = logging.getLogger(__name__)


class ProviderKeyReader:
    """Reads the keys of deployments again, reporting those that changed."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env
        self._stamps: dict[SecretSource, FileStamp | None] = {}
        self._failing: set[SecretSource] = set()
        self._lock = threading.Lock()

    def changed(self, deployments: Iterable[DeploymentConfig]) -> dict[str, dict[int, Secret]]:
        """Deployment name -> {key index: its new key}, for the keys that differ from the
        current ones (a deployment with ``api_keys`` has several). Blocking (stat and read):
        run it in a worker thread."""
        with self._lock:
            fresh: dict[SecretSource, Secret | None] = {}
            out: dict[str, dict[int, Secret]] = {}
            for deployment in deployments:
                for index, (current, source) in enumerate(deployment.key_slots()):
                    if source is None:
                        continue
                    if source not in fresh:
                        fresh[source] = self._read(source, deployment.name)
                    key = fresh[source]
                    if key is not None and key != current:
                        out.setdefault(deployment.name, {})[index] = key
            return out

    def _read(self, source: SecretSource, deployment: str) -> Secret | None:
        stamp = source.stamp()
        if source.file is not None and source in self._stamps and self._stamps[source] == stamp:
            return None  # unchanged file: nothing to read
        try:
            key = source.read(self._env)
        except SecretSourceError as exc:
            if source not in self._failing:  # once per failure, not every check
                self._failing.add(source)
                log.warning("provider key of %s: %s; keeping the current key", deployment, exc)
            return None
        if source in self._failing:
            self._failing.discard(source)
            log.warning("provider key of %s: readable again", deployment)
        self._stamps[source] = stamp
        return key


class ProviderKeyRefresh:
    """Schedules ``ProviderKeyReader.changed`` at most once per interval and applies the result
    on the event loop."""

    def __init__(
        self,
        interval: Callable[[], float | None],
        deployments: Callable[[], Iterable[DeploymentConfig]],
        apply: Callable[[str, dict[int, Secret]], None],
        reader: ProviderKeyReader | None = None,
    ) -> None:
        self._interval = interval
        self._deployments = deployments
        self._apply = apply
        self._reader = reader or ProviderKeyReader()
        self._checked = time.monotonic()  # the configuration was just read
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """Start a check if one is due; cheap enough for every request."""
        interval = self._interval()
        if interval is None or self._task is not None:
            return
        now = time.monotonic()
        if now - self._checked < interval:
            return
        self._checked = now
        self._task = asyncio.get_running_loop().create_task(self.check())

    async def check(self) -> None:
        """Re-read the keys now and switch the deployments whose key changed."""
        try:
            current = list(self._deployments())
            changed = await asyncio.to_thread(self._reader.changed, current)
            for name, key in changed.items():
                self._apply(name, key)
                log.info("provider key of %s: changed; new requests use the new key", name)
        except Exception:  # a failed check is retried at the next interval; serving goes on
            log.exception("provider keys: checking for changes failed")
        finally:
            self._task = None

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
