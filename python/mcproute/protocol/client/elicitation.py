"""Client-side elicitation: schema defaults for fields an accepted answer leaves out (SEP-1034).

A form elicitation's `requestedSchema` may give each property a `default`; a client shows the
form pre-filled with them, so an accepted answer that omits a field means "keep the default".
Applying them where the answer is sent gives the server the same values whichever handler
produced the answer.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def with_defaults(params: Json, answer: Json) -> Json:
    """`answer` with every omitted, defaulted field of `params["requestedSchema"]` filled in."""
    if answer.get("action") != "accept":
        return answer
    properties = (params.get("requestedSchema") or {}).get("properties") or {}
    content = dict(answer.get("content") or {})
    for name, schema in properties.items():
        if isinstance(schema, dict) and "default" in schema:
            content.setdefault(name, schema["default"])
    return {**answer, "content": content}
