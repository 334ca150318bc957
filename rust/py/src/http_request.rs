//! HTTP/1.1 request heads from clients: one call per head (`parse_request_head`), for the
//! server front.

use mcproute_core::http_request::{self, RequestFraming};
use pyo3::prelude::*;

use crate::errors::request_head_err;

/// The body framing codes of `parse_request_head`'s result.
const REQUEST_NO_BODY: u8 = 0;
const REQUEST_LENGTH: u8 = 1;
const REQUEST_CHUNKED: u8 = 2;

/// `(head_len, method, target, minor, framing, content_length, headers, utf8)`.
type RequestTuple = (
    usize,
    String,
    String,
    u8,
    u8,
    u64,
    Vec<(String, String)>,
    bool,
);

/// The request head at the start of `data`, or None while it is incomplete:
/// `(head_len, method, target, minor, framing, content_length, headers, utf8)`, `framing` one
/// of the `REQUEST_*` codes, `headers` every (name, value) in order with the value's outer
/// spaces trimmed, `utf8` False when a value was not UTF-8 (it is then decoded lossily).
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
    let headers = head
        .headers
        .iter()
        .map(|&(name, value)| {
            let value = value.trim_ascii();
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
    )))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_request_head, m)?)?;
    m.add("REQUEST_NO_BODY", REQUEST_NO_BODY)?;
    m.add("REQUEST_LENGTH", REQUEST_LENGTH)?;
    m.add("REQUEST_CHUNKED", REQUEST_CHUNKED)?;
    m.add("MAX_REQUEST_HEAD", http_request::MAX_HEAD)?;
    Ok(())
}
