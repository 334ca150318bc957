//! The JSON-RPC 2.0 envelope: classify a message, read its id and method, encode replies.

use std::borrow::Cow;
use std::fmt;

use crate::json::{Kind, ParseError, Value};

/// JSON-RPC and MCP error codes.
pub mod codes {
    pub const PARSE_ERROR: i32 = -32700;
    pub const INVALID_REQUEST: i32 = -32600;
    pub const METHOD_NOT_FOUND: i32 = -32601;
    pub const INVALID_PARAMS: i32 = -32602;
    pub const INTERNAL_ERROR: i32 = -32603;
    /// 2026-07-28: an HTTP header disagrees with the body.
    pub const HEADER_MISMATCH: i32 = -32020;
    /// 2026-07-28: the request needs a client capability the client did not declare.
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i32 = -32021;
    /// 2026-07-28: the requested protocol version is not supported (`data.supported`).
    pub const UNSUPPORTED_PROTOCOL_VERSION: i32 = -32022;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Request,
    Notification,
    /// A successful response (`result`).
    Response,
    /// An error response (`error`).
    Error,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Request => "request",
            MessageKind::Notification => "notification",
            MessageKind::Response => "response",
            MessageKind::Error => "error",
        }
    }
}

/// A request id: a string or an integer. Error responses may carry none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Id {
    Int(i64),
    Str(String),
}

/// A protocol error to report back: the code, a message naming the problem, and optional
/// `data` as JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
    /// Byte offset of a parse error in the input.
    pub offset: Option<usize>,
    /// Extra `error.data` as JSON text (e.g. the supported versions for -32022).
    pub data: Option<String>,
}

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            offset: None,
            data: None,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        RpcError::new(codes::INVALID_REQUEST, message)
    }
}

impl From<ParseError> for RpcError {
    fn from(e: ParseError) -> Self {
        RpcError {
            code: codes::PARSE_ERROR,
            message: format!("parse error: {e}"),
            offset: Some(e.offset),
            data: None,
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}

/// The envelope fields of one message.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'d, 'a> {
    pub kind: MessageKind,
    pub id: Option<Value<'d, 'a>>,
    pub method: Option<Value<'d, 'a>>,
    pub params: Option<Value<'d, 'a>>,
    pub result: Option<Value<'d, 'a>>,
    pub error: Option<Value<'d, 'a>>,
}

impl<'d, 'a> Envelope<'d, 'a> {
    /// Classify one message (not a batch) and check the JSON-RPC 2.0 envelope rules.
    pub fn read(msg: Value<'d, 'a>) -> Result<Self, RpcError> {
        if msg.kind() != Kind::Object {
            return Err(RpcError::invalid_request(format!(
                "a message must be a JSON object, got {}",
                msg.kind().name()
            )));
        }
        let (mut jsonrpc, mut id, mut method, mut params, mut result, mut error) =
            (None, None, None, None, None, None);
        for (k, v) in msg.members() {
            let slot = match k.as_str().as_deref() {
                Some("jsonrpc") => &mut jsonrpc,
                Some("id") => &mut id,
                Some("method") => &mut method,
                Some("params") => &mut params,
                Some("result") => &mut result,
                Some("error") => &mut error,
                _ => continue,
            };
            *slot = Some(v);
        }
        match jsonrpc {
            Some(v) if v.str_eq("2.0") => {}
            Some(v) => {
                return Err(RpcError::invalid_request(format!(
                    "jsonrpc: must be \"2.0\", got {}",
                    v.raw()
                )))
            }
            None => {
                return Err(RpcError::invalid_request(
                    "jsonrpc: missing, must be \"2.0\"",
                ))
            }
        }
        let kind = match (method, result, error) {
            (Some(m), None, None) => {
                if m.kind() != Kind::String {
                    return Err(RpcError::invalid_request(format!(
                        "method: expected string, got {}",
                        m.kind().name()
                    )));
                }
                if id.is_some() {
                    MessageKind::Request
                } else {
                    MessageKind::Notification
                }
            }
            (None, Some(_), None) => MessageKind::Response,
            (None, None, Some(_)) => MessageKind::Error,
            (None, None, None) => {
                return Err(RpcError::invalid_request(
                    "message has none of method, result or error",
                ))
            }
            _ => {
                return Err(RpcError::invalid_request(
                    "message must have exactly one of method, result or error",
                ))
            }
        };
        if let Some(v) = id {
            let null_allowed = kind == MessageKind::Error;
            let ok =
                v.kind() == Kind::String || v.as_i64().is_some() || (null_allowed && v.is_null());
            if !ok {
                let what = if v.is_null() {
                    "null is not a valid id".to_string()
                } else if v.is_integer() {
                    "integer out of the 64-bit range".to_string()
                } else {
                    format!("expected string or integer, got {}", v.kind().name())
                };
                return Err(RpcError::invalid_request(format!("id: {what}")));
            }
        } else if kind == MessageKind::Response {
            return Err(RpcError::invalid_request("id: missing on a response"));
        }
        if let Some(p) = params {
            if p.kind() != Kind::Object {
                return Err(RpcError::new(
                    codes::INVALID_PARAMS,
                    format!("params: expected object, got {}", p.kind().name()),
                ));
            }
        }
        Ok(Envelope {
            kind,
            id,
            method,
            params,
            result,
            error,
        })
    }

    pub fn method_name(&self) -> Option<Cow<'a, str>> {
        self.method.and_then(|m| m.as_str())
    }

    pub fn id_value(&self) -> Option<Id> {
        let v = self.id?;
        if let Some(s) = v.as_str() {
            return Some(Id::Str(s.into_owned()));
        }
        v.as_i64().map(Id::Int)
    }
}

/// Append `s` as a JSON string literal.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[run..i]);
        if esc.is_empty() {
            out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
        } else {
            out.extend_from_slice(esc);
        }
        run = i + 1;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

pub fn write_id(out: &mut Vec<u8>, id: Option<&Id>) {
    match id {
        Some(Id::Int(n)) => out.extend_from_slice(n.to_string().as_bytes()),
        Some(Id::Str(s)) => write_string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// `{"jsonrpc":"2.0","id":ID,"result":RESULT}`; `result` is JSON text.
pub fn encode_result(id: &Id, result: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + result.len());
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    write_id(&mut out, Some(id));
    out.extend_from_slice(br#","result":"#);
    out.extend_from_slice(result.as_bytes());
    out.push(b'}');
    out
}

/// An error response. When the request's id could not be read, the `id` member is left out:
/// revisions 2025-11-25 and later define it as optional but never null.
pub fn encode_error(id: Option<&Id>, code: i32, message: &str, data: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + message.len());
    out.extend_from_slice(br#"{"jsonrpc":"2.0","#);
    if id.is_some() {
        out.extend_from_slice(br#""id":"#);
        write_id(&mut out, id);
        out.push(b',');
    }
    out.extend_from_slice(br#""error":{"code":"#);
    out.extend_from_slice(code.to_string().as_bytes());
    out.extend_from_slice(br#","message":"#);
    write_string(&mut out, message);
    if let Some(d) = data {
        out.extend_from_slice(br#","data":"#);
        out.extend_from_slice(d.as_bytes());
    }
    out.extend_from_slice(b"}}");
    out
}

/// A request (with an id) or a notification (without); `params` is JSON text.
pub fn encode_request(id: Option<&Id>, method: &str, params: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + method.len() + params.map_or(0, str::len));
    out.extend_from_slice(br#"{"jsonrpc":"2.0","#);
    if id.is_some() {
        out.extend_from_slice(br#""id":"#);
        write_id(&mut out, id);
        out.push(b',');
    }
    out.extend_from_slice(br#""method":"#);
    write_string(&mut out, method);
    if let Some(p) = params {
        out.extend_from_slice(br#","params":"#);
        out.extend_from_slice(p.as_bytes());
    }
    out.push(b'}');
    out
}

/// The error reply for a failed message, with the id when it could be read.
pub fn encode_rpc_error(id: Option<&Id>, e: &RpcError) -> Vec<u8> {
    encode_error(id, e.code, &e.message, e.data.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{Document, Limits};

    fn read(s: &str) -> Result<MessageKind, RpcError> {
        let d = Document::parse(s.as_bytes(), Limits::default()).unwrap();
        Envelope::read(d.root()).map(|e| e.kind)
    }

    #[test]
    fn classifies_messages() {
        assert_eq!(
            read(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Ok(MessageKind::Request)
        );
        assert_eq!(
            read(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Ok(MessageKind::Notification)
        );
        assert_eq!(
            read(r#"{"jsonrpc":"2.0","id":"a","result":{}}"#),
            Ok(MessageKind::Response)
        );
        assert_eq!(
            read(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#),
            Ok(MessageKind::Error)
        );
    }

    #[test]
    fn rejects_bad_envelopes() {
        let cases = [
            (r#"[]"#, "a message must be a JSON object"),
            (r#"{"id":1,"method":"ping"}"#, "jsonrpc: missing"),
            (
                r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
                "jsonrpc: must be",
            ),
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
                "id: null is not a valid id",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
                "id: expected string or integer",
            ),
            (
                r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
                "id: expected string or integer",
            ),
            (
                r#"{"jsonrpc":"2.0","id":99999999999999999999,"method":"ping"}"#,
                "id: integer out of the 64-bit range",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
                "method: expected string",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1}"#,
                "none of method, result or error",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{}}"#,
                "exactly one of",
            ),
            (
                r#"{"jsonrpc":"2.0","result":{}}"#,
                "id: missing on a response",
            ),
        ];
        for (text, want) in cases {
            let e = read(text).unwrap_err();
            assert_eq!(e.code, codes::INVALID_REQUEST, "{text}");
            assert!(e.message.contains(want), "{text}: {}", e.message);
        }
        let e = read(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#).unwrap_err();
        assert_eq!(e.code, codes::INVALID_PARAMS);
        assert_eq!(e.message, "params: expected object, got array");
    }

    #[test]
    fn integral_float_ids_are_integers() {
        let d = Document::parse(
            br#"{"jsonrpc":"2.0","id":2.0,"method":"ping"}"#,
            Limits::default(),
        )
        .unwrap();
        assert_eq!(
            Envelope::read(d.root()).unwrap().id_value(),
            Some(Id::Int(2))
        );
    }

    #[test]
    fn encodes_round_trip() {
        let out = encode_error(
            Some(&Id::Str("a\"\n\u{1}".into())),
            -32601,
            "no \"x\"",
            None,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], "a\"\n\u{1}");
        assert_eq!(v["error"]["code"], -32601);
        assert_eq!(v["error"]["message"], "no \"x\"");
        let out = encode_result(&Id::Int(7), r#"{"tools":[]}"#);
        assert_eq!(out, br#"{"jsonrpc":"2.0","id":7,"result":{"tools":[]}}"#);
        let out = encode_request(None, "notifications/initialized", None);
        assert_eq!(
            out,
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
        );
        let out = encode_request(Some(&Id::Int(1)), "tools/list", Some("{}"));
        let d = Document::parse(&out, Limits::default()).unwrap();
        assert_eq!(Envelope::read(d.root()).unwrap().kind, MessageKind::Request);
        let out = encode_error(None, -32022, "unsupported", Some(r#"{"supported":["a"]}"#));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(v.get("id").is_none(), "an unknown id is left out, not null");
        assert_eq!(v["error"]["data"]["supported"][0], "a");
    }
}
