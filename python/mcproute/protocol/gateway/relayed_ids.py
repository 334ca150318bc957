"""Ids for server-to-client requests a gateway relays from a client's own upstream session.

The id names the upstream and the upstream's own request id, so the client's answer can be
passed straight to that upstream session by whichever gateway replica receives it: nothing
waits for it in the replica that relayed the request. An answer is taken only inside the client
session the request was relayed on (the upstream must be one of that session's own), and a
session serves only the principal that opened it, so another caller cannot answer it.
"""

from __future__ import annotations

import base64
import binascii

import orjson

RELAYED = "relayed."


def relay_id(upstream: str, upstream_id: str | int) -> str:
    """The id a request relayed from a client's own upstream session travels under: it names
    the upstream and the upstream's id (the client answers with it; any replica can route it)."""
    return RELAYED + base64.urlsafe_b64encode(orjson.dumps([upstream, upstream_id])).decode()


def relay_target(request_id: object) -> tuple[str, str | int] | None:
    """(upstream, its request id) from a `relay_id`, else None."""
    if not isinstance(request_id, str) or not request_id.startswith(RELAYED):
        return None
    try:
        name, upstream_id = orjson.loads(base64.urlsafe_b64decode(request_id[len(RELAYED) :]))
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(name, str) or not isinstance(upstream_id, str | int):
        return None
    return name, upstream_id
