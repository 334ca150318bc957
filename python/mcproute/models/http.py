"""The pooled HTTP session shared by every provider adapter, and upstream failure classification.

One ``aiohttp.ClientSession`` per event loop (normally one per process): keep-alive connections,
a connection limit and a DNS cache are shared by all deployments. A program need not close it:
it is closed when its loop shuts down (``asyncio.run``, ``uvloop.run``, ``asyncio.Runner``), so a
script that never calls ``aclose()`` exits without aiohttp's "Unclosed client session".
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import re
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple

import aiohttp
import orjson
from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from yarl import URL

from mcproute import tracing
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.upstream_client import UpstreamClient
from mcproute.redact import redact, redact_url

log = logging.getLogger(__name__)


class _Pooled(NamedTuple):
    session: aiohttp.ClientSession
    client: UpstreamClient  # the POSTs to providers (`post_json`, `open_stream`)
    closer: AsyncGenerator[None, None]  # held here: the loop tracks it only weakly
    streams: aiohttp.ClientSession  # `open_stream`'s: the same pool, the environment read once
    routes: dict[str, _StreamRoute]  # stream URL -> what `trust_env` would find for it


class _StreamRoute(NamedTuple):
    proxy: URL | None
    # The proxy's credentials (from its URL or ~/.netrc): on the CONNECT of an HTTPS request,
    # on the request itself when plain HTTP goes to the proxy in absolute form
    proxy_headers: Mapping[str, str] | None
    request_headers: Mapping[str, str] | None
    netrc_authorization: str | None  # ~/.netrc's credentials for the origin, if any


def _environment_route(url: URL) -> _StreamRoute:
    """What aiohttp's `trust_env` looks up for `url` on every request, each time in a thread
    (two hops per streamed call, the most of a stream's start in its profile): looked up once
    per URL instead, with aiohttp's own helpers so the result is the same."""
    try:
        proxy, proxy_auth = get_env_proxy_for_url(url)
    except LookupError:
        proxy, proxy_auth = None, None
    netrc_authorization = None
    netrc = netrc_from_env()
    if netrc is not None and url.host is not None:
        with contextlib.suppress(LookupError):
            netrc_authorization = basicauth_from_netrc(netrc, url.host).encode()
    credentials = None if proxy_auth is None else {"Proxy-Authorization": proxy_auth.encode()}
    tunnelled = url.scheme == "https"
    return _StreamRoute(
        proxy,
        credentials if tunnelled else None,
        None if tunnelled else credentials,
        netrc_authorization,
    )


async def _new_route(pooled: _Pooled, url: str) -> _StreamRoute:
    route = await asyncio.to_thread(_environment_route, URL(url))  # ~/.netrc is a file read
    if len(pooled.routes) >= 1024:  # URLs are the configuration's: few
        pooled.routes.clear()
    pooled.routes[url] = route
    return route


_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pooled] = (
    weakref.WeakKeyDictionary()
)


async def _close_at_shutdown(
    sessions: tuple[aiohttp.ClientSession, ...], client: UpstreamClient
) -> AsyncGenerator[None, None]:
    """Waits at its `yield` until the loop closes its async generators
    (`loop.shutdown_asyncgens()`, which `asyncio.run` awaits before closing the loop)."""
    try:
        yield
    finally:
        await client.close()
        for session in sessions:  # the connector's owner last
            if not session.closed:
                await session.close()


def _closed_with_loop(
    sessions: tuple[aiohttp.ClientSession, ...], client: UpstreamClient
) -> AsyncGenerator[None, None]:
    closer = _close_at_shutdown(sessions, client)
    # Step it to its `yield` now: the first step registers it with the running loop.
    with contextlib.suppress(StopIteration):
        closer.asend(None).send(None)
    return closer


@dataclass(frozen=True)
class PoolSettings:
    limit: int = 512  # open connections in total
    limit_per_host: int = 128
    dns_cache_seconds: int = 300
    keepalive_seconds: float = 30.0
    lean_client: bool = True  # POSTs (JSON and streams) on `upstream_client`, not aiohttp's client


_pool_settings = PoolSettings()


def configure_pool(settings: PoolSettings) -> None:
    """Settings for sessions created from now on (a running session keeps its own)."""
    global _pool_settings
    _pool_settings = settings


def get_session() -> aiohttp.ClientSession:
    """The shared session of the running event loop, created on first use."""
    return _pooled().session


def _pooled() -> _Pooled:
    loop = asyncio.get_running_loop()
    pooled = _SESSIONS.get(loop)
    if pooled is None or pooled.session.closed:
        s = _pool_settings
        connector = aiohttp.TCPConnector(
            limit=s.limit,
            limit_per_host=s.limit_per_host,
            ttl_dns_cache=s.dns_cache_seconds,
            keepalive_timeout=s.keepalive_seconds,
        )
        options: dict[str, Any] = {
            "json_serialize": lambda obj: orjson.dumps(obj).decode(),
            "timeout": aiohttp.ClientTimeout(total=None),
            "auto_decompress": True,
        }
        # HTTP(S)_PROXY and NO_PROXY, as the lean client reads them
        session = aiohttp.ClientSession(connector=connector, trust_env=True, **options)
        streams = aiohttp.ClientSession(connector=connector, connector_owner=False, **options)
        client = UpstreamClient(s.limit, s.limit_per_host, s.keepalive_seconds)
        closer = _closed_with_loop((streams, session), client)
        pooled = _SESSIONS[loop] = _Pooled(session, client, closer, streams, {})
    return pooled


async def close_session() -> None:
    """Close the running loop's shared session now (at shutdown, or at the end of a test)."""
    pooled = _SESSIONS.pop(asyncio.get_running_loop(), None)
    if pooled is not None:
        await pooled.closer.aclose()  # runs its `finally`: closes the session


# ----------------------------------------------------------------------------- classification


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (delta seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "maximum context length",
    "prompt is too long",
    "context window",
)
_POLICY_MARKERS = (
    "content_filter",
    "content_policy",
    "content management policy",
    "responsibleaipolicyviolation",
)


_LABEL = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
MESSAGE_CHARS = 300  # of a provider's (redacted) error message, relayed to the caller


def _label(value: Any) -> str | None:
    """A provider's error type or code, if it is a plain label (anything else is dropped)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and _LABEL.fullmatch(value) else None


def upstream_message(status: int | None, error: Any) -> str:
    """What a caller may see of a provider's error object (OpenAI ``{"message", "type",
    "code"}`` or Anthropic ``{"type", "message"}``): its status, type and code, and its
    message with every credential-looking token redacted, bounded in length."""
    head = "upstream returned " + (f"HTTP {status}" if status is not None else "an error")
    if not isinstance(error, Mapping):
        return head
    labels = [
        f"{name} {label}"
        for name in ("type", "code")
        if (label := _label(error.get(name))) is not None
    ]
    status_name = error.get("status")  # Google's errors name theirs: RESOURCE_EXHAUSTED, ...
    if isinstance(status_name, str) and (label := _label(status_name)) is not None:
        labels.append(f"status {label}")
    inner = error.get("innererror")  # Azure's, e.g. ResponsibleAIPolicyViolation
    if isinstance(inner, Mapping) and (label := _label(inner.get("code"))) is not None:
        labels.append(f"innererror {label}")
    if labels:
        head += f" ({', '.join(labels)})"
    message = error.get("message")
    if not isinstance(message, str) or not message.strip():
        return head
    text = " ".join(redact(message[: 8 * MESSAGE_CHARS]).split())
    if len(text) > MESSAGE_CHARS:
        text = text[: MESSAGE_CHARS - 3] + "..."
    return f"{head}: {text}"


def _error_object(body: bytes) -> Any:
    """The error object of a provider's error body (None when the body has none)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, str):
        return {"message": error}
    if isinstance(error, dict):
        return error
    return {"message": payload["message"]} if isinstance(payload.get("message"), str) else None


_DELAY = re.compile(r"(\d{1,6}(?:\.\d{1,9})?)s")


def _retry_delay(error: Any) -> float | None:
    """Google's ``google.rpc.RetryInfo`` detail (``"retryDelay": "17s"``), which it sends
    instead of a Retry-After header."""
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else ():
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        match = _DELAY.fullmatch(delay) if isinstance(delay, str) else None
        if match:
            return float(match.group(1))
    return None


def classify_status(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    deployment: str | None,
    *,
    mid_stream: bool = False,
) -> UpstreamError:
    """A classified failure whose message is safe to relay: the provider's own text is
    reduced to ``upstream_message`` (a non-JSON body, such as an HTML error page, is not
    relayed at all); the whole body is logged at DEBUG, redacted the same way. `mid_stream`:
    `body` is an error event of a stream that began with HTTP 200 (classified as `status`)."""
    if log.isEnabledFor(logging.DEBUG):
        text = body[:4000].decode("utf-8", "replace")
        log.debug("upstream %s: HTTP %d error body: %s", deployment, status, redact(text))
    error = _error_object(body)
    if mid_stream:
        detail = "mid-stream: " + upstream_message(None, error)
    else:
        detail = upstream_message(status, error)
    if isinstance(error, dict):  # searched for the markers only, never shown
        inner = error.get("innererror")
        fields = [error.get(k) for k in ("type", "code", "message")]
        fields.append(inner.get("code") if isinstance(inner, dict) else None)
        hay = " ".join(str(f or "") for f in fields).lower()
    else:
        hay = body[:2000].decode("utf-8", "replace").lower()
    retry_after = parse_retry_after(headers)  # 0 ("retry at once") is a value, not absent
    kind: FailureKind
    if any(marker in hay for marker in _CONTEXT_MARKERS):
        kind = FailureKind.CONTEXT_WINDOW
    elif any(marker in hay for marker in _POLICY_MARKERS):
        kind = FailureKind.CONTENT_POLICY
    elif status == 429:
        kind = FailureKind.RATE_LIMITED
    elif status in (401, 403):
        kind = FailureKind.AUTH
    elif status == 408:
        kind = FailureKind.TIMEOUT
    elif status >= 500:
        kind = FailureKind.SERVER
    else:
        kind = FailureKind.BAD_REQUEST
    return UpstreamError(
        kind,
        detail,
        status=status,
        retry_after=_retry_delay(error) if retry_after is None else retry_after,
        deployment=deployment,
    )


def classify_exception(exc: BaseException, deployment: str | None) -> UpstreamError:
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return UpstreamError(FailureKind.TIMEOUT, "upstream timed out", deployment=deployment)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return UpstreamError(
            FailureKind.CONNECTION, "upstream response was cut short", deployment=deployment
        )
    if isinstance(exc, aiohttp.ClientError | ConnectionError):
        return UpstreamError(
            FailureKind.CONNECTION,
            f"upstream connection failed ({type(exc).__name__})",
            deployment=deployment,
        )
    if isinstance(exc, orjson.JSONDecodeError):
        return UpstreamError(
            FailureKind.SERVER, "upstream sent malformed JSON", deployment=deployment
        )
    raise exc


# ----------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Endpoint:
    """Where and how one deployment is called; headers hold the credentials, never shown.
    The headers mapping is never changed in place (a changed credential makes a new
    `Endpoint`): the upstream client caches request heads by its identity."""

    base_url: str
    headers: Mapping[str, str]
    deployment: str | None = None
    query: str = ""  # appended to every request URL (Azure's ``?api-version=...``)

    def url(self, path: str) -> str:
        return self.base_url + path + self.query

    def __repr__(self) -> str:
        return f"Endpoint(base_url={redact_url(self.base_url)!r}, deployment={self.deployment!r})"


# Seconds this request spent waiting on upstreams, for the proxy's overhead figure: the proxy
# sets a one-item list per request; adapters add to it. Unset (None) in library use.
UPSTREAM_WAIT: ContextVar[list[float] | None] = ContextVar("mcproute_upstream_wait", default=None)


def _waited(since: float) -> None:
    acc = UPSTREAM_WAIT.get()
    if acc is not None:
        acc[0] += time.perf_counter() - since


class ReplyJson(dict[str, Any]):
    """A JSON object reply as decoded, with the bytes it was decoded from (`raw`), which a
    route that changed nothing of it relays as they came instead of encoding it again."""

    __slots__ = ("raw",)
    raw: bytes


def _decoded(body: bytes) -> Any:
    value = orjson.loads(body)
    if type(value) is not dict:
        return value
    reply = ReplyJson(value)
    reply.raw = body
    return reply


async def post_json(
    endpoint: Endpoint,
    path: str,
    body: Mapping[str, Any],
    http_timeout: aiohttp.ClientTimeout | None,
) -> Any:
    """POST a JSON body and return the decoded JSON response, or raise ``UpstreamError``."""
    payload = orjson.dumps(body)
    if tracing.ACTIVE or not _pool_settings.lean_client:
        return await _post_on_session(endpoint, path, payload, http_timeout)
    started = time.perf_counter()
    try:
        reply = await _pooled().client.post(
            endpoint.url(path), endpoint.headers, payload, http_timeout
        )
        _waited(started)
        if reply.status >= 400:
            raise classify_status(reply.status, reply.headers, reply.body, endpoint.deployment)
        return _decoded(reply.body)
    except Exception as exc:
        raise classify_exception(exc, endpoint.deployment) from exc


async def _post_on_session(
    endpoint: Endpoint, path: str, payload: bytes, http_timeout: aiohttp.ClientTimeout | None
) -> Any:
    """`post_json` on aiohttp's session: with trace headers, or with the lean client off."""
    headers = tracing.with_trace_headers(endpoint.headers) if tracing.ACTIVE else endpoint.headers
    started = time.perf_counter()
    try:
        async with get_session().post(
            endpoint.url(path), data=payload, headers=headers, timeout=http_timeout
        ) as response:
            data = await response.read()
            _waited(started)
            if response.status >= 400:
                raise classify_status(response.status, response.headers, data, endpoint.deployment)
            return _decoded(data)
    except Exception as exc:
        raise classify_exception(exc, endpoint.deployment) from exc


async def get_json(
    endpoint: Endpoint, path: str, http_timeout: aiohttp.ClientTimeout | None
) -> Any:
    try:
        async with get_session().get(
            endpoint.url(path), headers=endpoint.headers, timeout=http_timeout
        ) as response:
            data = await response.read()
            if response.status >= 400:
                raise classify_status(response.status, response.headers, data, endpoint.deployment)
            return _decoded(data)
    except Exception as exc:
        raise classify_exception(exc, endpoint.deployment) from exc


class SseEvent(NamedTuple):  # a tuple: built once per streamed chunk, so kept cheap
    event: str | None
    data: bytes


@asynccontextmanager
async def open_stream(
    endpoint: Endpoint,
    path: str,
    body: Mapping[str, Any],
    http_timeout: aiohttp.ClientTimeout | None,
) -> AsyncIterator[AsyncIterator[SseEvent]]:
    """POST a streaming request; yields an iterator over its server-sent events."""
    payload = orjson.dumps(body)
    if not tracing.ACTIVE and _pool_settings.lean_client:
        async with _open_lean_stream(endpoint, path, payload, http_timeout) as events:
            yield events
        return
    headers = tracing.with_trace_headers(endpoint.headers) if tracing.ACTIVE else endpoint.headers
    started = time.perf_counter()
    url = endpoint.url(path)
    pooled = _pooled()
    try:
        route = pooled.routes.get(url) or await _new_route(pooled, url)
        extra = route.request_headers
        netrc = route.netrc_authorization  # as `trust_env` adds it, unless the call has its own
        if netrc is not None and not any(k.lower() == "authorization" for k in headers):
            extra = {**(extra or {}), "Authorization": netrc}
        if extra:
            headers = {**headers, **extra}
        response = await pooled.streams.post(
            url,
            data=payload,
            headers=headers,
            timeout=http_timeout,
            proxy=route.proxy,
            proxy_headers=route.proxy_headers,
        )
    except Exception as exc:
        raise classify_exception(exc, endpoint.deployment) from exc
    _waited(started)
    try:
        if response.status >= 400:
            data = await response.read()
            raise classify_status(response.status, response.headers, data, endpoint.deployment)
        yield _sse_events(response.content.iter_any(), endpoint.deployment)
    finally:
        response.release()


@asynccontextmanager
async def _open_lean_stream(
    endpoint: Endpoint, path: str, payload: bytes, http_timeout: aiohttp.ClientTimeout | None
) -> AsyncIterator[AsyncIterator[SseEvent]]:
    started = time.perf_counter()
    try:
        reply = await _pooled().client.stream(
            endpoint.url(path), endpoint.headers, payload, http_timeout
        )
    except Exception as exc:
        raise classify_exception(exc, endpoint.deployment) from exc
    _waited(started)
    try:
        if reply.status >= 400:
            try:
                data = await reply.read()
            except Exception as exc:
                raise classify_exception(exc, endpoint.deployment) from exc
            raise classify_status(reply.status, reply.headers, data, endpoint.deployment)
        yield _sse_events(aiter(reply), endpoint.deployment)
    except BaseException as exc:
        # abandoned (cancelled, a loser of a race): the connection closes, and a cancelled
        # one may be replaced (`upstream_client.Replacements`)
        reply.release(stopped=isinstance(exc, asyncio.CancelledError))
        raise
    # The adapter saw the stream's last event: the connection is kept if the body ends soon.
    reply.release(read_to_end=True)


MAX_SSE_LINE = 16 * 1024 * 1024  # one event's data line: a large tool call's arguments


async def _sse_events(
    pieces: AsyncIterator[bytes], deployment: str | None
) -> AsyncIterator[SseEvent]:
    """Server-sent events from a body that comes in pieces, each event yielded as soon as its
    blank line arrives (no buffering)."""
    event: str | None = None
    data: bytes | None = None
    pending = b""  # a line whose LF has not come yet
    ended = False
    try:
        while not ended:
            started = time.perf_counter()
            piece = await anext(pieces, None)
            _waited(started)
            if piece is None:  # the last line may have no LF
                ended, lines = True, [pending] if pending else []
            else:
                lines = (pending + piece if pending else piece).split(b"\n")
                pending = lines.pop()
                if len(pending) > MAX_SSE_LINE:
                    raise aiohttp.ClientPayloadError("upstream stream line too long")
            for raw in lines:
                line = raw.rstrip(b"\r")
                if not line:
                    if data is not None:
                        yield SseEvent(event, data)
                    event = data = None
                elif line[:5] == b"data:":
                    value = line[6:] if line[5:6] == b" " else line[5:]
                    data = value if data is None else data + b"\n" + value
                elif line[:6] == b"event:":
                    event = line[6:].strip().decode("utf-8", "replace")
                # ids, retry fields and comments (":" keep-alives) carry nothing we use
    except Exception as exc:
        raise classify_exception(exc, deployment) from exc
    if data is not None:
        yield SseEvent(event, data)


def stream_cut(deployment: str | None) -> UpstreamError:
    return UpstreamError(
        FailureKind.CONNECTION,
        "upstream stream ended without its terminator",
        deployment=deployment,
    )


def decode_event(event: SseEvent, deployment: str | None) -> Any:
    try:
        return orjson.loads(event.data)
    except orjson.JSONDecodeError as exc:
        raise UpstreamError(
            FailureKind.SERVER, "upstream sent a malformed stream event", deployment=deployment
        ) from exc
