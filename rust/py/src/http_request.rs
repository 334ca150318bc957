//! HTTP/1.1 request heads from clients: one call per head (`parse_request_head`), for the
//! server front.

use mcproute_core::http_request::{self, RequestFraming};
use pyo3::prelude::*;

use crate::errors::request_head_err;

/// The body framing codes of `parse_request_head`'s result.
const REQUEST_NO_BODY: u8 = 0;
const REQUEST_LENGTH: u8 = 1;
const REQUEST_CHUNKED: u8 = 2;

/// The bits of `parse_request_head`'s `shape`: what the server front reads of the headers to
/// tell its fast shape, found in the one pass over them (a Python loop per request otherwise).
/// A header only aiohttp's path serves: a 100-continue, a protocol switch, a compressed body,
/// an RFC 9421 signature (its verifier reads the exact URL and headers).
const HEAD_HANDED_OFF: u8 = 1;
/// The first `Connection` value has `close` in it (any case).
const HEAD_CLOSE: u8 = 2;
/// The first `Connection` value has `upgrade` in it (any case).
const HEAD_UPGRADE: u8 = 4;
const HANDED_OFF_HEADERS: [&str; 5] = [
    "expect",
    "upgrade",
    "content-encoding",
    "signature",
    "signature-input",
];

/// `HEAD_*` bits of one header line; `connection_seen` is set by the first `Connection` line
/// (later ones are not read, as a lookup of the first value reads none).
fn shape_of(name: &str, value: &[u8], connection_seen: &mut bool) -> u8 {
    if name.eq_ignore_ascii_case("connection") {
        if *connection_seen {
            return 0;
        }
        *connection_seen = true;
        let lower = value.to_ascii_lowercase();
        let has = |word: &[u8]| lower.windows(word.len()).any(|w| w == word);
        return (if has(b"close") { HEAD_CLOSE } else { 0 })
            | (if has(b"upgrade") { HEAD_UPGRADE } else { 0 });
    }
    if HANDED_OFF_HEADERS
        .iter()
        .any(|handed| name.eq_ignore_ascii_case(handed))
    {
        return HEAD_HANDED_OFF;
    }
    0
}

/// `(head_len, method, target, minor, framing, content_length, headers, utf8, shape)`.
type RequestTuple = (
    usize,
    String,
    String,
    u8,
    u8,
    u64,
    Vec<(String, String)>,
    bool,
    u8,
);

/// The request head at the start of `data`, or None while it is incomplete:
/// `(head_len, method, target, minor, framing, content_length, headers, utf8, shape)`,
/// `framing` one of the `REQUEST_*` codes, `headers` every (name, value) in order with the
/// value's outer spaces trimmed, `utf8` False when a value was not UTF-8 (it is then decoded
/// lossily), `shape` the `HEAD_*` bits the headers set.
/// Raises `RequestHeadError` (its message and `reason` name the problem, never the input).
#[pyfunction]
fn parse_request_head(data: &[u8]) -> PyResult<Option<RequestTuple>> {
    let Some(head) = http_request::parse_request_head(data).map_err(request_head_err)? else {
        return Ok(None);
    };
    let (framing, length) = match head.framing {
        RequestFraming::None => (REQUEST_NO_BODY, 0),
        RequestFraming::Length(n) => (REQUEST_LENGTH, n),
        RequestFraming::Chunked => (REQUEST_CHUNKED, 0),
    };
    let mut utf8 = true;
    let mut shape = 0;
    let mut connection_seen = false;
    let headers = head
        .headers
        .iter()
        .map(|&(name, value)| {
            let value = value.trim_ascii();
            shape |= shape_of(name, value, &mut connection_seen);
            let text = match std::str::from_utf8(value) {
                Ok(text) => text.to_owned(),
                Err(_) => {
                    utf8 = false;
                    String::from_utf8_lossy(value).into_owned()
                }
            };
            (name.to_owned(), text)
        })
        .collect();
    Ok(Some((
        head.len,
        head.method.to_owned(),
        head.target.to_owned(),
        head.minor,
        framing,
        length,
        headers,
        utf8,
        shape,
    )))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_request_head, m)?)?;
    m.add("REQUEST_NO_BODY", REQUEST_NO_BODY)?;
    m.add("REQUEST_LENGTH", REQUEST_LENGTH)?;
    m.add("REQUEST_CHUNKED", REQUEST_CHUNKED)?;
    m.add("MAX_REQUEST_HEAD", http_request::MAX_HEAD)?;
    m.add("HEAD_HANDED_OFF", HEAD_HANDED_OFF)?;
    m.add("HEAD_CLOSE", HEAD_CLOSE)?;
    m.add("HEAD_UPGRADE", HEAD_UPGRADE)?;
    Ok(())
}
