use super::*;
use crate::json::Limits;
use std::path::PathBuf;

fn opts(version: &str) -> Options<'_> {
    Options {
        version: Some(version),
        result_of: None,
    }
}

fn single(text: &str, o: &Options<'_>) -> Result<Handle, RpcError> {
    match parse(text.as_bytes(), Limits::default(), o)? {
        Checked::Single(h) => Ok(h),
        Checked::Batch(_) => panic!("unexpected batch"),
    }
}

const CALL_2025: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"}}}"#;

#[test]
fn tools_call_handle() {
    let h = single(CALL_2025, &opts("2025-06-18")).unwrap();
    assert_eq!(h.kind, MessageKind::Request);
    assert_eq!(h.id, Some(Id::Int(7)));
    assert_eq!(h.method.as_deref(), Some("tools/call"));
    let (s, e) = h.name_span.unwrap();
    assert_eq!(&CALL_2025[s..e], "\"get_weather\"");
    assert_eq!(h.version, "2025-06-18");
    assert_eq!(h.era, Era::Legacy);
}

#[test]
fn params_errors_name_the_path() {
    let bad = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}"#;
    let e = single(bad, &opts("2025-11-25")).unwrap_err();
    assert_eq!(e.code, codes::INVALID_PARAMS);
    assert_eq!(e.message, "params: missing required property \"name\"");
    let bad = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}"#;
    let e = single(bad, &opts("2025-11-25")).unwrap_err();
    assert_eq!(e.message, "params.name: expected string, got integer");
}

#[test]
fn content_block_errors_pick_the_meant_branch() {
    let bad = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"},{"type":"image","data":"AA=="}]}}"#;
    let o = Options {
        version: Some("2025-11-25"),
        result_of: Some("tools/call"),
    };
    let e = single(bad, &o).unwrap_err();
    assert_eq!(e.code, codes::INVALID_PARAMS);
    assert_eq!(
        e.message,
        "result.content[1]: missing required property \"mimeType\""
    );
    let bad = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"video"}]}}"#;
    let e = single(bad, &o).unwrap_err();
    assert!(
        e.message
            .starts_with("result.content[0]: does not match any of: TextContent, ImageContent"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_method_and_kind_mismatch() {
    let e = single(
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/run"}"#,
        &opts("2025-11-25"),
    )
    .unwrap_err();
    assert_eq!(e.code, codes::METHOD_NOT_FOUND);
    // ping does not exist in the stateless revision
    let e = single(
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        &opts("2026-07-28"),
    )
    .unwrap_err();
    assert_eq!(e.code, codes::METHOD_NOT_FOUND);
    let e = single(r#"{"jsonrpc":"2.0","method":"ping"}"#, &opts("2025-11-25")).unwrap_err();
    assert_eq!(e.code, codes::INVALID_REQUEST);
    let e = single(
        r#"{"jsonrpc":"2.0","id":3,"method":"notifications/initialized"}"#,
        &opts("2025-11-25"),
    )
    .unwrap_err();
    assert_eq!(e.code, codes::INVALID_REQUEST);
}

#[test]
fn unknown_fields_are_accepted_where_allowed() {
    let msg = r#"{"jsonrpc":"2.0","id":"x","method":"tools/list","params":{"_meta":{"vendor/x":1},"cursor":"c","extra":true}}"#;
    single(msg, &opts("2025-06-18")).unwrap();
}

#[test]
fn modern_requests_carry_their_version() {
    let msg = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
    let h = single(msg, &Options::default()).unwrap();
    assert_eq!((h.version, h.era), ("2026-07-28", Era::Modern));
    let msg = msg.replace("2026-07-28", "2031-01-01");
    let e = single(&msg, &Options::default()).unwrap_err();
    assert_eq!(e.code, codes::UNSUPPORTED_PROTOCOL_VERSION);
    let data: serde_json::Value = serde_json::from_str(e.data.as_deref().unwrap()).unwrap();
    assert_eq!(data["supported"], serde_json::json!(["2026-07-28"]));
    assert_eq!(data["requested"], "2031-01-01");
    // missing required client capabilities in _meta
    let msg = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
    let e = single(msg, &Options::default()).unwrap_err();
    assert_eq!(e.code, codes::INVALID_PARAMS);
    assert!(e.message.contains("clientCapabilities"), "{}", e.message);
}

#[test]
fn stateless_requests_without_a_version_are_invalid_params() {
    let no_meta = r#"{"jsonrpc":"2.0","id":101,"method":"server/discover","params":{}}"#;
    let only_caps = r#"{"jsonrpc":"2.0","id":102,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}}}"#;
    for msg in [no_meta, only_caps] {
        let e = single(msg, &Options::default()).unwrap_err();
        assert_eq!(e.code, codes::INVALID_PARAMS, "{msg}");
        assert!(e.message.contains("protocolVersion"), "{}", e.message);
    }
    // In a legacy session, discover is just a method that revision lacks.
    let e = single(no_meta, &opts("2025-11-25")).unwrap_err();
    assert_eq!(e.code, codes::METHOD_NOT_FOUND);
}

#[test]
fn initialize_negotiation() {
    assert_eq!(negotiate("2025-03-26"), "2025-03-26");
    assert_eq!(negotiate("2099-01-01"), LATEST_LEGACY);
    assert_eq!(negotiate("2026-07-28"), LATEST_LEGACY);
    let msg = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#;
    let h = single(msg, &opts("2025-11-25")).unwrap();
    assert_eq!((h.version, h.era), ("2024-11-05", Era::Legacy));
}

#[test]
fn batches_only_in_2025_03_26() {
    let batch = format!("[{CALL_2025}, {{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}}]");
    let e = parse(batch.as_bytes(), Limits::default(), &opts("2025-06-18")).unwrap_err();
    assert_eq!(e.code, codes::INVALID_REQUEST);
    match parse(batch.as_bytes(), Limits::default(), &opts("2025-03-26")).unwrap() {
        Checked::Batch(items) => {
            assert!(items[0].is_ok());
            assert_eq!(items[1].as_ref().unwrap_err().code, codes::METHOD_NOT_FOUND);
        }
        Checked::Single(_) => panic!("expected a batch"),
    }
    let e = parse(b"[]", Limits::default(), &opts("2025-03-26")).unwrap_err();
    assert_eq!(e.code, codes::INVALID_REQUEST);
}

#[test]
fn parse_errors_are_32700_with_offset() {
    let e = parse(
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2}",
        Limits::default(),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!((e.code, e.offset), (codes::PARSE_ERROR, Some(24)));
}

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/mcp-schema")
}

/// Every example message published with the spec validates as the type its folder names.
#[test]
fn official_examples_validate() {
    let mut count = 0;
    for (dir, version) in [("2026-07-28", "2026-07-28"), ("draft", LATEST)] {
        let root = shared().join(dir).join("examples");
        let types = std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        for t in types {
            let t = t.unwrap();
            let type_name = t.file_name().into_string().unwrap();
            for f in std::fs::read_dir(t.path()).unwrap() {
                let path = f.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                validate_as(version, &type_name, &bytes, Limits::default())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                count += 1;
            }
        }
    }
    assert!(count >= 250, "only {count} examples found");
}

#[test]
fn every_revision_has_its_methods() {
    for v in SUPPORTED_VERSIONS {
        let r = revision(v).unwrap();
        assert!(r.method("tools/call").is_some(), "{v}");
        assert!(r.method("resources/read").is_some(), "{v}");
        assert_eq!(r.method("initialize").is_some(), v != LATEST, "{v}");
        assert_eq!(r.method("server/discover").is_some(), v == LATEST, "{v}");
    }
}

#[test]
fn missing_params_is_invalid_params() {
    let e = single(
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
        &opts("2025-11-25"),
    )
    .unwrap_err();
    assert_eq!(e.code, codes::INVALID_PARAMS);
    assert_eq!(e.message, "missing required property \"params\"");
}

#[test]
fn elicitation_answers_take_any_json_number() {
    // schema.json narrows ElicitResult's numbers to integers; schema.ts, the SDKs and
    // NumberSchema do not (tools/gen_mcp_schema.py widens it).
    let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}"#;
    for (value, ok) in [("95.5", true), ("-1e3", true), ("7", true), ("{}", false)] {
        let msg = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"t",{meta},"inputResponses":{{"q":{{"action":"accept","content":{{"score":{value}}}}}}}}}}}"#
        );
        assert_eq!(single(&msg, &Options::default()).is_ok(), ok, "{value}");
    }
    for version in ["2025-06-18", "2025-11-25"] {
        let reply =
            r#"{"jsonrpc":"2.0","id":3,"result":{"action":"accept","content":{"score":95.5}}}"#;
        let o = Options {
            version: Some(version),
            result_of: Some("elicitation/create"),
        };
        assert!(single(reply, &o).is_ok(), "{version}");
    }
}

#[test]
fn capabilities_take_floats_and_null() {
    let msg = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"experimental":{"x":{"ratio":0.5,"off":null}}}}}}"#;
    single(msg, &Options::default()).unwrap();
}

#[test]
fn extension_requests_pass_with_their_envelope_checked() {
    let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
    for method in [
        "tasks/get",
        "tasks/update",
        "tasks/cancel",
        "skills/list",
        "skills/get",
    ] {
        let msg = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{"taskId":"t1",{meta}}}}}"#
        );
        let handle = single(&msg, &Options::default()).unwrap();
        assert_eq!(handle.era, Era::Modern, "{method}");
    }
    let unknown =
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tasks/list","params":{{{meta}}}}}"#);
    assert_eq!(
        single(&unknown, &Options::default()).unwrap_err().code,
        codes::METHOD_NOT_FOUND
    );
    let notification = r#"{"jsonrpc":"2.0","method":"tasks/get","params":{}}"#;
    assert!(single(notification, &Options::default()).is_err());
    let status = r#"{"jsonrpc":"2.0","method":"notifications/tasks","params":{"taskId":"t1","status":"completed"}}"#;
    for version in ["2025-11-25", "2026-07-28"] {
        let o = Options {
            version: Some(version),
            result_of: None,
        };
        single(status, &o).unwrap();
    }
    let as_request = r#"{"jsonrpc":"2.0","id":1,"method":"notifications/tasks","params":{}}"#;
    assert!(single(as_request, &Options::default()).is_err());
    // Their results are the extension's own, even where 2025-11-25 has a tasks/get.
    for version in ["2025-11-25", "2026-07-28"] {
        let reply = r#"{"jsonrpc":"2.0","id":3,"result":{"resultType":"complete","taskId":"t1","status":"working"}}"#;
        let o = Options {
            version: Some(version),
            result_of: Some("tasks/get"),
        };
        assert!(single(reply, &o).is_ok(), "{version}");
    }
}
