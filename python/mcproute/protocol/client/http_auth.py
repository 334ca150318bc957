"""The auth hook of the HTTP transports (`mcproute.oauth_client.OAuthClient` is one): headers
for each request, and on a 401 or 403 whether to send the request again after doing what the
challenge asks (a token, a wider scope, a DPoP nonce). Without a hook, requests go as they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import aiohttp

AUTH_STATUSES = (401, 403)
MAX_AUTH_ROUNDS = 3  # 401 -> token, 403 -> step-up, a DPoP nonce: then the server's answer


class HTTPAuth(Protocol):
    async def headers(self, method: str, url: str) -> dict[str, str]: ...

    async def challenged(
        self, status: int, headers: Mapping[str, str], url: str, sent: Mapping[str, str]
    ) -> bool: ...


@contextlib.asynccontextmanager
async def authorized(
    http: aiohttp.ClientSession,
    auth: HTTPAuth | None,
    verb: str,
    url: str,
    headers: dict[str, str],
    **options: Any,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """One HTTP exchange through the hook: its headers on every attempt (a DPoP proof is good
    for one request), and the request sent again while a 401 or 403 gets it what it needs."""

    async def send() -> tuple[dict[str, str], aiohttp.ClientResponse]:
        sent = headers if auth is None else {**headers, **await auth.headers(verb, url)}
        return sent, await http.request(verb, url, headers=sent, **options)

    for attempt in range(MAX_AUTH_ROUNDS + 1):
        try:
            sent, resp = await send()
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            if attempt == 0:
                raise
            # A reset with no answer after an authorization flow, which can outlast the
            # server's keep-alive: once more, on a fresh connection.
            sent, resp = await send()
        try:
            if auth is not None and resp.status in AUTH_STATUSES and attempt < MAX_AUTH_ROUNDS:
                await resp.read()
                if await auth.challenged(resp.status, resp.headers, url, sent):
                    continue
            yield resp
            return
        finally:
            resp.release()
    raise AssertionError("unreachable: the last attempt yields its response")
