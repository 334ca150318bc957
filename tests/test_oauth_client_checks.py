"""The OAuth client's checks one by one: `WWW-Authenticate` parsing, which resource metadata
names this server, the RFC 9207 `iss` rules, the well-known URLs tried, PKCE values and the
settings' own checks."""

from __future__ import annotations

import re

import pytest

from mcproute.oauth_client import OAuthError, OAuthSettings, authorization_code
from mcproute.oauth_client.challenge import merged, parse_challenges
from mcproute.oauth_client.metadata import ServerMetadata, metadata_urls, resource_matches
from mcproute.oauth_client.pkce import new_verifier, s256

ISSUER = "https://as.example.com"


def test_challenges_with_quoted_and_escaped_values() -> None:
    header = (
        'DPoP error="use_dpop_nonce", algs="ES256", '
        'Bearer realm="a \\"b\\", c", scope="mcp:basic mcp:write", '
        'resource_metadata="https://rs.example/.well-known/oauth-protected-resource/mcp"'
    )
    first, second = parse_challenges([header])
    assert (first.scheme, first.error) == ("dpop", "use_dpop_nonce")
    assert second.params["realm"] == 'a "b", c'
    assert second.scopes == ["mcp:basic", "mcp:write"]
    view = merged([first, second])
    assert view.schemes == ("dpop", "bearer")
    assert view.resource_metadata is not None
    assert view.resource_metadata.endswith("/oauth-protected-resource/mcp")
    assert merged(parse_challenges(["Bearer"])).params == {}
    assert parse_challenges(["=garbage"]) == []


@pytest.mark.parametrize(
    ("resource", "server", "matches"),
    [
        ("https://rs.example/mcp", "https://rs.example/mcp", True),
        ("https://rs.example", "https://rs.example/mcp", True),  # metadata at the root
        ("https://RS.example/mcp/", "https://rs.example/mcp", True),
        ("https://rs.example/mc", "https://rs.example/mcp", False),  # not a path segment
        ("https://rs.example/other", "https://rs.example/mcp", False),
        ("https://evil.example/mcp", "https://rs.example/mcp", False),
        ("http://rs.example/mcp", "https://rs.example/mcp", False),
        ("https://rs.example:8443/mcp", "https://rs.example/mcp", False),
    ],
)
def test_which_resource_metadata_names_this_server(
    resource: str, server: str, matches: bool
) -> None:
    assert resource_matches(resource, server) is matches


def callback(**query: str) -> str:
    return "http://127.0.0.1/cb?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_iss_rules() -> None:
    advertised = ServerMetadata(ISSUER, {"authorization_response_iss_parameter_supported": True})
    silent = ServerMetadata(ISSUER, {})
    assert authorization_code(callback(code="c", state="s", iss=ISSUER), "s", advertised) == "c"
    assert authorization_code(callback(code="c", state="s"), "s", silent) == "c"
    assert authorization_code(callback(code="c", state="s", iss=ISSUER), "s", silent) == "c"
    refusals = [
        (callback(code="c", state="s"), advertised, "no iss"),
        (callback(code="c", state="s", iss="https://evil.example"), advertised, "another"),
        (callback(code="c", state="s", iss="https://evil.example"), silent, "another"),
        (callback(code="c", state="s", iss=ISSUER + "/"), advertised, "another"),  # no normalizing
        (callback(code="c", state="other"), silent, "state"),
        (callback(error="access_denied", state="s"), silent, "refused: access_denied"),
        (callback(state="s"), silent, "no code"),
    ]
    for url, server, message in refusals:
        with pytest.raises(OAuthError, match=message):
            authorization_code(url, "s", server)


def test_a_refusal_names_no_code() -> None:
    with pytest.raises(OAuthError) as refused:
        authorization_code(callback(code="secret-code", state="x"), "s", ServerMetadata(ISSUER))
    assert "secret-code" not in str(refused.value)


def test_metadata_locations() -> None:
    assert metadata_urls("https://as.example") == [
        "https://as.example/.well-known/oauth-authorization-server",
        "https://as.example/.well-known/openid-configuration",
    ]
    assert metadata_urls("https://as.example/tenant1") == [
        "https://as.example/.well-known/oauth-authorization-server/tenant1",
        "https://as.example/.well-known/openid-configuration/tenant1",
        "https://as.example/tenant1/.well-known/openid-configuration",
    ]


def test_pkce_values() -> None:
    """RFC 7636 §4.1: 43 to 128 unreserved characters; S256 is 43 (a SHA-256, unpadded). The
    conformance suite's authorization servers check the challenge against the verifier."""
    verifier = new_verifier()
    assert 43 <= len(verifier) <= 128
    assert re.fullmatch(r"[A-Za-z0-9._~-]+", verifier)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", s256(verifier))
    assert new_verifier() != verifier


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="grant"):
        OAuthSettings(grant="implicit")
    with pytest.raises(ValueError, match="client_id"):
        OAuthSettings(grant="client_credentials")
    with pytest.raises(ValueError, match="assertion"):
        OAuthSettings(grant="jwt_bearer")
    assert "hunter2" not in repr(OAuthSettings(client_id="c", client_secret="hunter2"))
