"""The legacy sessions one process holds in memory, bounded in number and in idle time.

Every `initialize` adds a session, so without bounds a client (or many) could grow a worker's
memory without limit. The pool holds at most `max_sessions`; over the cap the session used
least recently that is idle (no request running, no stream open) is dropped, and when every
held session is busy a new one is refused (`SessionsFull`). A session nobody used for `idle_s`
is dropped too. Dropped means gone from this process: a session carried in a session token is
restored from its id by the next request that presents it (the token's own lifetime bounds
it); without tokens the client gets 404 and initializes again, as the transport specifies.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mcproute.protocol.server.context import Session

DEFAULT_MAX_SESSIONS = 10_000
DEFAULT_IDLE_S = 1800.0


class SessionsFull(Exception):
    """Every session this process may hold is in use: a new one would exceed the cap."""


class SessionPool:
    def __init__(
        self,
        sessions: dict[str, Session],
        *,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        idle_s: float = DEFAULT_IDLE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        if not idle_s > 0:
            raise ValueError("idle_s must be positive")
        self.sessions = sessions  # the server's map: notifications reach what is held here
        self.max_sessions = max_sessions
        self.idle_s = idle_s
        self._clock = clock
        # The idle sessions: id -> last use, oldest first. A busy one leaves it until it is idle
        # again, so eviction and expiry look only at sessions they may drop.
        self._used: OrderedDict[str, float] = OrderedDict()
        self._busy: Counter[str] = Counter()

    def add(self, session: Session) -> None:
        self.sessions[session.id] = session
        self.touch(session.id)

    def remove(self, session_id: str) -> Session | None:
        self._used.pop(session_id, None)
        self._busy.pop(session_id, None)
        return self.sessions.pop(session_id, None)

    def touch(self, session_id: str) -> None:
        if session_id in self.sessions and session_id not in self._busy:
            self._used[session_id] = self._clock()
            self._used.move_to_end(session_id)

    @contextmanager
    def in_use(self, session_id: str) -> Iterator[None]:
        """While a request runs or a stream is open: the session is neither idle nor evicted."""
        self._busy[session_id] += 1
        self._used.pop(session_id, None)
        try:
            yield
        finally:
            self._busy[session_id] -= 1
            if self._busy[session_id] <= 0:
                del self._busy[session_id]
                self.touch(session_id)

    def expired(self, session_id: str) -> bool:
        used = self._used.get(session_id)
        return used is not None and self._clock() - used >= self.idle_s

    def check_room(self) -> None:
        """Raise SessionsFull when a new session could not be held."""
        if len(self.sessions) >= self.max_sessions and not self._used:
            raise SessionsFull(
                f"this server holds its limit of {self.max_sessions} sessions and all are in "
                "use: try again later, or end a session (DELETE) first"
            )

    def to_drop(self) -> list[str]:
        """Ids to drop now, oldest first: the idle-expired ones, then the least recently used
        idle ones while the pool is over its cap."""
        now, over = self._clock(), len(self.sessions) - self.max_sessions
        drop: list[str] = []
        for session_id, used in self._used.items():
            if now - used >= self.idle_s or len(drop) < over:
                drop.append(session_id)
            else:
                break
        return drop
