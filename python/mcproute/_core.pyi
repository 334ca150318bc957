__version__: str

# --- security
from collections.abc import Iterable, Mapping, Sequence
from typing import final

class SignatureError(ValueError):
    reason: str

class AeadError(ValueError):
    reason: str

class KeyringError(ValueError):
    reason: str

class ApiKeyError(ValueError):
    reason: str

_Headers = Mapping[str, str] | Iterable[tuple[str, str]]

@final
class Keyring:
    def __new__(cls, *, max_encryptions: int = ..., warn_encryptions: int = ...) -> Keyring: ...
    def load_spec(self, spec: str) -> None: ...
    def add(self, key_id: int, key: bytes) -> None: ...
    def promote(self, key_id: int) -> None: ...
    def retire(self, key_id: int) -> None: ...
    @property
    def primary(self) -> int | None: ...
    @property
    def max_encryptions(self) -> int: ...
    @property
    def warn_encryptions(self) -> int: ...
    def keys(self) -> list[tuple[int, str, int]]: ...
    def encrypt(self, plaintext: bytes, tenant: str, context_id: str) -> bytes: ...
    def decrypt(self, ciphertext: bytes, tenant: str, context_id: str) -> bytes: ...
    def reencrypt(self, ciphertext: bytes, tenant: str, context_id: str) -> bytes | None: ...

def associated_data(tenant: str, context_id: str) -> bytes: ...
def aes256gcm_open(
    key: bytes, nonce: bytes, associated_data: bytes, ciphertext: bytes, tag: bytes
) -> bytes: ...

@final
class RequestSigner:
    def __new__(
        cls,
        key_id: str,
        key: bytes,
        *,
        label: str = ...,
        components: Sequence[str] | None = None,
        tag: str | None = None,
        include_alg: bool = True,
        include_nonce: bool = True,
        expires_in: int | None = None,
    ) -> RequestSigner: ...
    @property
    def key_id(self) -> str: ...
    def sign(
        self,
        method: str,
        url: str,
        headers: _Headers,
        body: bytes | None = None,
        *,
        created: int | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]: ...

@final
class VerifiedSignature:
    @property
    def label(self) -> str: ...
    @property
    def key_id(self) -> str: ...
    @property
    def components(self) -> list[str]: ...
    @property
    def created(self) -> int: ...
    @property
    def expires(self) -> int | None: ...
    @property
    def nonce(self) -> str | None: ...
    @property
    def tag(self) -> str | None: ...

@final
class SignatureVerifier:
    def __new__(
        cls,
        keys: Mapping[str, bytes],
        *,
        window: int = ...,
        require_nonce: bool = True,
        required_components: Sequence[str] | None = None,
        expected_tag: str | None = None,
        replay_capacity: int = ...,
    ) -> SignatureVerifier: ...
    def set_key(self, key_id: str, key: bytes) -> None: ...
    def remove_key(self, key_id: str) -> bool: ...
    def key_ids(self) -> list[str]: ...
    def verify(
        self,
        method: str,
        url: str,
        headers: _Headers,
        body: bytes | None = None,
        *,
        label: str | None = None,
        now: int | None = None,
    ) -> VerifiedSignature: ...

def content_digest(body: bytes) -> str: ...
def hmac_sha256(key: bytes, message: bytes) -> bytes: ...
def hmac_sha256_verify(key: bytes, message: bytes, tag: bytes) -> bool: ...

@final
class ApiKeyHasher:
    def __new__(cls, pepper: bytes) -> ApiKeyHasher: ...
    def issue(self, env: str) -> tuple[str, str, bytes]: ...
    def hash_key(self, key: str) -> tuple[str, str, bytes]: ...
    def verify(self, key: str, stored_hash: bytes) -> tuple[str, str]: ...

def parse_api_key(key: str) -> tuple[str, str]: ...

# --- end security
