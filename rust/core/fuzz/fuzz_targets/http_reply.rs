//! Any fields and body through the front's reply writer: a field with a CR or LF is refused,
//! never written; any other reply whose fields a client may read (token names, values without
//! control bytes, none that changes the framing) reads back through the upstream head parser
//! as written: status 200, keep-alive as asked, its Content-Length framing exactly the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcproute_core::http_head::{parse_response_head, BodyFraming, MAX_HEAD};
use mcproute_core::http_reply::ReplyBytes;

const DATE: &str = "Thu, 03 Dec 2026 12:00:00 GMT";

fn token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn readable(value: &str) -> bool {
    value.bytes().all(|b| b >= 0x20 && b != 0x7f) && value.trim() == value
}

fuzz_target!(|input: (Vec<(String, String)>, Vec<u8>, bool)| {
    let (fields, body, keep_alive) = input;
    let mut reply = ReplyBytes::new("HTTP/1.1 200 OK\r\n", body.len());
    let mut split = false;
    for (name, value) in &fields {
        let refused = reply.field(name, value).is_err();
        let has_break = |s: &str| s.contains(['\r', '\n']);
        assert_eq!(refused, has_break(name) || has_break(value));
        split |= refused;
        if refused {
            break;
        }
    }
    if split {
        return;
    }
    let out = reply.finish(&body, keep_alive, DATE, "mcproute");
    let clean = fields.iter().all(|(name, value)| {
        let framing = ["content-length", "transfer-encoding", "connection"]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f));
        token(name) && readable(value) && !framing
    });
    if !clean || out.len() - body.len() > MAX_HEAD {
        return;
    }
    let head = parse_response_head(&out)
        .expect("a clean reply parses")
        .expect("a clean reply is complete");
    assert_eq!(head.status, 200);
    assert_eq!(head.keep_alive, keep_alive);
    let framing = if body.is_empty() {
        BodyFraming::Empty // (how the parser reads `Content-Length: 0`)
    } else {
        BodyFraming::Length(body.len() as u64)
    };
    assert_eq!(head.framing, framing);
    assert_eq!(&out[head.len..], &body[..]);
});
