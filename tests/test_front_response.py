"""The bytes the server front writes for a whole reply (`front/response.py`, the core's
`encode_reply`): read back by the standard library's HTTP client, they are the reply's own
header lines in order, then the ones aiohttp adds (unless the reply has them, in any case),
then the body; a CR or LF in a name or value is refused; a `WholeReply` goes out as the same
`web.Response` would."""

from __future__ import annotations

import http.client
import io
import re

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from mcproute.proxy.front.response import WholeReply, encoded, mark_sent, whole_reply

# The lines aiohttp adds, and the one every JSON reply has.
NAMED = {"content-length", "date", "server", "connection", "content-type"}
TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1
).filter(lambda name: name.lower() not in NAMED)
# Values as aiohttp lets them through: any text but CR and LF (stripped by the reader).
VALUE = st.text(
    alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40
).map(str.strip)
FIELDS = st.lists(st.tuples(TOKEN, VALUE), max_size=8, unique_by=lambda f: f[0].lower())


class _Socket:
    def __init__(self, data: bytes) -> None:
        self._file = io.BytesIO(data)

    def makefile(self, *_: object, **__: object) -> io.BytesIO:
        return self._file


def read_back(data: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    reply = http.client.HTTPResponse(_Socket(data))  # type: ignore[arg-type]
    reply.begin()
    return reply.status, reply.getheaders(), reply.read()


@given(FIELDS, st.binary(max_size=300), st.booleans())
def test_a_client_reads_the_fields_in_order_then_what_aiohttp_adds(
    fields: list[tuple[str, str]], body: bytes, keep_alive: bool
) -> None:
    # (latin-1 text: the standard library's reader decodes header bytes as latin-1)
    data = whole_reply("HTTP/1.1 200 OK\r\n", fields, body, keep_alive)
    status, headers, read = read_back(data)
    assert status == 200
    assert read == body
    names = [name for name, _ in headers]
    assert headers[: len(fields)] == [(n, v.encode().decode("latin-1")) for n, v in fields]
    added = ["Content-Length", "Date", "Server"] + ([] if keep_alive else ["Connection"])
    assert names[len(fields) :] == added
    assert dict(headers)["Content-Length"] == str(len(body))
    if not keep_alive:
        assert dict(headers)["Connection"] == "close"


@pytest.mark.parametrize("name", ["content-length", "DATE", "Server", "connection"])
def test_a_line_aiohttp_adds_is_not_added_when_the_reply_has_it(name: str) -> None:
    value = "2" if name == "content-length" else "x"
    data = whole_reply("HTTP/1.1 200 OK\r\n", [(name, value)], b"{}", keep_alive=False)
    _, headers, _ = read_back(data)
    assert [n.lower() for n, _ in headers].count(name.lower()) == 1


@given(FIELDS, st.integers(0, 7), st.sampled_from(["\r", "\n", "\r\n"]), st.booleans())
def test_a_cr_or_lf_anywhere_in_a_field_is_refused(
    fields: list[tuple[str, str]], at: int, splitter: str, in_name: bool
) -> None:
    fields = [*fields, ("x-last", "v")]
    i = at % len(fields)
    name, value = fields[i]
    fields[i] = (name + splitter + "Injected", value) if in_name else (name, value + splitter)
    with pytest.raises(ValueError, match="newline or carriage return"):
        whole_reply("HTTP/1.1 200 OK\r\n", fields, b"", keep_alive=True)


def test_fields_must_be_pairs_of_strings() -> None:
    with pytest.raises(TypeError):
        whole_reply("HTTP/1.1 200 OK\r\n", [("x", 1)], b"", keep_alive=True)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="pair"):
        whole_reply("HTTP/1.1 200 OK\r\n", [("x", "y", "z")], b"", keep_alive=True)  # type: ignore[list-item]


@given(FIELDS, st.binary(max_size=100), st.booleans())
def test_a_whole_reply_goes_out_as_the_same_web_response_would(
    fields: list[tuple[str, str]], body: bytes, keep_alive: bool
) -> None:
    whole = WholeReply(body)
    response = web.Response(body=body, content_type="application/json", charset="utf-8")
    for name, value in fields:
        whole.headers[name] = value
        response.headers[name] = value
    assert undated(encoded(whole, keep_alive)) == undated(encoded(response, keep_alive))


def undated(data: bytes) -> bytes:
    """(the two may be made either side of a second's end)"""
    return re.sub(rb"\r\nDate: [^\r]*", b"", data)


def test_a_whole_reply_reads_as_sent_once_marked() -> None:
    whole = WholeReply(b"{}")
    assert (whole.prepared, whole.body_length, whole.status, whole.keep_alive) == (
        False,
        0,
        200,
        None,
    )
    mark_sent(whole, 120)
    assert (whole.prepared, whole.body_length) == (True, 120)
