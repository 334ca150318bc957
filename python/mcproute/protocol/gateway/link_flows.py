"""The browser steps of linking a per-user upstream, bound to the browser that started them.

An authorization URL handed to a user is a bearer: whoever finishes it would link *their*
upstream account to that user (or, sent to a victim, the victim's account to the sender). So
the user is given a gateway URL instead, `…/oauth/link/<id>` (the id single-use, expiring):
opening it sets a short-lived cookie holding a random binding value and redirects to the
authorization server; the gateway keeps only the value's SHA-256 with the flow's `state`. The
callback is honoured only with that cookie, once, before the flow expires.

Records live in the grants' `TokenStore` (sealed, shared by workers and replicas), keyed by
digests, so neither a link id nor a state is stored in the clear. A user has one flow per
upstream at a time (the OAuth client keeps only the latest flow's verifier anyway): a new one
removes the previous one's records, so unused links do not pile up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from mcproute.oauth_client import OAuthError, TokenStore

LINK = "pending-link:"  # digest of a link id -> the flow it starts
PENDING = "pending-state:"  # digest of a flow's state -> whose flow it is, its binding
LATEST = "pending-pair:"  # digest of (principal, upstream) -> the keys of its latest flow
LINK_TTL_S = 600.0
COOKIE_PREFIX = "mcproute_link_"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def cookie_name(state: str) -> str:
    """One cookie per flow, so flows for two upstreams in one browser do not clash."""
    return COOKIE_PREFIX + digest(state)[:16]


class LinkRefused(OAuthError):
    """A link or callback that must not proceed; the message says why, for the user."""


@dataclass(frozen=True)
class Pending:
    principal: str
    upstream: str


@dataclass(frozen=True)
class LinkStart:
    """What the link URL answers: a cookie to set, then a redirect to `authorize_url`."""

    authorize_url: str
    cookie: str
    value: str
    max_age: int


class LinkFlows:
    def __init__(self, store: TokenStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def begin(self, authorize_url: str, state: str, principal: str, upstream: str) -> str:
        """Remember a flow; returns the link id to give its user."""
        link_id = secrets.token_urlsafe(24)
        expires = self.clock() + LINK_TTL_S
        latest = LATEST + digest(f"{principal}\0{upstream}")
        previous = await self.store.load(latest)
        for key in (previous or {}).get("keys") or ():
            await self.store.delete(str(key))
        keys = [PENDING + digest(state), LINK + digest(link_id)]
        await self.store.save(latest, {"keys": keys})
        pending = {"principal": principal, "upstream": upstream, "expires": expires}
        await self.store.save(keys[0], pending)
        link = {"state": state, "url": authorize_url, "expires": expires}
        await self.store.save(keys[1], link)
        return link_id

    async def open(self, link_id: str) -> LinkStart:
        """The user opened their link: bind the flow to this browser (once)."""
        link = await self.store.take(LINK + digest(link_id))
        now = self.clock()
        if not link or float(link["expires"]) <= now:
            raise LinkRefused(
                "this authorization link is unknown, used or expired: call the tool again"
                " for a new one"
            )
        state = str(link["state"])
        key = PENDING + digest(state)
        pending = await self.store.load(key)
        if not pending:
            raise LinkRefused("this authorization is no longer pending: call the tool again")
        value = secrets.token_urlsafe(32)
        await self.store.save(key, {**pending, "binding": digest(value)})
        max_age = max(1, int(float(link["expires"]) - now))
        return LinkStart(str(link["url"]), cookie_name(state), value, max_age)

    async def finish(self, state: str, binding: str | None) -> Pending:
        """The callback: the flow `state` names, if `binding` (the browser's cookie) is the one
        its link set; consumed here. A refused callback consumes nothing."""
        key = PENDING + digest(state)
        record = await self.store.load(key) if state else None
        if not record:
            raise LinkRefused("unknown or already used authorization state")
        if float(record["expires"]) <= self.clock():
            await self.store.delete(key)
            raise LinkRefused("this authorization has expired: call the tool again")
        expected = record.get("binding")
        if not (
            isinstance(expected, str) and binding and hmac.compare_digest(expected, digest(binding))
        ):
            raise LinkRefused(
                "this authorization was not started in this browser: open the link the"
                " gateway gave you in the browser you authorize with"
            )
        if await self.store.take(key) is None:
            raise LinkRefused("unknown or already used authorization state")
        return Pending(str(record["principal"]), str(record["upstream"]))
