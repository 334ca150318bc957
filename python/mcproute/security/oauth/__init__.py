"""`/mcp` as an OAuth 2.1 protected resource: settings (`auth.oauth`), discovery documents
(RFC 8414 read, RFC 9728 published), JWKS caching, access-token validation (JWTs with joserfc,
opaque tokens by RFC 7662 introspection) and the mapping of token scopes onto ours.

Modules are imported by name (`mcproute.security.oauth.settings`, ...): the configuration reads
the settings without needing joserfc, which only the validator imports (the `oauth` extra)."""
