"""AWS SigV4 request signing: mcproute's core signer vs botocore's ``SigV4Auth``.

Both sign the same Bedrock Converse request (POST, JSON body, three headers, a session token)
and produce the same ``Authorization`` header. Run with `make bench` (or
`python -m benches.run sigv4`). Never part of `make test`.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mcproute._core import SigV4Signer

KEY_ID, SECRET, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEBa"
URL = (
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
    "anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse"
)
BODY = (
    b'{"messages":[{"role":"user","content":[{"text":"Summarise the attached report in three '
    b'bullet points."}]}],"system":[{"text":"You are terse."}],"inferenceConfig":{"maxTokens":512}}'
)
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

OURS = SigV4Signer(KEY_ID, SECRET, session_token=TOKEN, region="us-east-1", service="bedrock")
PEER = SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "bedrock", "us-east-1")


def ours_sign() -> dict[str, str]:
    return OURS.sign("POST", URL, HEADERS, BODY)


# botocore signs the AWSRequest its serializer built for the call; building it is left out
# (add_auth replaces the headers it set on an earlier call, so one request is signed again).
REQUEST = AWSRequest(method="POST", url=URL, data=BODY, headers=dict(HEADERS))


def peer_sign() -> AWSRequest:
    PEER.add_auth(REQUEST)
    return REQUEST


@pytest.mark.parametrize(
    "case", ["mcproute SigV4Signer.sign (one core call)", "botocore SigV4Auth.add_auth"]
)
def test_sigv4_sign(benchmark: Any, case: str) -> None:
    ours = case.startswith("mcproute")
    # both sign the same canonical request (same time within a second, same headers)
    assert (
        ours_sign()["Authorization"].split("Signature=")[0]
        == (peer_sign().headers["Authorization"].split("Signature=")[0])
    )
    benchmark.group = "security: AWS SigV4 sign (Bedrock Converse POST, session token)"
    benchmark.extra_info.update(role="ours" if ours else "peer")
    benchmark(ours_sign if ours else peer_sign)
