//! A strict JSON parser (RFC 8259) into a flat tree of byte ranges.
//!
//! Why not serde_json: the gateway needs byte offsets in every error, must reject duplicate
//! keys, lone surrogates and out-of-range numbers, and mostly forwards bytes untouched. A flat
//! `Vec<Node>` of ranges into the input is built in one pass with no per-string allocation;
//! values are decoded only when someone reads them.

use std::borrow::Cow;
use std::fmt;

/// Caller-adjustable limits; the defaults are safe for untrusted input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted message, in bytes.
    pub max_size: usize,
    /// Deepest accepted nesting of arrays and objects.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 4 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

/// Hard ceiling on `max_depth`: the parser recurses, and the stack must survive any setting.
pub const MAX_DEPTH_CEILING: u32 = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    /// A number written without fraction or exponent.
    Int,
    /// A number written with a fraction or an exponent.
    Float,
    String,
    Array,
    Object,
}

impl Kind {
    /// The JSON Schema name of the type, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Int | Kind::Float => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

/// One value in the tree. Children of a container follow it directly (pre-order); siblings are
/// linked through `next`. An object's children are alternating key (a `String` node) and value.
#[derive(Clone, Copy, Debug)]
struct Node {
    kind: Kind,
    /// For strings: an escape sequence occurs, so the raw bytes are not the value.
    /// For booleans: the value.
    flag: bool,
    /// Byte range of the whole value in the input (strings include their quotes).
    start: u32,
    end: u32,
    /// Index of the next sibling, or 0 for none (index 0 is always the root).
    next: u32,
    /// Number of items (arrays) or members (objects).
    len: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    TooLarge { size: usize, limit: usize },
    TooDeep { limit: u32 },
    InvalidUtf8,
    UnexpectedEnd,
    UnexpectedByte(u8),
    ControlCharacterInString,
    InvalidEscape,
    LoneSurrogate,
    InvalidNumber,
    NumberOutOfRange,
    DuplicateKey(String),
    TrailingBytes,
}

/// A parse failure and where it happened (JSON-RPC -32700).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// Byte offset into the input where the problem was found.
    pub offset: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseErrorKind::*;
        match &self.kind {
            TooLarge { size, limit } => {
                write!(f, "message is {size} bytes, over the limit of {limit}")
            }
            TooDeep { limit } => write!(
                f,
                "nesting deeper than {limit} levels at byte {}",
                self.offset
            ),
            InvalidUtf8 => write!(f, "invalid UTF-8 at byte {}", self.offset),
            UnexpectedEnd => write!(f, "unexpected end of input at byte {}", self.offset),
            UnexpectedByte(b) => {
                if b.is_ascii_graphic() {
                    write!(f, "unexpected '{}' at byte {}", *b as char, self.offset)
                } else {
                    write!(f, "unexpected byte 0x{b:02x} at byte {}", self.offset)
                }
            }
            ControlCharacterInString => write!(
                f,
                "unescaped control character in string at byte {}",
                self.offset
            ),
            InvalidEscape => write!(f, "invalid escape sequence at byte {}", self.offset),
            LoneSurrogate => write!(
                f,
                "lone UTF-16 surrogate in \\u escape at byte {}",
                self.offset
            ),
            InvalidNumber => write!(f, "invalid number at byte {}", self.offset),
            NumberOutOfRange => write!(
                f,
                "number out of range (overflows a 64-bit float) at byte {}",
                self.offset
            ),
            DuplicateKey(k) => write!(f, "duplicate object key {k:?} at byte {}", self.offset),
            TrailingBytes => write!(f, "trailing bytes after the value at byte {}", self.offset),
        }
    }
}

impl std::error::Error for ParseError {}

/// A parsed document: the input and its tree.
#[derive(Debug)]
pub struct Document<'a> {
    src: &'a str,
    nodes: Vec<Node>,
}

impl<'a> Document<'a> {
    /// Parse `input` under `limits`.
    pub fn parse(input: &'a [u8], limits: Limits) -> Result<Self, ParseError> {
        if input.len() > limits.max_size {
            return Err(ParseError {
                kind: ParseErrorKind::TooLarge {
                    size: input.len(),
                    limit: limits.max_size,
                },
                offset: limits.max_size,
            });
        }
        if input.len() > u32::MAX as usize {
            return Err(ParseError {
                kind: ParseErrorKind::TooLarge {
                    size: input.len(),
                    limit: u32::MAX as usize,
                },
                offset: u32::MAX as usize,
            });
        }
        let src = std::str::from_utf8(input).map_err(|e| ParseError {
            kind: ParseErrorKind::InvalidUtf8,
            offset: e.valid_up_to(),
        })?;
        let mut p = Parser {
            b: input,
            pos: 0,
            nodes: Vec::with_capacity(input.len() / 8 + 16),
            max_depth: limits.max_depth.min(MAX_DEPTH_CEILING),
            keys: Vec::with_capacity(16),
            error: None,
        };
        p.skip_ws();
        let parsed = p.value(0).and_then(|_| {
            p.skip_ws();
            if p.pos == p.b.len() {
                Ok(())
            } else {
                Err(p.err(ParseErrorKind::TrailingBytes))
            }
        });
        if parsed.is_err() {
            return Err(p.error.take().unwrap_or(ParseError {
                kind: ParseErrorKind::UnexpectedEnd,
                offset: p.pos,
            }));
        }
        Ok(Document {
            src,
            nodes: p.nodes,
        })
    }

    pub fn root(&self) -> Value<'_, 'a> {
        Value { doc: self, idx: 0 }
    }

    pub fn source(&self) -> &'a str {
        self.src
    }
}

/// A cursor on one value of a [`Document`].
#[derive(Clone, Copy)]
pub struct Value<'d, 'a> {
    doc: &'d Document<'a>,
    idx: u32,
}

impl fmt::Debug for Value<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw())
    }
}

impl<'d, 'a> Value<'d, 'a> {
    fn node(&self) -> &'d Node {
        &self.doc.nodes[self.idx as usize]
    }

    pub fn kind(&self) -> Kind {
        self.node().kind
    }

    /// The value's exact JSON text.
    pub fn raw(&self) -> &'a str {
        let n = self.node();
        &self.doc.src[n.start as usize..n.end as usize]
    }

    /// Byte range of the value's JSON text in the input.
    pub fn span(&self) -> (usize, usize) {
        let n = self.node();
        (n.start as usize, n.end as usize)
    }

    pub fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    pub fn as_bool(&self) -> Option<bool> {
        let n = self.node();
        (n.kind == Kind::Bool).then_some(n.flag)
    }

    /// A string's value, borrowed when it has no escapes.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        let n = self.node();
        if n.kind != Kind::String {
            return None;
        }
        let inner = &self.doc.src[n.start as usize + 1..n.end as usize - 1];
        Some(if n.flag {
            Cow::Owned(unescape(inner))
        } else {
            Cow::Borrowed(inner)
        })
    }

    /// True when this is a string equal to `s` (no allocation unless escaped).
    pub fn str_eq(&self, s: &str) -> bool {
        let n = self.node();
        if n.kind != Kind::String {
            return false;
        }
        let inner = &self.doc.src[n.start as usize + 1..n.end as usize - 1];
        if n.flag {
            unescape(inner) == s
        } else {
            inner == s
        }
    }

    /// Any number as f64 (finite: the parser rejects overflow).
    pub fn as_f64(&self) -> Option<f64> {
        match self.kind() {
            Kind::Int | Kind::Float => self.raw().parse().ok(),
            _ => None,
        }
    }

    /// An integer-valued number that fits i64 (`3`, `3.0` and `3e0` all qualify, as in JSON Schema).
    pub fn as_i64(&self) -> Option<i64> {
        match self.kind() {
            Kind::Int => self.raw().parse().ok(),
            Kind::Float => {
                let f = self.as_f64()?;
                (f.fract() == 0.0 && (i64::MIN as f64..i64::MAX as f64).contains(&f))
                    .then_some(f as i64)
            }
            _ => None,
        }
    }

    /// True for numbers with a zero fractional part (JSON Schema's "integer").
    pub fn is_integer(&self) -> bool {
        match self.kind() {
            Kind::Int => true,
            Kind::Float => self.as_f64().is_some_and(|f| f.fract() == 0.0),
            _ => false,
        }
    }

    /// Number of items or members; 0 for scalars.
    pub fn len(&self) -> usize {
        self.node().len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The members of an object, in document order.
    pub fn members(&self) -> Members<'d, 'a> {
        let n = self.node();
        let first = if n.kind == Kind::Object && n.len > 0 {
            self.idx + 1
        } else {
            0
        };
        Members {
            doc: self.doc,
            key: first,
        }
    }

    /// The items of an array, in order.
    pub fn items(&self) -> Items<'d, 'a> {
        let n = self.node();
        let first = if n.kind == Kind::Array && n.len > 0 {
            self.idx + 1
        } else {
            0
        };
        Items {
            doc: self.doc,
            idx: first,
        }
    }

    /// The value of member `key` of an object.
    pub fn get(&self, key: &str) -> Option<Value<'d, 'a>> {
        self.members().find(|(k, _)| k.str_eq(key)).map(|(_, v)| v)
    }
}

#[derive(Debug)]
pub struct Members<'d, 'a> {
    doc: &'d Document<'a>,
    key: u32,
}

impl<'d, 'a> Iterator for Members<'d, 'a> {
    /// (key, value); the key is a string value.
    type Item = (Value<'d, 'a>, Value<'d, 'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.key == 0 {
            return None;
        }
        let k = Value {
            doc: self.doc,
            idx: self.key,
        };
        let v = Value {
            doc: self.doc,
            idx: self.key + 1,
        };
        self.key = self.doc.nodes[self.key as usize].next;
        Some((k, v))
    }
}

#[derive(Debug)]
pub struct Items<'d, 'a> {
    doc: &'d Document<'a>,
    idx: u32,
}

impl<'d, 'a> Iterator for Items<'d, 'a> {
    type Item = Value<'d, 'a>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.idx == 0 {
            return None;
        }
        let v = Value {
            doc: self.doc,
            idx: self.idx,
        };
        self.idx = self.doc.nodes[self.idx as usize].next;
        Some(v)
    }
}

/// Decode the inside of a string literal already checked by the parser.
fn unescape(inner: &str) -> String {
    let b = inner.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    let mut run = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(&inner[run..i]);
        let e = b[i + 1];
        i += 2;
        match e {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            _ => {
                let hi = hex4(&b[i..i + 4]).unwrap_or(0xfffd);
                i += 4;
                let cp = if (0xd800..0xdc00).contains(&hi) {
                    let lo = hex4(&b[i + 2..i + 6]).unwrap_or(0xdc00);
                    i += 6;
                    0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                } else {
                    hi
                };
                out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
            }
        }
        run = i;
    }
    out.push_str(&inner[run..]);
    out
}

fn hex4(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b.get(..4)? {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// Bytes that end a fast string scan: the quote, the backslash and control characters.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Index of the first byte at or after `pos` that ends a plain run of string content.
/// Eight bytes at a time (SWAR): most string bytes need no per-byte branch.
#[inline]
fn scan_string(b: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(pos..pos + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * b'"' as u64);
        let slash = x ^ (ONES * b'\\' as u64);
        // A byte is "zero" (a match) or below 0x20 exactly when these set its high bit; bytes
        // >= 0x80 are masked off by `!x`.
        let hit = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let hit = hit & HIGHS;
        if hit != 0 {
            return pos + (hit.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&c) = b.get(pos) {
        if STRING_STOP[c as usize] {
            break;
        }
        pos += 1;
    }
    pos
}

/// Above this many members, duplicate detection switches from pairwise to hashing.
const PAIRWISE_KEYS: usize = 12;

struct Parser<'b> {
    b: &'b [u8],
    pos: usize,
    nodes: Vec<Node>,
    max_depth: u32,
    /// Reused across objects by the duplicate-key check.
    keys: Vec<usize>,
    /// The first error; internal methods return the zero-sized [`Fail`] so that results
    /// stay a register wide on the recursive hot path.
    error: Option<ParseError>,
}

/// Marker for "the parser recorded an error".
struct Fail;

impl Parser<'_> {
    fn err(&mut self, kind: ParseErrorKind) -> Fail {
        let offset = self.pos;
        self.err_at(kind, offset)
    }

    fn err_at(&mut self, kind: ParseErrorKind, offset: usize) -> Fail {
        self.error.get_or_insert(ParseError { kind, offset });
        Fail
    }

    fn unexpected(&mut self) -> Fail {
        match self.b.get(self.pos) {
            Some(&c) => self.err(ParseErrorKind::UnexpectedByte(c)),
            None => self.err(ParseErrorKind::UnexpectedEnd),
        }
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn push(&mut self, kind: Kind, start: usize) -> usize {
        self.nodes.push(Node {
            kind,
            flag: false,
            start: start as u32,
            end: start as u32,
            next: 0,
            len: 0,
        });
        self.nodes.len() - 1
    }

    fn value(&mut self, depth: u32) -> Result<usize, Fail> {
        match self.b.get(self.pos) {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string(),
            Some(b't') => self.literal(b"true", Kind::Bool, true),
            Some(b'f') => self.literal(b"false", Kind::Bool, false),
            Some(b'n') => self.literal(b"null", Kind::Null, false),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected()),
        }
    }

    fn literal(&mut self, word: &[u8], kind: Kind, flag: bool) -> Result<usize, Fail> {
        let start = self.pos;
        for &w in word {
            if self.b.get(self.pos) != Some(&w) {
                return Err(self.unexpected());
            }
            self.pos += 1;
        }
        let i = self.push(kind, start);
        let n = &mut self.nodes[i];
        n.flag = flag;
        n.end = self.pos as u32;
        Ok(i)
    }

    fn digits(&mut self) -> usize {
        let s = self.pos;
        while matches!(self.b.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - s
    }

    fn number(&mut self) -> Result<usize, Fail> {
        let start = self.pos;
        if self.b[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err(ParseErrorKind::InvalidNumber)),
        }
        let int_end = self.pos;
        let mut kind = Kind::Int;
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err(ParseErrorKind::InvalidNumber));
            }
            kind = Kind::Float;
        }
        if matches!(self.b.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err(ParseErrorKind::InvalidNumber));
            }
            kind = Kind::Float;
        }
        // Integers of up to 18 digits always fit i64; anything else must stay a finite f64.
        if kind == Kind::Float || int_end - start > 18 {
            let text = std::str::from_utf8(&self.b[start..self.pos]).unwrap_or("x");
            if !text.parse::<f64>().is_ok_and(f64::is_finite) {
                return Err(self.err_at(ParseErrorKind::NumberOutOfRange, start));
            }
        }
        let i = self.push(kind, start);
        self.nodes[i].end = self.pos as u32;
        Ok(i)
    }

    fn string(&mut self) -> Result<usize, Fail> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        loop {
            self.pos = scan_string(self.b, self.pos);
            match self.b.get(self.pos) {
                None => return Err(self.err(ParseErrorKind::UnexpectedEnd)),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?;
                }
                Some(_) => return Err(self.err(ParseErrorKind::ControlCharacterInString)),
            }
        }
        let i = self.push(Kind::String, start);
        let n = &mut self.nodes[i];
        n.flag = escaped;
        n.end = self.pos as u32;
        Ok(i)
    }

    fn escape(&mut self) -> Result<(), Fail> {
        let at = self.pos;
        match self.b.get(self.pos + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'u') => {
                let hi = self.hex_at(self.pos + 2)?;
                self.pos += 6;
                if (0xdc00..0xe000).contains(&hi) {
                    return Err(self.err_at(ParseErrorKind::LoneSurrogate, at));
                }
                if (0xd800..0xdc00).contains(&hi) {
                    let lo_ok = self.b.get(self.pos) == Some(&b'\\')
                        && self.b.get(self.pos + 1) == Some(&b'u')
                        && (0xdc00..0xe000).contains(&self.hex_at(self.pos + 2)?);
                    if !lo_ok {
                        return Err(self.err_at(ParseErrorKind::LoneSurrogate, at));
                    }
                    self.pos += 6;
                }
                Ok(())
            }
            Some(_) => Err(self.err_at(ParseErrorKind::InvalidEscape, at)),
            None => {
                let end = self.b.len();
                Err(self.err_at(ParseErrorKind::UnexpectedEnd, end))
            }
        }
    }

    fn hex_at(&mut self, at: usize) -> Result<u32, Fail> {
        match self.b.get(at..at + 4).and_then(hex4) {
            Some(v) => Ok(v),
            None if at + 4 > self.b.len() => {
                let end = self.b.len();
                Err(self.err_at(ParseErrorKind::UnexpectedEnd, end))
            }
            None => Err(self.err_at(ParseErrorKind::InvalidEscape, at)),
        }
    }

    fn enter(&mut self, depth: u32) -> Result<(), Fail> {
        if depth > self.max_depth {
            return Err(self.err(ParseErrorKind::TooDeep {
                limit: self.max_depth,
            }));
        }
        Ok(())
    }

    /// After an item of a container: a comma (more follow) or the closing byte (returns true).
    fn item_end(&mut self, close: u8) -> Result<bool, Fail> {
        self.skip_ws();
        match self.b.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                self.skip_ws();
                Ok(false)
            }
            Some(&c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn array(&mut self, depth: u32) -> Result<usize, Fail> {
        self.enter(depth)?;
        let me = self.push(Kind::Array, self.pos);
        self.pos += 1;
        self.skip_ws();
        let mut count = 0u32;
        if self.b.get(self.pos) == Some(&b']') {
            self.pos += 1;
        } else {
            let mut prev = 0usize;
            loop {
                let item = self.value(depth)?;
                if count > 0 {
                    self.nodes[prev].next = item as u32;
                }
                prev = item;
                count += 1;
                if self.item_end(b']')? {
                    break;
                }
            }
        }
        let n = &mut self.nodes[me];
        n.end = self.pos as u32;
        n.len = count;
        Ok(me)
    }

    fn object(&mut self, depth: u32) -> Result<usize, Fail> {
        self.enter(depth)?;
        let me = self.push(Kind::Object, self.pos);
        self.pos += 1;
        self.skip_ws();
        let mut count = 0u32;
        if self.b.get(self.pos) == Some(&b'}') {
            self.pos += 1;
        } else {
            let mut prev_key = 0usize;
            loop {
                if self.b.get(self.pos) != Some(&b'"') {
                    return Err(self.unexpected());
                }
                let key = self.string()?;
                if count > 0 {
                    self.nodes[prev_key].next = key as u32;
                }
                prev_key = key;
                count += 1;
                self.skip_ws();
                if self.b.get(self.pos) != Some(&b':') {
                    return Err(self.unexpected());
                }
                self.pos += 1;
                self.skip_ws();
                self.value(depth)?;
                if self.item_end(b'}')? {
                    break;
                }
            }
        }
        let n = &mut self.nodes[me];
        n.end = self.pos as u32;
        n.len = count;
        if count > 1 {
            self.check_duplicates(me)?;
        }
        Ok(me)
    }

    fn key_bytes(&self, key: usize) -> Cow<'_, [u8]> {
        let n = &self.nodes[key];
        let inner = &self.b[n.start as usize + 1..n.end as usize - 1];
        if n.flag {
            let s = std::str::from_utf8(inner).unwrap_or_default();
            Cow::Owned(unescape(s).into_bytes())
        } else {
            Cow::Borrowed(inner)
        }
    }

    fn check_duplicates(&mut self, obj: usize) -> Result<(), Fail> {
        let mut keys = std::mem::take(&mut self.keys);
        keys.clear();
        let found = self.find_duplicate(obj, &mut keys);
        self.keys = keys;
        match found {
            None => Ok(()),
            Some(at) => {
                let name = String::from_utf8_lossy(&self.key_bytes(at)).into_owned();
                let offset = self.nodes[at].start as usize;
                Err(self.err_at(ParseErrorKind::DuplicateKey(name), offset))
            }
        }
    }

    fn same_key(&self, a: usize, b: usize) -> bool {
        let (na, nb) = (&self.nodes[a], &self.nodes[b]);
        if !na.flag && !nb.flag {
            return na.end - na.start == nb.end - nb.start
                && self.b[na.start as usize..na.end as usize]
                    == self.b[nb.start as usize..nb.end as usize];
        }
        self.key_bytes(a) == self.key_bytes(b)
    }

    /// The node of the first key that repeats an earlier one.
    fn find_duplicate(&self, obj: usize, keys: &mut Vec<usize>) -> Option<usize> {
        let mut k = obj as u32 + 1;
        while k != 0 {
            keys.push(k as usize);
            k = self.nodes[k as usize].next;
        }
        if keys.len() <= PAIRWISE_KEYS {
            for (i, &a) in keys.iter().enumerate() {
                if keys[..i].iter().any(|&b| self.same_key(a, b)) {
                    return Some(a);
                }
            }
        } else {
            let mut seen = std::collections::HashSet::with_capacity(keys.len());
            for &a in keys.iter() {
                if !seen.insert(self.key_bytes(a)) {
                    return Some(a);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Document<'_>, ParseError> {
        Document::parse(s.as_bytes(), Limits::default())
    }

    fn err(s: &[u8]) -> ParseError {
        Document::parse(s, Limits::default()).unwrap_err()
    }

    #[test]
    fn parses_nested_values() {
        let d = parse(r#" {"a": [1, 2.5, "x\ny", true, null, {}], "b": {"c": -0}} "#).unwrap();
        let root = d.root();
        assert_eq!(root.kind(), Kind::Object);
        assert_eq!(root.len(), 2);
        let a: Vec<_> = root.get("a").unwrap().items().collect();
        assert_eq!(a.len(), 6);
        assert_eq!(a[0].as_i64(), Some(1));
        assert_eq!(a[1].as_f64(), Some(2.5));
        assert_eq!(a[2].as_str().unwrap(), "x\ny");
        assert_eq!(a[3].as_bool(), Some(true));
        assert!(a[4].is_null());
        assert_eq!(a[5].kind(), Kind::Object);
        assert_eq!(root.get("b").unwrap().get("c").unwrap().raw(), "-0");
        assert!(root.get("zz").is_none());
    }

    #[test]
    fn unescapes_surrogate_pairs() {
        let d = parse(r#""\ud83d\ude00 \u00e9\/""#).unwrap();
        assert_eq!(d.root().as_str().unwrap(), "\u{1F600} é/");
    }

    #[test]
    fn rejects_lone_surrogates() {
        assert_eq!(err(br#""\ud800""#).kind, ParseErrorKind::LoneSurrogate);
        assert_eq!(
            err(br#""\ud800\u0041""#).kind,
            ParseErrorKind::LoneSurrogate
        );
        let e = err(br#"["ok", "\udc00"]"#);
        assert_eq!((e.kind, e.offset), (ParseErrorKind::LoneSurrogate, 8));
    }

    #[test]
    fn rejects_invalid_utf8_with_offset() {
        let e = err(b"{\"a\": \"\xff\"}");
        assert_eq!((e.kind, e.offset), (ParseErrorKind::InvalidUtf8, 7));
        // an encoded surrogate (CESU-8) is invalid UTF-8 too
        assert_eq!(err(b"\"\xed\xa0\x80\"").kind, ParseErrorKind::InvalidUtf8);
    }

    #[test]
    fn rejects_duplicate_keys_small_and_large() {
        let e = err(br#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(e.kind, ParseErrorKind::DuplicateKey("a".into()));
        assert_eq!(e.offset, 13);
        // escaped spelling of the same key
        let e = err(br#"{"ab":1,"\u0061b":2}"#);
        assert_eq!(e.kind, ParseErrorKind::DuplicateKey("ab".into()));
        let mut big = String::from("{");
        for i in 0..40 {
            big.push_str(&format!("\"k{i}\":{i},"));
        }
        big.push_str("\"k7\":0}");
        assert_eq!(
            err(big.as_bytes()).kind,
            ParseErrorKind::DuplicateKey("k7".into())
        );
    }

    #[test]
    fn rejects_trailing_bytes() {
        let e = err(b"{} x");
        assert_eq!((e.kind, e.offset), (ParseErrorKind::TrailingBytes, 3));
        assert_eq!(err(b"1 2").kind, ParseErrorKind::TrailingBytes);
    }

    #[test]
    fn numbers() {
        for ok in [
            "0",
            "-0",
            "12",
            "1.5e3",
            "-1E-2",
            "1e-400",
            "123456789012345678901234567890",
        ] {
            parse(ok).unwrap();
        }
        for bad in [
            "01", "1.", ".5", "-", "1e", "+1", "0x10", "1.e3", "NaN", "Infinity",
        ] {
            let e = err(bad.as_bytes());
            assert!(
                matches!(
                    e.kind,
                    ParseErrorKind::InvalidNumber
                        | ParseErrorKind::UnexpectedByte(_)
                        | ParseErrorKind::TrailingBytes
                ),
                "{bad}: {e}"
            );
        }
        let e = err(b"[1, 1e400]");
        assert_eq!((e.kind, e.offset), (ParseErrorKind::NumberOutOfRange, 4));
        let huge = format!("-{}", "9".repeat(400));
        assert_eq!(err(huge.as_bytes()).kind, ParseErrorKind::NumberOutOfRange);
        let d = parse("[3.0, 3e0, 3.5]").unwrap();
        let v: Vec<_> = d.root().items().map(|v| v.is_integer()).collect();
        assert_eq!(v, [true, true, false]);
    }

    #[test]
    fn limits_are_enforced_and_adjustable() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(
            err(deep.as_bytes()).kind,
            ParseErrorKind::TooDeep { limit: 64 }
        );
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        parse(&ok).unwrap();
        let lim = Limits {
            max_size: 10,
            max_depth: 200,
        };
        assert!(matches!(
            Document::parse(b"[1,2,3,4,5,6]", lim).unwrap_err().kind,
            ParseErrorKind::TooLarge { .. }
        ));
        let deeper = format!("{}{}", "[".repeat(100), "]".repeat(100));
        Document::parse(
            deeper.as_bytes(),
            Limits {
                max_size: 1 << 20,
                ..lim
            },
        )
        .unwrap();
    }

    #[test]
    fn structural_errors_have_offsets() {
        let e = err(b"{\"a\" 1}");
        assert_eq!(
            (e.kind, e.offset),
            (ParseErrorKind::UnexpectedByte(b'1'), 5)
        );
        assert_eq!(err(b"[1,]").offset, 3);
        assert_eq!(err(b"{\"a\":1").kind, ParseErrorKind::UnexpectedEnd);
        assert_eq!(err(b"").kind, ParseErrorKind::UnexpectedEnd);
        assert_eq!(
            err(b"\"a\tb\"").kind,
            ParseErrorKind::ControlCharacterInString
        );
        assert_eq!(err(br#""\x""#).kind, ParseErrorKind::InvalidEscape);
        assert_eq!(err(br#""\u12g4""#).kind, ParseErrorKind::InvalidEscape);
        assert_eq!(err(b"tru").kind, ParseErrorKind::UnexpectedEnd);
    }

    #[test]
    fn agrees_with_serde_json_on_values() {
        let text = r#"{"s":"a\u00e9\"","n":[1,-2.5e-3,true,false,null],"o":{"k":{}}}"#;
        let ours = parse(text).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        fn conv(v: Value<'_, '_>) -> serde_json::Value {
            match v.kind() {
                Kind::Null => serde_json::Value::Null,
                Kind::Bool => v.as_bool().unwrap().into(),
                Kind::Int => v.as_i64().unwrap().into(),
                Kind::Float => v.as_f64().unwrap().into(),
                Kind::String => v.as_str().unwrap().into_owned().into(),
                Kind::Array => v.items().map(conv).collect(),
                Kind::Object => v
                    .members()
                    .map(|(k, v)| (k.as_str().unwrap().into_owned(), conv(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
            }
        }
        assert_eq!(conv(ours.root()), theirs);
    }
}
