"""The browser step without a browser, for authorization servers that approve at once (test
servers, an enterprise server that trusts the client): request the authorization URL and
return where it redirects. A server that shows a login page instead gets a clear error."""

from __future__ import annotations

from urllib.parse import urljoin

import aiohttp

from mcproute.oauth_client.errors import OAuthError
from mcproute.oauth_client.metadata import FETCH_TIMEOUT, origin


async def headless_authorize(url: str) -> str:
    """The callback URL the authorization endpoint redirects to (never followed)."""
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, allow_redirects=False, timeout=FETCH_TIMEOUT) as resp,
        ):
            location = resp.headers.get("Location")
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as e:
        raise OAuthError(f"authorization endpoint {origin(url)}: {type(e).__name__}") from None
    if status not in (301, 302, 303, 307, 308) or not location:
        raise OAuthError(
            f"authorization endpoint {origin(url)} answered HTTP {status}, not a redirect: "
            "it wants a user in a browser"
        )
    return urljoin(url, location)
