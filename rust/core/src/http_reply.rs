//! Whole HTTP/1.1 replies the front writes itself: the bytes aiohttp's `StreamResponse.prepare`
//! and `write_eof` would send for a body held in memory, built in one pass (at one connection
//! the reply's head cost more than its write when it was joined line by line in Python).

/// A header name or value with CR or LF in it: written, it would split the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSplit;

/// One reply: its start (the status line and header lines already checked), then the
/// response's own fields (`field`), then what aiohttp adds and the body (`finish`).
#[derive(Debug)]
pub struct ReplyBytes {
    buf: Vec<u8>,
    has_length: bool,
    has_date: bool,
    has_server: bool,
    has_connection: bool,
}

impl ReplyBytes {
    /// `start` ends in CR LF; `body_len` sizes the buffer once.
    pub fn new(start: &str, body_len: usize) -> Self {
        let mut buf = Vec::with_capacity(start.len() + body_len + 256);
        buf.extend_from_slice(start.as_bytes());
        Self {
            buf,
            has_length: false,
            has_date: false,
            has_server: false,
            has_connection: false,
        }
    }

    /// `name: value`, refused when either holds a CR or an LF.
    pub fn field(&mut self, name: &str, value: &str) -> Result<(), HeaderSplit> {
        let splits = |s: &str| s.bytes().any(|b| b == b'\r' || b == b'\n');
        if splits(name) || splits(value) {
            return Err(HeaderSplit);
        }
        // The names aiohttp would add itself, matched as its case-insensitive headers are.
        if name.eq_ignore_ascii_case("content-length") {
            self.has_length = true;
        } else if name.eq_ignore_ascii_case("date") {
            self.has_date = true;
        } else if name.eq_ignore_ascii_case("server") {
            self.has_server = true;
        } else if name.eq_ignore_ascii_case("connection") {
            self.has_connection = true;
        }
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b": ");
        self.buf.extend_from_slice(value.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// The lines aiohttp adds to a reply without them (`Content-Length`, `Date` as `date`,
    /// `Server` as `server`, and `Connection: close` unless `keep_alive`), the blank line, then
    /// `body`.
    pub fn finish(mut self, body: &[u8], keep_alive: bool, date: &str, server: &str) -> Vec<u8> {
        let buf = &mut self.buf;
        if !self.has_length {
            buf.extend_from_slice(b"Content-Length: ");
            buf.extend_from_slice(body.len().to_string().as_bytes());
            buf.extend_from_slice(b"\r\n");
        }
        if !self.has_date {
            buf.extend_from_slice(b"Date: ");
            buf.extend_from_slice(date.as_bytes());
            buf.extend_from_slice(b"\r\n");
        }
        if !self.has_server {
            buf.extend_from_slice(b"Server: ");
            buf.extend_from_slice(server.as_bytes());
            buf.extend_from_slice(b"\r\n");
        }
        if !keep_alive && !self.has_connection {
            buf.extend_from_slice(b"Connection: close\r\n");
        }
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(body);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Thu, 03 Dec 2026 12:00:00 GMT";

    fn reply(
        fields: &[(&str, &str)],
        body: &[u8],
        keep_alive: bool,
    ) -> Result<String, HeaderSplit> {
        let mut reply = ReplyBytes::new("HTTP/1.1 200 OK\r\n", body.len());
        for (name, value) in fields {
            reply.field(name, value)?;
        }
        Ok(String::from_utf8(reply.finish(body, keep_alive, DATE, "mcproute")).unwrap())
    }

    #[test]
    fn adds_what_aiohttp_adds_after_the_fields_in_order() {
        let out = reply(&[("Content-Type", "application/json")], b"{}", true).unwrap();
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\
             Date: Thu, 03 Dec 2026 12:00:00 GMT\r\nServer: mcproute\r\n\r\n{}"
        );
    }

    #[test]
    fn a_closing_reply_says_so_unless_its_fields_do() {
        assert!(reply(&[], b"", false)
            .unwrap()
            .ends_with("Connection: close\r\n\r\n"));
        let own = reply(&[("connection", "upgrade")], b"", false).unwrap();
        assert_eq!(own.matches("onnection").count(), 1);
    }

    #[test]
    fn fields_aiohttp_would_add_are_not_added_again_whatever_their_case() {
        let out = reply(
            &[
                ("content-LENGTH", "2"),
                ("DATE", "then"),
                ("server", "other"),
            ],
            b"{}",
            true,
        )
        .unwrap();
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-LENGTH: 2\r\nDATE: then\r\nserver: other\r\n\r\n{}"
        );
    }

    #[test]
    fn a_cr_or_lf_in_a_name_or_value_is_refused() {
        for field in [("a\r\nb", "c"), ("a", "b\nc"), ("a", "b\rc"), ("x\n", "")] {
            assert_eq!(reply(&[field], b"", true), Err(HeaderSplit));
        }
    }

    #[test]
    fn non_ascii_values_go_as_utf8() {
        let out = reply(&[("x-name", "café")], b"", true).unwrap();
        assert!(out.contains("x-name: café\r\n"));
    }
}
