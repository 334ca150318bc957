"""The browser steps of linking a per-user upstream, bound to the browser that started them.

An authorization URL handed to a user is a bearer: whoever finishes it would link *their*
upstream account to that user (or, sent to a victim, the victim's account to the sender). So
the user is given a gateway URL instead, `…/oauth/link/<id>` (the id single-use, expiring).
Opening it (`view`) changes nothing but the browser's cookies: it answers a page naming the
upstream and the identity the grant will belong to, sets a short-lived cookie holding a random
binding value, and carries a CSRF token derived from that value in the page's form. Only the
form's POST (`confirm`), with the token matching the cookie, takes the link and sends the browser
to the authorization server; the gateway keeps only the value's SHA-256 with the flow's `state`.
The callback is honoured only with that cookie, once, before the flow expires.

The page is the defence against account-linking phishing (someone sends a user a link URL made
for *their own* identity, hoping the user links their upstream account to it): the user sees
whose the grant would be before anything happens.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

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


Identity = tuple[tuple[str, str], ...]  # (label, value) pairs naming whose a grant will be


def csrf_token(binding: str, link_id: str) -> str:
    """The confirmation form's token: only a page served to the browser holding `binding`
    (an HttpOnly cookie) can know it."""
    return hmac.new(binding.encode(), link_id.encode(), hashlib.sha256).hexdigest()


class LinkRefused(OAuthError):
    """A link or callback that must not proceed; the message says why, for the user."""

    status = 400


class LinkUnknown(LinkRefused):
    """A link id never issued, or already used."""

    status = 404


@dataclass(frozen=True)
class Pending:
    principal: str
    upstream: str


@dataclass(frozen=True)
class LinkView:
    """What the link URL answers: the confirmation page's facts, the cookie to set and the
    form's CSRF token. `authorize_origin`: where the form's POST will redirect to."""

    upstream: str
    identity: Identity
    authorize_origin: str
    cookie: str
    value: str
    csrf: str
    max_age: int


class LinkFlows:
    def __init__(self, store: TokenStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def begin(
        self, authorize_url: str, state: str, principal: str, upstream: str, identity: Identity
    ) -> str:
        """Remember a flow; returns the link id to give its user. `identity`: how the page
        names `principal` (never a secret)."""
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
        link = {
            "state": state, "url": authorize_url, "expires": expires, "upstream": upstream,
            "identity": [list(pair) for pair in identity],
        }  # fmt: skip
        await self.store.save(keys[1], link)
        return link_id

    async def _live(self, link_id: str) -> dict[str, object]:
        link = await self.store.load(LINK + digest(link_id)) if link_id else None
        if not link:
            raise LinkUnknown(
                "this authorization link is unknown or already used: call the tool again"
                " for a new one"
            )
        if float(link["expires"]) <= self.clock():
            raise LinkRefused(
                "this authorization link has expired: call the tool again for a new one"
            )
        return dict(link)

    async def view(self, link_id: str) -> LinkView:
        """The user opened their link: what to show them. Stores nothing (the link stays
        unused); the binding value goes to the browser only."""
        link = await self._live(link_id)
        value = secrets.token_urlsafe(32)
        parts = urlsplit(str(link["url"]))
        identity = link.get("identity")
        pairs = tuple((str(k), str(v)) for k, v in identity) if isinstance(identity, list) else ()
        max_age = max(1, int(float(str(link["expires"])) - self.clock()))
        return LinkView(
            str(link.get("upstream")), pairs, f"{parts.scheme}://{parts.netloc}",
            cookie_name(str(link["state"])), value, csrf_token(value, link_id), max_age,
        )  # fmt: skip

    async def confirm(self, link_id: str, cookies: Mapping[str, str], csrf: str | None) -> str:
        """The user confirmed on the page: with the cookie its GET set and the matching token,
        take the link (once) and bind the flow to that cookie. Returns the authorization URL."""
        link = await self._live(link_id)
        state = str(link["state"])
        binding = cookies.get(cookie_name(state))
        if not (binding and csrf and hmac.compare_digest(csrf, csrf_token(binding, link_id))):
            raise LinkRefused(
                "this confirmation did not come from the page this link showed in this browser:"
                " open the link again and confirm there"
            )
        if await self.store.take(LINK + digest(link_id)) is None:
            raise LinkUnknown("this authorization link was already used: call the tool again")
        key = PENDING + digest(state)
        pending = await self.store.load(key)
        if not pending:
            raise LinkRefused("this authorization is no longer pending: call the tool again")
        await self.store.save(key, {**pending, "binding": digest(binding)})
        return str(link["url"])

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
