"""The browser step without a browser, for authorization servers that approve without asking
anyone (test servers, a server that logs the client in by itself): follow the authorization
URL's redirects, cookies kept, until one leads to the request's `redirect_uri`, and return that
callback URL (which is never requested). A server that shows a login page instead, one that
waits for a user, gets a clear error."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp

from mcproute.oauth_client.errors import OAuthError
from mcproute.oauth_client.metadata import FETCH_TIMEOUT, origin

MAX_REDIRECTS = 10
REDIRECTS = (301, 302, 303, 307, 308)


async def headless_authorize(url: str) -> str:
    """The callback URL the authorization server sends the "browser" to."""
    redirect_uri = (parse_qs(urlsplit(url).query).get("redirect_uri") or [""])[0]
    if not redirect_uri:
        raise OAuthError("the authorization URL has no redirect_uri")
    jar = aiohttp.CookieJar(unsafe=True)  # a login session on an IP-address host
    try:
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            for _ in range(MAX_REDIRECTS):
                async with http.get(url, allow_redirects=False, timeout=FETCH_TIMEOUT) as resp:
                    location = resp.headers.get("Location")
                    if resp.status not in REDIRECTS or not location:
                        raise OAuthError(
                            f"authorization at {origin(url)} answered HTTP {resp.status}, not a "
                            "redirect: it waits for a user in a browser"
                        )
                url = urljoin(url, location)
                if url.split("?", 1)[0] == redirect_uri.split("?", 1)[0]:
                    return url
    except (aiohttp.ClientError, TimeoutError) as e:
        raise OAuthError(f"authorization at {origin(url)}: {type(e).__name__}") from None
    raise OAuthError(f"authorization at {origin(url)}: more than {MAX_REDIRECTS} redirects")
