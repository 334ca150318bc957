"""`type: bedrock` in the configuration: region, endpoint and where AWS credentials come from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mcproute.config import ConfigError, DeploymentConfig, parse_config

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def bedrock(env: dict[str, str], **block: Any) -> DeploymentConfig:
    document = {
        "mcp": {
            "models": {
                "bedrock": {
                    "type": "bedrock",
                    "models": [{"name": "claude", "model": "anthropic.claude-3-5-haiku:0"}],
                    **block,
                }
            }
        }
    }
    return parse_config(document, env=env).deployments[0]


def refused(env: dict[str, str], **block: Any) -> str:
    with pytest.raises(ConfigError) as info:
        bedrock(env, **block)
    text = str(info.value)
    assert SECRET not in text
    return text


def write_profiles(home: Path) -> None:
    aws = home / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        "[default]\naws_access_key_id = AKIADEFAULT000000000\n"
        "aws_secret_access_key = default-secret\n"
        f"[work]\naws_access_key_id = AKIAWORK000000000000\naws_secret_access_key = {SECRET}\n"
        "aws_session_token = work-token\n"
    )
    (aws / "config").write_text(
        "[default]\nregion = eu-west-1\n[profile work]\nregion = ap-southeast-2\n"
        "[profile cfgonly]\naws_access_key_id = AKIACFG0000000000000\n"
        "aws_secret_access_key = cfg-secret\n"
    )


def test_explicit_keys_from_env_references_and_files(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    env = {
        "MY_KEY_ID": "AKIAEXPLICIT00000000",
        "MY_TOKEN": "tok",
        "AWS_ACCESS_KEY_ID": "AKIAENV0000000000000",
    }
    config = bedrock(
        env,
        region="us-west-2",
        aws_access_key_id="${MY_KEY_ID}",
        aws_secret_access_key=f"file:{secret_file}",
        aws_session_token="${MY_TOKEN}",
    )
    assert config.aws is not None
    assert config.aws.access_key_id == "AKIAEXPLICIT00000000"
    assert config.aws.secret_access_key is not None
    assert config.aws.secret_access_key.reveal() == SECRET
    assert config.aws.session_token is not None
    assert config.aws.session_token.reveal() == "tok"
    assert config.aws.source == "config"
    assert config.endpoint == "https://bedrock-runtime.us-west-2.amazonaws.com"
    assert SECRET not in repr(config)
    assert "tok" not in repr(config.aws)


def test_environment_then_shared_files(tmp_path: Path) -> None:
    write_profiles(tmp_path)
    env = {
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "AKIAENV0000000000000",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": "env-token",
        "AWS_REGION": "us-east-2",
    }
    config = bedrock(env)
    assert config.aws is not None
    assert (config.aws.access_key_id, config.aws.region, config.aws.source) == (
        "AKIAENV0000000000000",
        "us-east-2",
        "environment",
    )
    assert config.aws.session_token is not None
    # without the environment's keys: the default profile, and its region from the config file
    config = bedrock({"HOME": str(tmp_path)})
    assert config.aws is not None
    assert (config.aws.access_key_id, config.aws.region) == ("AKIADEFAULT000000000", "eu-west-1")
    # AWS_PROFILE picks another one
    config = bedrock({"HOME": str(tmp_path), "AWS_PROFILE": "work"})
    assert config.aws is not None
    assert (config.aws.access_key_id, config.aws.region) == (
        "AKIAWORK000000000000",
        "ap-southeast-2",
    )
    assert config.aws.session_token is not None
    # keys may also sit in the config file
    config = bedrock({"HOME": str(tmp_path), "AWS_PROFILE": "cfgonly", "AWS_REGION": "us-east-1"})
    assert config.aws is not None
    assert config.aws.access_key_id == "AKIACFG0000000000000"


def test_profile_in_the_block_beats_the_environment(tmp_path: Path) -> None:
    write_profiles(tmp_path)
    env = {
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "AKIAENV0000000000000",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    config = bedrock(env, aws_profile="work")
    assert config.aws is not None
    assert (config.aws.access_key_id, config.aws.source) == ("AKIAWORK000000000000", "profile work")
    custom = tmp_path / "elsewhere"
    custom.write_text(
        f"[work]\naws_access_key_id = AKIAOTHER00000000000\naws_secret_access_key = {SECRET}\n"
    )
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(custom)
    config = bedrock(env, aws_profile="work", region="us-east-1")
    assert config.aws is not None
    assert config.aws.access_key_id == "AKIAOTHER00000000000"


def test_an_endpoint_and_an_api_key_need_no_aws_credentials(tmp_path: Path) -> None:
    config = bedrock(
        {"HOME": str(tmp_path)},
        region="us-east-1",
        endpoint="https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com",
        api_key="ABSKbedrockkey",
    )
    assert config.endpoint.startswith("https://vpce-1.")
    assert config.api_key is not None
    assert config.aws is not None
    assert config.aws.access_key_id is None


def test_a_bedrock_api_key_from_the_environment(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "AWS_BEARER_TOKEN_BEDROCK": "ABSKfromenv",
        "AWS_REGION": "us-east-1",
    }
    config = bedrock(env)
    assert config.api_key is not None
    assert config.api_key.reveal() == "ABSKfromenv"
    assert config.api_key_source == "AWS_BEARER_TOKEN_BEDROCK"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"region": "us-east-1"}, "no AWS credentials"),
        ({"aws_access_key_id": "AKIA1", "region": "us-east-1"}, "aws_secret_access_key: missing"),
        (
            {
                "aws_access_key_id": "not a key id",
                "aws_secret_access_key": SECRET,
                "region": "us-east-1",
            },
            "access key id from config is not 16-128 letters and digits",
        ),
        ({"aws_session_token": "t", "region": "us-east-1"}, "needs aws_access_key_id"),
        (
            {"aws_access_key_id": "AKIA000000000000", "aws_secret_access_key": SECRET},
            "region: missing",
        ),
        (
            {
                "aws_access_key_id": "AKIA000000000000",
                "aws_secret_access_key": SECRET,
                "region": "Mars 1",
            },
            "is not an AWS region name",
        ),
        (
            {
                "aws_access_key_id": "AKIA000000000000",
                "aws_secret_access_key": "${NOPE}",
                "region": "us-east-1",
            },
            "environment variable NOPE is not set",
        ),
        ({"aws_profile": "missing", "region": "us-east-1"}, "profile 'missing' has no"),
        (
            {
                "aws_profile": "p",
                "aws_access_key_id": "AKIA000000000000",
                "aws_secret_access_key": SECRET,
                "region": "us-east-1",
            },
            "either aws_profile or explicit keys",
        ),
    ],
)
def test_problems_are_named_by_path(tmp_path: Path, block: dict[str, Any], expected: str) -> None:
    text = refused({"HOME": str(tmp_path)}, **block)
    assert "mcp.models.bedrock" in text
    assert expected in text


def test_aws_keys_belong_to_bedrock_only() -> None:
    document = {
        "mcp": {
            "models": {
                "openai": {
                    "endpoint": "https://api.openai.com",
                    "region": "us-east-1",
                    "models": ["gpt-4"],
                }
            }
        }
    }
    with pytest.raises(ConfigError, match=r"mcp\.models\.openai\.region: is only for providers"):
        parse_config(document, env={})
