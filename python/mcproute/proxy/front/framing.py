"""Where a request ends in the bytes a connection buffered, and whether the front serves it
itself (the fast shape) or hands the connection to aiohttp.

The head is parsed in the Rust core in one call (`_core.parse_request_head`: framing and the
smuggling defences there); a refused head becomes the fixed 400 `proxy/malformed.py` answers
aiohttp's parser errors with. The fast shape is a call in its plainest form: `POST` to one of
`FAST_PATHS` (no query), HTTP/1.1, a Content-Length body within the app's limit, no `Expect`,
`Upgrade`, body coding or request signature, UTF-8 header values; on `/mcp` an API key (not
an OAuth access token). Model streams are the front's too: their SSE goes out through
aiohttp's own `StreamWriter` on the front's transport. Anything else is aiohttp's, which has
every feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from mcproute._core import (
    HEAD_CLOSE,
    HEAD_HANDED_OFF,
    HEAD_UPGRADE,
    REQUEST_LENGTH,
    RequestHeadError,
    parse_request_head,
)
from mcproute.proxy.auth import key_in

MODEL_PATHS = frozenset({"/v1/chat/completions", "/v1/messages"})
MCP_PATH = "/mcp"
FAST_PATHS = MODEL_PATHS | {MCP_PATH}
API_KEY_PREFIX = "mcpr_"  # an API key (an OAuth access token on /mcp is aiohttp's)
# The parser's `shape` bits that hand a request off: a header only aiohttp's path serves
# (`Expect`, `Upgrade`, `Content-Encoding`, `Signature`, `Signature-Input`) or `Connection:
# upgrade`, both found by the parser in its one pass over the headers.
HANDED_OFF = HEAD_HANDED_OFF | HEAD_UPGRADE


class Refused(Exception):
    """A head refused by the parser; the message names the problem, never the input."""


@dataclass(slots=True)
class Head:
    length: int  # bytes of the head
    method: str
    target: str
    headers: CIMultiDictProxy[str]
    fast: bool  # the fast shape, as far as the head tells
    body_length: int  # Content-Length (0 unless fast)
    close: bool  # `Connection: close`


def read_head(buffer: bytes, max_body: int) -> Head | None:
    """The head at the start of `buffer`, None while incomplete; raises `Refused`."""
    try:
        parsed = parse_request_head(buffer)
    except RequestHeadError as exc:
        raise Refused(str(exc)) from None
    if parsed is None:
        return None
    length, method, target, minor, framing, content_length, fields, utf8, shape = parsed
    headers = CIMultiDictProxy(CIMultiDict(fields))
    fast = (
        method == "POST"
        and target in FAST_PATHS
        and minor == 1
        and framing == REQUEST_LENGTH
        and content_length <= max_body
        and utf8
        and not shape & HANDED_OFF
    )
    if fast and target == MCP_PATH:
        key = key_in(headers)
        fast = key is not None and key.startswith(API_KEY_PREFIX)
    close = shape & HEAD_CLOSE != 0
    return Head(length, method, target, headers, fast, content_length if fast else 0, close)


def body_json(body: bytes) -> Any:
    """A model call's body as JSON for the handler (parsed once, here), or None: the handler
    reads the bytes again and answers what is wrong with them."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
