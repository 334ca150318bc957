//! The AWS event-stream framing (`application/vnd.amazon.eventstream`), decoded incrementally.
//!
//! A message is a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes), the
//! headers (name length, name, type byte, typed value), the payload and a CRC32 of everything
//! before it. Bytes arrive in arbitrary chunks; `feed` keeps what is incomplete and returns the
//! messages completed so far. Any framing error is final: the stream cannot be resynchronized.

use std::fmt;

/// Prelude (12) + message CRC (4).
const MIN_MESSAGE: usize = 16;
/// botocore's limits: 128 KiB of headers, 24 MiB of payload.
pub const MAX_HEADERS_LEN: usize = 128 * 1024;
pub const MAX_PAYLOAD_LEN: usize = 24 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventStreamError {
    /// The prelude's CRC does not match its first 8 bytes.
    PreludeCrc,
    /// The message CRC does not match.
    MessageCrc,
    /// The lengths in the prelude are impossible or over the limits.
    InvalidLength(&'static str),
    /// A header is cut short, has an unknown type or a name that is not UTF-8.
    InvalidHeader(&'static str),
    /// The stream ended inside a message.
    Truncated,
    /// An earlier error ended this stream.
    Failed,
}

impl EventStreamError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::PreludeCrc => "prelude_crc",
            Self::MessageCrc => "message_crc",
            Self::InvalidLength(_) => "invalid_length",
            Self::InvalidHeader(_) => "invalid_header",
            Self::Truncated => "truncated",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for EventStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PreludeCrc => f.write_str("event stream: prelude CRC mismatch"),
            Self::MessageCrc => f.write_str("event stream: message CRC mismatch"),
            Self::InvalidLength(m) => write!(f, "event stream: invalid length: {m}"),
            Self::InvalidHeader(m) => write!(f, "event stream: invalid header: {m}"),
            Self::Truncated => f.write_str("event stream: ended inside a message"),
            Self::Failed => f.write_str("event stream: already failed"),
        }
    }
}

impl std::error::Error for EventStreamError {}

/// A typed header value (type bytes 0..=9 of the format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Vec<u8>),
    String(String),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Vec<u8>,
}

impl Message {
    /// A string header's value (`:event-type`, `:message-type`, ...).
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|(n, v)| match v {
            HeaderValue::String(s) if n == name => Some(s.as_str()),
            _ => None,
        })
    }
}

#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    failed: bool,
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> Result<&'a [u8], EventStreamError> {
    if data.len() < n {
        return Err(EventStreamError::InvalidHeader("cut short"));
    }
    let (head, rest) = data.split_at(n);
    *data = rest;
    Ok(head)
}

fn parse_headers(mut data: &[u8]) -> Result<Vec<(String, HeaderValue)>, EventStreamError> {
    let mut out = Vec::with_capacity(4);
    while !data.is_empty() {
        let name_len = usize::from(take(&mut data, 1)?[0]);
        let name = std::str::from_utf8(take(&mut data, name_len)?)
            .map_err(|_| EventStreamError::InvalidHeader("name is not UTF-8"))?
            .to_owned();
        let kind = take(&mut data, 1)?[0];
        let fixed = |data: &mut &[u8], n: usize| take(data, n).map(<[u8]>::to_vec);
        let value = match kind {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(i8::from_be_bytes([take(&mut data, 1)?[0]])),
            3 => {
                let b = take(&mut data, 2)?;
                HeaderValue::Short(i16::from_be_bytes([b[0], b[1]]))
            }
            4 => HeaderValue::Int(i32::from_be_bytes(
                take(&mut data, 4)?
                    .try_into()
                    .map_err(|_| EventStreamError::InvalidHeader("cut short"))?,
            )),
            5 | 8 => {
                let v = i64::from_be_bytes(
                    take(&mut data, 8)?
                        .try_into()
                        .map_err(|_| EventStreamError::InvalidHeader("cut short"))?,
                );
                if kind == 5 {
                    HeaderValue::Long(v)
                } else {
                    HeaderValue::Timestamp(v)
                }
            }
            6 | 7 => {
                let b = take(&mut data, 2)?;
                let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
                let raw = fixed(&mut data, len)?;
                if kind == 6 {
                    HeaderValue::Bytes(raw)
                } else {
                    HeaderValue::String(
                        String::from_utf8(raw)
                            .map_err(|_| EventStreamError::InvalidHeader("string is not UTF-8"))?,
                    )
                }
            }
            9 => HeaderValue::Uuid(
                take(&mut data, 16)?
                    .try_into()
                    .map_err(|_| EventStreamError::InvalidHeader("cut short"))?,
            ),
            _ => return Err(EventStreamError::InvalidHeader("unknown value type")),
        };
        out.push((name, value));
    }
    Ok(out)
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held for a message not yet complete.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Adds `chunk` and returns every message it completes, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Message>, EventStreamError> {
        if self.failed {
            return Err(EventStreamError::Failed);
        }
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        let mut start = 0;
        let result = loop {
            match self.next_message(start) {
                Ok(Some((message, used))) => {
                    out.push(message);
                    start += used;
                }
                Ok(None) => break Ok(out),
                Err(e) => break Err(e),
            }
        };
        if result.is_err() {
            self.failed = true;
            self.buf = Vec::new();
        } else {
            self.buf.drain(..start);
        }
        result
    }

    /// Call at the end of the stream: an error if a message was left incomplete.
    pub fn finish(&self) -> Result<(), EventStreamError> {
        if self.failed {
            return Err(EventStreamError::Failed);
        }
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(EventStreamError::Truncated)
        }
    }

    fn next_message(&self, start: usize) -> Result<Option<(Message, usize)>, EventStreamError> {
        let data = &self.buf[start..];
        if data.len() < 12 {
            return Ok(None);
        }
        let total = be32(&data[0..4]) as usize;
        let headers_len = be32(&data[4..8]) as usize;
        if crc32fast::hash(&data[..8]) != be32(&data[8..12]) {
            return Err(EventStreamError::PreludeCrc);
        }
        if headers_len > MAX_HEADERS_LEN {
            return Err(EventStreamError::InvalidLength("headers over 128 KiB"));
        }
        if total < MIN_MESSAGE + headers_len {
            return Err(EventStreamError::InvalidLength(
                "total shorter than prelude + headers + CRC",
            ));
        }
        if total - MIN_MESSAGE - headers_len > MAX_PAYLOAD_LEN {
            return Err(EventStreamError::InvalidLength("payload over 24 MiB"));
        }
        if data.len() < total {
            return Ok(None);
        }
        let body_end = total - 4;
        if crc32fast::hash(&data[..body_end]) != be32(&data[body_end..total]) {
            return Err(EventStreamError::MessageCrc);
        }
        let headers = parse_headers(&data[12..12 + headers_len])?;
        let payload = data[12 + headers_len..body_end].to_vec();
        Ok(Some((Message { headers, payload }, total)))
    }
}

/// Encodes one message (for simulators and tests; the gateway only decodes).
pub fn encode(headers: &[(&str, HeaderValue)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        let name = name.as_bytes();
        h.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
        h.extend_from_slice(&name[..name.len().min(255)]);
        match value {
            HeaderValue::Bool(true) => h.push(0),
            HeaderValue::Bool(false) => h.push(1),
            HeaderValue::Byte(v) => {
                h.push(2);
                h.extend_from_slice(&v.to_be_bytes());
            }
            HeaderValue::Short(v) => {
                h.push(3);
                h.extend_from_slice(&v.to_be_bytes());
            }
            HeaderValue::Int(v) => {
                h.push(4);
                h.extend_from_slice(&v.to_be_bytes());
            }
            HeaderValue::Long(v) => {
                h.push(5);
                h.extend_from_slice(&v.to_be_bytes());
            }
            HeaderValue::Timestamp(v) => {
                h.push(8);
                h.extend_from_slice(&v.to_be_bytes());
            }
            HeaderValue::Bytes(b) => {
                h.push(6);
                push_sized(&mut h, b);
            }
            HeaderValue::String(s) => {
                h.push(7);
                push_sized(&mut h, s.as_bytes());
            }
            HeaderValue::Uuid(u) => {
                h.push(9);
                h.extend_from_slice(u);
            }
        }
    }
    let total = MIN_MESSAGE + h.len() + payload.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&u32::try_from(h.len()).unwrap_or(u32::MAX).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

fn push_sized(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(&bytes[..len]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        encode(
            &[
                (
                    ":event-type",
                    HeaderValue::String("contentBlockDelta".into()),
                ),
                (":message-type", HeaderValue::String("event".into())),
                ("n", HeaderValue::Int(-7)),
                ("t", HeaderValue::Timestamp(1_700_000_000_000)),
                ("b", HeaderValue::Bool(false)),
                ("u", HeaderValue::Uuid([7; 16])),
                ("x", HeaderValue::Bytes(vec![1, 2])),
            ],
            br#"{"delta":{"text":"hi"}}"#,
        )
    }

    // AWS's published example: a message with no headers and payload "{'foo':'bar'}".
    #[test]
    fn decodes_the_aws_reference_frame() {
        let frame = b"\x00\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'}\xc3e9\x36";
        let mut d = Decoder::new();
        let got = d.feed(frame).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].payload, b"{'foo':'bar'}");
        assert!(got[0].headers.is_empty());
        d.finish().unwrap();
    }

    #[test]
    fn decodes_across_any_chunking() {
        let one = sample();
        let stream: Vec<u8> = [one.clone(), one.clone(), one].concat();
        for size in [1, 2, 5, 13, 64, stream.len()] {
            let mut d = Decoder::new();
            let mut got = Vec::new();
            for chunk in stream.chunks(size) {
                got.extend(d.feed(chunk).unwrap());
            }
            d.finish().unwrap();
            assert_eq!(got.len(), 3);
            assert_eq!(got[2].header_str(":event-type"), Some("contentBlockDelta"));
            assert_eq!(got[2].headers[2].1, HeaderValue::Int(-7));
            assert_eq!(got[2].payload, br#"{"delta":{"text":"hi"}}"#);
        }
    }

    #[test]
    fn corruption_is_detected_and_final() {
        let good = sample();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x40;
            let mut d = Decoder::new();
            let r = d.feed(&bad);
            // A flipped length byte may only make the message look longer (incomplete).
            if let Ok(msgs) = r {
                assert!(msgs.is_empty(), "byte {i}");
                assert!(d.finish().is_err());
            } else {
                assert_eq!(d.feed(&good), Err(EventStreamError::Failed));
            }
        }
        let mut d = Decoder::new();
        d.feed(&good[..good.len() - 1]).unwrap();
        assert_eq!(d.finish(), Err(EventStreamError::Truncated));
    }
}
