"""Azure OpenAI adapter: the OpenAI wire format at Azure's deployment paths.

Two URL shapes, chosen by ``api_version``:

- a dated version (default ``DEFAULT_API_VERSION``): ``{endpoint}/openai/deployments/{model}/
  chat/completions?api-version=...``, where the configured ``model`` is the Azure deployment name;
- ``"v1"``: the version-less ``{endpoint}/openai/v1/chat/completions`` API, where the deployment
  name travels as the body's ``model``. An endpoint ending in ``/openai/v1`` means it too.

The credential is an ``api-key`` header, or with ``auth: entra_id`` a Microsoft Entra ID access
token sent as ``Authorization: Bearer`` (re-read from its ``file:`` like any provider key, so an
external token refresher can rewrite the file).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import aiohttp

from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.http import Endpoint, get_json
from mcproute.models.openai import OpenAIAdapter
from mcproute.secret import Secret

DEFAULT_API_VERSION = "2024-10-21"  # the newest generally available dated version
V1 = "v1"
_CONFIG_CODES = ("DeploymentNotFound", "InvalidApiVersion", "MissingApiVersionParameter")


def azure_urls(endpoint: str, deployment: str, api_version: str | None) -> tuple[str, str, str]:
    """(base URL of the calls, their query string, the resource's ``/openai`` URL)."""
    base = endpoint.rstrip("/")
    version = api_version or DEFAULT_API_VERSION
    if base.endswith("/openai/v1"):
        base, version = base.removesuffix("/v1"), V1
    resource = base if base.endswith("/openai") else base + "/openai"
    if version == V1:
        return resource + "/v1", "", resource + "/v1"
    query = "?api-version=" + quote(version, safe="")
    return resource + "/deployments/" + quote(deployment, safe=""), query, resource


def _reclassified(exc: UpstreamError) -> UpstreamError:
    """A missing deployment or an api-version Azure refuses is this deployment's fault, not the
    caller's nor its key's: a broken deployment (HTTP 502, tried elsewhere, counts toward
    ejection), so that another key is not tried in vain."""
    text = str(exc)
    lowered = text.lower()
    if exc.kind is FailureKind.BAD_REQUEST and (
        any(code in text for code in _CONFIG_CODES)
        or "api-version" in lowered
        or "api version" in lowered
    ):
        return UpstreamError(
            FailureKind.SERVER,
            text + " (check this deployment's endpoint, model (the Azure deployment name)"
            " and api_version)",
            status=exc.status,
            deployment=exc.deployment,
        )
    return exc


class AzureOpenAIAdapter(OpenAIAdapter):
    """One Azure OpenAI deployment: resource endpoint, deployment name, api-version, key."""

    relays_sse_bytes = False  # its opening prompt_filter_results chunk is dropped

    def __init__(
        self,
        base_url: str,
        api_key: Secret | None = None,
        *,
        model: str | None = None,
        deployment: str | None = None,
        api_version: str | None = None,
        auth: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not model:
            raise ValueError("an Azure OpenAI deployment needs its deployment name as model")
        credential: dict[str, str] = {}
        if api_key is not None:
            if auth == "entra_id":
                credential["Authorization"] = "Bearer " + api_key.reveal()
            else:
                credential["api-key"] = api_key.reveal()
        super().__init__(
            base_url,
            None,
            model=model,
            deployment=deployment,
            headers={**(headers or {}), **credential},
        )
        base, query, self._resource = azure_urls(base_url, model, api_version)
        self.api_version = V1 if not query else query.rpartition("=")[2]
        self.endpoint = replace(self.endpoint, base_url=base, query=query)

    async def chat(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        try:
            return await super().chat(body, http_timeout)
        except UpstreamError as exc:
            raise _reclassified(exc) from None

    async def chat_stream(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        try:
            async for chunk in super().chat_stream(body, http_timeout):
                # Azure opens with a chunk of prompt_filter_results only (no choices, empty id)
                if chunk.get("choices") or chunk.get("usage"):
                    yield chunk
        except UpstreamError as exc:
            raise _reclassified(exc) from None

    async def embeddings(
        self, body: Mapping[str, Any], http_timeout: aiohttp.ClientTimeout | None = None
    ) -> dict[str, Any]:
        try:
            return await super().embeddings(body, http_timeout)
        except UpstreamError as exc:
            raise _reclassified(exc) from None

    async def models(
        self, http_timeout: aiohttp.ClientTimeout | None = None
    ) -> list[dict[str, Any]]:
        """The models of the resource (``/openai/models``), not only this deployment."""
        resource = Endpoint(
            self._resource, self.endpoint.headers, self.endpoint.deployment, self.endpoint.query
        )
        result = await get_json(resource, "/models", http_timeout)
        data = result.get("data") if isinstance(result, dict) else None
        return list(data) if isinstance(data, list) else []
