//! HTTP/1.1 response heads from upstreams: one call per head (`parse_reply_head`).

use mcproute_core::http_head::{self, BodyFraming};
use pyo3::prelude::*;

use crate::errors::reply_head_err;

/// The body framing codes of `parse_reply_head`'s result.
const BODY_EMPTY: u8 = 0;
const BODY_LENGTH: u8 = 1;
const BODY_CHUNKED: u8 = 2;
const BODY_UNTIL_CLOSE: u8 = 3;

/// `(head_len, status, keep_alive, framing, content_length, fields_start)`.
type HeadTuple = (usize, u16, bool, u8, u64, usize);

/// The response head at the start of `data`, or None while it is incomplete:
/// `(head_len, status, keep_alive, framing, content_length, fields_start)`, `framing` one of
/// the `BODY_*` codes. Raises `ReplyHeadError` for a head this client must not read.
#[pyfunction]
fn parse_reply_head(data: &[u8]) -> PyResult<Option<HeadTuple>> {
    let Some(head) = http_head::parse_response_head(data).map_err(reply_head_err)? else {
        return Ok(None);
    };
    let (framing, length) = match head.framing {
        BodyFraming::Empty => (BODY_EMPTY, 0),
        BodyFraming::Length(n) => (BODY_LENGTH, n),
        BodyFraming::Chunked => (BODY_CHUNKED, 0),
        BodyFraming::UntilClose => (BODY_UNTIL_CLOSE, 0),
    };
    Ok(Some((
        head.len,
        head.status,
        head.keep_alive,
        framing,
        length,
        head.fields_start,
    )))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_reply_head, m)?)?;
    m.add("BODY_EMPTY", BODY_EMPTY)?;
    m.add("BODY_LENGTH", BODY_LENGTH)?;
    m.add("BODY_CHUNKED", BODY_CHUNKED)?;
    m.add("BODY_UNTIL_CLOSE", BODY_UNTIL_CLOSE)?;
    m.add("MAX_REPLY_HEAD", http_head::MAX_HEAD)?;
    Ok(())
}
