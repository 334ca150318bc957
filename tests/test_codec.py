"""The codec from Python: handles, errors with codes and offsets, limits, encoding."""

from __future__ import annotations

import json

import pytest

from mcproute import _core
from mcproute._core import ProtocolError

CALL = (
    b'{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_weather",'
    b'"arguments":{"city":"Paris"}}}'
)
MODERN_META = (
    '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
    '"io.modelcontextprotocol/clientCapabilities":{}}'
)


def error_of(data: bytes, **kw: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        _core.parse(data, **kw)
    return info.value


def test_handle_fields() -> None:
    m = _core.parse(CALL, version="2025-06-18")
    assert isinstance(m, _core.Message)
    assert (m.kind, m.id, m.method, m.name) == ("request", 42, "tools/call", "get_weather")
    assert (m.protocol_version, m.era) == ("2025-06-18", "legacy")
    assert m.raw is CALL  # the caller's bytes, not a copy
    assert m.to_python() == json.loads(CALL)
    assert "tools/call" in repr(m)


def test_params_are_built_once_and_only_when_asked() -> None:
    m = _core.parse(CALL, version="2025-06-18")
    assert m.params() == {"name": "get_weather", "arguments": {"city": "Paris"}}
    assert m.params() is m.params()  # built once
    ping = _core.parse(b'{"jsonrpc":"2.0","id":1,"method":"ping"}')
    assert ping.params() == {}


def test_splice_replaces_the_id_and_the_name_byte_for_byte() -> None:
    m = _core.parse(CALL, version="2025-06-18")
    out = m.splice(id="up-7", name='ev"weather')
    assert out == CALL.replace(b"42", b'"up-7"').replace(b'"get_weather"', b'"ev\\"weather"')
    again = _core.parse(out, version="2025-06-18")
    assert (again.id, again.name) == ("up-7", 'ev"weather')
    assert m.splice() == CALL  # nothing asked: the same bytes


def test_splice_of_a_result_sets_and_drops_members() -> None:
    reply = (
        b'{"jsonrpc":"2.0","id":9,"result":{"_meta":{"x":1},"content":[{"type":"text",'
        b'"text":"hi"}],"isError":true,"ttlMs":5}}'
    )
    m = _core.parse(reply, version="2025-11-25", result_of="tools/call")
    assert (m.tool_error, m.result_type, m.error_code) == (True, None, None)
    out = m.splice(
        id=1, result_set=b'{"_meta":{"y":2},"resultType":"complete"}', result_drop=["ttlMs"]
    )
    assert json.loads(out) == {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "_meta": {"y": 2},
            "resultType": "complete",
            "content": [{"type": "text", "text": "hi"}],
            "isError": True,
        },
    }


def test_splice_refuses_what_the_message_lacks() -> None:
    note = _core.parse(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
    with pytest.raises(ValueError, match="no id"):
        note.splice(id=1)
    with pytest.raises(ValueError, match="no result"):
        note.splice(result_drop=["ttlMs"])
    m = _core.parse(b'{"jsonrpc":"2.0","id":1,"result":{}}', result_of="ping")
    with pytest.raises(ValueError, match="result_set"):
        m.splice(result_set=b"[1]")


def test_error_replies_name_their_code() -> None:
    data = b'{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"bad"}}'
    m = _core.parse(data)
    assert (m.kind, m.error_code, m.tool_error) == ("error", -32602, False)


def test_resource_uri_is_the_name_and_escapes_decode() -> None:
    data = (
        b'{"jsonrpc":"2.0","id":"r\\u00e9","method":"resources/read","params":'
        b'{"uri":"file:///a\\"b"}}'
    )
    m = _core.parse(data)
    assert m.id == "ré"
    assert m.name == 'file:///a"b'
    assert m.protocol_version == _core.LATEST_LEGACY_VERSION


def test_modern_request() -> None:
    data = f'{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{{MODERN_META}}}}}'
    m = _core.parse(data.encode())
    assert (m.protocol_version, m.era) == ("2026-07-28", "modern")
    assert _core.detect_era(data.encode()) == "modern"


def test_unsupported_modern_version_is_32022_with_supported_list() -> None:
    data = (
        b'{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"_meta":'
        b'{"io.modelcontextprotocol/protocolVersion":"2030-01-01",'
        b'"io.modelcontextprotocol/clientCapabilities":{}}}}'
    )
    e = error_of(data)
    assert e.code == -32022
    assert e.data == {"supported": ["2026-07-28"], "requested": "2030-01-01"}
    assert e.id == 5
    err = _core.unsupported_version_error("x")
    assert isinstance(err, ProtocolError)
    assert err.code == -32022


@pytest.mark.parametrize(
    ("data", "offset", "fragment"),
    [
        (b'{"a":1,"a":2}', 7, "duplicate object key"),
        (b'{"a":"\xff"}', 6, "invalid UTF-8"),
        (b'["\\ud800"]', 2, "lone UTF-16 surrogate"),
        (b"{} {}", 3, "trailing bytes"),
        (b"[1e999]", 1, "number out of range"),
        (b'{"a":', 5, "unexpected end"),
    ],
)
def test_parse_errors(data: bytes, offset: int, fragment: str) -> None:
    e = error_of(data)
    assert e.code == -32700
    assert e.offset == offset
    assert fragment in str(e)
    assert e.id is None


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b'{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, "id: null is not a valid id"),
        (b'{"jsonrpc":"2.0","id":1,"method":"tools/run"}', -32601, "method not found"),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1}}',
            -32602,
            "params.name: expected string, got integer",
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"ping","params":[]}',
            -32602,
            "params: expected object, got array",
        ),
    ],
)
def test_protocol_errors(data: bytes, code: int, message: str) -> None:
    e = error_of(data, version="2025-11-25")
    assert e.code == code
    assert message in str(e)
    assert isinstance(e, ValueError)


def test_error_carries_the_request_id_for_the_reply() -> None:
    e = error_of(b'{"jsonrpc":"2.0","id":"abc","method":"nope"}')
    reply = json.loads(_core.encode_error(e.id, e.code, str(e)))
    assert reply == {
        "jsonrpc": "2.0",
        "id": "abc",
        "error": {"code": -32601, "message": str(e)},
    }


def test_result_validation_needs_the_request_method() -> None:
    bad = b'{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"x"}]}}'
    assert _core.parse(bad).kind == "response"  # envelope only
    e = error_of(bad, version="2025-11-25", result_of="tools/list")
    assert e.code == -32602
    assert str(e) == 'result.tools[0]: missing required property "inputSchema"'


def test_batches_only_in_2025_03_26() -> None:
    batch = b"[" + CALL + b',{"jsonrpc":"2.0","id":2,"method":"nope"}]'
    e = error_of(batch, version="2025-06-18")
    assert e.code == -32600
    assert "2025-03-26" in str(e)
    items = _core.parse(batch, version="2025-03-26")
    assert isinstance(items, list)
    first, second = items
    assert isinstance(first, _core.Message)
    assert first.name == "get_weather"
    assert first.raw == CALL
    assert isinstance(second, ProtocolError)
    assert (second.code, second.id) == (-32601, 2)


def test_limits_have_safe_defaults_and_can_change() -> None:
    codec = _core.Codec()
    assert (codec.max_size, codec.max_depth) == (4 * 1024 * 1024, 64)
    deep = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":' + (
        b'{"a":' * 70 + b"1" + b"}" * 70 + b"}}"
    )
    e = error_of(deep)
    assert e.code == -32700
    assert "nesting deeper than 64" in str(e)
    assert _core.Codec(max_depth=100).parse(deep).name == "x"  # type: ignore[union-attr]
    small = _core.Codec(max_size=16)
    with pytest.raises(ProtocolError, match="over the limit of 16"):
        small.parse(CALL)
    with pytest.raises(ValueError, match="max_depth"):
        _core.Codec(max_depth=0)
    with pytest.raises(ValueError, match="max_size"):
        _core.Codec(max_size=0)


def test_unknown_version_is_rejected_clearly() -> None:
    with pytest.raises(ValueError, match="not a supported protocol revision"):
        _core.parse(CALL, version="1.0")


def test_loads_matches_json_module() -> None:
    text = (
        '{"a":[1,-2.5,1e-3,true,false,null,"\\u00e9\\ud83d\\ude00"],"big":123456789012345678901234}'
    )
    assert _core.loads(text.encode()) == json.loads(text)


def test_encoders_produce_valid_messages() -> None:
    req = _core.encode_request(7, "tools/list", b"{}")
    assert _core.parse(req).method == "tools/list"  # type: ignore[union-attr]
    note = _core.encode_request(None, "notifications/initialized")
    assert _core.parse(note).kind == "notification"  # type: ignore[union-attr]
    res = _core.encode_result("x", b'{"tools":[]}')
    assert json.loads(res) == {"jsonrpc": "2.0", "id": "x", "result": {"tools": []}}
    err = _core.encode_error(None, -32700, 'bad "json"', b'{"offset":3}')
    assert json.loads(err)["error"] == {
        "code": -32700,
        "message": 'bad "json"',
        "data": {"offset": 3},
    }
    with pytest.raises(ValueError, match="result: not valid JSON"):
        _core.encode_result(1, b"{")
    with pytest.raises(TypeError, match="id"):
        _core.encode_result(True, b"{}")


def test_negotiation() -> None:
    assert _core.negotiate("2025-03-26") == "2025-03-26"
    assert _core.negotiate("1.0") == _core.LATEST_LEGACY_VERSION
    assert _core.SUPPORTED_VERSIONS[-1] == _core.LATEST_VERSION == "2026-07-28"


def test_generated_tables_are_current(tmp_path: object) -> None:
    """The committed Rust tables are what the generator makes from today's schemas."""
    import subprocess
    import sys

    from conftest import ROOT, SCHEMAS, require

    require(SCHEMAS.is_dir(), f"{SCHEMAS} not found")
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools/gen_mcp_schema.py"), "--check", str(SCHEMAS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
