"""The headers of every HTML page mcproute serves (the dashboard, the link confirmation): a
strict Content-Security-Policy whose only sources are the page's own nonce, no framing (no
clickjacking), no caching and no referrer."""

from __future__ import annotations

from aiohttp import web


def html_page(
    body: str, nonce: str, status: int = 200, form_action: tuple[str, ...] = ()
) -> web.Response:
    """`form_action`: origins a form post may end up at besides this one (the CSP's
    `form-action` also governs where the post redirects)."""
    response = web.Response(text=body, status=status, content_type="text/html")
    forms = " ".join(("'self'", *form_action))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        f"connect-src 'self'; form-action {forms}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
