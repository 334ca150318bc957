//! The head of an HTTP/1.1 request from a client, parsed in one call (`httparse` for the
//! syntax), and the framing of the body that follows it: what the proxy's server front reads
//! before it decides to serve a request itself or hand the connection to aiohttp.
//!
//! Strict where a lenient parser could be led to read one request as two (request
//! smuggling): a repeated or list-valued Content-Length, Content-Length together with
//! Transfer-Encoding, a transfer coding other than one `chunked`, more than one Host, folded
//! header lines (obs-fold), a bare CR or LF, an invalid header name or value, and a head over
//! the limits aiohttp's parser has (a line of [`MAX_LINE`] bytes, [`MAX_HEADERS`] header lines)
//! are refused with the kind of problem, never the input.

use std::fmt;

/// The longest request line, and the longest header line (aiohttp's `max_line_size` and
/// `max_field_size`), without its CRLF.
pub const MAX_LINE: usize = 8190;
/// The most header lines a request may have (aiohttp's `max_headers`).
pub const MAX_HEADERS: usize = 128;
/// The longest head these limits allow, its blank line included.
pub const MAX_HEAD: usize = (MAX_LINE + 2) * (MAX_HEADERS + 1) + 2;

/// How the body after a request head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFraming {
    /// Neither Content-Length nor Transfer-Encoding: no body.
    None,
    /// `Content-Length`: exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A complete request head; the strings borrow from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead<'b> {
    /// Bytes of the head, its blank line included: the body starts here.
    pub len: usize,
    pub method: &'b str,
    pub target: &'b str,
    /// 0 or 1: HTTP/1.0 or HTTP/1.1.
    pub minor: u8,
    pub framing: RequestFraming,
    /// Every header line, in order: name and raw value (not trimmed of inner spaces).
    pub headers: Vec<(&'b str, &'b [u8])>,
}

/// Why a request head is refused: each names the kind of problem only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestHeadError {
    /// A request line or header line over [`MAX_LINE`], or more than [`MAX_HEADERS`] lines.
    TooLong,
    /// The method is not a token.
    Method,
    /// Not `METHOD target HTTP/1.x`.
    RequestLine,
    /// The request target has bytes a target may not have.
    Target,
    /// A header line's name, value or line end is invalid (obs-fold, bare CR or LF included).
    Header,
    /// The body's framing is ambiguous: repeated or invalid Content-Length, Content-Length
    /// with Transfer-Encoding, a coding other than one `chunked`, more than one Host.
    Framing,
}

impl RequestHeadError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::Method => "method",
            Self::RequestLine => "request_line",
            Self::Target => "target",
            Self::Header => "header",
            Self::Framing => "framing",
        }
    }
}

impl fmt::Display for RequestHeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLong => "request line or header too long",
            Self::Method => "invalid method",
            Self::RequestLine => "malformed request line",
            Self::Target => "malformed request target",
            Self::Header => "malformed header",
            Self::Framing => "malformed body framing",
        })
    }
}

impl std::error::Error for RequestHeadError {}

/// The head at the start of `data`, `Ok(None)` while it is incomplete (and within the limits).
pub fn parse_request_head(data: &[u8]) -> Result<Option<RequestHead<'_>>, RequestHeadError> {
    let Some(end) = head_end(data)? else {
        return Ok(None);
    };
    let head = &data[..end];
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut slots);
    match request.parse(head) {
        Ok(httparse::Status::Complete(len)) if len == end => {}
        // The lines were checked above: a shorter parse means the head had stray bytes.
        Ok(_) => return Err(RequestHeadError::Header),
        Err(e) => return Err(syntax_error(e, head)),
    }
    let (Some(method), Some(target), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Err(RequestHeadError::RequestLine);
    };
    if target.is_empty() {
        return Err(RequestHeadError::Target);
    }
    let headers: Vec<(&str, &[u8])> = request.headers.iter().map(|h| (h.name, h.value)).collect();
    let framing = framing_of(&headers)?;
    Ok(Some(RequestHead {
        len: end,
        method,
        target,
        minor,
        framing,
        headers,
    }))
}

/// Where the head ends (after its blank line), checking every line's end and length on the
/// way, so an over-long or malformed head is refused before it is complete.
fn head_end(data: &[u8]) -> Result<Option<usize>, RequestHeadError> {
    let mut start = 0;
    let mut lines = 0usize;
    loop {
        let rest = &data[start..];
        let Some(at) = rest.iter().position(|&b| b == b'\n' || b == b'\r') else {
            return if rest.len() > MAX_LINE {
                Err(RequestHeadError::TooLong)
            } else {
                Ok(None)
            };
        };
        if rest[at] == b'\n' {
            return Err(bad_line_end(lines));
        }
        match rest.get(at + 1) {
            None => return Ok(None), // the CR's LF is still to come
            Some(b'\n') => {}
            Some(_) => return Err(bad_line_end(lines)),
        }
        if at > MAX_LINE {
            return Err(RequestHeadError::TooLong);
        }
        if at == 0 {
            if lines == 0 {
                return Err(RequestHeadError::RequestLine); // an empty line before the request
            }
            return Ok(Some(start + 2));
        }
        lines += 1;
        if lines > MAX_HEADERS + 1 {
            return Err(RequestHeadError::TooLong);
        }
        start += at + 2;
    }
}

fn bad_line_end(lines: usize) -> RequestHeadError {
    if lines == 0 {
        RequestHeadError::RequestLine
    } else {
        RequestHeadError::Header
    }
}

fn syntax_error(e: httparse::Error, head: &[u8]) -> RequestHeadError {
    match e {
        httparse::Error::Token => {
            // A bad token in the request line is in its method, else in its target.
            let method = head.split(|&b| b == b' ').next().unwrap_or(head);
            if !method.is_empty() && method.iter().all(|&b| is_tchar(b)) {
                RequestHeadError::Target
            } else {
                RequestHeadError::Method
            }
        }
        httparse::Error::Version | httparse::Error::Status => RequestHeadError::RequestLine,
        httparse::Error::TooManyHeaders => RequestHeadError::TooLong,
        httparse::Error::HeaderName | httparse::Error::HeaderValue | httparse::Error::NewLine => {
            RequestHeadError::Header
        }
    }
}

/// RFC 9110's `tchar`: the bytes of a method or a header name.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn framing_of(headers: &[(&str, &[u8])]) -> Result<RequestFraming, RequestHeadError> {
    let mut length: Option<u64> = None;
    let mut codings = 0usize;
    let mut hosts = 0usize;
    for &(name, value) in headers {
        let name = name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            if length.is_some() {
                return Err(RequestHeadError::Framing); // repeated, even with the same value
            }
            length = Some(content_length(value.trim_ascii())?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            codings += 1;
            if codings > 1 || !value.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                return Err(RequestHeadError::Framing);
            }
        } else if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
            if hosts > 1 {
                return Err(RequestHeadError::Framing);
            }
        }
    }
    match (length, codings) {
        (Some(_), 1) => Err(RequestHeadError::Framing),
        (Some(n), _) => Ok(RequestFraming::Length(n)),
        (None, 1) => Ok(RequestFraming::Chunked),
        (None, _) => Ok(RequestFraming::None),
    }
}

fn content_length(value: &[u8]) -> Result<u64, RequestHeadError> {
    crate::http_head::length_digits(value).ok_or(RequestHeadError::Framing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &[u8]) -> Result<Option<RequestHead<'_>>, RequestHeadError> {
        parse_request_head(data)
    }

    #[test]
    fn a_length_framed_post() {
        let data = b"POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nX-Api-Key: k\r\n\r\n{}";
        let head = parse(data).unwrap().unwrap();
        assert_eq!(head.len, data.len() - 2);
        assert_eq!(
            (head.method, head.target, head.minor),
            ("POST", "/v1/chat/completions", 1)
        );
        assert_eq!(head.framing, RequestFraming::Length(2));
        assert_eq!(head.headers.len(), 3);
        assert_eq!(head.headers[2], ("X-Api-Key", &b"k"[..]));
    }

    #[test]
    fn incomplete_heads_wait_for_more() {
        let data = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
        for cut in 0..data.len() {
            assert_eq!(parse(&data[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse(data).unwrap().is_some());
    }

    #[test]
    fn framings() {
        let chunked = parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked \r\n\r\n");
        assert_eq!(chunked.unwrap().unwrap().framing, RequestFraming::Chunked);
        let none = parse(b"GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert_eq!((none.framing, none.minor), (RequestFraming::None, 0));
    }

    #[test]
    fn smuggling_and_malformed_heads_are_refused() {
        use RequestHeadError::*;
        let refused: &[(&[u8], RequestHeadError)] = &[
            (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nContent-Length: 0x3\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", Framing),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", Framing),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Framing),
            (b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", Header),
            (b"GET / HTTP/1.1\r\nX: a\r\n\tfolded\r\n\r\n", Header),
            (b"GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", Header),
            (b"GET / HTTP/1.1\r\nName : a\r\n\r\n", Header),
            (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", Header),
            (b"GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", Header),
            (b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", Header),
            (b"GET / HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\n", Header),
            (b"GET / HTTP/1.1\nHost: a\r\n\r\n", RequestLine),
            (b"GET / HTTP/1.1\r\nHost: a\n\n", Header),
            (b"GET / HTTP/2.0\r\n\r\n", RequestLine),
            (b"GET / HTTP/1.2\r\n\r\n", RequestLine),
            (b"GET /a b HTTP/1.1\r\n\r\n", RequestLine),
            (b"G(T / HTTP/1.1\r\n\r\n", Method),
            (b"GET /\x7f HTTP/1.1\r\n\r\n", Target),
            (b"\r\nGET / HTTP/1.1\r\n\r\n", RequestLine),
        ];
        for (data, kind) in refused {
            assert_eq!(
                parse(data).map(|h| h.is_some()),
                Err(*kind),
                "{}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn the_line_and_count_limits_hold_with_and_without_the_end() {
        let mut long = b"GET /".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_LINE));
        assert_eq!(parse(&long), Err(RequestHeadError::TooLong));
        long.extend_from_slice(b" HTTP/1.1\r\n\r\n");
        assert_eq!(parse(&long), Err(RequestHeadError::TooLong));

        let mut field = b"GET / HTTP/1.1\r\nX: ".to_vec();
        field.extend(std::iter::repeat_n(b'a', MAX_LINE - 3));
        field.extend_from_slice(b"\r\n\r\n");
        assert!(
            parse(&field).unwrap().is_some(),
            "a line of exactly the limit"
        );
        field.insert(20, b'a');
        assert_eq!(parse(&field), Err(RequestHeadError::TooLong));

        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        assert!(parse(&[&many[..], b"\r\n"].concat()).unwrap().is_some());
        many.extend_from_slice(b"Y: v\r\n");
        assert_eq!(parse(&many), Err(RequestHeadError::TooLong));
        assert_eq!(
            parse(&[&many[..], b"\r\n"].concat()),
            Err(RequestHeadError::TooLong)
        );
    }
}
