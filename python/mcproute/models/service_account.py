"""A Google service account's JSON key, read and checked (the configuration checks it at load
time; ``gcp_token`` signs with it). Messages name fields, never values."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from mcproute.secret import Secret

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
_FIELDS = ("client_email", "private_key")


class ServiceAccountError(ValueError):
    """The service account key cannot be used; the message names the field, never a value."""


@dataclass(frozen=True)
class ServiceAccountKey:
    email: str
    private_key: Secret = field(repr=False)
    key_id: str | None
    token_uri: str


def parse_key(text: Secret) -> ServiceAccountKey:
    try:
        info = orjson.loads(text.reveal())
    except orjson.JSONDecodeError:
        raise ServiceAccountError("the service account key is not JSON") from None
    if not isinstance(info, dict):
        raise ServiceAccountError("the service account key is not a JSON object")
    if info.get("type", "service_account") != "service_account":
        raise ServiceAccountError("the key's type is not service_account")
    for name in _FIELDS:
        if not isinstance(info.get(name), str) or not info[name]:
            raise ServiceAccountError(f"the service account key has no {name}")
    if "PRIVATE KEY-----" not in info["private_key"]:
        raise ServiceAccountError("the key's private_key is not a PEM private key")
    key_id = info.get("private_key_id")
    token_uri = info.get("token_uri")
    return ServiceAccountKey(
        email=info["client_email"],
        private_key=Secret(info["private_key"]),
        key_id=key_id if isinstance(key_id, str) and key_id else None,
        token_uri=token_uri if isinstance(token_uri, str) and token_uri else GOOGLE_TOKEN_URI,
    )
