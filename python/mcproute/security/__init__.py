"""Security: encrypted context (AES-256-GCM keyring), request signatures (RFC 9421), API keys.

The work happens in the Rust core; this package adds loading keys from the environment or a
file and an API key manager (scopes, expiry, rotation grace) over a small store interface.
"""

from mcproute._core import (
    AeadError,
    ApiKeyError,
    ApiKeyHasher,
    Keyring,
    KeyringError,
    RequestSigner,
    SignatureError,
    SignatureVerifier,
    VerifiedSignature,
    associated_data,
    content_digest,
    hmac_sha256,
    hmac_sha256_verify,
    parse_api_key,
)
from mcproute.security.apikeys import ApiKeyManager, ApiKeyRecord, ApiKeyStore, MemoryApiKeyStore
from mcproute.security.keys import keyring_from_env, keyring_from_file

__all__ = [
    "AeadError",
    "ApiKeyError",
    "ApiKeyHasher",
    "ApiKeyManager",
    "ApiKeyRecord",
    "ApiKeyStore",
    "Keyring",
    "KeyringError",
    "MemoryApiKeyStore",
    "RequestSigner",
    "SignatureError",
    "SignatureVerifier",
    "VerifiedSignature",
    "associated_data",
    "content_digest",
    "hmac_sha256",
    "hmac_sha256_verify",
    "keyring_from_env",
    "keyring_from_file",
    "parse_api_key",
]
