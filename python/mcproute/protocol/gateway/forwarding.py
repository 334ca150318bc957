"""Forwarding a client's call to its upstream.

A 2026-07-28 `tools/call` to a 2026-07-28 upstream goes as its own bytes: the Rust core splices
in the upstream request's id and the tool's own name, the client's `_meta` travels on as it is
(its version, capabilities, log level and progress token are what the upstream must see), and
the upstream's reply is parsed and validated once and relayed as bytes with the client's id and
this hop's `_meta` and `resultType`. Where this hop must rewrite the params (an input round's
`inputResponses` and `requestState`, arguments mirrored into `Mcp-Param-*` headers, a legacy
upstream, a legacy client), the call is forwarded field by field instead (`Gateway._forward_to`).
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
# What marks an input round's retry: its answers and state are this hop's, not the upstream's.
ROUND_KEYS = (b'"inputResponses"', b'"requestState"')


def forwards_as_bytes(msg: Message) -> bool:
    """Whether a 2026-07-28 request can go upstream as its own bytes. A key found anywhere in
    them (an argument's value, say) only sends the call the field-by-field way."""
    raw = msg.raw
    return not any(key in raw for key in ROUND_KEYS)


def hop_result(server_info: Json) -> bytes:
    """The members a relayed 2026-07-28 result gets from this hop."""
    meta = {"io.modelcontextprotocol/serverInfo": server_info}
    return orjson.dumps({"_meta": meta, "resultType": "complete"})


def answered(reply: Message) -> Message:
    """The upstream's reply, if it is not an error; an error reply raises (redacted, as every
    relayed error)."""
    if reply.kind == "error":
        error = reply.to_python()["error"]
        raise relayed_error(MCPError(error["code"], error["message"], error.get("data")))
    return reply


def relayed_reply(reply: Message, client_id: int | str, hop_members: bytes) -> bytes:
    """The upstream's result as this server's: its bytes with the client's id and this hop's
    result members. An input round raises `InputRequired` carrying the upstream's
    requestState inside ours."""
    if reply.result_type == "input_required":
        result = reply.to_python()["result"]
        carry = {"upstream_state": result.get("requestState")}
        raise InputRequired(result.get("inputRequests") or {}, carry)
    drop = [f for f in HOP_RESULT_FIELDS if f not in ("_meta", "resultType")]
    return reply.splice(id=client_id, result_set=hop_members, result_drop=drop)
