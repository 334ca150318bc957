"""Google Gemini adapter: the Gemini API (API key) and Vertex AI (OAuth access token).

Speaks OpenAI's format to the rest of the gateway (``chat``, ``chat_stream``, ``embeddings``)
and Gemini's upstream, translating with ``translate_gemini``:

- Gemini API: ``{endpoint}/v1beta/models/{model}:generateContent``, ``:streamGenerateContent
  ?alt=sse``, ``:embedContent`` / ``:batchEmbedContents``; the key in ``x-goog-api-key``.
- Vertex AI (``project`` and ``location`` set): ``{endpoint}/v1/projects/{project}/locations/
  {location}/publishers/google/models/{model}:...``, embeddings through ``:predict``; the
  credential is sent as ``Authorization: Bearer``: an access token (best a ``file:`` that an
  external token source refreshes), or with ``auth: service_account`` a token this adapter
  obtains and renews from a service account's JSON key (``gcp_token``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import aiohttp

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.http import (
    Endpoint,
    classify_status,
    decode_event,
    open_stream,
    post_json,
    stream_cut,
)
from mcproute.models.translate_gemini import (
    GeminiToOpenAIStream,
    embedding_inputs,
    gemini_to_openai_response,
    openai_embeddings,
    openai_to_gemini_request,
)
from mcproute.provider_defaults import DEFAULT_ENDPOINTS
from mcproute.secret import Secret

if TYPE_CHECKING:
    from mcproute.models.gcp_token import ServiceAccountTokens

# Gemini answers 400 INVALID_ARGUMENT for these; they are ours to fix, or the prompt's size.
_AUTH_MARKERS = ("api key not valid", "api_key_invalid", "api key expired")
_CONTEXT_MARKERS = ("exceeds the maximum number of tokens", "input token count")


def gemini_base(endpoint: str, project: str | None, location: str | None) -> tuple[str, bool]:
    """(URL that ``/{model}:method`` is appended to, whether it is Vertex AI)."""
    base = endpoint.rstrip("/")
    if project is None or location is None:
        path = urlsplit(base).path
        return (base if path else base + "/v1beta") + "/models", False
    if base == DEFAULT_ENDPOINTS["gemini"]:  # no endpoint of its own: the location's host
        host = (
            "aiplatform.googleapis.com"
            if location == "global"
            else f"{location}-aiplatform.googleapis.com"
        )
        base = "https://" + host
    if not urlsplit(base).path:
        base += "/v1"
    scope = f"/projects/{quote(project, safe='')}/locations/{quote(location, safe='')}"
    return base + scope + "/publishers/google/models", True


def _reclassified(exc: UpstreamError) -> UpstreamError:
    """Gemini reports a bad key and an oversized prompt as HTTP 400 INVALID_ARGUMENT; an
    unknown model (404) is this deployment's fault, not the caller's nor its key's: a broken
    deployment, tried elsewhere."""
    if exc.kind is not FailureKind.BAD_REQUEST:
        return exc
    text = str(exc).lower()
    kind = None
    if any(marker in text for marker in _AUTH_MARKERS):
        kind = FailureKind.AUTH
    elif exc.status == 404:
        kind = FailureKind.SERVER
    elif any(marker in text for marker in _CONTEXT_MARKERS):
        kind = FailureKind.CONTEXT_WINDOW
    if kind is None:
        return exc
    return UpstreamError(kind, str(exc), status=exc.status, deployment=exc.deployment)


class GeminiAdapter:
    """One Gemini model on the Gemini API or on Vertex AI."""

    wire_format = "gemini"

    def __init__(
        self,
        base_url: str = DEFAULT_ENDPOINTS["gemini"],
        api_key: Secret | None = None,
        *,
        model: str | None = None,
        deployment: str | None = None,
        auth: str | None = None,
        project: str | None = None,
        location: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not model:
            raise ValueError("a Gemini deployment needs its model name")
        self.model = model.removeprefix("models/")
        base, self.vertex = gemini_base(base_url, project, location)
        all_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        all_headers.update(headers or {})
        self._tokens: ServiceAccountTokens | None = None
        if api_key is not None and auth == "service_account":
            # imported here: only service account keys need the JOSE library
            from mcproute.models.gcp_token import ServiceAccountTokens
            from mcproute.models.service_account import ServiceAccountError

            try:
                self._tokens = ServiceAccountTokens(api_key, deployment)
            except ServiceAccountError as exc:
                raise ServiceAccountError(f"deployment {deployment}: {exc}") from None
        elif api_key is not None:
            if (auth or ("bearer" if self.vertex else "api_key")) == "bearer":
                all_headers["Authorization"] = "Bearer " + api_key.reveal()
            else:
                all_headers["x-goog-api-key"] = api_key.reveal()
        self.endpoint = Endpoint(base + "/" + quote(self.model, safe=""), all_headers, deployment)
        self._token: Secret | None = None  # the token self._authorized carries
        self._authorized = self.endpoint
        self._model_ref = (
            f"projects/{project}/locations/{location}/publishers/google/models/{self.model}"
            if self.vertex
            else "models/" + self.model
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.endpoint!r}, model={self.model!r})"

    async def _endpoint(self, http_timeout: aiohttp.ClientTimeout | None) -> Endpoint:
        """The endpoint with a fresh access token when a service account key is configured."""
        tokens = self._tokens
        if tokens is None:
            return self.endpoint
        token = tokens.current() or await tokens.refresh(http_timeout)
        if token is not self._token:
            headers = {**self.endpoint.headers, "Authorization": "Bearer " + token.reveal()}
            self._authorized = replace(self.endpoint, headers=headers)
            self._token = token
        return self._authorized

    async def _post(
        self, method: str, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None
    ) -> Any:
        try:
            endpoint = await self._endpoint(http_timeout)
            return await post_json(endpoint, ":" + method, body, http_timeout)
        except UpstreamError as exc:
            raise _reclassified(exc) from None

    async def chat(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        """An OpenAI chat completion request, answered by ``generateContent``."""
        response = await self._post("generateContent", openai_to_gemini_request(body), http_timeout)
        if not isinstance(response, dict):
            raise UpstreamError(
                FailureKind.SERVER,
                "upstream sent a non-object response",
                deployment=self.endpoint.deployment,
            )
        return gemini_to_openai_response(response, self.model, self.endpoint.deployment)

    async def chat_stream(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """OpenAI chunks from ``streamGenerateContent?alt=sse``, each sent as it arrives; a
        usage chunk ends the stream when the request asks for one (``include_usage``)."""
        deployment = self.endpoint.deployment
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        translator = GeminiToOpenAIStream(self.model, deployment)
        request = openai_to_gemini_request(body)
        try:
            endpoint = await self._endpoint(http_timeout)
            async with open_stream(
                endpoint, ":streamGenerateContent?alt=sse", request, http_timeout
            ) as events:
                async for event in events:
                    payload = decode_event(event, deployment)
                    if not isinstance(payload, dict) or "error" in payload:
                        raise classify_status(500, {}, event.data, deployment, mid_stream=True)
                    for chunk in translator.feed(payload):
                        yield chunk
        except UpstreamError as exc:
            raise _reclassified(exc) from None
        if not translator.finished:  # Gemini has no terminator: the finish reason is the end
            raise stream_cut(deployment)
        if include_usage:
            yield translator.usage_chunk()

    async def embeddings(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        """An OpenAI embeddings request, answered by ``embedContent`` / ``batchEmbedContents``
        (Vertex AI: ``predict``)."""
        texts = embedding_inputs(body, self.endpoint.deployment)
        dims = body.get("dimensions")
        if self.vertex:
            return await self._vertex_embeddings(texts, body, dims, http_timeout)
        requests = []
        for text in texts:
            item: dict[str, Any] = {
                "model": self._model_ref,
                "content": {"parts": [{"text": text}]},
            }
            if dims is not None:
                item["outputDimensionality"] = dims
            requests.append(item)
        if len(requests) == 1:
            result = await self._post("embedContent", requests[0], http_timeout)
            vectors = [_values(result.get("embedding") if isinstance(result, dict) else None)]
        else:
            result = await self._post("batchEmbedContents", {"requests": requests}, http_timeout)
            items = result.get("embeddings") if isinstance(result, dict) else None
            vectors = [_values(e) for e in items or []]
        self._check_count(vectors, texts)
        # the Gemini API reports no token count for embeddings: words are the estimate
        return openai_embeddings(vectors, body, self.model, sum(len(t.split()) for t in texts))

    async def _vertex_embeddings(
        self,
        texts: list[str],
        body: Mapping[str, Any],
        dims: Any,
        http_timeout: aiohttp.ClientTimeout | None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"instances": [{"content": t} for t in texts]}
        if dims is not None:
            request["parameters"] = {"outputDimensionality": dims}
        result = await self._post("predict", request, http_timeout)
        predictions = result.get("predictions") if isinstance(result, dict) else None
        vectors: list[list[float]] = []
        tokens = 0
        for prediction in predictions or []:
            embedding = prediction.get("embeddings") if isinstance(prediction, dict) else None
            vectors.append(_values(embedding))
            stats = embedding.get("statistics") if isinstance(embedding, dict) else None
            tokens += int((stats or {}).get("token_count") or 0)
        self._check_count(vectors, texts)
        return openai_embeddings(vectors, body, self.model, tokens)

    def _check_count(self, vectors: list[list[float]], texts: list[str]) -> None:
        if len(vectors) != len(texts) or not all(vectors):
            raise UpstreamError(
                FailureKind.SERVER,
                f"upstream sent {len(vectors)} embeddings for {len(texts)} inputs",
                deployment=self.endpoint.deployment,
            )


def _values(embedding: Any) -> list[float]:
    values = embedding.get("values") if isinstance(embedding, dict) else None
    return [float(v) for v in values] if isinstance(values, list) else []
