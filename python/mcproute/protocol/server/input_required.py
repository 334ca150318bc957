"""Input from the client in the middle of a request, in both protocol eras.

A handler asks with `await ctx.ask(key, method, params)` (or `ctx.elicit`, `ctx.sample`,
`ctx.list_roots`). In a legacy session that is a real server-to-client request on the request's
stream. In 2026-07-28 (stateless, SEP-2322 "multi round-trip requests") there is no such stream:
the first `ask` whose answer is not in the request's `inputResponses` ends the handler with an
`InputRequiredResult`, and the client sends the original request again with the answers. The
handler runs again from the top; answers from earlier rounds come back inside `requestState`, so
a handler that asks several times in sequence needs no state of its own.

`requestState` is integrity-protected (HMAC-SHA256 under the server's secret), bound to the
method and the tool, prompt or resource it was issued for, and expires: a client can echo it
but not forge, alter or move it. It is also bound to the principal the transport named for the
request that started the round (the proxy: the API key's tenant and id), so another caller's
retry with it gets -32602 naming `params.requestState`, never the round's answers or result.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

import orjson

from mcproute.protocol import b64url

Json = dict[str, Any]

INPUT_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})
# The client capability each kind of input request needs.
CAPABILITY = {
    "elicitation/create": "elicitation",
    "sampling/createMessage": "sampling",
    "roots/list": "roots",
}
# The field every valid answer to each kind of request carries.
ANSWER_FIELD = {
    "elicitation/create": "action",
    "sampling/createMessage": "content",
    "roots/list": "roots",
}
STATE_TTL_S = 600.0


class InputRequired(Exception):
    """Ends a handler: the client must answer `requests` and send the request again."""

    def __init__(self, requests: dict[str, Json], carry: Json | None = None) -> None:
        super().__init__(f"input required: {', '.join(requests)}")
        self.requests = requests
        self.carry = carry  # travels in the requestState, back to the handler's next round


class StateError(ValueError):
    """A `requestState` that fails its integrity check, has expired or belongs elsewhere."""


def subject(method: str, params: Json) -> str:
    """What a state is bound to: the method and the tool, prompt or resource it targets."""
    return f"{method} {params.get('uri') if method == 'resources/read' else params.get('name')}"


class RequestStates:
    """Seals and opens `requestState` strings: `base64url(payload) "." base64url(mac)`.
    Replicas that share `secret` accept each other's states."""

    def __init__(self, secret: bytes | None = None, ttl_s: float = STATE_TTL_S) -> None:
        self._key = secret or secrets.token_bytes(32)
        self.ttl_s = ttl_s

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def seal(
        self,
        bound_to: str,
        answers: Json,
        carry: Json | None = None,
        principal: str | None = None,
        *,
        expires: bool = True,
    ) -> str:
        """`expires=False`: a state that stays valid (and is the same string each time it is
        sealed from the same fields), for what another party bounds in time (a relayed task)."""
        state = {
            "to": bound_to,
            "by": principal,
            "exp": time.time() + self.ttl_s if expires else None,
            "answers": answers,
            "carry": carry,
        }
        payload = orjson.dumps(state)
        return f"{b64url.encode(payload)}.{b64url.encode(self._mac(payload))}"

    def open(self, token: Any, bound_to: str, principal: str | None = None) -> Json:
        """The state sealed in `token` (`answers`, `carry`) for `principal`; StateError when it
        cannot be trusted."""
        parts = token.split(".") if isinstance(token, str) else []
        payload, mac = (b64url.decode(p) for p in parts) if len(parts) == 2 else (None, None)
        if payload is None or mac is None:
            raise StateError("params.requestState: malformed")
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise StateError("params.requestState: integrity check failed")
        state: Json = orjson.loads(payload)
        if state["exp"] is not None and state["exp"] < time.time():
            raise StateError("params.requestState: expired; send the request again without it")
        if state.get("by") != principal:
            raise StateError("params.requestState: not issued to this caller")
        if state["to"] != bound_to:
            raise StateError(f"params.requestState: issued for {state['to']!r}, not {bound_to!r}")
        return state


def check_answer(key: str, method: str, answer: Any) -> None:
    """A client's answer to our `method` request must at least look like that method's result."""
    field = ANSWER_FIELD[method]
    if not isinstance(answer, dict) or field not in answer:
        raise ValueError(f"params.inputResponses.{key}: not an answer to {method} (no {field!r})")
