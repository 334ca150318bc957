"""Where a Bedrock deployment's region and AWS credentials come from.

Credentials, first match wins (botocore's order, for the static sources):

1. ``aws_access_key_id`` + ``aws_secret_access_key`` (+ ``aws_session_token``) in the provider
   block, each a literal, ``${ENV_VAR}`` or ``file:PATH``;
2. ``aws_profile`` in the block: that profile of the shared files, and nothing else;
3. ``AWS_ACCESS_KEY_ID`` + ``AWS_SECRET_ACCESS_KEY`` (+ ``AWS_SESSION_TOKEN``) in the environment;
4. the profile ``AWS_PROFILE`` (default ``default``) of the shared credentials file
   (``AWS_SHARED_CREDENTIALS_FILE``, default ``~/.aws/credentials``), then of the config file
   (``AWS_CONFIG_FILE``, default ``~/.aws/config``).

A Bedrock API key (``api_key``, default ``AWS_BEARER_TOKEN_BEDROCK``) is sent as a bearer token
instead, and needs no AWS credentials.
The region: ``region`` in the block, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, then the profile's
``region`` in the config file.
Credentials from the shared files are read again when the files change (the adapter looks at
them, off the event loop, at most every ``bedrock.CREDENTIAL_CHECK_SECONDS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mcproute.secret import Secret, SecretSource

if TYPE_CHECKING:
    import configparser

BEDROCK_KEYS = (
    "region",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_profile",
)
BEARER_ENV_VAR = "AWS_BEARER_TOKEN_BEDROCK"
_REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+")
_KEY_ID = re.compile(r"[A-Za-z0-9]{16,128}")


class _Checker(Protocol):
    env: Mapping[str, str]

    def fail(self, path: str, reason: str) -> None: ...
    def string(self, value: Any, path: str) -> str | None: ...
    def secret_ref(
        self, value: Any, path: str
    ) -> tuple[Secret | None, str | None, SecretSource | None]: ...


@dataclass(frozen=True)
class AwsSettings:
    region: str
    access_key_id: str | None = None
    secret_access_key: Secret | None = field(default=None, repr=False)
    session_token: Secret | None = field(default=None, repr=False)
    source: str = ""  # where the credentials came from ("config", "environment", "profile x")
    # the shared files the credentials were read from, read again when they change (temporary
    # credentials are rewritten there by the tools that renew them)
    profile_files: ProfileFiles = ()

    @property
    def default_endpoint(self) -> str:
        return f"https://bedrock-runtime.{self.region}.amazonaws.com"


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def _read_ini(path: Path) -> configparser.ConfigParser | None:
    import configparser  # only where a Bedrock deployment reads the AWS files

    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, configparser.Error):
        return None
    return parser


ProfileFiles = tuple[tuple[Path, str], ...]  # (file, section) in the order they are read


def profile_files(profile: str, env: Mapping[str, str]) -> ProfileFiles:
    """Where a profile is read: its section of the credentials file, then of the config file."""
    home = _home(env)
    credentials = env.get("AWS_SHARED_CREDENTIALS_FILE") or str(home / ".aws" / "credentials")
    config = env.get("AWS_CONFIG_FILE") or str(home / ".aws" / "config")
    section = profile if profile == "default" else f"profile {profile}"
    return ((Path(credentials).expanduser(), profile), (Path(config).expanduser(), section))


def read_profile(
    files: ProfileFiles,
) -> tuple[str | None, Secret | None, Secret | None, str | None]:
    """(key id, secret, token, region) of a shared-files profile (None where absent)."""
    key_id = secret = token = region = None
    for name, section_name in files:
        parser = _read_ini(name)
        if parser is None or not parser.has_section(section_name):
            continue
        section = parser[section_name]
        if key_id is None and section.get("aws_access_key_id"):
            key_id = section.get("aws_access_key_id")
            secret = section.get("aws_secret_access_key")
            token = section.get("aws_session_token")
        region = region or section.get("region")
    return (
        key_id,
        Secret(secret) if secret else None,
        Secret(token) if token else None,
        region,
    )


def parse_bedrock(
    block: Mapping[str, Any], ptype: str | None, path: str, check: _Checker, has_api_key: bool
) -> AwsSettings | None:
    """The region and credentials of a ``type: bedrock`` provider block (None for others)."""
    if ptype != "bedrock":
        for key in BEDROCK_KEYS:
            if key in block:
                check.fail(f"{path}.{key}", "is only for providers of type bedrock")
        return None
    env = check.env
    has_api_key = has_api_key or bool(env.get(BEARER_ENV_VAR))
    explicit = [k for k in ("aws_access_key_id", "aws_secret_access_key") if k in block]
    profile = check.string(block.get("aws_profile"), f"{path}.aws_profile")
    if explicit and profile is not None:
        check.fail(f"{path}.aws_profile", "give either aws_profile or explicit keys, not both")
    files: ProfileFiles = ()
    key_id: str | None = None
    secret: Secret | None = None
    token: Secret | None = None
    source = ""
    profile_region: str | None = None
    if explicit:
        for name in ("aws_access_key_id", "aws_secret_access_key"):
            if name not in block:
                check.fail(
                    f"{path}.{name}", "missing: explicit keys need both the id and the secret"
                )
        if len(explicit) == 2:
            id_secret, _, _ = check.secret_ref(
                block["aws_access_key_id"], f"{path}.aws_access_key_id"
            )
            key_id = id_secret.reveal() if id_secret is not None else None
            secret, _, _ = check.secret_ref(
                block["aws_secret_access_key"], f"{path}.aws_secret_access_key"
            )
        if "aws_session_token" in block:
            token, _, _ = check.secret_ref(block["aws_session_token"], f"{path}.aws_session_token")
        source = "config"
    elif "aws_session_token" in block:
        check.fail(f"{path}.aws_session_token", "needs aws_access_key_id and aws_secret_access_key")
    elif profile is not None:
        files = profile_files(profile, env)
        key_id, secret, token, profile_region = read_profile(files)
        if key_id is None and not has_api_key:
            check.fail(
                f"{path}.aws_profile",
                f"profile {profile!r} has no aws_access_key_id in the shared credentials or"
                " config file",
            )
        source = f"profile {profile}"
    elif env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        key_id = env["AWS_ACCESS_KEY_ID"]
        secret = Secret(env["AWS_SECRET_ACCESS_KEY"])
        token = Secret(env["AWS_SESSION_TOKEN"]) if env.get("AWS_SESSION_TOKEN") else None
        source = "environment"
    else:
        name = env.get("AWS_PROFILE") or "default"
        files = profile_files(name, env)
        key_id, secret, token, profile_region = read_profile(files)
        source = f"profile {name}"
        if key_id is None and not has_api_key:
            check.fail(
                path,
                "no AWS credentials: set aws_access_key_id and aws_secret_access_key (or"
                " api_key for a Bedrock API key), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
                f" or profile {name!r} in ~/.aws/credentials",
            )
    if key_id is not None and not _KEY_ID.fullmatch(key_id):
        # the id is not secret, but a malformed one may be a secret pasted in the wrong place
        check.fail(path, f"the AWS access key id from {source} is not 16-128 letters and digits")
    if token is not None and not token.reveal().isascii():
        check.fail(path, f"the AWS session token from {source} is not ASCII")
    if key_id is not None and secret is None and not explicit:
        check.fail(path, f"the AWS credentials from {source} have no secret access key")
    if profile_region is None and profile is None and not explicit:
        profile_region = read_profile(profile_files(env.get("AWS_PROFILE") or "default", env))[3]
    region = (
        check.string(block.get("region"), f"{path}.region")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or profile_region
    )
    if region is None:
        check.fail(f"{path}.region", "missing: set region (or AWS_REGION)")
        return None
    if not _REGION.fullmatch(region):
        check.fail(f"{path}.region", f"{region!r} is not an AWS region name (e.g. us-east-1)")
        return None
    return AwsSettings(region, key_id, secret, token, source, files if key_id else ())
