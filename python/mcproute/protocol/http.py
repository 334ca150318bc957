"""Streamable HTTP for MCPServer (aiohttp): one endpoint, both protocol eras.

Legacy revisions: `initialize` mints an `Mcp-Session-Id` that every later request must carry
(missing: 400, unknown or deleted: 404), `DELETE` ends the session, and the
`MCP-Protocol-Version` header must name a supported revision. 2026-07-28: stateless POST; the
`Mcp-Method` (and for tools/call, resources/read, prompts/get the `Mcp-Name`, base64 sentinel
decoded) header must match the body, else 400 with -32020. A present Origin or Host that is not
loopback gets 403 (DNS rebinding). Responses are JSON; notifications get 202.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
from aiohttp import web

from mcproute._core import SUPPORTED_VERSIONS, Message, ProtocolError, encode_error, parse
from mcproute.protocol.param_headers import decode_value
from mcproute.protocol.server import MCPServer, Session

HEADER_MISMATCH = -32020
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
SESSION_HEADER = "Mcp-Session-Id"
VERSION_HEADER = "MCP-Protocol-Version"
SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
MAX_BODY = 4 * 1024 * 1024  # the codec's default message limit
NAMED_METHODS = frozenset({"tools/call", "resources/read", "prompts/get"})


def _error(
    status: int, code: int, message: str, request_id: object = None, data: object = None
) -> web.Response:
    body = encode_error(
        request_id if isinstance(request_id, int | str) else None,
        code,
        message,
        None if data is None else orjson.dumps(data),
    )
    return web.Response(status=status, body=body, content_type="application/json")


class StreamableHTTP:
    """Serve one MCPServer at `path`; `allowed_hosts` extends the loopback names."""

    def __init__(
        self, server: MCPServer, *, path: str = "/mcp", allowed_hosts: frozenset[str] = frozenset()
    ) -> None:
        self.server = server
        self.path = path
        self.allowed_hosts = LOCAL_HOSTS | allowed_hosts
        self.sessions: dict[str, Session] = {}

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self.post)
        app.router.add_get(self.path, self.get)
        app.router.add_delete(self.path, self.delete)
        return app

    def _host_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).hostname not in self.allowed_hosts:
            return False
        host = request.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in self.allowed_hosts or name.strip("[]") in self.allowed_hosts

    async def post(self, request: web.Request) -> web.StreamResponse:
        if not self._host_allowed(request):
            return _error(403, -32600, "forbidden origin or host")
        header_version = request.headers.get(VERSION_HEADER)
        if header_version is not None and header_version not in SUPPORTED_VERSIONS:
            return _error(400, -32600, f"{VERSION_HEADER}: unsupported version {header_version!r}")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, -32600, f"message is over the limit of {MAX_BODY} bytes")
        session: Session | None = None
        session_id = request.headers.get(SESSION_HEADER)
        if session_id is not None:
            session = self.sessions.get(session_id)
            if session is None:
                return _error(404, -32600, "session not found: initialize again")
        try:
            msg = parse(body, version=session.version if session else None)
        except ProtocolError as e:
            status = 404 if e.code == -32601 else 400
            return _error(status, e.code, str(e), e.id, e.data)
        if isinstance(msg, list):
            return _error(400, -32600, "batches are not served over Streamable HTTP")
        if msg.era == "modern":
            mismatch = self._check_modern_headers(request, msg)
            if mismatch is not None:
                return _error(400, HEADER_MISMATCH, mismatch, msg.id)
            session = None  # stateless: no session applies
        elif msg.method == "initialize":
            session = Session()
        elif session is None and msg.kind == "request":
            return _error(400, -32600, f"{SESSION_HEADER} header is required", msg.id)
        stream: web.StreamResponse | None = None

        async def notify(message: bytes) -> None:
            # The first notification turns the reply into an SSE stream scoped to this request.
            nonlocal stream
            if stream is None:
                stream = web.StreamResponse(headers=SSE_HEADERS)
                await stream.prepare(request)
            await stream.write(b"event: message\ndata: " + message + b"\n\n")

        accepts_sse = "text/event-stream" in request.headers.get("Accept", "")
        reply = await self.server.handle(body, session, notify if accepts_sse else None)
        if stream is not None:
            if reply is not None:
                await stream.write(b"event: message\ndata: " + reply + b"\n\n")
            await stream.write_eof()
            return stream
        if reply is None:
            return web.Response(status=202)
        headers = {}
        if msg.method == "initialize" and session is not None and session.version is not None:
            self.sessions[session.id] = session
            headers[SESSION_HEADER] = session.id
        return web.Response(body=reply, content_type="application/json", headers=headers)

    @staticmethod
    def _check_modern_headers(request: web.Request, msg: Message) -> str | None:
        method = request.headers.get("Mcp-Method")
        if method != msg.method:
            return f"Mcp-Method header {method!r} does not match the body's method {msg.method!r}"
        if msg.method in NAMED_METHODS:
            sent = request.headers.get("Mcp-Name")
            name = None if sent is None else decode_value(sent)
            if name != msg.name:
                return f"Mcp-Name header {name!r} does not match the body's {msg.name!r}"
        version = request.headers.get(VERSION_HEADER)
        if version is not None and version != msg.protocol_version:
            return f"{VERSION_HEADER} header {version!r} does not match the body's _meta version"
        return None

    async def get(self, request: web.Request) -> web.StreamResponse:
        # No standalone server-to-client stream: this server sends no unsolicited messages.
        return web.Response(status=405, headers={"Allow": "POST, DELETE"})

    async def delete(self, request: web.Request) -> web.StreamResponse:
        session_id = request.headers.get(SESSION_HEADER)
        if session_id is None:
            return _error(400, -32600, f"{SESSION_HEADER} header is required")
        if self.sessions.pop(session_id, None) is None:
            return _error(404, -32600, "session not found")
        return web.Response(status=204)
