"""Several provider keys for one deployment: rotated round-robin, each cooled down on its own.

A key that gets a 429 rests for the upstream's Retry-After (else ``RATE_LIMIT_COOLDOWN_S``); a
key that gets a 401/403 is out until its file or variable changes (``rekey``), or for
``AUTH_COOLDOWN_S``. The other keys carry on, so the Router sees the deployment fail only when
every key is out. A deployment with one key keeps no key state: the Router's own cooldown is
the key's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mcproute.errors import FailureKind, UpstreamError
from mcproute.secret import Secret

RATE_LIMIT_COOLDOWN_S = 60.0  # a 429 without Retry-After
AUTH_COOLDOWN_S = 3600.0  # a refused key, unless its source changes sooner

A = TypeVar("A")


@dataclass
class KeySlot(Generic[A]):
    """One key: its adapter (the key is in its headers) and until when it is out."""

    index: int
    adapter: A
    out_until: float = 0.0
    refused: bool = False  # out because of a 401/403, not a 429


class KeyPool(Generic[A]):
    def __init__(
        self,
        keys: Sequence[Secret | None],
        build: Callable[[Secret | None], A],
        deployment: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._build = build
        self._deployment = deployment
        self._clock = clock
        self.slots = [KeySlot(i, build(key)) for i, key in enumerate(keys)]
        self._next = 0

    def __len__(self) -> int:
        return len(self.slots)

    def pick(self, tried: Collection[int] = ()) -> KeySlot[A]:
        """The next key in turn that is not out and not yet `tried` by this call; raises when
        there is none."""
        slots = self.slots
        if len(slots) == 1:
            return slots[0]
        now = self._clock()
        for step in range(len(slots)):
            slot = slots[(self._next + step) % len(slots)]
            if slot.out_until <= now and slot.index not in tried:
                self._next = (slot.index + 1) % len(slots)
                return slot
        raise self._all_out(now)

    def _all_out(self, now: float) -> UpstreamError:
        if all(s.refused for s in self.slots):
            return UpstreamError(
                FailureKind.AUTH,
                f"all {len(self.slots)} provider keys were refused by the upstream",
                deployment=self._deployment,
            )
        wait = min(s.out_until for s in self.slots if not s.refused) - now
        return UpstreamError(
            FailureKind.RATE_LIMITED,
            f"all {len(self.slots)} provider keys are rate limited or refused",
            retry_after=max(wait, 0.0),
            deployment=self._deployment,
        )

    def failed(self, slot: KeySlot[A], exc: UpstreamError) -> bool:
        """After a failed call with `slot`'s key: True when it was the key's fault (a 429 or a
        401/403), which takes the key out, so another key may take the call."""
        if len(self.slots) == 1:
            return False
        now = self._clock()
        if exc.kind is FailureKind.RATE_LIMITED:
            wait = exc.retry_after if exc.retry_after is not None else RATE_LIMIT_COOLDOWN_S
            slot.out_until, slot.refused = now + wait, False
            return True
        if exc.kind is FailureKind.AUTH:
            slot.out_until, slot.refused = now + AUTH_COOLDOWN_S, True
            return True
        return False  # not the key's fault: the deployment's failure

    def rekey(self, index: int, key: Secret) -> None:
        """A key read again from its source: used from the next request on, and back in."""
        self.slots[index] = KeySlot(index, self._build(key))

    def states(self) -> list[dict[str, object]]:
        """Each key's state by position (the key itself is never shown): ``ok``,
        ``rate_limited`` or ``refused``, and the seconds until it is back."""
        now = self._clock()
        out: list[dict[str, object]] = []
        for slot in self.slots:
            if slot.out_until <= now:
                out.append({"index": slot.index, "state": "ok"})
            else:
                state = "refused" if slot.refused else "rate_limited"
                back = round(slot.out_until - now, 1)
                out.append({"index": slot.index, "state": state, "back_in_s": back})
        return out
