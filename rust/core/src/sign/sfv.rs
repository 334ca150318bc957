//! Structured field values (RFC 8941): the subset HTTP signatures use (dictionaries, inner
//! lists, integers, strings, tokens, byte sequences, booleans; no decimals).

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{MAX_COMPONENTS, MAX_FIELD_LEN};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Bare {
    Integer(i64),
    String(String),
    Token(String),
    Bytes(Vec<u8>),
    Boolean(bool),
}

pub(super) type Params = Vec<(String, Bare)>;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Member {
    Item(Bare, Params),
    InnerList(Vec<(Bare, Params)>, Params),
}

pub(super) struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(s: &'a str) -> Self {
        Self {
            s: s.as_bytes(),
            i: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at offset {}", self.i))
    }

    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    pub(super) fn key(&mut self) -> Result<String, String> {
        let start = self.i;
        match self.peek() {
            Some(c) if c.is_ascii_lowercase() || c == b'*' => self.i += 1,
            _ => return self.err("expected a key"),
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-.*".contains(&c) {
                self.i += 1;
            } else {
                break;
            }
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn bare(&mut self) -> Result<Bare, String> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.integer(),
            Some(b'"') => self.string(),
            Some(b':') => self.bytes(),
            Some(b'?') => {
                self.i += 1;
                let v = match self.peek() {
                    Some(b'1') => true,
                    Some(b'0') => false,
                    _ => return self.err("expected ?0 or ?1"),
                };
                self.i += 1;
                Ok(Bare::Boolean(v))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&c) {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                Ok(Bare::Token(
                    String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
                ))
            }
            _ => self.err("expected a value"),
        }
    }

    fn integer(&mut self) -> Result<Bare, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let n = self.i - digits;
        if n == 0 || n > 15 {
            return self.err("expected an integer of 1 to 15 digits");
        }
        if self.peek() == Some(b'.') {
            return self.err("decimals are not supported");
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
        text.parse().map(Bare::Integer).map_err(|e| e.to_string())
    }

    fn string(&mut self) -> Result<Bare, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Bare::String(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => out.push(char::from(c)),
                        _ => return self.err("bad escape in string"),
                    }
                    self.i += 1;
                }
                Some(c @ 0x20..=0x7e) => {
                    out.push(char::from(c));
                    self.i += 1;
                }
                Some(_) => return self.err("non-printable character in string"),
            }
        }
    }

    fn bytes(&mut self) -> Result<Bare, String> {
        self.i += 1;
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c))
        {
            self.i += 1;
        }
        if self.peek() != Some(b':') {
            return self.err("unterminated byte sequence");
        }
        let decoded = STANDARD
            .decode(&self.s[start..self.i])
            .or_else(|_| self.err("invalid base64 in byte sequence"))?;
        self.i += 1;
        Ok(Bare::Bytes(decoded))
    }

    fn params(&mut self) -> Result<Params, String> {
        let mut params: Params = Vec::new();
        while self.peek() == Some(b';') {
            self.i += 1;
            self.skip_sp();
            let key = self.key()?;
            let value = if self.peek() == Some(b'=') {
                self.i += 1;
                self.bare()?
            } else {
                Bare::Boolean(true)
            };
            // RFC 8941: a repeated key overwrites the earlier value in place.
            match params.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => params.push((key, value)),
            }
        }
        Ok(params)
    }

    fn member(&mut self) -> Result<Member, String> {
        if self.peek() != Some(b'(') {
            let bare = self.bare()?;
            return Ok(Member::Item(bare, self.params()?));
        }
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_sp();
            if self.peek() == Some(b')') {
                self.i += 1;
                return Ok(Member::InnerList(items, self.params()?));
            }
            let bare = self.bare()?;
            items.push((bare, self.params()?));
            if items.len() > MAX_COMPONENTS {
                return self.err("too many components");
            }
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return self.err("expected a space or ')'");
            }
        }
    }

    pub(super) fn dictionary(mut self) -> Result<Vec<(String, Member)>, String> {
        let mut out: Vec<(String, Member)> = Vec::new();
        self.skip_sp();
        while self.i < self.s.len() {
            let key = self.key()?;
            let member = if self.peek() == Some(b'=') {
                self.i += 1;
                self.member()?
            } else {
                Member::Item(Bare::Boolean(true), self.params()?)
            };
            if out.iter().any(|(k, _)| *k == key) {
                return Err(format!("duplicate label '{key}'"));
            }
            out.push((key, member));
            self.skip_ows();
            if self.i == self.s.len() {
                return Ok(out);
            }
            if self.peek() != Some(b',') {
                return self.err("expected ','");
            }
            self.i += 1;
            self.skip_ows();
            if self.i == self.s.len() {
                return self.err("trailing comma");
            }
        }
        Ok(out)
    }
}

pub(super) fn parse_dictionary(value: &str) -> Result<Vec<(String, Member)>, String> {
    if value.len() > MAX_FIELD_LEN {
        return Err(format!("longer than {MAX_FIELD_LEN} bytes"));
    }
    Parser::new(value.trim_matches(' ')).dictionary()
}

pub(super) fn write_sf_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

pub(super) fn write_bare(out: &mut String, bare: &Bare) {
    match bare {
        Bare::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        Bare::String(s) => write_sf_string(out, s),
        Bare::Token(t) => out.push_str(t),
        Bare::Bytes(b) => {
            out.push(':');
            out.push_str(&STANDARD.encode(b));
            out.push(':');
        }
        Bare::Boolean(b) => out.push_str(if *b { "?1" } else { "?0" }),
    }
}

pub(super) fn write_params(out: &mut String, params: &Params) {
    for (k, v) in params {
        out.push(';');
        out.push_str(k);
        if *v != Bare::Boolean(true) {
            out.push('=');
            write_bare(out, v);
        }
    }
}

pub(super) fn is_sf_string(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}
