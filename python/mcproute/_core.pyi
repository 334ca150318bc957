"""Type stubs for the Rust extension `mcproute._core` (checked by mypy.stubtest)."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal, final

__version__: Final[str]

# --- JSON-RPC / MCP codec ------------------------------------------------------------------

SUPPORTED_VERSIONS: Final[list[str]]
LATEST_VERSION: Final[str]
LATEST_LEGACY_VERSION: Final[str]

class ProtocolError(ValueError):
    """A JSON-RPC/MCP protocol error with its JSON-RPC `code`."""

    code: int
    offset: int | None
    data: Any
    id: int | str | None

@final
class Message:
    """A validated message: kind, id, method, routing name and version, plus the raw bytes."""

    @property
    def kind(self) -> Literal["request", "notification", "response", "error"]: ...
    @property
    def id(self) -> int | str | None: ...
    @property
    def method(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def protocol_version(self) -> str: ...
    @property
    def era(self) -> Literal["legacy", "modern"]: ...
    @property
    def raw(self) -> bytes: ...
    @property
    def result_type(self) -> str | None: ...
    @property
    def tool_error(self) -> bool: ...
    @property
    def error_code(self) -> int | None: ...
    def params(self) -> dict[str, Any]: ...
    def splice(
        self,
        *,
        id: int | str | None = None,
        name: str | None = None,
        result_set: bytes | None = None,
        result_drop: Sequence[str] | None = None,
    ) -> bytes: ...
    def to_python(self) -> Any: ...

@final
class Codec:
    def __new__(cls, *, max_size: int = ..., max_depth: int = 64) -> Codec: ...
    @property
    def max_size(self) -> int: ...
    @property
    def max_depth(self) -> int: ...
    def parse(
        self, data: bytes, *, version: str | None = None, result_of: str | None = None
    ) -> Message | list[Message | ProtocolError]: ...
    def loads(self, data: bytes) -> Any: ...

def parse(
    data: bytes, *, version: str | None = None, result_of: str | None = None
) -> Message | list[Message | ProtocolError]: ...
def loads(data: bytes) -> Any: ...
def validate(version: str, type_name: str, data: bytes) -> None: ...
def type_names(version: str) -> list[str]: ...
def negotiate(requested: str) -> str: ...
def detect_era(data: bytes) -> Literal["legacy", "modern", "unknown"]: ...
def unsupported_version_error(requested: str) -> ProtocolError: ...
def encode_result(id: int | str, result: bytes) -> bytes: ...
def encode_error(
    id: int | str | None, code: int, message: str, data: bytes | None = None
) -> bytes: ...
def encode_request(id: int | str | None, method: str, params: bytes | None = None) -> bytes: ...

# --- Routing ---------------------------------------------------------------------------------

STRATEGIES: Final[list[str]]

class NoDeploymentAvailable(LookupError):
    """No deployment can take an attempt (none weighted, or all saturated / cooling down)."""

@final
class Pick:
    """The deployment chosen for one attempt; report exactly one outcome."""

    @property
    def name(self) -> str: ...
    @property
    def elapsed(self) -> float: ...
    def first_byte(self) -> bool: ...
    def success(self, latency_s: float | None = None) -> bool: ...
    def failure(self, latency_s: float | None = None) -> bool: ...
    def rate_limited(self, retry_after_s: float | None = None) -> bool: ...
    def cancel(self) -> bool: ...

@final
class Balancer:
    """One model group's deployments, health and balancing strategy (thread-safe)."""

    def __new__(
        cls,
        strategy: str = "peak_ewma",
        *,
        consecutive_failures: int = 5,
        base_ejection_s: float = 30.0,
        max_ejection_s: float = 300.0,
        max_ejected_share: float = 0.5,
        panic_threshold: float = 0.5,
        default_cooldown_s: float = 1.0,
        max_cooldown_s: float = 60.0,
        slow_start_s: float = 0.0,
        slow_start_min: float = 0.1,
        ewma_tau_s: float = 10.0,
        latency_multiple: float = 5.0,
        latency_min_s: float = 1.0,
        seed: int | None = None,
    ) -> Balancer: ...
    @property
    def strategy(self) -> str: ...
    def upsert(
        self, name: str, weight: float = 1.0, max_concurrency: int | None = None
    ) -> None: ...
    def retain(self, names: list[str]) -> None: ...
    def set_weight(self, name: str, weight: float) -> bool: ...
    def names(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def pick(self, exclude: list[str] | None = None) -> Pick: ...
    def stats(self) -> dict[str, dict[str, Any]]: ...

# --- security

class SignatureError(ValueError):
    reason: str

class AeadError(ValueError):
    reason: str

class KeyringError(ValueError):
    reason: str

class ApiKeyError(ValueError):
    reason: str

class EventStreamError(ValueError):
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
class SigV4Signer:
    def __new__(
        cls,
        access_key_id: str,
        secret_access_key: str,
        *,
        session_token: str | None = None,
        region: str,
        service: str,
    ) -> SigV4Signer: ...
    @property
    def access_key_id(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def service(self) -> str: ...
    def sign(
        self,
        method: str,
        url: str,
        headers: _Headers,
        body: bytes | None = None,
        *,
        payload_hash: str | None = None,
        timestamp: int | None = None,
    ) -> dict[str, str]: ...
    def canonical_request(
        self,
        method: str,
        url: str,
        headers: _Headers,
        body: bytes | None = None,
        *,
        payload_hash: str | None = None,
        timestamp: int | None = None,
    ) -> str: ...

_EventHeaderValue = bool | int | bytes | str

@final
class EventStreamDecoder:
    def __new__(cls) -> EventStreamDecoder: ...
    def feed(self, chunk: bytes) -> list[tuple[dict[str, _EventHeaderValue], bytes]]: ...
    def finish(self) -> None: ...
    @property
    def pending(self) -> int: ...

def encode_event_message(headers: Sequence[tuple[str, str]], payload: bytes) -> bytes: ...

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
    def verify(self, key: str, stored_env: str, stored_hash: bytes) -> tuple[str, str]: ...

def parse_api_key(key: str) -> tuple[str, str]: ...

# --- end security

# --- HTTP/1.1 request heads from clients (the server front)

class RequestHeadError(ValueError):
    reason: str

REQUEST_NO_BODY: Final[int]
REQUEST_LENGTH: Final[int]
REQUEST_CHUNKED: Final[int]
MAX_REQUEST_HEAD: Final[int]
HEAD_HANDED_OFF: Final[int]
HEAD_CLOSE: Final[int]
HEAD_UPGRADE: Final[int]

def parse_request_head(
    data: bytes,
) -> tuple[int, str, str, int, int, int, list[tuple[str, str]], bool, int] | None: ...

# --- HTTP/1.1 response heads from upstreams

class ReplyHeadError(ValueError):
    reason: str

BODY_EMPTY: Final[int]
BODY_LENGTH: Final[int]
BODY_CHUNKED: Final[int]
BODY_UNTIL_CLOSE: Final[int]
MAX_REPLY_HEAD: Final[int]

def parse_reply_head(data: bytes) -> tuple[int, int, bool, int, int, int] | None: ...
def encode_reply(
    start: str,
    fields: Iterable[tuple[str, str]],
    body: bytes,
    keep_alive: bool,
    date: str,
    server: str,
) -> bytes: ...
