"""Configuration: loading (JSON or YAML), validation with paths, secret references, reload.

The accepted shape (every key optional except where noted)::

    {"mcp": {"protocol_version": "1.0",
             "security": {"encryption_enabled": true, "api_key_rotation": true,
                          "max_key_age_days": 90, "keyring_rotation_days": 90,
                          "provider_key_refresh_seconds": 10},
             "models": {"<provider>": {"type": "openai" | "anthropic" | "openai_compatible"
                                               | "azure" | "gemini",
                                       "endpoint": "https://...", "api_key": "${VAR}" | "file:PATH",
                                       "api_keys": ["${KEY_A}", "file:PATH", ...],
                                       "timeout": 30,
                                       # azure: "api_version", "auth": "api_key" | "entra_id";
                                       # gemini: "auth": "api_key" | "bearer" | "service_account",
                                       #         "project", "location" (Vertex AI)
                                       "models": ["gpt-4", {"name": "gpt-4", "model": "gpt-4-0613",
                                                            "weight": 2, "rpm": 600, "tpm": 90000,
                                                            "timeout": 20, "max_concurrency": 8,
                                                            "first_byte_timeout": 10,
                                                            "stream_idle_timeout": 30,
                                                            "api_keys": ["${KEY_C}"],
                                                            "capabilities": ["chat"],
                                                            "aliases": ["smart"],
                                                            "price": {"input_per_mtok": 30,
                                                                      "output_per_mtok": 60}}]}},
             "prices": {"gpt-4": {"input_per_mtok": 30, "output_per_mtok": 60,
                                  "cached_input_per_mtok": 15}},
             "aliases": {"smart": "gpt-4"},
             "groups": {"fast": ["gpt-3.5-turbo", "claude-haiku"]},
             "ensembles": {"consensus": {"models": ["gpt-4", "claude"], "strategy": "majority",
                                         "deadline_s": 20, "min_answers": 2}},
             "defaults": {"text-generation": "gpt-4"},
             "routing": {...},
             "dashboard": {"request_log": 1000, "debug_bodies": ["<key id>"]},
             "auth": {"oauth": {"issuer": "https://...", "audience": "https://.../mcp", ...}},
             "mcpServers": {"name": {"command": "...", "args": [], "env": {}} | {"url": "..."}}}}

``mcpServers`` may also sit at the top level, as desktop clients write it, or be VS Code's
``servers`` (top level or under ``mcp``, with its ``inputs``). An entry may also have ``type``
(``stdio``, ``http``, ``streamable-http``/``streamableHttp``, ``sse``), ``cwd``, ``inheritEnv``
(the parent's variables a stdio child gets), the timeouts ``connect_timeout_s``,
``list_timeout_s``, ``call_timeout_s`` (``timeout``: the call timeout), the circuit breaker's
``breaker_failures`` (in a row, to open it) and ``breaker_cooldown_s``, ``disabled`` (not started),
and the client-side approval lists other clients write (``autoApprove``, ``alwaysAllow``:
accepted and ignored, the gateway does not prompt). Provider keys default to the usual
environment variables (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from mcproute.config_ensembles import EnsembleConfig, check_ensembles, parse_ensembles
from mcproute.governance.prices import Price, parse_price, parse_prices
from mcproute.models.bedrock_config import BEDROCK_KEYS, AwsSettings, parse_bedrock
from mcproute.models.service_account import ServiceAccountError, parse_key
from mcproute.provider_defaults import DEFAULT_ENDPOINTS, KEY_ENV_VARS, KNOWN_BASE_URLS
from mcproute.secret import ENV_REF, Secret, SecretSource, SecretSourceError
from mcproute.security.oauth.settings import OAuthSettings, parse_oauth
from mcproute.tracing import TracingSettings

log = logging.getLogger(__name__)

CONFIG_ENV_VAR = "MCPROUTE_CONFIG"
DEFAULT_FILES = ("mcproute.json", "mcproute.yaml", "mcproute.yml")
SCHEMA_VERSIONS = ("1.0",)
CAPABILITIES = ("text-generation", "chat", "embeddings", "tools", "vision")
PROVIDER_TYPES = ("openai", "anthropic", "openai_compatible", "bedrock", "azure", "gemini")

BUILTIN_DEFAULT: Mapping[str, Any] = {
    "mcp": {
        "protocol_version": "1.0",
        "models": {
            "openai": {
                "endpoint": "https://api.openai.com",
                "models": ["gpt-4", "gpt-3.5-turbo", "text-embedding-3-small"],
            },
            "anthropic": {"models": ["claude-sonnet-5-5"]},
        },
    }
}

_VISION_MARKERS = ("gpt-4o", "gpt-4.1", "gpt-5", "vision", "claude", "llava", "gemini")


@dataclass(frozen=True)
class ConfigIssue:
    path: str  # e.g. "mcp.models.openai.models[1].weight"
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ConfigError(ValueError):
    """The configuration is invalid; ``issues`` lists every problem with its path."""

    def __init__(self, issues: list[ConfigIssue], source: str | None = None) -> None:
        self.issues = issues
        self.source = source
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{len(issues)} configuration error(s){where}:\n{lines}")


DAY_S = 86400.0


@dataclass(frozen=True)
class SecuritySettings:
    """The ``security`` block. Contexts are always sealed (AES-256-GCM): ``encryption_enabled``
    may only be true. ``api_key_rotation`` turns on the schedule: API keys older than
    ``max_key_age_days`` stop working (rotate them), the context keyring gets a new primary key
    every ``keyring_rotation_days``, and provider keys given as ``file:`` or ``${ENV}`` are
    re-read every ``provider_key_refresh_seconds``. ``null`` turns one part off."""

    encryption_enabled: bool = True
    api_key_rotation: bool = False
    max_key_age_days: float | None = 90.0
    keyring_rotation_days: float | None = 90.0
    provider_key_refresh_seconds: float | None = 10.0

    def _when_rotating(self, value: float | None, scale: float = 1.0) -> float | None:
        return value * scale if self.api_key_rotation and value is not None else None

    @property
    def max_key_age_s(self) -> float | None:
        """Seconds after which an API key stops working; None: keys do not age out."""
        return self._when_rotating(self.max_key_age_days, DAY_S)

    @property
    def keyring_rotation_s(self) -> float | None:
        """Seconds a context keyring primary key serves before the server rotates it."""
        return self._when_rotating(self.keyring_rotation_days, DAY_S)

    @property
    def provider_key_refresh_s(self) -> float | None:
        """Seconds between checks of provider key files and variables; None: never re-read."""
        return self._when_rotating(self.provider_key_refresh_seconds)


# field: (lowest, highest) accepted, and the unit a message names
_SECURITY_RANGES: Mapping[str, tuple[float, float, str]] = {
    "max_key_age_days": (1.0, 3650.0, "days"),
    "keyring_rotation_days": (1.0, 3650.0, "days"),
    "provider_key_refresh_seconds": (1.0, 86400.0, "seconds"),
}


@dataclass(frozen=True)
class DashboardSettings:
    """The ``dashboard`` block: how many requests each worker keeps for the request log
    (``request_log``, 0 to 100000), and the key ids whose request and response bodies it
    keeps too (``debug_bodies``, for debugging a client; off for every other key)."""

    request_log: int = 1000
    debug_bodies: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DeploymentConfig:
    name: str  # unique id, e.g. "openai/gpt-4#0"
    group: str  # the model group it serves
    provider: str
    provider_type: str
    endpoint: str
    api_key: Secret | None = field(repr=False)
    api_key_source: str | None  # where the key came from (a variable name or "file"), never the key
    model: str  # the upstream model id
    weight: float = 1.0
    rpm: int | None = None
    tpm: int | None = None
    timeout: float | None = None
    max_concurrency: int | None = None
    # Override the routing policy's first-byte and stream-idle timeouts for this model entry.
    first_byte_timeout: float | None = None
    stream_idle_timeout: float | None = None
    capabilities: frozenset[str] = frozenset()
    api_key_ref: SecretSource | None = None  # where to read the key again (file or ${VAR})
    aws: AwsSettings | None = None  # region and credentials of a bedrock deployment
    # provider-specific settings (see PROVIDER_OPTIONS); None: the adapter's default
    api_version: str | None = None  # azure
    auth: str | None = None  # azure, gemini: how the api_key is sent
    project: str | None = None  # gemini on Vertex AI
    location: str | None = None  # gemini on Vertex AI
    # Several keys ("api_keys"), rotated per request; api_key/api_key_ref are the first of them.
    api_keys: tuple[Secret, ...] = field(default=(), repr=False)
    api_key_refs: tuple[SecretSource | None, ...] = ()
    price: Price | None = None  # this entry's own "price" (governance.prices)

    def key_slots(self) -> tuple[tuple[Secret | None, SecretSource | None], ...]:
        """Each provider key with where to read it again: one slot unless ``api_keys`` is set."""
        if self.api_keys:
            return tuple(zip(self.api_keys, self.api_key_refs, strict=True))
        return ((self.api_key, self.api_key_ref),)


@dataclass(frozen=True)
class McpServerConfig:
    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, Secret] = field(default_factory=dict, repr=False)
    url: str | None = None
    headers: Mapping[str, Secret] = field(default_factory=dict, repr=False)
    cwd: str | None = None
    inherit_env: tuple[str, ...] | None = None  # None: the default list
    # the entry's timeout and breaker keys (`Timeouts.from_spec`, `Breaker.from_spec`)
    resilience: Mapping[str, float | int] = field(default_factory=dict)
    disabled: bool = False
    # `"auth": {"type": "oauth" | "token_exchange", ...}`: called with each user's own token
    # (gateway.user_links, gateway.token_exchange).
    auth: Mapping[str, Secret | str] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Config:
    protocol_version: str = "1.0"
    security: SecuritySettings = SecuritySettings()
    deployments: tuple[DeploymentConfig, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ensembles: Mapping[str, EnsembleConfig] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    routing: Mapping[str, Any] = field(default_factory=dict)
    mcp_servers: tuple[McpServerConfig, ...] = ()
    source: str | None = None
    dashboard: DashboardSettings = DashboardSettings()
    tracing: TracingSettings = field(default_factory=TracingSettings)
    store: StoreSettings = field(default_factory=lambda: StoreSettings())
    oauth: OAuthSettings | None = None  # auth.oauth: bearer tokens on /mcp besides API keys
    prices: Mapping[str, Price] = field(default_factory=dict)  # mcp.prices, by model name

    def model_groups(self) -> dict[str, list[DeploymentConfig]]:
        """Group name -> deployments, in configuration order, model groups included."""
        groups: dict[str, list[DeploymentConfig]] = {}
        for deployment in self.deployments:
            groups.setdefault(deployment.group, []).append(deployment)
        for name, members in self.groups.items():
            groups[name] = [d for member in members for d in groups.get(member, [])]
        return groups

    def capabilities_of(self, group: str) -> frozenset[str]:
        members = self.model_groups().get(group, [])
        caps = [d.capabilities for d in members]
        return frozenset.intersection(*caps) if caps else frozenset()


# ----------------------------------------------------------------------------- validation


class _Checker:
    """Collects every issue instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str], base_dir: Path) -> None:
        self.issues: list[ConfigIssue] = []
        self.env = env
        self.base_dir = base_dir

    def fail(self, path: str, reason: str) -> None:
        self.issues.append(ConfigIssue(path, reason))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(path, f"must be an object, got {type(value).__name__}")
            return None
        return value

    def known_keys(self, value: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}", f"unknown key (expected one of: {', '.join(allowed)})")

    def string(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.fail(path, "must be a non-empty string")
            return None
        return self.expand(value, path)

    def expand(self, value: str, path: str) -> str | None:
        missing = [name for name in ENV_REF.findall(value) if name not in self.env]
        for name in missing:
            self.fail(path, f"environment variable {name} is not set")
        if missing:
            return None
        return ENV_REF.sub(lambda m: self.env[m.group(1)], value)

    def secret(self, value: Any, path: str) -> tuple[Secret | None, str | None]:
        """A secret given literally, as ``${VAR}`` or as ``file:PATH``; (secret, its source)."""
        secret, name, _ = self.secret_ref(value, path)
        return secret, name

    def secret_ref(
        self, value: Any, path: str
    ) -> tuple[Secret | None, str | None, SecretSource | None]:
        """Like ``secret``, with where to read it again (None for a literal)."""
        if not isinstance(value, str) or not value:
            self.fail(path, "must be a non-empty string, ${ENV_VAR} or file:PATH")
            return None, None, None
        if value.startswith("file:"):
            file = Path(os.path.expanduser(value[5:]))
            source = SecretSource(file=file if file.is_absolute() else self.base_dir / file)
            name = "file"
        else:
            match = ENV_REF.fullmatch(value)
            source = SecretSource(template=value)
            name = match.group(1) if match else "literal"
        try:
            secret = source.read(self.env)
        except SecretSourceError as exc:
            self.fail(path, str(exc))
            return None, None, None
        return secret, name, (source if name != "literal" else None)

    def number(self, value: Any, path: str, *, integer: bool = False) -> Any:
        if value is None:
            return None
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            self.fail(path, f"must be a {'whole' if integer else ''} number".replace("  ", " "))
            return None
        if value <= 0:
            self.fail(path, f"must be greater than 0, got {value}")
            return None
        return value

    def url(self, value: Any, path: str) -> str | None:
        text = self.string(value, path)
        if text is None:
            return None
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # the URL itself is not echoed: it may carry credentials
            self.fail(path, f"must be an http(s) URL with a host (scheme {parts.scheme!r})")
            return None
        return text

    def string_list(self, value: Any, path: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "must be a list of strings")
            return []
        out = []
        for i, item in enumerate(value):
            text = self.string(item, f"{path}[{i}]")
            if text is not None:
                out.append(text)
        return out


_TOP_KEYS = ("mcp", "mcpServers", "servers", "inputs")  # servers, inputs: VS Code's mcp.json
_MCP_KEYS = (
    "protocol_version",
    "security",
    "models",
    "aliases",
    "groups",
    "ensembles",
    "defaults",
    "routing",
    "tracing",
    "store",
    "prices",
    "mcpServers",
    "dashboard",
    "auth",  # auth.oauth: /mcp as an OAuth protected resource
    "servers",  # VS Code's settings.json shape: {"mcp": {"servers": ..., "inputs": ...}}
    "inputs",
)
# mcpServers entries: ours, and what Claude Desktop, Cursor, Cline, Windsurf and VS Code write.
_MCP_SERVER_KEYS = (
    "command",
    "args",
    "env",
    "cwd",
    "url",
    "serverUrl",  # Windsurf
    "headers",
    "type",
    "inheritEnv",
    "connect_timeout_s",
    "list_timeout_s",
    "call_timeout_s",
    "timeout",
    "breaker_failures",
    "breaker_cooldown_s",
    "disabled",
    "autoApprove",
    "alwaysAllow",
    "auth",  # {"type": "oauth", ...}: per-user upstream credentials
)
_MCP_AUTH_KEYS = {
    "oauth": ("type", "scope", "client_id", "client_secret", "redirect_uri"),
    "token_exchange": (
        "type", "token_endpoint", "client_id", "client_secret", "token_endpoint_auth_method",
        "audience", "resource", "scope",
    ),
}  # fmt: skip
MCP_TRANSPORTS = {
    "stdio": "command",
    "http": "url",
    "streamable-http": "url",
    "streamableHttp": "url",
    "sse": "url",
}
_INPUT_REF = re.compile(r"\$\{input:([^}]*)\}")
_PROVIDER_KEYS: tuple[str, ...] = ("type", "endpoint", "api_key", "api_keys", "timeout", "models")
_PROVIDER_KEYS += BEDROCK_KEYS  # accepted for type bedrock only
# Keys only some provider types take, and the values `auth` may have for each.
PROVIDER_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "azure": ("api_version", "auth"),
    "gemini": ("auth", "project", "location"),
}
AUTH_MODES: Mapping[str, tuple[str, ...]] = {
    "azure": ("api_key", "entra_id"),
    "gemini": ("api_key", "bearer", "service_account"),
}
_MODEL_KEYS = (
    "name",
    "model",
    "weight",
    "rpm",
    "tpm",
    "timeout",
    "max_concurrency",
    "first_byte_timeout",
    "stream_idle_timeout",
    "capabilities",
    "aliases",
    "api_keys",
    "price",
)


def _parse_security(value: Any, check: _Checker) -> SecuritySettings:
    path = "mcp.security"
    block = check.mapping(value, path)
    if block is None:
        return SecuritySettings()
    check.known_keys(block, path, ("encryption_enabled", "api_key_rotation", *_SECURITY_RANGES))
    flags: dict[str, bool] = {}
    for name in ("encryption_enabled", "api_key_rotation"):
        flag = block.get(name, getattr(SecuritySettings, name))
        if not isinstance(flag, bool):
            check.fail(f"{path}.{name}", f"must be true or false, got {type(flag).__name__}")
        else:
            flags[name] = flag
    if flags.get("encryption_enabled") is False:
        check.fail(
            f"{path}.encryption_enabled",
            "false is not supported: shared contexts are always encrypted at rest"
            " (AES-256-GCM); set it to true or remove it",
        )
    numbers: dict[str, float | None] = {}
    for name, (low, high, unit) in _SECURITY_RANGES.items():
        if name not in block:
            continue
        number = block[name]
        if number is None:
            numbers[name] = None
        elif isinstance(number, bool) or not isinstance(number, int | float):
            check.fail(f"{path}.{name}", f"must be a number of {unit} or null (off)")
        elif not low <= number <= high:
            check.fail(
                f"{path}.{name}", f"must be between {low:g} and {high:g} {unit}, got {number}"
            )
        else:
            numbers[name] = float(number)
    return SecuritySettings(**flags, **numbers)  # type: ignore[arg-type]


def _parse_dashboard(value: Any, check: _Checker) -> DashboardSettings:
    path = "mcp.dashboard"
    block = check.mapping(value, path)
    if block is None:
        return DashboardSettings()
    check.known_keys(block, path, ("request_log", "debug_bodies"))
    size = block.get("request_log", DashboardSettings.request_log)
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= 100_000:
        check.fail(f"{path}.request_log", f"must be a whole number from 0 to 100000, got {size!r}")
        size = DashboardSettings.request_log
    keys = frozenset(check.string_list(block.get("debug_bodies"), f"{path}.debug_bodies"))
    return DashboardSettings(request_log=size, debug_bodies=keys)


def _parse_tracing(value: Any, check: _Checker) -> TracingSettings:
    path = "mcp.tracing"
    block = check.mapping(value, path)
    if block is None:
        return TracingSettings()
    check.known_keys(
        block, path, ("enabled", "endpoint", "service_name", "sample_ratio", "headers")
    )
    enabled = block.get("enabled", True)
    if not isinstance(enabled, bool):
        check.fail(f"{path}.enabled", f"must be true or false, got {type(enabled).__name__}")
        enabled = True
    endpoint = check.url(block["endpoint"], f"{path}.endpoint") if "endpoint" in block else None
    service = check.string(block.get("service_name"), f"{path}.service_name")
    ratio = block.get("sample_ratio")
    if ratio is not None and (
        isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 <= ratio <= 1
    ):
        check.fail(f"{path}.sample_ratio", f"must be a number from 0 to 1, got {ratio!r}")
        ratio = None
    headers: dict[str, Secret] = {}
    for name, header in (check.mapping(block.get("headers"), f"{path}.headers") or {}).items():
        secret, _ = check.secret(header, f"{path}.headers.{name}")
        if secret is not None:
            headers[str(name)] = secret
    return TracingSettings(
        enabled=enabled,
        endpoint=endpoint,
        service_name=service,
        sample_ratio=None if ratio is None else float(ratio),
        headers=headers,
    )


@dataclass(frozen=True)
class StoreSettings:
    """`mcp.store`: shared state for several replicas (`mcproute.store.shared`). Each URL may
    hold credentials, so it is a secret (literal, ``${VAR}`` or ``file:PATH``); the variables
    `MCPROUTE_DATABASE_URL` and `MCPROUTE_REDIS_URL` win over it, and `MCPROUTE_REDIS_NAMESPACE`
    over `redis_namespace` (the prefix of this installation's Redis keys)."""

    database_url: Secret | None = None
    redis_url: Secret | None = None
    redis_namespace: str | None = None


REDIS_NAMESPACE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
REDIS_NAMESPACE_RULE = "must be 1 to 64 letters, digits, '_', '.' or '-'"


def _parse_store(value: Any, check: _Checker) -> StoreSettings:
    block = check.mapping(value, "mcp.store") or {}
    check.known_keys(block, "mcp.store", ("database_url", "redis_url", "redis_namespace"))
    urls = {
        name: check.secret(block[name], f"mcp.store.{name}")[0]
        for name in ("database_url", "redis_url")
        if name in block
    }
    namespace = check.string(block.get("redis_namespace"), "mcp.store.redis_namespace")
    if namespace is not None and not REDIS_NAMESPACE.fullmatch(namespace):
        check.fail("mcp.store.redis_namespace", REDIS_NAMESPACE_RULE)
        namespace = None
    return StoreSettings(**urls, redis_namespace=namespace)


def _infer_capabilities(model: str) -> frozenset[str]:
    lowered = model.lower()
    if "embed" in lowered:
        return frozenset({"embeddings"})
    caps = {"text-generation", "chat", "tools"}
    if any(marker in lowered for marker in _VISION_MARKERS):
        caps.add("vision")
    return frozenset(caps)


def _provider_type(name: str, block: Mapping[str, Any], check: _Checker, path: str) -> str | None:
    declared = block.get("type")
    if declared is not None:
        if declared not in PROVIDER_TYPES:
            allowed = ", ".join(PROVIDER_TYPES)
            check.fail(f"{path}.type", f"must be one of {allowed}, got {declared!r}")
            return None
        return str(declared)
    if name in ("openai", "anthropic"):
        return name
    if name in KNOWN_BASE_URLS or "endpoint" in block:
        return "openai_compatible"
    check.fail(f"{path}.type", "missing: cannot tell the provider from its name; set type")
    return None


def _parse_model_entry(
    entry: Any, path: str, check: _Checker
) -> tuple[str, Mapping[str, Any]] | None:
    if isinstance(entry, str):
        name = check.string(entry, path)
        return (name, {}) if name else None
    spec = check.mapping(entry, path)
    if spec is None:
        if entry is None:
            check.fail(path, "must be a model name or an object")
        return None
    check.known_keys(spec, path, _MODEL_KEYS)
    name = check.string(spec.get("name"), f"{path}.name")
    if name is None:
        if "name" not in spec:
            check.fail(f"{path}.name", "missing")
        return None
    return name, spec


def _parse_key_list(
    value: Any, path: str, check: _Checker
) -> tuple[tuple[Secret, ...], tuple[SecretSource | None, ...]]:
    """``api_keys``: a non-empty list of secret references, each a distinct key."""
    if not isinstance(value, list) or not value:
        check.fail(path, "must be a non-empty list of keys (${ENV_VAR}, file:PATH or literal)")
        return (), ()
    keys: list[Secret] = []
    refs: list[SecretSource | None] = []
    for i, item in enumerate(value):
        key, _, ref = check.secret_ref(item, f"{path}[{i}]")
        if key is None:
            continue
        if key in keys:  # the key itself is never shown, only where it repeats
            check.fail(f"{path}[{i}]", f"the same key as {path}[{keys.index(key)}]")
            continue
        keys.append(key)
        refs.append(ref)
    return tuple(keys), tuple(refs)


def _parse_provider(
    name: str,
    block: Mapping[str, Any],
    path: str,
    check: _Checker,
    aliases: dict[str, str],
    counters: dict[str, int],
) -> list[DeploymentConfig]:
    ptype = _provider_type(name, block, check, path)
    check.known_keys(block, path, _PROVIDER_KEYS + PROVIDER_OPTIONS.get(ptype or "", ()))
    options = _provider_options(ptype, block, check, path)
    endpoint = check.url(block["endpoint"], f"{path}.endpoint") if "endpoint" in block else None
    keyed = "api_key" in block or "api_keys" in block
    aws = parse_bedrock(block, ptype, path, check, has_api_key=keyed)
    if aws is not None and "endpoint" not in block:
        endpoint = aws.default_endpoint
    if endpoint is None and "endpoint" not in block and ptype is not None:
        endpoint = DEFAULT_ENDPOINTS.get(ptype) or KNOWN_BASE_URLS.get(name)
        if endpoint is None:
            check.fail(f"{path}.endpoint", f"missing: an {ptype} provider needs one")
    key: Secret | None = None
    key_source: str | None = None
    key_ref: SecretSource | None = None
    provider_keys: tuple[tuple[Secret, ...], tuple[SecretSource | None, ...]] = ((), ())
    if "api_key" in block and "api_keys" in block:
        check.fail(f"{path}.api_keys", "give either api_key or api_keys, not both")
    elif "api_keys" in block:
        provider_keys = _parse_key_list(block["api_keys"], f"{path}.api_keys", check)
        if provider_keys[0]:
            key, key_source, key_ref = provider_keys[0][0], "api_keys", provider_keys[1][0]
    elif "api_key" in block:
        key, key_source, key_ref = check.secret_ref(block["api_key"], f"{path}.api_key")
    else:
        var = (
            KEY_ENV_VARS.get(f"{ptype}/{options['auth']}" if "auth" in options else "")
            or KEY_ENV_VARS.get(ptype or "")
            or KEY_ENV_VARS.get(name)
        )
        if var and check.env.get(var):
            key, key_source = Secret(check.env[var]), var
            key_ref = SecretSource(template=f"${{{var}}}")
    if key is not None and options.get("auth") == "service_account":
        try:
            parse_key(key)
        except ServiceAccountError as exc:
            check.fail(f"{path}.api_key", str(exc))
    if key is not None and endpoint is not None and "@" in urlsplit(endpoint).netloc:
        # aiohttp would send the userinfo as Basic credentials beside the key's header
        check.fail(
            f"{path}.endpoint",
            "has credentials (user:password@) and the provider has an API key: use one of them",
        )
    provider_timeout = check.number(block.get("timeout"), f"{path}.timeout")

    raw_models = block.get("models")
    entries: list[tuple[str, Any]]
    if isinstance(raw_models, list):
        entries = [(f"{path}.models[{i}]", m) for i, m in enumerate(raw_models)]
    elif isinstance(raw_models, Mapping):
        entries = [
            (f"{path}.models.{k}", {"name": k, **(v or {})} if isinstance(v, Mapping | None) else v)
            for k, v in raw_models.items()
        ]
    else:
        check.fail(f"{path}.models", "missing: list the models this provider serves")
        return []
    if not entries:
        check.fail(f"{path}.models", "is empty: list the models this provider serves")

    out = []
    for entry_path, entry in entries:
        parsed = _parse_model_entry(entry, entry_path, check)
        if parsed is None:
            continue
        group, spec = parsed
        upstream = check.string(spec.get("model"), f"{entry_path}.model") or group
        caps_list = check.string_list(spec.get("capabilities"), f"{entry_path}.capabilities")
        for i, cap in enumerate(caps_list):
            if cap not in CAPABILITIES:
                check.fail(
                    f"{entry_path}.capabilities[{i}]",
                    f"unknown capability {cap!r} (expected one of: {', '.join(CAPABILITIES)})",
                )
        for alias in check.string_list(spec.get("aliases"), f"{entry_path}.aliases"):
            aliases.setdefault(alias, group)
        keys, refs = provider_keys
        if "api_keys" in spec:
            keys, refs = _parse_key_list(spec["api_keys"], f"{entry_path}.api_keys", check)
            if keys and key is None and endpoint is not None and "@" in urlsplit(endpoint).netloc:
                check.fail(f"{path}.endpoint", "has credentials (user:password@) and api_keys")
        index = counters.get(f"{name}/{group}", 0)
        counters[f"{name}/{group}"] = index + 1
        if ptype is None or endpoint is None:
            continue
        out.append(
            DeploymentConfig(
                name=f"{name}/{group}#{index}",
                group=group,
                provider=name,
                provider_type=ptype,
                endpoint=endpoint,
                api_key=keys[0] if keys else key,
                api_key_source="api_keys" if keys else key_source,
                api_key_ref=refs[0] if keys else key_ref,
                api_keys=keys if len(keys) > 1 else (),
                api_key_refs=refs if len(keys) > 1 else (),
                aws=aws,
                model=upstream,
                weight=check.number(spec.get("weight"), f"{entry_path}.weight") or 1.0,
                rpm=check.number(spec.get("rpm"), f"{entry_path}.rpm", integer=True),
                tpm=check.number(spec.get("tpm"), f"{entry_path}.tpm", integer=True),
                timeout=check.number(spec.get("timeout"), f"{entry_path}.timeout")
                or provider_timeout,
                max_concurrency=check.number(
                    spec.get("max_concurrency"), f"{entry_path}.max_concurrency", integer=True
                ),
                first_byte_timeout=check.number(
                    spec.get("first_byte_timeout"), f"{entry_path}.first_byte_timeout"
                ),
                stream_idle_timeout=check.number(
                    spec.get("stream_idle_timeout"), f"{entry_path}.stream_idle_timeout"
                ),
                capabilities=frozenset(c for c in caps_list if c in CAPABILITIES)
                or _infer_capabilities(upstream),
                price=parse_price(spec["price"], f"{entry_path}.price", check)
                if "price" in spec
                else None,
                **options,
            )
        )
    return out


def _provider_options(
    ptype: str | None, block: Mapping[str, Any], check: _Checker, path: str
) -> dict[str, str]:
    """The provider-specific keys of `block` (``PROVIDER_OPTIONS``), checked."""
    out: dict[str, str] = {}
    for key in PROVIDER_OPTIONS.get(ptype or "", ()):
        value = check.string(block.get(key), f"{path}.{key}")
        if value is not None:
            out[key] = value
    modes = AUTH_MODES.get(ptype or "", ())
    if "auth" in out and out["auth"] not in modes:
        check.fail(f"{path}.auth", f"must be one of {', '.join(modes)}, got {out['auth']!r}")
        del out["auth"]
    if ptype == "gemini" and ("project" in out) != ("location" in out):
        check.fail(path, "Vertex AI needs both project and location (neither: the Gemini API)")
    return out


def _parse_mcp_servers(value: Any, path: str, check: _Checker) -> list[McpServerConfig]:
    servers = check.mapping(value, path)
    out: list[McpServerConfig] = []
    for name, spec in (servers or {}).items():
        where = f"{path}.{name}"
        block = check.mapping(spec, where)
        if block is None:
            if spec is None:
                check.fail(where, "must be an object with command or url")
            continue
        if "envFile" in block:
            check.fail(f"{where}.envFile", "is not supported: list the variables in env")
        check.known_keys(block, where, (*_MCP_SERVER_KEYS, "envFile"))
        _no_input_refs(block, where, check)
        url_key = "serverUrl" if "serverUrl" in block and "url" not in block else "url"
        has_command, has_url = "command" in block, url_key in block
        if has_command == has_url:
            check.fail(where, "needs exactly one of command (stdio) or url (HTTP)")
            continue
        kind = block.get("type")
        if kind is not None:
            if kind not in MCP_TRANSPORTS:
                known = ", ".join(MCP_TRANSPORTS)
                check.fail(
                    f"{where}.type", f"unknown transport {kind!r} (expected one of: {known})"
                )
            elif (MCP_TRANSPORTS[kind] == "command") != has_command:
                needs = MCP_TRANSPORTS[kind]
                check.fail(f"{where}.type", f"{kind!r} needs {needs}, which the entry lacks")
        env: dict[str, Secret] = {}
        for key, raw in (check.mapping(block.get("env"), f"{where}.env") or {}).items():
            secret, _ = check.secret(raw, f"{where}.env.{key}")
            if secret is not None:
                env[str(key)] = secret
        headers: dict[str, Secret] = {}
        for key, raw in (check.mapping(block.get("headers"), f"{where}.headers") or {}).items():
            secret, _ = check.secret(raw, f"{where}.headers.{key}")
            if secret is not None:
                headers[str(key)] = secret
        for approvals in ("autoApprove", "alwaysAllow"):
            check.string_list(block.get(approvals), f"{where}.{approvals}")
        resilience: dict[str, float | int] = {}
        seconds_keys = ("connect_timeout_s", "list_timeout_s", "call_timeout_s", "timeout")
        for key in (*seconds_keys, "breaker_cooldown_s"):
            seconds = check.number(block.get(key), f"{where}.{key}")
            if seconds is not None:
                resilience[key] = float(seconds)
        failures = check.number(
            block.get("breaker_failures"), f"{where}.breaker_failures", integer=True
        )
        if failures is not None:
            resilience["breaker_failures"] = failures
        disabled = block.get("disabled", False)
        if not isinstance(disabled, bool):
            check.fail(f"{where}.disabled", "must be true or false")
        inherit = block.get("inheritEnv")
        auth = _mcp_server_auth(block.get("auth"), f"{where}.auth", has_url, check)
        out.append(
            McpServerConfig(
                name=str(name),
                command=check.string(block.get("command"), f"{where}.command"),
                args=tuple(check.string_list(block.get("args"), f"{where}.args")),
                env=env,
                url=check.url(block[url_key], f"{where}.{url_key}") if has_url else None,
                headers=headers,
                cwd=check.string(block.get("cwd"), f"{where}.cwd"),
                inherit_env=(
                    None
                    if inherit is None
                    else tuple(check.string_list(inherit, f"{where}.inheritEnv"))
                ),
                resilience=resilience,
                disabled=disabled is True,
                auth=auth,
            )
        )
    return out


def _mcp_server_auth(
    value: Any, path: str, has_url: bool, check: _Checker
) -> dict[str, Secret | str] | None:
    """An entry's `auth` block, for URL entries only: `type` "oauth" (each user links the
    upstream) or "token_exchange" (the caller's access token is exchanged, RFC 8693)."""
    block = check.mapping(value, path)
    if block is None:
        return None
    kind = block.get("type")
    if kind not in _MCP_AUTH_KEYS:
        check.fail(f"{path}.type", f"must be 'oauth' or 'token_exchange', got {kind!r}")
        return None
    check.known_keys(block, path, _MCP_AUTH_KEYS[kind])
    if not has_url:
        check.fail(path, "needs a url: per-user authorization is for HTTP servers")
    auth: dict[str, Secret | str] = {"type": kind}
    for key in _MCP_AUTH_KEYS[kind][1:]:
        if key == "client_secret":
            continue
        text = check.string(block.get(key), f"{path}.{key}")
        if text is not None:
            auth[key] = text
    for key in ("redirect_uri", "token_endpoint"):
        if key in auth:
            check.url(str(auth[key]), f"{path}.{key}")
    if kind == "token_exchange":
        for key in ("token_endpoint", "client_id"):
            if key not in auth:
                check.fail(f"{path}.{key}", "required by token_exchange")
    if block.get("client_secret") is not None:
        secret, _ = check.secret(block["client_secret"], f"{path}.client_secret")
        if secret is not None:
            auth["client_secret"] = secret
    return auth


def _no_input_refs(block: Mapping[str, Any], where: str, check: _Checker) -> None:
    """VS Code's `${input:id}` prompts the user; a server process cannot."""
    for key in ("env", "headers"):
        for name, value in (
            (block.get(key) or {}).items() if isinstance(block.get(key), Mapping) else ()
        ):
            match = _INPUT_REF.search(value) if isinstance(value, str) else None
            if match:
                check.fail(
                    f"{where}.{key}.{name}",
                    f"refers to the VS Code input {match.group(1)!r}, which mcproute cannot"
                    " prompt for: use ${ENV_VAR} or file:PATH",
                )
    for i, arg in enumerate(block.get("args") or ()):
        if isinstance(arg, str) and (match := _INPUT_REF.search(arg)):
            check.fail(
                f"{where}.args[{i}]",
                f"refers to the VS Code input {match.group(1)!r}, which mcproute cannot prompt"
                " for: use ${ENV_VAR}",
            )


def _parse_inputs(value: Any, path: str, check: _Checker) -> None:
    """VS Code's `inputs`: accepted (a pasted block keeps working) when well-formed."""
    if value is None:
        return
    if not isinstance(value, list):
        check.fail(path, "must be a list of VS Code input objects")
        return
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            check.fail(f"{path}[{i}]", "must be an object with an id")


def _check_references(config: Config, check: _Checker) -> None:
    names = {d.group for d in config.deployments}
    for name, members in config.groups.items():
        if name in names:
            check.fail(f"mcp.groups.{name}", "has the name of a model; pick another name")
        for i, member in enumerate(members):
            if member not in names:
                check.fail(f"mcp.groups.{name}[{i}]", f"unknown model {member!r}")
    known = names | set(config.groups)
    for alias, target in config.aliases.items():
        if alias in known:
            check.fail(f"mcp.aliases.{alias}", "shadows a model or group of the same name")
        if target not in known:
            check.fail(f"mcp.aliases.{alias}", f"points to unknown model or group {target!r}")
    upstream_ids = {d.model for d in config.deployments}
    for name in config.prices:
        if name not in known and name not in upstream_ids:
            check.fail(
                f"mcp.prices.{name}",
                "names no configured model (a model, group, or a deployment's upstream model id)",
            )
    for capability, target in config.defaults.items():
        if capability not in CAPABILITIES:
            check.fail(f"mcp.defaults.{capability}", "unknown capability")
        elif config.aliases.get(target, target) not in known:
            check.fail(f"mcp.defaults.{capability}", f"points to unknown model {target!r}")


def parse_config(
    data: Any,
    *,
    source: str | None = None,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> Config:
    """Validate a decoded configuration document; raises ``ConfigError`` listing every issue."""
    check = _Checker(os.environ if env is None else env, base_dir or Path.cwd())
    root = check.mapping(data, "$")
    if root is None:
        if data is None:
            check.fail("$", "the configuration is empty")
        raise ConfigError(check.issues, source)
    check.known_keys(root, "$", _TOP_KEYS)
    mcp = check.mapping(root.get("mcp"), "mcp") or {}
    check.known_keys(mcp, "mcp", _MCP_KEYS)

    version = mcp.get("protocol_version", "1.0")
    if version not in SCHEMA_VERSIONS:
        check.fail(
            "mcp.protocol_version",
            f"unsupported configuration schema version {version!r} (supported: 1.0)",
        )
    security = _parse_security(mcp.get("security"), check)
    dashboard = _parse_dashboard(mcp.get("dashboard"), check)
    tracing = _parse_tracing(mcp.get("tracing"), check)
    store = _parse_store(mcp.get("store"), check)
    oauth = parse_oauth(mcp.get("auth"), check)

    aliases: dict[str, str] = {}
    counters: dict[str, int] = {}
    deployments: list[DeploymentConfig] = []
    providers = check.mapping(mcp.get("models"), "mcp.models") or {}
    for name, block in providers.items():
        spec = check.mapping(block, f"mcp.models.{name}")
        if spec is not None:
            deployments += _parse_provider(
                str(name), spec, f"mcp.models.{name}", check, aliases, counters
            )

    for alias, target in (check.mapping(mcp.get("aliases"), "mcp.aliases") or {}).items():
        text = check.string(target, f"mcp.aliases.{alias}")
        if text is not None:
            aliases[str(alias)] = text
    groups = {
        str(name): tuple(check.string_list(members, f"mcp.groups.{name}"))
        for name, members in (check.mapping(mcp.get("groups"), "mcp.groups") or {}).items()
    }
    defaults: dict[str, str] = {}
    for capability, target in (check.mapping(mcp.get("defaults"), "mcp.defaults") or {}).items():
        text = check.string(target, f"mcp.defaults.{capability}")
        if text is not None:
            defaults[str(capability)] = text
    routing = check.mapping(mcp.get("routing"), "mcp.routing") or {}

    servers = _parse_mcp_servers(root.get("mcpServers"), "mcpServers", check)
    servers += _parse_mcp_servers(mcp.get("mcpServers"), "mcp.mcpServers", check)
    servers += _parse_mcp_servers(root.get("servers"), "servers", check)
    servers += _parse_mcp_servers(mcp.get("servers"), "mcp.servers", check)
    _parse_inputs(root.get("inputs"), "inputs", check)
    _parse_inputs(mcp.get("inputs"), "mcp.inputs", check)
    seen: set[str] = set()
    for server in servers:
        if server.name in seen:
            check.fail(f"mcpServers.{server.name}", "is defined twice")
        seen.add(server.name)
        if server.auth and server.auth.get("type") == "token_exchange" and oauth is None:
            check.fail(
                f"mcpServers.{server.name}.auth.type",
                "token_exchange needs auth.oauth: only callers with an access token from the"
                " trusted authorization server have a token to exchange",
            )

    config = Config(
        protocol_version=str(version),
        security=security,
        deployments=tuple(deployments),
        aliases=aliases,
        groups=groups,
        ensembles=parse_ensembles(mcp.get("ensembles"), check),
        defaults=defaults,
        routing=dict(routing),
        mcp_servers=tuple(servers),
        source=source,
        dashboard=dashboard,
        tracing=tracing,
        store=store,
        oauth=oauth,
        prices=parse_prices(mcp.get("prices"), check),
    )
    _check_references(config, check)
    check_ensembles(config, check, CAPABILITIES)
    if check.issues:
        raise ConfigError(check.issues, source)
    return config


# ----------------------------------------------------------------------------- files


def decode_file(path: Path) -> Any:
    """The document in a JSON or YAML file; syntax errors become a ``ConfigError``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        issue = ConfigIssue("$", f"cannot read file: {exc.strerror or exc}")
        raise ConfigError([issue], str(path)) from None
    if path.suffix.lower() == ".json":
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            where = f"$ (line {exc.lineno}, column {exc.colno})"
            issue = ConfigIssue(where, f"invalid JSON: {exc.msg}")
            raise ConfigError([issue], str(path)) from None
    import yaml  # only for YAML files: a worker on a JSON file never loads it (about 1 MiB)

    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"$ (line {mark.line + 1}, column {mark.column + 1})" if mark else "$"
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError([ConfigIssue(where, f"invalid YAML: {problem}")], str(path)) from None


def find_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """``$MCPROUTE_CONFIG``, else ``./mcproute.json`` / ``.yaml`` / ``.yml``, else None."""
    env = os.environ if env is None else env
    named = env.get(CONFIG_ENV_VAR)
    if named:
        return Path(named)
    for name in DEFAULT_FILES:
        candidate = Path(name)
        if candidate.is_file():
            return candidate
    return None


def load_config(
    path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> Config:
    """Load and validate a file (default: see ``find_config_path``; else the built-in default)."""
    resolved = Path(path) if path is not None else find_config_path(env)
    if resolved is None:
        return parse_config(BUILTIN_DEFAULT, source="<built-in default>", env=env)
    data = decode_file(resolved)
    return parse_config(data, source=str(resolved), env=env, base_dir=resolved.parent)


def load_security(
    path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> SecuritySettings:
    """Only the ``security`` block of a configuration file (see ``load_config`` for which
    file), for commands that need nothing else, such as ``mcproute keys``."""
    resolved = Path(path) if path is not None else find_config_path(env)
    if resolved is None:
        return SecuritySettings()
    data = decode_file(resolved)
    check = _Checker(os.environ if env is None else env, resolved.parent)
    root = check.mapping(data, "$") or {}
    settings = _parse_security((check.mapping(root.get("mcp"), "mcp") or {}).get("security"), check)
    if check.issues:
        raise ConfigError(check.issues, str(resolved))
    return settings


class ConfigWatcher:
    """Reloads a configuration file on SIGHUP or when it changes, calling ``on_change``.

    An invalid new file is reported (its issues, never secret values) and the old configuration
    stays in force.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        on_change: Callable[[Config], None],
        *,
        interval: float | None = 1.0,  # None: on SIGHUP only
    ) -> None:
        self.path = Path(path)
        self._on_change = on_change
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._signal_installed = False
        self._stamp = self._mtime()
        self.last_error: ConfigError | None = None

    def _mtime(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def reload(self) -> bool:
        """Load the file now; True if the new configuration was applied."""
        self._stamp = self._mtime()
        try:
            self._on_change(load_config(self.path))
        except ConfigError as exc:
            self.last_error = exc
            log.error("configuration reload rejected, keeping the current one: %s", exc)
            return False
        self.last_error = None
        log.info("configuration reloaded from %s", self.path)
        return True

    async def _poll(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self._mtime() != self._stamp:
                self.reload()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, self.reload)
        except (RuntimeError, ValueError) as exc:
            # Loops without signal support (Windows' loops raise a RuntimeError subclass; a
            # thread other than the main one, ValueError): the poll below and POST
            # /admin/reload still reload.
            log.info("SIGHUP reloads unavailable here (%s)", type(exc).__name__)
        else:
            self._signal_installed = True
        if self._interval is not None:
            self._task = loop.create_task(self._poll(self._interval))

    async def stop(self) -> None:
        if self._signal_installed:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            self._signal_installed = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
