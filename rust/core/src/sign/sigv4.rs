//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`), header-based, as AWS's SDKs sign requests.
//!
//! One call takes the whole request (method, URL, headers, body or its SHA-256) and the time,
//! and returns the headers to add: `X-Amz-Date`, `X-Amz-Security-Token` (with a session token)
//! and `Authorization`. Canonicalization follows botocore's `SigV4Auth` byte for byte: the path
//! has its dot segments and empty segments removed and is percent-encoded once more (AWS's
//! double encoding for every service but S3), query names and values are decoded and encoded
//! again with RFC 3986's unreserved set and sorted, header values are trimmed with runs of
//! whitespace folded, repeated headers are joined with `,`, and every header but `expect`,
//! `transfer-encoding`, `user-agent` and `x-amzn-trace-id` is signed.
//!
//! The secret access key and the derived signing keys are zeroized on drop and never shown by
//! `Debug` or in an error. The signing key of the current day, region and service is cached.

use std::fmt;
use std::fmt::Write as _;
use std::sync::Mutex;

use ring::digest::{digest, SHA256};
use ring::hmac;
use zeroize::Zeroizing;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The SHA-256 of an empty body, in hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Headers botocore leaves unsigned: proxies and clients may change them.
const UNSIGNED_HEADERS: [&str; 4] = [
    "expect",
    "transfer-encoding",
    "user-agent",
    "x-amzn-trace-id",
];
/// Caps on what one request may carry into the signer.
const MAX_URL_LEN: usize = 16 * 1024;
const MAX_HEADERS: usize = 128;
const MAX_HEADER_LEN: usize = 16 * 1024;

/// Why a request could not be signed. Messages name the input, never a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// A credential, region or service is empty or has characters a scope cannot hold.
    InvalidCredential(&'static str),
    /// The URL is not absolute `http(s)://host/...` or is too long.
    InvalidUrl(&'static str),
    /// A header name is not an HTTP token, a value holds a line break, or too many headers.
    InvalidHeader(String),
    /// The method is not an HTTP token.
    InvalidMethod,
    /// The payload hash is not 64 hex digits (or `UNSIGNED-PAYLOAD`).
    InvalidPayloadHash,
    /// The time is outside years 1970..=9999.
    InvalidTime,
}

impl SigV4Error {
    /// A stable code for callers (the Python exception's `reason`).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidCredential(_) => "invalid_credential",
            Self::InvalidUrl(_) => "invalid_url",
            Self::InvalidHeader(_) => "invalid_header",
            Self::InvalidMethod => "invalid_method",
            Self::InvalidPayloadHash => "invalid_payload_hash",
            Self::InvalidTime => "invalid_time",
        }
    }
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCredential(m) => write!(f, "sigv4 credentials: {m}"),
            Self::InvalidUrl(m) => write!(f, "sigv4 url: {m}"),
            Self::InvalidHeader(m) => write!(f, "sigv4 header {m}"),
            Self::InvalidMethod => f.write_str("sigv4 method: must be an HTTP token"),
            Self::InvalidPayloadHash => f.write_str(
                "sigv4 payload hash: must be 64 hex digits (SHA-256) or UNSIGNED-PAYLOAD",
            ),
            Self::InvalidTime => f.write_str("sigv4 time: must be between 1970 and 9999"),
        }
    }
}

impl std::error::Error for SigV4Error {}

/// What the payload contributes to the signature.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// The body itself; its SHA-256 is computed here.
    Body(&'a [u8]),
    /// The body's SHA-256 in hex, already computed (or `UNSIGNED-PAYLOAD`).
    Hash(&'a str),
}

/// The request to sign. `url` is absolute; header names are matched case-insensitively.
#[derive(Debug, Clone, Copy)]
pub struct SigV4Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: Payload<'a>,
}

/// The headers to add to the request, in this order.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub amz_date: String,
    pub security_token: Option<String>,
    pub authorization: String,
}

impl fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedHeaders")
            .field("amz_date", &self.amz_date)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("authorization", &self.authorization)
            .finish()
    }
}

struct CachedKey {
    date: [u8; 8],
    key: hmac::Key,
}

/// One set of AWS credentials bound to a region and a service.
pub struct SigV4Signer {
    access_key_id: String,
    secret: Zeroizing<Vec<u8>>, // "AWS4" + secret access key
    session_token: Option<Zeroizing<String>>,
    region: String,
    service: String,
    cached: Mutex<Option<CachedKey>>,
}

impl fmt::Debug for SigV4Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Signer")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

fn scope_part(value: &str, what: &'static str) -> Result<(), SigV4Error> {
    if value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(SigV4Error::InvalidCredential(what));
    }
    Ok(())
}

impl SigV4Signer {
    pub fn new(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
        region: &str,
        service: &str,
    ) -> Result<Self, SigV4Error> {
        scope_part(
            access_key_id,
            "access key id: must be non-empty letters, digits, '-', '_' or '.'",
        )?;
        if secret_access_key.is_empty() {
            return Err(SigV4Error::InvalidCredential(
                "secret access key: must not be empty",
            ));
        }
        if session_token.is_some_and(|t| t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic())) {
            return Err(SigV4Error::InvalidCredential(
                "session token: must be non-empty printable ASCII",
            ));
        }
        scope_part(
            region,
            "region: must be non-empty letters, digits, '-', '_' or '.'",
        )?;
        scope_part(
            service,
            "service: must be non-empty letters, digits, '-', '_' or '.'",
        )?;
        let mut secret = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
        secret.extend_from_slice(b"AWS4");
        secret.extend_from_slice(secret_access_key.as_bytes());
        Ok(Self {
            access_key_id: access_key_id.to_owned(),
            secret,
            session_token: session_token.map(|t| Zeroizing::new(t.to_owned())),
            region: region.to_owned(),
            service: service.to_owned(),
            cached: Mutex::new(None),
        })
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// The derived key of one day: HMAC chain over date, region, service, `aws4_request`.
    fn signing_key(&self, date: &[u8; 8]) -> hmac::Key {
        let mut guard = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = guard.as_ref().filter(|c| &c.date == date) {
            return c.key.clone();
        }
        let step = |key: &[u8], data: &[u8]| {
            let mut out = Zeroizing::new([0u8; 32]);
            out.copy_from_slice(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data).as_ref());
            out
        };
        let k_date = step(&self.secret, date);
        let k_region = step(&*k_date, self.region.as_bytes());
        let k_service = step(&*k_region, self.service.as_bytes());
        let k_signing = step(&*k_service, b"aws4_request");
        let key = hmac::Key::new(hmac::HMAC_SHA256, &*k_signing);
        *guard = Some(CachedKey {
            date: *date,
            key: key.clone(),
        });
        key
    }

    /// The canonical request (for tests and diagnostics) and the headers to add.
    pub fn sign_detailed(
        &self,
        req: &SigV4Request<'_>,
        unix_seconds: i64,
    ) -> Result<(String, SignedHeaders), SigV4Error> {
        let stamp = amz_date(unix_seconds)?;
        let canonical =
            canonical_request(req, &stamp, self.session_token.as_ref().map(|t| t.as_str()))?;
        let date: [u8; 8] = stamp.as_bytes()[..8]
            .try_into()
            .map_err(|_| SigV4Error::InvalidTime)?;
        let scope = format!(
            "{}/{}/{}/aws4_request",
            &stamp[..8],
            self.region,
            self.service
        );
        let mut to_sign = String::with_capacity(128);
        to_sign.push_str(ALGORITHM);
        to_sign.push('\n');
        to_sign.push_str(&stamp);
        to_sign.push('\n');
        to_sign.push_str(&scope);
        to_sign.push('\n');
        push_hex(
            &mut to_sign,
            digest(&SHA256, canonical.text.as_bytes()).as_ref(),
        );
        let signature = hmac::sign(&self.signing_key(&date), to_sign.as_bytes());
        let mut authorization = String::with_capacity(256);
        let _ = write!(
            authorization,
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature=",
            self.access_key_id, canonical.signed_headers
        );
        push_hex(&mut authorization, signature.as_ref());
        Ok((
            canonical.text,
            SignedHeaders {
                amz_date: stamp,
                security_token: self.session_token.as_ref().map(|t| t.to_string()),
                authorization,
            },
        ))
    }

    pub fn sign(
        &self,
        req: &SigV4Request<'_>,
        unix_seconds: i64,
    ) -> Result<SignedHeaders, SigV4Error> {
        self.sign_detailed(req, unix_seconds).map(|(_, h)| h)
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time (UTC, proleptic Gregorian calendar).
pub fn amz_date(unix_seconds: i64) -> Result<String, SigV4Error> {
    // 253402300799 is 9999-12-31T23:59:59Z.
    if !(0..=253_402_300_799).contains(&unix_seconds) {
        return Err(SigV4Error::InvalidTime);
    }
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Ok(format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    ))
}

struct Canonical {
    text: String,
    signed_headers: String,
}

struct Url<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    query: &'a str,
}

fn split_url(url: &str) -> Result<Url<'_>, SigV4Error> {
    if url.len() > MAX_URL_LEN {
        return Err(SigV4Error::InvalidUrl("longer than 16 KiB"));
    }
    if url.chars().any(char::is_control) {
        return Err(SigV4Error::InvalidUrl("holds control characters"));
    }
    let (scheme, rest) = url.split_once("://").ok_or(SigV4Error::InvalidUrl(
        "must be absolute (http(s)://host/...)",
    ))?;
    let scheme_lower = scheme.to_ascii_lowercase();
    if scheme_lower != "http" && scheme_lower != "https" {
        return Err(SigV4Error::InvalidUrl("scheme must be http or https"));
    }
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.is_empty() {
        return Err(SigV4Error::InvalidUrl("has no host"));
    }
    Ok(Url {
        scheme: if scheme_lower == "http" {
            "http"
        } else {
            "https"
        },
        authority,
        path,
        query,
    })
}

/// The `host` header botocore derives from a URL: lowercase, default port dropped.
fn host_from(url: &Url<'_>) -> Result<String, SigV4Error> {
    let authority = url.authority;
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or(SigV4Error::InvalidUrl("unclosed IPv6 bracket"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or(SigV4Error::InvalidUrl("junk after the IPv6 host"))?,
            ),
        };
        (format!("[{}]", h.to_ascii_lowercase()), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(SigV4Error::InvalidUrl("has no host"));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| SigV4Error::InvalidUrl("port must be a number 0..65535"))?,
        ),
    };
    let default = if url.scheme == "http" { 80 } else { 443 };
    Ok(match port {
        Some(p) if p != default => format!("{host}:{p}"),
        _ => host,
    })
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn percent_encode(out: &mut String, bytes: &[u8], keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                // Both digits are below 16, so the byte fits.
                out.push(u8::try_from(h * 16 + l).unwrap_or(0));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// RFC 3986 section 5.2.4 dot-segment removal, with empty segments dropped (as AWS requires).
fn canonical_path(out: &mut String, path: &str) {
    if path.is_empty() {
        out.push('/');
        return;
    }
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::with_capacity(path.len() + 2);
    if path.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    percent_encode(out, normalized.as_bytes(), true);
}

fn canonical_query(out: &mut String, query: &str) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let mut key = String::with_capacity(k.len());
            percent_encode(&mut key, &percent_decode(k), false);
            let mut value = String::with_capacity(v.len());
            percent_encode(&mut value, &percent_decode(v), false);
            (key, value)
        })
        .collect();
    pairs.sort_unstable();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Python's `str.isspace` on the characters an HTTP header can hold.
fn is_py_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' ') || (!c.is_ascii() && c.is_whitespace())
}

/// Trimall: leading and trailing whitespace removed, inner runs folded to one space.
fn push_trimmed(out: &mut String, value: &str) {
    let mut first = true;
    for word in value.split(is_py_space).filter(|w| !w.is_empty()) {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

fn canonical_request(
    req: &SigV4Request<'_>,
    stamp: &str,
    session_token: Option<&str>,
) -> Result<Canonical, SigV4Error> {
    if !is_token(req.method) {
        return Err(SigV4Error::InvalidMethod);
    }
    if req.headers.len() > MAX_HEADERS {
        return Err(SigV4Error::InvalidHeader(
            "list: more than 128 headers".into(),
        ));
    }
    let url = split_url(req.url)?;
    // (lowercase name, value) of every signed header, in the order given.
    let mut headers: Vec<(String, &str)> = Vec::with_capacity(req.headers.len() + 3);
    let mut content_sha: Option<&str> = None;
    let mut has_host = false;
    for &(name, value) in req.headers {
        if !is_token(name) {
            return Err(SigV4Error::InvalidHeader(
                "name: must be an HTTP token (letters, digits, !#$%&'*+-.^_`|~)".into(),
            ));
        }
        if value.len() > MAX_HEADER_LEN || value.contains(['\r', '\n', '\0']) {
            let lower = name.to_ascii_lowercase();
            return Err(SigV4Error::InvalidHeader(format!(
                "'{lower}': value must be one line of at most 16 KiB"
            )));
        }
        let lower = name.to_ascii_lowercase();
        // Replaced by what this signature adds (a retry may still carry the old ones).
        if lower == "authorization"
            || lower == "x-amz-date"
            || (session_token.is_some() && lower == "x-amz-security-token")
            || UNSIGNED_HEADERS.contains(&lower.as_str())
        {
            continue;
        }
        if lower == "x-amz-content-sha256" && content_sha.is_none() {
            content_sha = Some(value);
        }
        has_host |= lower == "host";
        headers.push((lower, value));
    }
    let host;
    if !has_host {
        host = host_from(&url)?;
        headers.push(("host".into(), &host));
    }
    headers.push(("x-amz-date".into(), stamp));
    if let Some(token) = session_token {
        headers.push(("x-amz-security-token".into(), token));
    }
    // A stable sort keeps repeated headers in their order, as they are joined in it.
    headers.sort_by(|a, b| a.0.cmp(&b.0));

    let mut text = String::with_capacity(512);
    text.push_str(&req.method.to_ascii_uppercase());
    text.push('\n');
    canonical_path(&mut text, url.path);
    text.push('\n');
    canonical_query(&mut text, url.query);
    text.push('\n');
    let mut signed_headers = String::with_capacity(64);
    let mut previous: Option<&str> = None;
    for (name, value) in &headers {
        if previous == Some(name.as_str()) {
            text.push(',');
        } else {
            if previous.is_some() {
                text.push('\n');
                signed_headers.push(';');
            }
            text.push_str(name);
            text.push(':');
            signed_headers.push_str(name);
            previous = Some(name);
        }
        push_trimmed(&mut text, value);
    }
    text.push_str("\n\n");
    text.push_str(&signed_headers);
    text.push('\n');
    match (content_sha, req.payload) {
        (Some(hash), _) | (None, Payload::Hash(hash)) => {
            if content_sha.is_none()
                && hash != "UNSIGNED-PAYLOAD"
                && !(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(SigV4Error::InvalidPayloadHash);
            }
            text.push_str(hash);
        }
        (None, Payload::Body(body)) => push_hex(&mut text, digest(&SHA256, body).as_ref()),
    }
    Ok(Canonical {
        text,
        signed_headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const T: i64 = 1_440_938_160; // 20150830T123600Z

    fn signer(token: Option<&str>) -> SigV4Signer {
        SigV4Signer::new(AKID, SECRET, token, "us-east-1", "service").unwrap()
    }

    fn sign(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> (String, String) {
        let req = SigV4Request {
            method,
            url,
            headers,
            payload: Payload::Body(body),
        };
        let (c, h) = signer(None).sign_detailed(&req, T).unwrap();
        (c, h.authorization)
    }

    #[test]
    fn amz_date_formats_utc() {
        assert_eq!(amz_date(T).unwrap(), "20150830T123600Z");
        assert_eq!(amz_date(0).unwrap(), "19700101T000000Z");
        assert_eq!(amz_date(951_782_400).unwrap(), "20000229T000000Z");
        assert!(amz_date(-1).is_err());
        assert!(amz_date(i64::MAX).is_err());
    }

    // The vectors below are from AWS's SigV4 test suite (get-vanilla, get-vanilla-query-order-key,
    // normalize-path/get-relative-relative, get-utf8); the full suite runs in the Python tests.
    #[test]
    fn get_vanilla() {
        let (creq, auth) = sign(
            "GET",
            "https://example.amazonaws.com/",
            &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            b"",
        );
        assert_eq!(
            creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
             host;x-amz-date\n"
                .to_owned()
                + EMPTY_SHA256
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn query_is_encoded_and_sorted() {
        let (creq, _) = sign(
            "GET",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1&%E1%88%B4=b%20r",
            &[],
            b"",
        );
        assert!(creq.starts_with("GET\n/\n%E1%88%B4=b%20r&Param1=value1&Param2=value2\n"));
    }

    #[test]
    fn path_is_normalized_and_double_encoded() {
        let (creq, _) = sign("GET", "https://h/a/./b/../c//d%3A/", &[], b"");
        assert!(creq.starts_with("GET\n/a/c/d%253A/\n"), "{creq}");
        let (creq, _) = sign("GET", "https://h/\u{1234}", &[], b"");
        assert!(creq.starts_with("GET\n/%E1%88%B4\n"));
    }

    #[test]
    fn headers_are_trimmed_joined_and_host_derived() {
        let (creq, _) = sign(
            "POST",
            "http://H.example:8080/x",
            &[("My-H", "  a   b "), ("my-h", "c"), ("User-Agent", "x")],
            b"{}",
        );
        assert!(
            creq.contains("host:h.example:8080\nmy-h:a b,c\nx-amz-date:"),
            "{creq}"
        );
        assert!(creq.contains("\nhost;my-h;x-amz-date\n"));
        let (creq, _) = sign("GET", "https://h.example:443/", &[], b"");
        assert!(creq.contains("host:h.example\n"));
    }

    #[test]
    fn session_token_is_signed_and_returned() {
        let s = signer(Some("TOKEN"));
        let req = SigV4Request {
            method: "GET",
            url: "https://h/",
            headers: &[("X-Amz-Security-Token", "old")],
            payload: Payload::Hash(EMPTY_SHA256),
        };
        let (creq, h) = s.sign_detailed(&req, T).unwrap();
        assert!(creq.contains("x-amz-security-token:TOKEN\n"));
        assert!(!creq.contains("old"));
        assert_eq!(h.security_token.as_deref(), Some("TOKEN"));
        assert!(!format!("{h:?}").contains("TOKEN"));
    }

    #[test]
    fn bad_input_is_refused_without_secrets() {
        assert!(SigV4Signer::new("", SECRET, None, "us-east-1", "s").is_err());
        assert!(SigV4Signer::new(AKID, "", None, "us-east-1", "s").is_err());
        assert!(SigV4Signer::new(AKID, SECRET, None, "us east", "s").is_err());
        let s = signer(None);
        for (url, headers, payload) in [
            ("ftp://h/", &[][..], Payload::Body(b"")),
            ("https:///", &[][..], Payload::Body(b"")),
            ("https://h/", &[("bad name", "v")][..], Payload::Body(b"")),
            ("https://h/", &[("n", "a\r\nb")][..], Payload::Body(b"")),
            ("https://h/", &[][..], Payload::Hash("zz")),
        ] {
            let req = SigV4Request {
                method: "GET",
                url,
                headers,
                payload,
            };
            let err = s.sign(&req, T).unwrap_err();
            assert!(!err.to_string().contains(SECRET));
        }
        assert!(!format!("{s:?}").contains("wJal"));
    }

    #[test]
    fn signing_key_cache_follows_the_day() {
        let s = signer(None);
        let req = SigV4Request {
            method: "GET",
            url: "https://h/",
            headers: &[],
            payload: Payload::Body(b""),
        };
        let a = s.sign(&req, T).unwrap();
        let b = s.sign(&req, T + 86_400).unwrap();
        let c = signer(None).sign(&req, T + 86_400).unwrap();
        assert_ne!(a.authorization, b.authorization);
        assert_eq!(b, c);
    }
}
