//! The head of an HTTP/1.1 response from an upstream, parsed in one call (`httparse` for the
//! syntax), and the framing of the body that follows it.
//!
//! Strict where a lenient parser could be led to read one reply as another: a head with both
//! Content-Length and Transfer-Encoding, differing Content-Length values, a transfer coding
//! other than `chunked`, folded or malformed header lines, a bare LF as a line end, or a head
//! over [`MAX_HEAD`] is refused. 1xx heads are returned as they are (the caller skips them);
//! 204 and 304 have no body; a reply with no length runs to the end of the connection.

use std::fmt;

/// The status line and header lines, without the blank line that ends them.
pub const MAX_HEAD: usize = 64 * 1024;
/// Header lines parsed without a heap allocation; a head with more is parsed again with room
/// for as many as [`MAX_HEAD`] can hold.
const INLINE_HEADERS: usize = 64;
/// The shortest header line, `a:` and its CRLF.
const MIN_HEADER_LINE: usize = 4;

/// How the body after a head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body: 204, 304, a 1xx head, or `Content-Length: 0`.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the connection closes (then not reusable).
    UntilClose,
}

/// A complete response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    /// Bytes of the head, its blank line included: the body starts here.
    pub len: usize,
    pub status: u16,
    /// HTTP/1.1 and no `Connection: close` (and a body that does not run to the close).
    pub keep_alive: bool,
    pub framing: BodyFraming,
    /// Where the first header line starts (right after the status line's CRLF).
    pub fields_start: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// Over [`MAX_HEAD`] bytes without its end, or longer than that.
    TooLarge,
    /// Not an HTTP/1.x response head (status line, header syntax, line ends).
    Malformed(&'static str),
    /// Well-formed, but its body framing is ambiguous or not one this client reads.
    Framing(&'static str),
}

impl HeadError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::Malformed(_) => "malformed",
            Self::Framing(_) => "framing",
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => f.write_str("upstream reply head too large"),
            Self::Malformed(m) | Self::Framing(m) => write!(f, "upstream reply {m}"),
        }
    }
}

impl std::error::Error for HeadError {}

/// The head at the start of `data`, `Ok(None)` while it is incomplete.
pub fn parse_response_head(data: &[u8]) -> Result<Option<ResponseHead>, HeadError> {
    // The head's end may only be searched within the limit, plus its blank line.
    let window = &data[..data.len().min(MAX_HEAD + 4)];
    if !b"HTTP/".starts_with(&window[..window.len().min(5)]) {
        return Err(HeadError::Malformed("has no HTTP/1.x status line"));
    }
    let mut inline = [httparse::EMPTY_HEADER; INLINE_HEADERS];
    match parse_with(window, data.len(), &mut inline) {
        Outcome::Done(result) => result,
        Outcome::MoreHeaders => {
            let mut many = vec![httparse::EMPTY_HEADER; MAX_HEAD / MIN_HEADER_LINE];
            match parse_with(window, data.len(), &mut many) {
                Outcome::Done(result) => result,
                Outcome::MoreHeaders => Err(HeadError::TooLarge),
            }
        }
    }
}

enum Outcome {
    Done(Result<Option<ResponseHead>, HeadError>),
    /// Room for more header lines is needed.
    MoreHeaders,
}

fn parse_with<'b>(window: &'b [u8], total: usize, headers: &mut [httparse::Header<'b>]) -> Outcome {
    let mut response = httparse::Response::new(headers);
    Outcome::Done(match response.parse(window) {
        Ok(httparse::Status::Complete(len)) => {
            let line = StatusLine {
                len,
                status: response.code.unwrap_or(0),
                minor: response.version.unwrap_or(0),
            };
            finish(window, line, response.headers)
        }
        Ok(httparse::Status::Partial) if total > MAX_HEAD + 4 => Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Outcome::MoreHeaders,
        Err(e) => Err(syntax_error(e)),
    })
}

#[derive(Debug, Clone, Copy)]
struct StatusLine {
    len: usize,
    status: u16,
    minor: u8,
}

fn syntax_error(e: httparse::Error) -> HeadError {
    HeadError::Malformed(match e {
        httparse::Error::Version => "has no HTTP/1.x status line",
        httparse::Error::Status => "has an invalid status code",
        httparse::Error::HeaderName | httparse::Error::Token => "has a malformed header line",
        httparse::Error::HeaderValue => "has a malformed header value",
        httparse::Error::NewLine => "has a malformed line end",
        httparse::Error::TooManyHeaders => "has too many header lines",
    })
}

fn finish(
    window: &[u8],
    parsed: StatusLine,
    headers: &[httparse::Header<'_>],
) -> Result<Option<ResponseHead>, HeadError> {
    let head = &window[..parsed.len];
    if parsed.len > MAX_HEAD + 4 {
        return Err(HeadError::TooLarge);
    }
    if !head.ends_with(b"\r\n\r\n") || bare_lf(head) {
        return Err(HeadError::Malformed("has a line not ended by CRLF"));
    }
    let status = parsed.status;
    if !(100..=999).contains(&status) {
        return Err(HeadError::Malformed("has an invalid status code"));
    }
    let fields_start = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(parsed.len, |at| at + 2);
    let framing = Framing::of(headers)?;
    let mut keep_alive = parsed.minor == 1 && !framing.close;
    let body = if (100..200).contains(&status) || status == 204 || status == 304 {
        BodyFraming::Empty
    } else if framing.chunked {
        BodyFraming::Chunked
    } else if let Some(length) = framing.length {
        if length == 0 {
            BodyFraming::Empty
        } else {
            BodyFraming::Length(length)
        }
    } else {
        keep_alive = false;
        BodyFraming::UntilClose
    };
    Ok(Some(ResponseHead {
        len: parsed.len,
        status,
        keep_alive,
        framing: body,
        fields_start,
    }))
}

fn bare_lf(head: &[u8]) -> bool {
    head.iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || head[i - 1] != b'\r'))
}

/// What the framing headers say, each checked.
#[derive(Debug, Default)]
struct Framing {
    length: Option<u64>,
    chunked: bool,
    close: bool,
}

impl Framing {
    fn of(headers: &[httparse::Header<'_>]) -> Result<Self, HeadError> {
        let mut out = Self::default();
        let mut codings = 0usize;
        let mut coding_ok = true;
        for header in headers {
            let name = header.name.as_bytes();
            if name.eq_ignore_ascii_case(b"content-length") {
                for value in header.value.split(|&b| b == b',') {
                    let length = content_length(value.trim_ascii())?;
                    if out.length.is_some_and(|seen| seen != length) {
                        return Err(HeadError::Framing("has an invalid Content-Length"));
                    }
                    out.length = Some(length);
                }
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                codings += 1;
                coding_ok &= header.value.trim_ascii().eq_ignore_ascii_case(b"chunked");
                out.chunked = true;
            } else if name.eq_ignore_ascii_case(b"connection") {
                out.close |= header
                    .value
                    .split(|&b| b == b',')
                    .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
            }
        }
        if out.chunked && out.length.is_some() {
            return Err(HeadError::Framing(
                "has both Content-Length and Transfer-Encoding",
            ));
        }
        // One coding, and only `chunked`: anything else could not be read to its end.
        if codings > 1 || !coding_ok {
            return Err(HeadError::Framing(
                "has a transfer coding other than chunked",
            ));
        }
        Ok(out)
    }
}

fn content_length(value: &[u8]) -> Result<u64, HeadError> {
    length_digits(value).ok_or(HeadError::Framing("has an invalid Content-Length"))
}

/// A Content-Length value: plain decimal digits (no sign, no spaces inside) within `u64`.
pub(crate) fn length_digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    value.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &[u8]) -> Result<Option<ResponseHead>, HeadError> {
        parse_response_head(data)
    }

    #[test]
    fn a_length_framed_head() {
        let data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello";
        let head = parse(data).unwrap().unwrap();
        assert_eq!(head.len, data.len() - 5);
        assert_eq!(head.status, 200);
        assert!(head.keep_alive);
        assert_eq!(head.framing, BodyFraming::Length(5));
        assert_eq!(&data[head.fields_start..head.fields_start + 2], b"Co");
    }

    #[test]
    fn incomplete_heads_wait_for_more() {
        let data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        for cut in 0..data.len() {
            assert_eq!(parse(&data[..cut]), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn chunked_close_and_bodiless() {
        let chunked = parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked \r\n\r\n");
        assert_eq!(chunked.unwrap().unwrap().framing, BodyFraming::Chunked);
        let open = parse(b"HTTP/1.1 200 OK\r\n\r\n").unwrap().unwrap();
        assert_eq!(
            (open.framing, open.keep_alive),
            (BodyFraming::UntilClose, false)
        );
        let closing =
            parse(b"HTTP/1.1 200 OK\r\nConnection: x, Close\r\nContent-Length: 1\r\n\r\n");
        assert!(!closing.unwrap().unwrap().keep_alive);
        let old = parse(b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!old.keep_alive);
        let none = parse(b"HTTP/1.1 204 No\r\nContent-Length: 9\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(none.framing, BodyFraming::Empty);
        let info = parse(b"HTTP/1.1 103 Early\r\nLink: </a>\r\n\r\nHTTP/1.1")
            .unwrap()
            .unwrap();
        assert_eq!((info.status, info.len), (103, 34));
        let same = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(same.unwrap().unwrap().framing, BodyFraming::Length(3));
    }

    #[test]
    fn ambiguous_or_malformed_heads_are_refused() {
        let refused: &[&[u8]] = &[
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            b"HTTP/1.1 204 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Name: a\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nNoColon\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n",
            b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\n\n",
            b"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 020 OK\r\nContent-Length: 0\r\n\r\n",
            b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            b"ICY 200 OK\r\n\r\n",
        ];
        for data in refused {
            assert!(parse(data).is_err(), "{}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn the_head_limit_holds_with_and_without_its_end() {
        let mut long = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        assert_eq!(parse(&long), Err(HeadError::TooLarge));
        long.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse(&long), Err(HeadError::TooLarge));
    }

    #[test]
    fn many_header_lines_are_parsed_on_the_heap() {
        let mut data = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..1000 {
            data.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        data.extend_from_slice(b"Content-Length: 2\r\n\r\nok");
        let head = parse(&data).unwrap().unwrap();
        assert_eq!(head.framing, BodyFraming::Length(2));
        assert_eq!(head.len, data.len() - 2);
    }
}
