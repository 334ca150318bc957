"""What an introspection endpoint (RFC 7662) answers, taken strictly: a token passes only when
the answer says `active: true` in so many words, for this resource, with a subject, within its
times, from a trusted issuer; an answer that is not a JSON object is a 503, never a pass. Served
over real HTTP by a small endpoint that answers what the test sets."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web

from mcp_support import serve
from mcproute.secret import Secret
from mcproute.security.oauth.settings import OAuthSettings
from mcproute.security.oauth.tokens import TokenRefused, VerificationUnavailable
from mcproute.security.oauth.validator import TokenValidator

RESOURCE = "https://gw.example.com/mcp"
GOOD = {"active": True, "sub": "ada", "aud": RESOURCE, "scope": "mcp"}


async def validate(answer: Any) -> Any:
    async def introspect(_: web.Request) -> web.Response:
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/introspect", introspect)
    async with serve(app) as url, aiohttp.ClientSession() as http:
        settings = OAuthSettings(
            issuers=("https://login.example.com",),
            audience=RESOURCE,
            introspection_endpoint=url.removesuffix("/mcp") + "/introspect",
            client_id="gateway",
            client_secret=Secret("introspection-secret"),
        )
        return await TokenValidator(settings).validate(http, "an-opaque-token")


async def test_a_good_answer_passes() -> None:
    principal = await validate({**GOOD, "exp": 9_999_999_999, "nbf": 0})
    assert principal.subject == "ada"
    assert "mcp" in principal.scopes


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"active": "true"}, "not active"),
        ({"active": 1}, "not active"),
        ({"exp": "9999999999"}, "'exp' is not a NumericDate"),
        ({"exp": True}, "'exp' is not a NumericDate"),
        ({"nbf": [0]}, "'nbf' is not a NumericDate"),
        ({"exp": 1}, "expired"),
        ({"nbf": 9_999_999_999}, "not yet valid"),
        ({"iss": "https://elsewhere.example.com"}, "issuer is not trusted"),
        ({"iss": ["https://login.example.com"]}, "issuer is not trusted"),
        ({"aud": "https://other.example.com/mcp"}, "not for this resource"),
        ({"aud": {RESOURCE: True}}, "not for this resource"),
        ({"sub": 7}, "no subject"),
        ({"scope": {"mcp": True}}, "scope claim"),
        ({"cnf": {"jkt": "thumbprint"}}, "sender-constrained"),
    ],
)
async def test_answers_that_do_not_pass(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(TokenRefused, match=reason):
        await validate({**GOOD, **changes})


@pytest.mark.parametrize("answer", [[GOOD], "active", None, 1])
async def test_an_answer_that_is_not_an_object_is_unavailable(answer: Any) -> None:
    with pytest.raises(VerificationUnavailable, match="introspection failed"):
        await validate(answer)
