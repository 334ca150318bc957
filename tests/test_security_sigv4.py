"""AWS Signature Version 4 in the core: AWS's published test suite, and byte-for-byte agreement
with botocore's ``SigV4Auth`` on generated requests."""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path
from unittest import mock
from urllib.parse import quote, urlencode

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import ROOT, require

from mcproute._core import SignatureError, SigV4Signer

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_TIME = 1_440_938_160  # 2015-08-30T12:36:00Z, the suite's clock


def _botocore_version() -> str:
    text = (ROOT / "requirements-dev.txt").read_text()
    match = re.search(r"^botocore==(\S+)$", text, re.MULTILINE)
    assert match, "botocore is pinned in requirements-dev.txt"
    return match.group(1)


SUITE = (
    ROOT
    / ".peers"
    / f"botocore-{_botocore_version()}"
    / "tests"
    / "unit"
    / "auth"
    / "aws4_testsuite"
)


def _suite_cases() -> list[str]:
    if not SUITE.is_dir():
        return ["<missing>"]
    return sorted(str(p.parent.relative_to(SUITE)) for p in SUITE.rglob("*.req"))


def _parse_raw(raw: str) -> tuple[str, str, list[tuple[str, str]], bytes]:
    """A raw HTTP/1.1 request of the suite: request line, headers (with folded lines), body."""
    head, _, body = raw.partition("\n\n")
    lines = head.split("\n")
    method, _, rest = lines[0].partition(" ")
    path = rest.rsplit(" HTTP/", 1)[0]
    headers: list[tuple[str, str]] = []
    for line in filter(None, lines[1:]):
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line)
        else:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return method, path, headers, body.encode()


@pytest.mark.parametrize("case", _suite_cases())
def test_aws_sigv4_suite(case: str) -> None:
    require(SUITE.is_dir(), f"{SUITE} missing: run `make sigv4-suite` (the botocore sdist)")
    stem = SUITE / case / Path(case).name
    raw = stem.with_suffix(".req").read_text(encoding="utf-8")
    expected_creq = stem.with_suffix(".creq").read_text(encoding="utf-8").replace("\r", "")
    expected_authz = stem.with_suffix(".authz").read_text(encoding="utf-8").replace("\r", "")
    method, path, headers, body = _parse_raw(raw)
    host = next(v for n, v in headers if n.lower() == "host")
    # A token the canonical request lists was signed; one added after signing (the
    # post-sts-header-after case) was not.
    token = re.search(r"^x-amz-security-token:(.*)$", expected_creq, re.MULTILINE)
    signer = SigV4Signer(
        ACCESS_KEY,
        SECRET_KEY,
        session_token=token.group(1) if token else None,
        region="us-east-1",
        service="service",
    )
    url = f"https://{host}{path}"
    if token is None:
        headers = [(n, v) for n, v in headers if n.lower() != "x-amz-security-token"]
    creq = signer.canonical_request(method, url, headers, body, timestamp=SUITE_TIME)
    assert creq == expected_creq
    signed = signer.sign(method, url, headers, body, timestamp=SUITE_TIME)
    assert signed["Authorization"] == expected_authz
    assert signed["X-Amz-Date"] == "20150830T123600Z"


# ------------------------------------------------------------------------- against botocore

_TOKEN = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=12)
_VALUE = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("\t é\u1234"),
    max_size=20,
)
_SEGMENT = st.lists(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%")
    | st.sampled_from(["é", "\u1234", "%3A", "%2F"]),
    max_size=8,
).map("".join)
_RESERVED = {"host", "authorization", "x-amz-date", "date", "x-amz-content-sha256"}


@st.composite
def _requests(
    draw: st.DrawFn,
) -> tuple[str, str, str, list[tuple[str, str]], dict[str, str], bytes]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(st.sampled_from(["bedrock-runtime.us-east-1.amazonaws.com", "127.0.0.1", "Ex.COM"]))
    port = draw(st.sampled_from(["", ":443", ":80", ":8443"]))
    segments = draw(st.lists(_SEGMENT | st.sampled_from([".", ".."]), max_size=5))
    path = "/" + "/".join(segments) + draw(st.sampled_from(["", "/"]))
    params = draw(st.dictionaries(_TOKEN, _VALUE, max_size=4))
    names = draw(st.lists(_TOKEN.filter(lambda n: n not in _RESERVED), max_size=5))
    headers = [(draw(st.sampled_from([n, n.upper(), n.title()])), draw(_VALUE)) for n in names]
    body = draw(st.binary(max_size=64))
    return method, f"{scheme}://{host}{port}{path}", path, headers, params, body


@settings(max_examples=150, deadline=None)
@given(_requests(), st.sampled_from([None, "FwoGZXIvYXdzE//token+/="]), st.integers(0, 4 * 10**9))
def test_signature_matches_botocore(
    request: tuple[str, str, str, list[tuple[str, str]], dict[str, str], bytes],
    token: str | None,
    timestamp: int,
) -> None:
    method, url, _path, headers, params, body = request
    query = urlencode(params, quote_via=quote, safe="-_.~")
    full_url = f"{url}?{query}" if query else url
    when = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).replace(tzinfo=None)
    reference = AWSRequest(method=method, url=url, params=params, data=body)
    for name, value in headers:
        reference.headers.add_header(name, value)  # repeated names stay repeated
    auth = botocore.auth.SigV4Auth(
        Credentials(ACCESS_KEY, SECRET_KEY, token), "bedrock", "us-west-2"
    )
    with mock.patch.object(botocore.auth.datetime, "datetime") as clock:
        clock.now.return_value = when
        clock.utcnow.return_value = when
        clock.strptime = datetime.datetime.strptime
        auth.add_auth(reference)
    signer = SigV4Signer(
        ACCESS_KEY, SECRET_KEY, session_token=token, region="us-west-2", service="bedrock"
    )
    ours = signer.sign(method, full_url, headers, body, timestamp=timestamp)
    assert ours["Authorization"] == reference.headers["Authorization"]
    assert ours["X-Amz-Date"] == reference.headers["X-Amz-Date"]
    assert ours.get("X-Amz-Security-Token") == reference.headers.get("X-Amz-Security-Token")


def test_payload_hash_stands_in_for_the_body() -> None:
    signer = SigV4Signer(ACCESS_KEY, SECRET_KEY, region="us-east-1", service="bedrock")
    body = b'{"messages": []}'
    digest = hashlib.sha256(body).hexdigest()
    a = signer.sign("POST", "https://h/x", {}, body, timestamp=SUITE_TIME)
    b = signer.sign("POST", "https://h/x", {}, payload_hash=digest, timestamp=SUITE_TIME)
    assert a == b


@pytest.mark.parametrize(
    ("kwargs", "call", "reason"),
    [
        ({"region": "us east"}, None, "invalid_credential"),
        ({"service": ""}, None, "invalid_credential"),
        ({}, ("GET", "ftp://h/", {}), "invalid_url"),
        ({}, ("GET", "https://h/", {"bad name": "v"}), "invalid_header"),
        ({}, ("GET", "https://h/", {"x": "a\r\nb"}), "invalid_header"),
        ({}, ("G ET", "https://h/", {}), "invalid_method"),
    ],
)
def test_bad_input_is_refused_without_the_secret(
    kwargs: dict[str, str], call: tuple[str, str, dict[str, str]] | None, reason: str
) -> None:
    args = {"region": "us-east-1", "service": "bedrock", **kwargs}

    def attempt() -> None:
        signer = SigV4Signer(ACCESS_KEY, SECRET_KEY, session_token="TOKENVALUE", **args)
        assert call is not None
        signer.sign(*call)

    with pytest.raises(SignatureError) as info:
        attempt()
    assert info.value.reason == reason
    assert SECRET_KEY not in str(info.value)
    assert "TOKENVALUE" not in str(info.value)


def test_repr_hides_the_secret() -> None:
    signer = SigV4Signer(
        ACCESS_KEY, SECRET_KEY, session_token="TOK", region="eu-west-1", service="s"
    )
    assert "wJal" not in repr(signer)
    assert "TOK" not in repr(signer)
    assert (signer.access_key_id, signer.region, signer.service) == (ACCESS_KEY, "eu-west-1", "s")
    with pytest.raises(SignatureError):
        signer.sign("GET", "https://h/", {}, payload_hash="nothex")
