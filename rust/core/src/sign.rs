//! HTTP Message Signatures (RFC 9421), profile `hmac-sha256`, with Content-Digest (RFC 9530).
//!
//! The profile covers `@method`, `@target-uri` (or `@authority` + `@path` + `@query`),
//! `content-type` when present and `content-digest` when there is a body, with the signature
//! parameters `created`, `expires`, `nonce`, `keyid` and `tag`.
//!
//! Verification takes the key from `keyid` only: an `alg` parameter is never used to choose an
//! algorithm, and one naming anything but `hmac-sha256` is rejected. `created` must be within a
//! window (±300 s by default) of now, a nonce is remembered for the window so a replay fails,
//! and the MAC is compared in constant time. Nonces are recorded only after the MAC verified,
//! so unauthenticated requests cannot fill the cache.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::fmt::Write as _;
use std::sync::{Mutex, RwLock};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::digest::{digest, SHA256};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

pub const ALGORITHM: &str = "hmac-sha256";
pub const DEFAULT_WINDOW_SECS: i64 = 300;
pub const DEFAULT_LABEL: &str = "sig1";
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;
/// Shortest signing key accepted: as long as the HMAC-SHA256 output.
pub const MIN_KEY_LEN: usize = 32;
/// Caps on attacker-controlled input sizes.
const MAX_FIELD_LEN: usize = 8 * 1024;
const MAX_COMPONENTS: usize = 32;

/// Why signing or verification failed. Messages never include key material or MACs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// No `Signature-Input` or no `Signature` header.
    MissingSignature,
    /// `Signature-Input` is not a valid structured dictionary of inner lists; says where.
    MalformedSignatureInput(String),
    /// `Signature` is not a valid structured dictionary of byte sequences; says where.
    MalformedSignature(String),
    /// The requested label is absent, or several signatures and no label to choose one.
    LabelNotFound(String),
    /// A required signature parameter is missing (`created`, `keyid`, `nonce`).
    MissingParameter(&'static str),
    /// A signature parameter has the wrong type or value.
    InvalidParameter(String),
    /// `alg` names an algorithm other than `hmac-sha256`.
    AlgorithmMismatch,
    /// No key with this `keyid`.
    UnknownKeyId,
    /// `created` is older than the window, or `expires` has passed.
    Expired,
    /// `created` is further in the future than the window.
    NotYetValid,
    /// This nonce was already seen for this key within the window.
    ReplayedNonce,
    /// The replay cache is full of live nonces; fails closed rather than forget one.
    ReplayCacheFull,
    /// The MAC does not match.
    BadSignature,
    /// The `tag` parameter is absent or not the expected application tag.
    TagMismatch,
    /// The policy requires a component the signature does not cover.
    ComponentNotCovered(String),
    /// A covered component is not in the message (for example a missing header).
    MissingComponent(String),
    /// A component or component parameter this profile does not support.
    UnsupportedComponent(String),
    /// `content-digest` does not match the body.
    ContentDigestMismatch,
    /// There is a body but `content-digest` is not covered, or it is covered and no body was given.
    ContentDigestRequired(&'static str),
    /// The request itself is unusable (bad URL, control characters in a value, ...).
    InvalidRequest(String),
    /// The key is shorter than [`MIN_KEY_LEN`] bytes.
    KeyTooShort(usize),
    RandomFailure,
}

impl SignError {
    /// A stable, machine-readable reason code.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingSignature => "missing_signature",
            Self::MalformedSignatureInput(_) => "malformed_signature_input",
            Self::MalformedSignature(_) => "malformed_signature",
            Self::LabelNotFound(_) => "label_not_found",
            Self::MissingParameter(_) => "missing_parameter",
            Self::InvalidParameter(_) => "invalid_parameter",
            Self::AlgorithmMismatch => "algorithm_mismatch",
            Self::UnknownKeyId => "unknown_key_id",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::ReplayedNonce => "replayed_nonce",
            Self::ReplayCacheFull => "replay_cache_full",
            Self::BadSignature => "bad_signature",
            Self::TagMismatch => "tag_mismatch",
            Self::ComponentNotCovered(_) => "component_not_covered",
            Self::MissingComponent(_) => "missing_component",
            Self::UnsupportedComponent(_) => "unsupported_component",
            Self::ContentDigestMismatch => "content_digest_mismatch",
            Self::ContentDigestRequired(_) => "content_digest_required",
            Self::InvalidRequest(_) => "invalid_request",
            Self::KeyTooShort(_) => "key_too_short",
            Self::RandomFailure => "random_failure",
        }
    }
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingSignature => {
                f.write_str("signature: the Signature-Input and Signature headers are required")
            }
            Self::MalformedSignatureInput(m) => write!(f, "Signature-Input: malformed: {m}"),
            Self::MalformedSignature(m) => write!(f, "Signature: malformed: {m}"),
            Self::LabelNotFound(m) => write!(f, "signature label: {m}"),
            Self::MissingParameter(p) => write!(f, "signature parameter '{p}': missing"),
            Self::InvalidParameter(m) => write!(f, "signature parameter {m}"),
            Self::AlgorithmMismatch => {
                write!(
                    f,
                    "signature parameter 'alg': only '{ALGORITHM}' is accepted"
                )
            }
            Self::UnknownKeyId => f.write_str("signature parameter 'keyid': unknown key"),
            Self::Expired => {
                f.write_str("signature: expired (created too long ago or past expires)")
            }
            Self::NotYetValid => f.write_str("signature: 'created' is too far in the future"),
            Self::ReplayedNonce => {
                f.write_str("signature parameter 'nonce': already used (replay)")
            }
            Self::ReplayCacheFull => {
                f.write_str("signature: replay cache is full; try again later")
            }
            Self::BadSignature => f.write_str("signature: verification failed"),
            Self::TagMismatch => f.write_str("signature parameter 'tag': not the expected tag"),
            Self::ComponentNotCovered(c) => {
                write!(f, "signature: required component {c} not covered")
            }
            Self::MissingComponent(c) => {
                write!(f, "signature: covered component {c} is not in the message")
            }
            Self::UnsupportedComponent(c) => write!(f, "signature: unsupported component {c}"),
            Self::ContentDigestMismatch => f.write_str("Content-Digest: does not match the body"),
            Self::ContentDigestRequired(m) => write!(f, "Content-Digest: {m}"),
            Self::InvalidRequest(m) => write!(f, "request: {m}"),
            Self::KeyTooShort(n) => {
                write!(f, "key: expected at least {MIN_KEY_LEN} bytes, got {n}")
            }
            Self::RandomFailure => f.write_str("random number generator failed"),
        }
    }
}

impl std::error::Error for SignError {}

// ---------------------------------------------------------------------------------------------
// Keys

/// An HMAC-SHA256 signing key. `Debug` never shows it; the raw bytes are not kept (only ring's
/// derived state, which lives inside `ring::hmac::Key`).
pub struct HmacKey(hmac::Key);

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(<redacted>)")
    }
}

impl HmacKey {
    pub fn new(key: &[u8]) -> Result<Self, SignError> {
        if key.len() < MIN_KEY_LEN {
            return Err(SignError::KeyTooShort(key.len()));
        }
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, key)))
    }

    fn mac(&self, data: &[u8]) -> hmac::Tag {
        hmac::sign(&self.0, data)
    }
}

/// Plain HMAC-SHA256 (any key length), for callers and known-answer tests.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Constant-time HMAC-SHA256 check; a shorter `tag` is compared as a truncated MAC (at least
/// 10 bytes, RFC 2104 section 5). An empty or too short tag never verifies.
pub fn hmac_sha256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    if tag.len() < 10 || tag.len() > 32 {
        return false;
    }
    let full = hmac_sha256(key, message);
    bool::from(full[..tag.len()].ct_eq(tag))
}

// ---------------------------------------------------------------------------------------------
// Replay cache

/// Remembers nonces until they can no longer pass the time window. Implementations must be
/// atomic: two concurrent calls with the same nonce must not both return `Ok(true)`.
pub trait NonceStore: Send + Sync + fmt::Debug {
    /// Records `nonce` for `key_id` until `expires_at` (unix seconds). Returns `Ok(false)` if it
    /// was already recorded and has not expired at `now`.
    fn insert_if_new(
        &self,
        key_id: &str,
        nonce: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, SignError>;
}

/// A bounded in-memory [`NonceStore`] for a single process.
#[derive(Debug)]
pub struct MemoryNonceStore {
    capacity: usize,
    inner: Mutex<NonceState>,
}

#[derive(Debug, Default)]
struct NonceState {
    live: HashMap<String, i64>,
    by_expiry: BinaryHeap<Reverse<(i64, String)>>,
}

impl MemoryNonceStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .live
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl NonceStore for MemoryNonceStore {
    fn insert_if_new(
        &self,
        key_id: &str,
        nonce: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, SignError> {
        // The entry key separates key id and nonce with a byte neither may contain.
        let entry = format!("{key_id}\n{nonce}");
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let NonceState { live, by_expiry } = &mut *state;
        while let Some(Reverse((at, _))) = by_expiry.peek() {
            if *at >= now {
                break;
            }
            if let Some(Reverse((at, old))) = by_expiry.pop() {
                // Only drop the entry if it was not re-recorded with a later expiry.
                if live.get(&old) == Some(&at) {
                    live.remove(&old);
                }
            }
        }
        if live.get(&entry).is_some_and(|&at| at >= now) {
            return Ok(false);
        }
        if live.len() >= self.capacity {
            return Err(SignError::ReplayCacheFull);
        }
        live.insert(entry.clone(), expires_at);
        by_expiry.push(Reverse((expires_at, entry)));
        Ok(true)
    }
}

// ---------------------------------------------------------------------------------------------
// Structured fields (RFC 8941), the subset signatures use

#[derive(Debug, Clone, PartialEq)]
enum Bare {
    Integer(i64),
    String(String),
    Token(String),
    Bytes(Vec<u8>),
    Boolean(bool),
}

type Params = Vec<(String, Bare)>;

#[derive(Debug, Clone, PartialEq)]
enum Member {
    Item(Bare, Params),
    InnerList(Vec<(Bare, Params)>, Params),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
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

    fn key(&mut self) -> Result<String, String> {
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

    fn dictionary(mut self) -> Result<Vec<(String, Member)>, String> {
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

fn parse_dictionary(value: &str) -> Result<Vec<(String, Member)>, String> {
    if value.len() > MAX_FIELD_LEN {
        return Err(format!("longer than {MAX_FIELD_LEN} bytes"));
    }
    Parser::new(value.trim_matches(' ')).dictionary()
}

fn write_sf_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn write_bare(out: &mut String, bare: &Bare) {
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

fn write_params(out: &mut String, params: &Params) {
    for (k, v) in params {
        out.push(';');
        out.push_str(k);
        if *v != Bare::Boolean(true) {
            out.push('=');
            write_bare(out, v);
        }
    }
}

fn is_sf_string(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

// ---------------------------------------------------------------------------------------------
// Messages and components

/// A request as the signer or verifier sees it. Header names are matched case-insensitively;
/// repeated headers are combined with ", " as RFC 9421 section 2.1 requires.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The absolute target URI, e.g. `https://example.com/v1/chat?x=1`.
    pub target_uri: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
}

struct Uri<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

fn parse_uri(uri: &str) -> Result<Uri<'_>, SignError> {
    let bad = |m: &str| SignError::InvalidRequest(format!("target_uri: {m}"));
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("must be ASCII without spaces or controls"));
    }
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| bad("must be absolute (scheme://host/...)"))?;
    if scheme.is_empty()
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Err(bad("invalid scheme"));
    }
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or_else(|| bad("unterminated IPv6 literal"))?;
        let (h, p) = authority.split_at(close + 1);
        (h, p.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("missing host"));
    }
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad("invalid port"));
    }
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    Ok(Uri {
        scheme,
        host,
        port,
        path,
        query,
    })
}

impl Uri<'_> {
    fn authority(&self) -> String {
        let scheme = self.scheme.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" => Some("80"),
            "https" => Some("443"),
            _ => None,
        };
        let host = self.host.to_ascii_lowercase();
        match self.port {
            Some(p) if !p.is_empty() && Some(p.trim_start_matches('0')) != default => {
                format!("{host}:{p}")
            }
            _ => host,
        }
    }

    fn path(&self) -> &str {
        if self.path.is_empty() {
            "/"
        } else {
            self.path
        }
    }

    fn target_uri(&self, method: &str) -> String {
        // RFC 9110 4.2.3: an empty OPTIONS path addresses the server and is not normalized.
        let path = if method == "OPTIONS" {
            self.path
        } else {
            self.path()
        };
        let mut out = format!("{}://{}", self.scheme, self.host);
        if let Some(p) = self.port {
            out.push(':');
            out.push_str(p);
        }
        out.push_str(path);
        if let Some(q) = self.query {
            out.push('?');
            out.push_str(q);
        }
        out
    }
}

/// A request with its URI parsed once and header lookups ready.
struct Resolver<'a> {
    req: Request<'a>,
    uri: Uri<'a>,
    /// A Content-Digest the signer computed, which overrides any header of that name.
    digest_override: Option<&'a str>,
}

impl<'a> Resolver<'a> {
    fn new(req: Request<'a>, digest_override: Option<&'a str>) -> Result<Self, SignError> {
        if req.method.is_empty() || !req.method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SignError::InvalidRequest(
                "method: must be a non-empty uppercase token".into(),
            ));
        }
        Ok(Self {
            uri: parse_uri(req.target_uri)?,
            req,
            digest_override,
        })
    }

    fn header(&self, name: &str) -> Option<String> {
        let mut values = self
            .req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim_matches([' ', '\t']))
            .peekable();
        values.peek()?;
        Some(values.collect::<Vec<_>>().join(", "))
    }

    fn has_header(&self, name: &str) -> bool {
        self.req
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    fn component(&self, name: &str) -> Result<String, SignError> {
        let value = match name {
            "@method" => self.req.method.to_owned(),
            "@target-uri" => self.uri.target_uri(self.req.method),
            "@authority" => self.uri.authority(),
            "@scheme" => self.uri.scheme.to_ascii_lowercase(),
            "@path" => self.uri.path().to_owned(),
            "@query" => format!("?{}", self.uri.query.unwrap_or("")),
            "@request-target" => match self.uri.query {
                Some(q) => format!("{}?{q}", self.uri.path()),
                None => self.uri.path().to_owned(),
            },
            _ if name.starts_with('@') => {
                return Err(SignError::UnsupportedComponent(format!("\"{name}\"")))
            }
            "content-digest" if self.digest_override.is_some() => {
                self.digest_override.unwrap_or_default().to_owned()
            }
            _ => self
                .header(name)
                .ok_or_else(|| SignError::MissingComponent(format!("\"{name}\"")))?,
        };
        if !value
            .bytes()
            .all(|b| b == b'\t' || (0x20..=0x7e).contains(&b))
        {
            return Err(SignError::InvalidRequest(format!(
                "component \"{name}\": value must be printable ASCII"
            )));
        }
        Ok(value)
    }
}

fn validate_component_name(name: &str) -> Result<(), SignError> {
    let ok = !name.is_empty()
        && name.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b"-_.".contains(&b)
                || (i == 0 && b == b'@')
        });
    if !ok || name == "@signature-params" {
        return Err(SignError::UnsupportedComponent(format!("\"{name}\"")));
    }
    Ok(())
}

/// Builds the signature base (RFC 9421 section 2.5) and returns it.
fn signature_base(
    resolver: &Resolver<'_>,
    components: &[String],
    params_line: &str,
) -> Result<String, SignError> {
    let mut base = String::with_capacity(256);
    for (i, name) in components.iter().enumerate() {
        if components[..i].contains(name) {
            return Err(SignError::InvalidParameter(format!(
                "components: \"{name}\" is listed twice"
            )));
        }
        let value = resolver.component(name)?;
        write_sf_string(&mut base, name);
        base.push_str(": ");
        base.push_str(&value);
        base.push('\n');
    }
    base.push_str("\"@signature-params\": ");
    base.push_str(params_line);
    Ok(base)
}

/// The serialized inner list `("c1" "c2");created=..;...` as it appears after the label.
fn params_line(components: &[String], params: &Params) -> String {
    let mut out = String::from("(");
    for (i, c) in components.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_sf_string(&mut out, c);
    }
    out.push(')');
    write_params(&mut out, params);
    out
}

/// `sha-256=:<base64>:` for `body`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(digest(&SHA256, body)))
}

fn check_content_digest(header: &str, body: &[u8]) -> Result<(), SignError> {
    let dict = parse_dictionary(header)
        .map_err(|_| SignError::ContentDigestRequired("the header is not a valid dictionary"))?;
    let expected = digest(&SHA256, body);
    let Some((_, Member::Item(Bare::Bytes(got), _))) = dict.iter().find(|(k, _)| k == "sha-256")
    else {
        return Err(SignError::ContentDigestRequired("no sha-256 member"));
    };
    if bool::from(got.as_slice().ct_eq(expected.as_ref())) {
        Ok(())
    } else {
        Err(SignError::ContentDigestMismatch)
    }
}

// ---------------------------------------------------------------------------------------------
// Signing

/// What to sign and with which parameters.
#[derive(Debug, Clone)]
pub struct SignOptions<'a> {
    pub label: &'a str,
    /// Component identifiers in order. Empty means the profile default: `@method`, `@target-uri`,
    /// `content-type` if present, `content-digest` if there is a body.
    pub components: &'a [&'a str],
    pub created: i64,
    pub expires: Option<i64>,
    /// `None` draws a random 128-bit nonce (when `include_nonce`).
    pub nonce: Option<&'a str>,
    /// Whether to send a nonce at all (verifiers with replay protection require one).
    pub include_nonce: bool,
    pub tag: Option<&'a str>,
    pub include_alg: bool,
}

/// The headers a signer adds to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub signature_input: String,
    pub signature: String,
    /// Set when a body was given: the `Content-Digest` header to send with it.
    pub content_digest: Option<String>,
    pub nonce: Option<String>,
}

fn check_label(label: &str) -> Result<(), SignError> {
    let mut p = Parser::new(label);
    match p.key() {
        Ok(k) if k.len() == label.len() => Ok(()),
        _ => Err(SignError::InvalidParameter(format!(
            "'label': '{label}' is not a structured-field key"
        ))),
    }
}

fn string_param(name: &str, value: &str) -> Result<Bare, SignError> {
    if value.is_empty() || !is_sf_string(value) || value.len() > 256 {
        return Err(SignError::InvalidParameter(format!(
            "'{name}': must be 1..=256 printable ASCII characters"
        )));
    }
    Ok(Bare::String(value.to_owned()))
}

/// Signs `req` (and `body`, through Content-Digest) with `key` under `key_id`.
pub fn sign(
    key: &HmacKey,
    key_id: &str,
    req: Request<'_>,
    body: Option<&[u8]>,
    opts: &SignOptions<'_>,
) -> Result<SignedHeaders, SignError> {
    check_label(opts.label)?;
    let digest_header = body.map(content_digest);
    let resolver = Resolver::new(req, digest_header.as_deref())?;
    let components: Vec<String> = if opts.components.is_empty() {
        let mut c = vec!["@method".to_owned(), "@target-uri".to_owned()];
        if resolver.has_header("content-type") {
            c.push("content-type".to_owned());
        }
        if body.is_some() {
            c.push("content-digest".to_owned());
        }
        c
    } else {
        opts.components.iter().map(|c| (*c).to_owned()).collect()
    };
    for c in &components {
        validate_component_name(c)?;
    }
    if components.len() > MAX_COMPONENTS {
        return Err(SignError::InvalidParameter("components: too many".into()));
    }
    let nonce = match (opts.include_nonce, opts.nonce) {
        (true, Some(n)) => Some(n.to_owned()),
        (true, None) => Some(random_nonce()?),
        (false, None) => None,
        (false, Some(_)) => {
            return Err(SignError::InvalidParameter(
                "'nonce': given while nonces are turned off".into(),
            ))
        }
    };
    let mut params: Params = vec![("created".into(), Bare::Integer(opts.created))];
    if let Some(e) = opts.expires {
        params.push(("expires".into(), Bare::Integer(e)));
    }
    if let Some(n) = &nonce {
        params.push(("nonce".into(), string_param("nonce", n)?));
    }
    params.push(("keyid".into(), string_param("keyid", key_id)?));
    if let Some(t) = opts.tag {
        params.push(("tag".into(), string_param("tag", t)?));
    }
    if opts.include_alg {
        params.push(("alg".into(), Bare::String(ALGORITHM.into())));
    }
    let line = params_line(&components, &params);
    let base = signature_base(&resolver, &components, &line)?;
    let mac = key.mac(base.as_bytes());
    Ok(SignedHeaders {
        signature_input: format!("{}={line}", opts.label),
        signature: format!("{}=:{}:", opts.label, STANDARD.encode(mac.as_ref())),
        content_digest: digest_header,
        nonce,
    })
}

fn random_nonce() -> Result<String, SignError> {
    let mut raw = [0u8; 16];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| SignError::RandomFailure)?;
    Ok(STANDARD.encode(raw))
}

// ---------------------------------------------------------------------------------------------
// Verification

/// Which components a signature must cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// `@method`; `@target-uri` or all of `@authority`, `@path`, `@query`; `content-type` when the
    /// request has one. (`content-digest` for a body is always required.)
    Profile,
    /// Exactly these must be covered (others may be too).
    Components(Vec<String>),
}

/// Verification rules.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    pub window_secs: i64,
    pub require_nonce: bool,
    pub coverage: Coverage,
    /// Require this `tag` parameter.
    pub expected_tag: Option<String>,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        Self {
            window_secs: DEFAULT_WINDOW_SECS,
            require_nonce: true,
            coverage: Coverage::Profile,
            expected_tag: None,
        }
    }
}

/// What a valid signature said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub label: String,
    pub key_id: String,
    pub components: Vec<String>,
    pub created: i64,
    pub expires: Option<i64>,
    pub nonce: Option<String>,
    pub tag: Option<String>,
}

/// Verifies signatures with keys looked up by `keyid`, a time window and a replay cache.
#[derive(Debug)]
pub struct Verifier {
    keys: RwLock<HashMap<String, HmacKey>>,
    policy: VerifyPolicy,
    nonces: Box<dyn NonceStore>,
}

impl Verifier {
    pub fn new(policy: VerifyPolicy, nonces: Box<dyn NonceStore>) -> Result<Self, SignError> {
        if policy.window_secs <= 0 {
            return Err(SignError::InvalidParameter(
                "window: must be positive".into(),
            ));
        }
        Ok(Self {
            keys: RwLock::default(),
            policy,
            nonces,
        })
    }

    pub fn policy(&self) -> &VerifyPolicy {
        &self.policy
    }

    /// Adds or replaces the key for `key_id`.
    pub fn set_key(&self, key_id: &str, key: HmacKey) -> Result<(), SignError> {
        string_param("keyid", key_id)?;
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key_id.to_owned(), key);
        Ok(())
    }

    pub fn remove_key(&self, key_id: &str) -> bool {
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key_id)
            .is_some()
    }

    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    /// Verifies the signature `label` (or the only one) on `req` at time `now` (unix seconds).
    /// `body` is the request content: it must match a covered Content-Digest, and a non-empty
    /// body must be covered by one.
    pub fn verify(
        &self,
        req: Request<'_>,
        body: Option<&[u8]>,
        label: Option<&str>,
        now: i64,
    ) -> Result<Verified, SignError> {
        let resolver = Resolver::new(req, None)?;
        let input = resolver
            .header("signature-input")
            .ok_or(SignError::MissingSignature)?;
        let sigs = resolver
            .header("signature")
            .ok_or(SignError::MissingSignature)?;
        let inputs = parse_dictionary(&input).map_err(SignError::MalformedSignatureInput)?;
        let sigs = parse_dictionary(&sigs).map_err(SignError::MalformedSignature)?;
        let (label, member) = match label {
            Some(l) => inputs
                .iter()
                .find(|(k, _)| k == l)
                .ok_or_else(|| SignError::LabelNotFound(format!("'{l}' not in Signature-Input")))?,
            None if inputs.len() == 1 => &inputs[0],
            None if inputs.is_empty() => return Err(SignError::MissingSignature),
            None => {
                return Err(SignError::LabelNotFound(
                    "several signatures; name the label to verify".into(),
                ))
            }
        };
        let Member::InnerList(items, params) = member else {
            return Err(SignError::MalformedSignatureInput(format!(
                "member '{label}' must be an inner list"
            )));
        };
        let mac = match sigs.iter().find(|(k, _)| k == label) {
            Some((_, Member::Item(Bare::Bytes(b), _))) => b,
            Some(_) => {
                return Err(SignError::MalformedSignature(format!(
                    "member '{label}' must be a byte sequence"
                )))
            }
            None => {
                return Err(SignError::LabelNotFound(format!(
                    "'{label}' not in Signature"
                )))
            }
        };

        let mut components = Vec::with_capacity(items.len());
        for (bare, item_params) in items {
            let Bare::String(name) = bare else {
                return Err(SignError::MalformedSignatureInput(
                    "components must be strings".into(),
                ));
            };
            if !item_params.is_empty() {
                return Err(SignError::UnsupportedComponent(format!(
                    "\"{name}\" with parameters"
                )));
            }
            validate_component_name(name)?;
            components.push(name.clone());
        }

        let mut created = None;
        let mut expires = None;
        let mut nonce = None;
        let mut key_id = None;
        let mut tag = None;
        for (name, value) in params {
            match (name.as_str(), value) {
                ("created", Bare::Integer(n)) => created = Some(*n),
                ("expires", Bare::Integer(n)) => expires = Some(*n),
                ("nonce", Bare::String(s)) => nonce = Some(s.clone()),
                ("keyid", Bare::String(s)) => key_id = Some(s.clone()),
                ("tag", Bare::String(s)) => tag = Some(s.clone()),
                ("alg", Bare::String(s)) if s == ALGORITHM => {}
                ("alg", Bare::String(_)) => return Err(SignError::AlgorithmMismatch),
                ("created" | "expires", _) => {
                    return Err(SignError::InvalidParameter(format!(
                        "'{name}': must be an integer"
                    )))
                }
                ("nonce" | "keyid" | "tag" | "alg", _) => {
                    return Err(SignError::InvalidParameter(format!(
                        "'{name}': must be a string"
                    )))
                }
                _ => {
                    return Err(SignError::InvalidParameter(format!(
                        "'{name}': not supported"
                    )))
                }
            }
        }
        let created = created.ok_or(SignError::MissingParameter("created"))?;
        let key_id = key_id.ok_or(SignError::MissingParameter("keyid"))?;
        if self.policy.require_nonce && nonce.is_none() {
            return Err(SignError::MissingParameter("nonce"));
        }
        if let Some(expected) = &self.policy.expected_tag {
            if tag.as_deref() != Some(expected.as_str()) {
                return Err(SignError::TagMismatch);
            }
        }
        self.check_coverage(&resolver, &components)?;
        let covers_digest = components.iter().any(|c| c == "content-digest");
        match body {
            Some(b) if !b.is_empty() && !covers_digest => {
                return Err(SignError::ContentDigestRequired(
                    "the request has a body but the signature does not cover content-digest",
                ))
            }
            None if covers_digest => {
                return Err(SignError::ContentDigestRequired(
                    "content-digest is covered; the body is needed to check it",
                ))
            }
            _ => {}
        }

        // Time window: both directions, plus an explicit expiry.
        let window = self.policy.window_secs;
        if created.saturating_sub(now) > window {
            return Err(SignError::NotYetValid);
        }
        if now.saturating_sub(created) > window || expires.is_some_and(|e| now > e) {
            return Err(SignError::Expired);
        }

        let line = params_line(&components, params);
        let base = signature_base(&resolver, &components, &line)?;
        {
            let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
            let key = keys.get(&key_id).ok_or(SignError::UnknownKeyId)?;
            hmac::verify(&key.0, base.as_bytes(), mac).map_err(|_| SignError::BadSignature)?;
        }
        if let (true, Some(body)) = (covers_digest, body) {
            let header = resolver
                .header("content-digest")
                .ok_or_else(|| SignError::MissingComponent("\"content-digest\"".into()))?;
            check_content_digest(&header, body)?;
        }
        if let Some(n) = &nonce {
            // Remember the nonce for as long as the signature could still be accepted.
            let until = created.saturating_add(window);
            if !self.nonces.insert_if_new(&key_id, n, now, until)? {
                return Err(SignError::ReplayedNonce);
            }
        }
        Ok(Verified {
            label: label.clone(),
            key_id,
            components,
            created,
            expires,
            nonce,
            tag,
        })
    }

    fn check_coverage(
        &self,
        resolver: &Resolver<'_>,
        components: &[String],
    ) -> Result<(), SignError> {
        let covered = |c: &str| components.iter().any(|x| x == c);
        let missing = |c: &str| SignError::ComponentNotCovered(format!("\"{c}\""));
        match &self.policy.coverage {
            Coverage::Profile => {
                if !covered("@method") {
                    return Err(missing("@method"));
                }
                if !covered("@target-uri") {
                    for c in ["@authority", "@path", "@query"] {
                        if !covered(c) {
                            return Err(SignError::ComponentNotCovered(format!(
                                "\"@target-uri\" (or \"{c}\" with its peers)"
                            )));
                        }
                    }
                }
                if resolver.has_header("content-type") && !covered("content-type") {
                    return Err(missing("content-type"));
                }
            }
            Coverage::Components(required) => {
                if let Some(c) = required.iter().find(|c| !covered(c)) {
                    return Err(missing(c));
                }
            }
        }
        Ok(())
    }
}
