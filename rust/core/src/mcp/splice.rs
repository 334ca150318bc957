//! Byte-level edits of a validated message, for forwarding it without building it again: a new
//! `id`, a new routing name (`params.name` / `params.uri`), and members of a response's
//! `result` set or dropped. Everything else is copied byte for byte.

use crate::json::{Document, Kind, Limits};
use crate::jsonrpc::{write_id, write_string, Id};

use super::Handle;

/// What to change; `None` and empty leave the message's own.
#[derive(Debug, Default)]
pub struct Splice<'s> {
    pub id: Option<&'s Id>,
    pub name: Option<&'s str>,
    /// A JSON object whose members replace (or join) the result's.
    pub result_set: Option<&'s str>,
    /// Result members to leave out.
    pub result_drop: &'s [&'s str],
}

/// Why a splice cannot be made.
#[derive(Debug, PartialEq, Eq)]
pub enum SpliceError {
    NoId,
    NoName,
    NoResult,
    /// `result_set` is not a JSON object.
    BadResultSet,
}

impl std::fmt::Display for SpliceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SpliceError::NoId => "the message has no id to replace",
            SpliceError::NoName => "the message has no routing name to replace",
            SpliceError::NoResult => "the message has no result object",
            SpliceError::BadResultSet => "result_set: expected a JSON object",
        })
    }
}

/// The message `raw` (described by `handle`, whose spans are offset by `base`) with `edits`.
pub fn splice(
    raw: &[u8],
    handle: &Handle,
    base: usize,
    edits: &Splice<'_>,
) -> Result<Vec<u8>, SpliceError> {
    let local = |(s, e): (usize, usize)| (s - base, e - base);
    let mut cuts: Vec<((usize, usize), Vec<u8>)> = Vec::with_capacity(3);
    if let Some(id) = edits.id {
        let span = handle.id_span.ok_or(SpliceError::NoId)?;
        let mut out = Vec::with_capacity(24);
        write_id(&mut out, Some(id));
        cuts.push((local(span), out));
    }
    if let Some(name) = edits.name {
        let span = handle.name_span.ok_or(SpliceError::NoName)?;
        let mut out = Vec::with_capacity(name.len() + 2);
        write_string(&mut out, name);
        cuts.push((local(span), out));
    }
    if edits.result_set.is_some() || !edits.result_drop.is_empty() {
        let span = local(handle.result_span.ok_or(SpliceError::NoResult)?);
        cuts.push((span, rebuilt_result(&raw[span.0..span.1], edits)?));
    }
    cuts.sort_by_key(|((start, _), _)| *start);
    let mut out = Vec::with_capacity(raw.len() + 64);
    let mut at = 0;
    for ((start, end), text) in cuts {
        out.extend_from_slice(&raw[at..start]);
        out.extend_from_slice(&text);
        at = end;
    }
    out.extend_from_slice(&raw[at..]);
    Ok(out)
}

/// The result object with `result_set`'s members first, then its own that are neither set nor
/// dropped, in their order.
fn rebuilt_result(result: &[u8], edits: &Splice<'_>) -> Result<Vec<u8>, SpliceError> {
    let limits = Limits {
        max_size: result.len().max(2),
        max_depth: crate::json::MAX_DEPTH_CEILING,
    };
    let own = Document::parse(result, limits).map_err(|_| SpliceError::NoResult)?;
    let set_text = edits.result_set.unwrap_or("{}");
    let set_limits = Limits {
        max_size: set_text.len().max(2),
        max_depth: crate::json::MAX_DEPTH_CEILING,
    };
    let set =
        Document::parse(set_text.as_bytes(), set_limits).map_err(|_| SpliceError::BadResultSet)?;
    if set.root().kind() != Kind::Object {
        return Err(SpliceError::BadResultSet);
    }
    let mut out = Vec::with_capacity(result.len() + set_text.len());
    out.push(b'{');
    let mut first = true;
    let mut member = |out: &mut Vec<u8>, key: &str, value: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(key.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
    };
    for (k, v) in set.root().members() {
        member(&mut out, k.raw(), v.raw());
    }
    for (k, v) in own.root().members() {
        let replaced = set
            .root()
            .members()
            .any(|(sk, _)| sk.as_str().is_some_and(|name| k.str_eq(&name)));
        if replaced || edits.result_drop.iter().any(|d| k.str_eq(d)) {
            continue;
        }
        member(&mut out, k.raw(), v.raw());
    }
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::{check, Checked, Options};

    fn handle(raw: &[u8], result_of: Option<&str>) -> Handle {
        let doc = Document::parse(raw, Limits::default()).unwrap();
        let opts = Options {
            version: Some("2025-11-25"),
            result_of,
        };
        match check(&doc, &opts).unwrap() {
            Checked::Single(h) => h,
            Checked::Batch(_) => unreachable!(),
        }
    }

    #[test]
    fn replaces_the_id_and_the_name_and_keeps_the_rest() {
        let raw = br#"{"jsonrpc":"2.0", "id":"a\"b","method":"tools/call","params":{"name":"ev__t","arguments":{"x":"id"}}}"#;
        let h = handle(raw, None);
        let edits = Splice {
            id: Some(&Id::Int(7)),
            name: Some("t"),
            ..Splice::default()
        };
        let out = splice(raw, &h, 0, &edits).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"jsonrpc":"2.0", "id":7,"method":"tools/call","params":{"name":"t","arguments":{"x":"id"}}}"#
        );
    }

    #[test]
    fn sets_and_drops_result_members() {
        let raw = br#"{"jsonrpc":"2.0","id":3,"result":{"_meta":{"a":1},"content":[],"ttlMs":5}}"#;
        let h = handle(raw, Some("tools/call"));
        let edits = Splice {
            id: Some(&Id::Str("x".into())),
            result_set: Some(r#"{"_meta":{"b":2},"resultType":"complete"}"#),
            result_drop: &["ttlMs"],
            ..Splice::default()
        };
        let out = splice(raw, &h, 0, &edits).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"jsonrpc":"2.0","id":"x","result":{"_meta":{"b":2},"resultType":"complete","content":[]}}"#
        );
    }

    #[test]
    fn reports_what_it_cannot_splice() {
        let raw = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        let h = handle(raw, None);
        let edits = Splice {
            id: Some(&Id::Int(1)),
            ..Splice::default()
        };
        assert_eq!(splice(raw, &h, 0, &edits), Err(SpliceError::NoId));
        let edits = Splice {
            result_set: Some("[]"),
            ..Splice::default()
        };
        assert_eq!(splice(raw, &h, 0, &edits), Err(SpliceError::NoResult));
    }
}
