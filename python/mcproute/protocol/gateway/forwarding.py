"""Forwarding a client's call to its upstream.

A `tools/call`, `prompts/get` or `resources/read` goes as its own bytes where the upstream
speaks the client's era: the Rust core splices in the upstream request's id and the tool's or
prompt's own name (a resource's URI is the same on both sides); a 2026-07-28 client's `_meta`
travels on as it is (its version, capabilities, log level and progress token are what the
upstream must see), a legacy client's request has none; and the upstream's reply is parsed and
validated once and relayed as bytes with the client's id, without the upstream's per-hop result
members and, for a 2026-07-28 client, with this hop's `_meta` and `resultType` (and for a read,
its `ttlMs` and `cacheScope`). Where this hop
must rewrite the params (an input round's `inputResponses` and `requestState`, a legacy
request's `_meta`, arguments mirrored into `Mcp-Param-*` headers, an upstream of the other era),
the call is forwarded field by field instead (`Gateway._forward_to`).
"""

from __future__ import annotations

import orjson

from mcproute._core import Message
from mcproute.protocol.gateway.upstream_errors import relayed_error
from mcproute.protocol.jsonrpc import Json, MCPError
from mcproute.protocol.server.input_required import InputRequired

# Request fields that belong to one hop: the gateway sets its own toward the upstream.
HOP_FIELDS = frozenset({"_meta", "inputResponses", "requestState"})
# Result fields that belong to one hop: this server sets (or leaves out) its own.
HOP_RESULT_FIELDS = ("_meta", "resultType", "ttlMs", "cacheScope")
# Of those, the ones a 2026-07-28 relay drops (it sets `_meta` and `resultType` itself).
_REPLACED_ELSEWHERE = tuple(f for f in HOP_RESULT_FIELDS if f not in ("_meta", "resultType"))
# What marks an input round's retry: its answers and state are this hop's, not the upstream's.
ROUND_KEYS = (b'"inputResponses"', b'"requestState"')


def forwards_as_bytes(msg: Message) -> bool:
    """Whether a request can go upstream as its own bytes: no input round in it, and for a
    legacy session's request no `_meta` (this hop sets its own). A key found anywhere in the
    bytes (an argument's, say) only sends the call the field-by-field way."""
    raw = msg.raw
    if ROUND_KEYS[0] in raw or ROUND_KEYS[1] in raw:
        return False
    return msg.era == "modern" or b'"_meta"' not in raw


def hop_result(server_info: Json, **members: object) -> bytes:
    """The members a relayed 2026-07-28 result gets from this hop (and `members`)."""
    meta = {"io.modelcontextprotocol/serverInfo": server_info}
    return orjson.dumps({"_meta": meta, "resultType": "complete", **members})


def answered(reply: Message) -> Message:
    """The upstream's reply, if it is not an error; an error reply raises (redacted, as every
    relayed error)."""
    if reply.kind == "error":
        error = reply.to_python()["error"]
        raise relayed_error(MCPError(error["code"], error["message"], error.get("data")))
    return reply


def relayed_reply(reply: Message, client_id: int | str, hop_members: bytes | None) -> bytes:
    """The upstream's result as this server's: its bytes with the client's id, without the
    upstream's per-hop members and with this hop's (`hop_members`: a 2026-07-28 client's; a
    legacy client's result has none). An input round raises `InputRequired` carrying the
    upstream's requestState inside ours."""
    if reply.result_type == "input_required":
        result = reply.to_python()["result"]
        carry = {"upstream_state": result.get("requestState")}
        raise InputRequired(result.get("inputRequests") or {}, carry)
    if hop_members is None:
        return reply.splice(id=client_id, result_drop=HOP_RESULT_FIELDS)
    return reply.splice(id=client_id, result_set=hop_members, result_drop=_REPLACED_ELSEWHERE)
