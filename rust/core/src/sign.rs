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

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

mod message;
mod replay;
mod sfv;
pub mod sigv4;

pub use message::{content_digest, Request};
pub use replay::{MemoryNonceStore, NonceStore};

use message::{
    check_content_digest, params_line, signature_base, validate_component_name, Resolver,
};
use sfv::{is_sf_string, parse_dictionary, Bare, Member, Params, Parser};

pub const ALGORITHM: &str = "hmac-sha256";
pub const DEFAULT_WINDOW_SECS: i64 = 300;
pub const DEFAULT_LABEL: &str = "sig1";
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;
/// Shortest signing key accepted: as long as the HMAC-SHA256 output.
pub const MIN_KEY_LEN: usize = 32;
/// Caps on attacker-controlled input sizes.
pub(crate) const MAX_FIELD_LEN: usize = 8 * 1024;
pub(crate) const MAX_COMPONENTS: usize = 32;

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
