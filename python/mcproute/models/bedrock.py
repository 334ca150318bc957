"""AWS Bedrock adapter: the Converse and ConverseStream APIs of ``bedrock-runtime``.

Each request is signed with SigV4 in the core (one call: the headers to add), or carries a
Bedrock API key as a bearer token. The model id goes in the path, percent-encoded as AWS's SDKs
encode it (an ARN's ``:`` and ``/`` included). ConverseStream answers in the AWS event-stream
framing, decoded in the core as the chunks arrive. Callers speak OpenAI or Anthropic; the
translation is in ``translate_bedrock``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from mcproute._core import EventStreamDecoder, EventStreamError, SigV4Signer
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.bedrock_config import AwsSettings, ProfileFiles, read_profile
from mcproute.models.http import (
    Endpoint,
    _waited,
    classify_exception,
    classify_status,
    get_session,
    stream_cut,
    upstream_message,
)
from mcproute.models.translate_bedrock import (
    ConverseToAnthropicStream,
    ConverseToOpenAIStream,
    anthropic_to_converse,
    converse_to_anthropic,
    converse_to_openai,
    openai_to_converse,
)
from mcproute.secret import FileStamp, Secret, file_stamp

log = logging.getLogger(__name__)

Json = dict[str, Any]
SERVICE = "bedrock"
CREDENTIAL_CHECK_SECONDS = 30.0  # how often the shared files behind a signer are looked at
EVENT_STREAM = "application/vnd.amazon.eventstream"

# ConverseStream exception events (":exception-type"), by what the Router should do.
_STREAM_ERRORS: Mapping[str, FailureKind] = {
    "throttlingException": FailureKind.RATE_LIMITED,
    "serviceUnavailableException": FailureKind.SERVER,
    "internalServerException": FailureKind.SERVER,
    "modelStreamErrorException": FailureKind.SERVER,
    "modelTimeoutException": FailureKind.TIMEOUT,
    "validationException": FailureKind.BAD_REQUEST,
    "accessDeniedException": FailureKind.AUTH,
}


def _error_fields(body: bytes) -> tuple[str, str]:
    """The message of an AWS JSON error body (``message`` or ``Message``), and its type if given."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "", ""
    if not isinstance(payload, dict):
        return "", ""
    message = payload.get("message", payload.get("Message"))
    kind = payload.get("__type", "")
    return (str(message) if isinstance(message, str) else ""), str(kind).rsplit("#", 1)[-1]


def bedrock_error(
    status: int, headers: Mapping[str, str], body: bytes, deployment: str | None
) -> UpstreamError:
    """A classified failure from an AWS error response (``x-amzn-ErrorType`` + ``message``)."""
    message, kind = _error_fields(body)
    kind = (headers.get("x-amzn-ErrorType") or kind).split(":", 1)[0]
    normal = (
        orjson.dumps({"error": {"type": kind or None, "message": message}}) if message else body
    )
    error = classify_status(status, headers, normal, deployment)
    if kind == "ValidationException" and "too long" in message.lower():
        error.kind = FailureKind.CONTEXT_WINDOW
    return error


def _stream_exception(headers: Mapping[str, Any], body: bytes, deployment: str | None) -> Exception:
    kind = str(headers.get(":exception-type") or headers.get(":error-code") or "")
    message, _ = _error_fields(body)
    if not message:
        message = str(headers.get(":error-message") or "")
    detail = upstream_message(None, {"type": kind, "message": message})
    failure = _STREAM_ERRORS.get(kind, FailureKind.SERVER)
    if kind == "validationException" and "too long" in message.lower():
        failure = FailureKind.CONTEXT_WINDOW
    return UpstreamError(failure, "mid-stream: " + detail, deployment=deployment)


def _stamps(files: ProfileFiles) -> tuple[FileStamp | None, ...]:
    """What changes when one of the shared files is rewritten or replaced."""
    return tuple(file_stamp(path) for path, _section in files)


def _signer(key_id: str, secret: Secret, token: Secret | None, region: str) -> SigV4Signer:
    return SigV4Signer(
        key_id,
        secret.reveal(),
        session_token=token.reveal() if token is not None else None,
        region=region,
        service=SERVICE,
    )


def _malformed(deployment: str | None, what: str) -> UpstreamError:
    return UpstreamError(FailureKind.SERVER, f"upstream sent {what}", deployment=deployment)


class BedrockAdapter:
    """One Bedrock deployment: the runtime endpoint, credentials and the model id."""

    wire_format = "bedrock"

    def __init__(
        self,
        base_url: str,
        aws: AwsSettings | None,
        api_key: Secret | None = None,
        *,
        model: str,
        deployment: str | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        self.model = model
        self.endpoint = Endpoint(base, {}, deployment)
        self._signer: SigV4Signer | None = None
        self._bearer: str | None = None
        self._region = aws.region if aws is not None else ""
        self._files: ProfileFiles = ()
        if api_key is not None:
            self._bearer = "Bearer " + api_key.reveal()
        elif aws is not None and aws.access_key_id and aws.secret_access_key is not None:
            self._signer = _signer(
                aws.access_key_id, aws.secret_access_key, aws.session_token, aws.region
            )
            self._files = aws.profile_files
        self._stamps = _stamps(self._files)
        self._checked = time.monotonic()
        self._refreshing: asyncio.Task[None] | None = None
        # botocore's encoding of a URI label: everything but unreserved characters
        prefix = f"{base}/model/{quote(model, safe='')}"
        self._converse = (URL(prefix + "/converse", encoded=True), prefix + "/converse")
        self._stream = (URL(prefix + "/converse-stream", encoded=True), prefix + "/converse-stream")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.endpoint!r}, model={self.model!r})"

    def _poke(self) -> None:
        """Credentials from the shared files are read again (off the event loop) when those
        files change, at most every ``CREDENTIAL_CHECK_SECONDS``."""
        if not self._files or self._refreshing is not None:
            return
        now = time.monotonic()
        if now - self._checked < CREDENTIAL_CHECK_SECONDS:
            return
        self._checked = now
        self._refreshing = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        try:
            signer = await asyncio.to_thread(self._reread)
            if signer is not None:
                self._signer = signer
        except Exception:  # retried at the next check; requests keep the current credentials
            log.exception(
                "bedrock credentials of %s: reading them again failed", self.endpoint.deployment
            )
        finally:
            self._refreshing = None

    def _reread(self) -> SigV4Signer | None:
        stamps = _stamps(self._files)
        if stamps == self._stamps:
            return None
        self._stamps = stamps
        key_id, secret, token, _region = read_profile(self._files)
        deployment = self.endpoint.deployment
        if key_id is None or secret is None:
            log.warning(
                "bedrock credentials of %s: gone from the shared files; keeping the current ones",
                deployment,
            )
            return None
        log.info(
            "bedrock credentials of %s: changed in the shared files; new requests use them",
            deployment,
        )
        return _signer(key_id, secret, token, self._region)

    def _headers(self, url: str, payload: bytes, accept: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self._signer is not None:
            self._poke()
            headers.update(self._signer.sign("POST", url, headers, payload))
        elif self._bearer is not None:
            headers["Authorization"] = self._bearer
        return headers

    # --- the Converse API itself

    async def converse(
        self, request: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> tuple[Json, str]:
        """A Converse call: the response and the request id AWS gave it."""
        deployment = self.endpoint.deployment
        url, text = self._converse
        payload = orjson.dumps(request)
        started = time.perf_counter()
        try:
            async with get_session().post(
                url,
                data=payload,
                headers=self._headers(text, payload, "application/json"),
                timeout=http_timeout,
            ) as response:
                data = await response.read()
                _waited(started)
                if response.status >= 400:
                    raise bedrock_error(response.status, response.headers, data, deployment)
                result = orjson.loads(data)
                ident = response.headers.get("x-amzn-RequestId") or uuid.uuid4().hex
        except Exception as exc:
            raise classify_exception(exc, deployment) from exc
        if not isinstance(result, dict):
            raise _malformed(deployment, "a response that is not a JSON object")
        return result, ident

    @asynccontextmanager
    async def converse_stream(
        self, request: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[tuple[str, AsyncIterator[tuple[str, Json]]]]:
        """A ConverseStream call: the request id, and its events as ``(event type, payload)``."""
        deployment = self.endpoint.deployment
        url, text = self._stream
        payload = orjson.dumps(request)
        started = time.perf_counter()
        try:
            response = await get_session().post(
                url,
                data=payload,
                headers=self._headers(text, payload, EVENT_STREAM),
                timeout=http_timeout,
            )
        except Exception as exc:
            raise classify_exception(exc, deployment) from exc
        _waited(started)
        try:
            if response.status >= 400:
                data = await response.read()
                raise bedrock_error(response.status, response.headers, data, deployment)
            ident = response.headers.get("x-amzn-RequestId") or uuid.uuid4().hex
            yield ident, self._events(response)
        finally:
            response.release()

    async def _events(self, response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, Json]]:
        deployment = self.endpoint.deployment
        decoder = EventStreamDecoder()
        content = response.content
        stopped = False
        while True:
            started = time.perf_counter()
            try:
                chunk = await content.readany()
            except Exception as exc:
                raise classify_exception(exc, deployment) from exc
            _waited(started)
            if not chunk:
                break
            try:
                messages = decoder.feed(chunk)
            except EventStreamError as exc:
                raise _malformed(deployment, f"a malformed event stream ({exc.reason})") from None
            for headers, body in messages:
                if headers.get(":message-type") != "event":
                    raise _stream_exception(headers, body, deployment)
                kind = str(headers.get(":event-type") or "")
                try:
                    event = orjson.loads(body)
                except orjson.JSONDecodeError:
                    event = None
                if not isinstance(event, dict):
                    raise _malformed(deployment, "a malformed stream event")
                yield kind, event
                if kind == "metadata":  # always the last event
                    return
                stopped = stopped or kind == "messageStop"
        if not stopped:
            raise stream_cut(deployment)

    # --- OpenAI format in and out

    async def chat(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> Json:
        result, ident = await self.converse(openai_to_converse(body), http_timeout)
        return converse_to_openai(result, body.get("model") or self.model, ident)

    async def chat_stream(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[Json]:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        async with self.converse_stream(openai_to_converse(body), http_timeout) as (ident, events):
            translator = ConverseToOpenAIStream(
                body.get("model") or self.model, ident, include_usage
            )
            async for kind, event in events:
                chunk = translator.feed(kind, event)
                if chunk is not None:
                    yield chunk

    # --- Anthropic format in and out

    async def messages(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> Json:
        result, ident = await self.converse(anthropic_to_converse(body), http_timeout)
        return converse_to_anthropic(result, body.get("model") or self.model, ident)

    async def messages_stream(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[Json]:
        request = anthropic_to_converse(body)
        async with self.converse_stream(request, http_timeout) as (ident, events):
            translator = ConverseToAnthropicStream(body.get("model") or self.model, ident)
            async for kind, event in events:
                for out in translator.feed(kind, event):
                    yield out
            for out in translator.finish():
                yield out
