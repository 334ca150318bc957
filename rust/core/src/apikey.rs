//! API keys: `mcpr_<env>_<key id>_<secret>_<checksum>`.
//!
//! - The fixed `mcpr_` prefix lets secret scanners match leaked keys.
//! - The secret is 32 random bytes (256 bits) written as 43 base62 characters.
//! - The checksum is the CRC32 of everything before it, as 6 base62 characters, so a mistyped key
//!   is rejected before any store lookup.
//! - Only `HMAC-SHA256(pepper, secret)` is stored; verification compares in constant time.
//! - The environment label is part of the key's identity: the checksum covers it (a relabelled
//!   key fails the checksum) and verification compares it with the label stored with the hash
//!   (a relabelled key with a recomputed checksum is refused too: CRC32 is no secret).

use std::fmt;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub const PREFIX: &str = "mcpr";
pub const KEY_ID_LEN: usize = 12;
pub const SECRET_BYTES: usize = 32;
pub const SECRET_LEN: usize = 43;
pub const CHECKSUM_LEN: usize = 6;
pub const MAX_ENV_LEN: usize = 16;
/// Shortest pepper accepted: as long as the HMAC-SHA256 output.
pub const MIN_PEPPER_LEN: usize = 32;
pub const HASH_LEN: usize = 32;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why an API key was rejected. Never carries the key or its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeyError {
    /// The key does not have the `mcpr_<env>_<key id>_<secret>_<checksum>` shape; names the part.
    Malformed(&'static str),
    /// The checksum does not match: a mistyped or truncated key.
    BadChecksum,
    /// The secret does not match the stored hash.
    Mismatch,
    /// The key's environment label is not the one it was issued with.
    EnvMismatch,
    /// The environment label is not 1..=16 characters of `[a-z0-9]`.
    InvalidEnv,
    /// The pepper is shorter than [`MIN_PEPPER_LEN`] bytes.
    PepperTooShort(usize),
    /// A stored hash is not [`HASH_LEN`] bytes.
    InvalidStoredHash(usize),
    RandomFailure,
}

impl ApiKeyError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::BadChecksum => "bad_checksum",
            Self::Mismatch => "mismatch",
            Self::EnvMismatch => "env_mismatch",
            Self::InvalidEnv => "invalid_env",
            Self::PepperTooShort(_) => "pepper_too_short",
            Self::InvalidStoredHash(_) => "invalid_stored_hash",
            Self::RandomFailure => "random_failure",
        }
    }
}

impl fmt::Display for ApiKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(part) => write!(f, "api key: malformed {part}"),
            Self::BadChecksum => {
                f.write_str("api key: checksum mismatch (mistyped or truncated key)")
            }
            Self::Mismatch => f.write_str("api key: not recognised"),
            Self::EnvMismatch => f.write_str("api key: environment label does not match the key"),
            Self::InvalidEnv => write!(f, "env: expected 1..={MAX_ENV_LEN} characters of [a-z0-9]"),
            Self::PepperTooShort(n) => {
                write!(
                    f,
                    "pepper: expected at least {MIN_PEPPER_LEN} bytes, got {n}"
                )
            }
            Self::InvalidStoredHash(n) => {
                write!(f, "stored hash: expected {HASH_LEN} bytes, got {n}")
            }
            Self::RandomFailure => f.write_str("random number generator failed"),
        }
    }
}

impl std::error::Error for ApiKeyError {}

/// The public parts of a well-formed key (checksum verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey<'a> {
    pub env: &'a str,
    pub key_id: &'a str,
    secret: &'a str,
}

/// A newly issued key: the full key (shown once to its owner) and what the store keeps.
pub struct IssuedKey {
    pub key: Zeroizing<String>,
    pub key_id: String,
    pub hash: [u8; HASH_LEN],
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn is_env(s: &str) -> bool {
    (1..=MAX_ENV_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn is_base62(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Big-endian bytes to exactly `width` base62 digits (left-padded with '0').
fn base62(bytes: &[u8], width: usize) -> String {
    let mut num = bytes.to_vec();
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        let mut rem = 0u32;
        for byte in num.iter_mut() {
            let acc = (rem << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8;
            rem = acc % 62;
        }
        *slot = BASE62[rem as usize];
    }
    num.iter_mut().for_each(|b| *b = 0);
    // Every digit comes from BASE62, which is ASCII.
    digits.into_iter().map(char::from).collect()
}

fn checksum(body: &str) -> String {
    base62(
        &crc32fast::hash(body.as_bytes()).to_be_bytes(),
        CHECKSUM_LEN,
    )
}

/// Checks shape and checksum; no secret comparison, no store lookup.
pub fn parse(key: &str) -> Result<ParsedKey<'_>, ApiKeyError> {
    let (body, sum) = key
        .rsplit_once('_')
        .ok_or(ApiKeyError::Malformed("shape"))?;
    let mut parts = body.split('_');
    let (Some(prefix), Some(env), Some(key_id), Some(secret), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(ApiKeyError::Malformed("shape"));
    };
    if prefix != PREFIX {
        return Err(ApiKeyError::Malformed("prefix"));
    }
    if !is_env(env) {
        return Err(ApiKeyError::Malformed("env"));
    }
    if !is_base62(key_id, KEY_ID_LEN) {
        return Err(ApiKeyError::Malformed("key id"));
    }
    if !is_base62(secret, SECRET_LEN) {
        return Err(ApiKeyError::Malformed("secret"));
    }
    if !is_base62(sum, CHECKSUM_LEN) {
        return Err(ApiKeyError::Malformed("checksum"));
    }
    if !bool::from(checksum(body).as_bytes().ct_eq(sum.as_bytes())) {
        return Err(ApiKeyError::BadChecksum);
    }
    Ok(ParsedKey {
        env,
        key_id,
        secret,
    })
}

/// Hashes and verifies API key secrets under a server-side pepper.
pub struct ApiKeyHasher {
    pepper: hmac::Key,
}

impl fmt::Debug for ApiKeyHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeyHasher(<redacted>)")
    }
}

impl ApiKeyHasher {
    pub fn new(pepper: &[u8]) -> Result<Self, ApiKeyError> {
        if pepper.len() < MIN_PEPPER_LEN {
            return Err(ApiKeyError::PepperTooShort(pepper.len()));
        }
        Ok(Self {
            pepper: hmac::Key::new(hmac::HMAC_SHA256, pepper),
        })
    }

    fn hash_secret(&self, secret: &str) -> [u8; HASH_LEN] {
        let tag = hmac::sign(&self.pepper, secret.as_bytes());
        let mut out = [0u8; HASH_LEN];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Issues a new key for `env` with a fresh random key id and secret.
    pub fn issue(&self, env: &str) -> Result<IssuedKey, ApiKeyError> {
        if !is_env(env) {
            return Err(ApiKeyError::InvalidEnv);
        }
        let rng = SystemRandom::new();
        let mut id_bytes = [0u8; 9];
        let mut secret_bytes = Zeroizing::new([0u8; SECRET_BYTES]);
        rng.fill(&mut id_bytes)
            .and_then(|()| rng.fill(secret_bytes.as_mut_slice()))
            .map_err(|_| ApiKeyError::RandomFailure)?;
        let key_id = base62(&id_bytes, KEY_ID_LEN);
        let secret = Zeroizing::new(base62(secret_bytes.as_slice(), SECRET_LEN));
        let body = Zeroizing::new(format!("{PREFIX}_{env}_{key_id}_{}", secret.as_str()));
        let key = Zeroizing::new(format!("{}_{}", body.as_str(), checksum(&body)));
        Ok(IssuedKey {
            hash: self.hash_secret(&secret),
            key,
            key_id,
        })
    }

    /// Parses `key` and returns its key id and the hash to compare (for store-side lookups).
    pub fn hash_key<'k>(
        &self,
        key: &'k str,
    ) -> Result<(ParsedKey<'k>, [u8; HASH_LEN]), ApiKeyError> {
        let parsed = parse(key)?;
        let hash = self.hash_secret(parsed.secret);
        Ok((parsed, hash))
    }

    /// Verifies `key` against the record it was issued with: the stored hash (compared in
    /// constant time) and the stored environment label. Both comparisons always run, so the
    /// work does not depend on which one fails.
    pub fn verify<'k>(
        &self,
        key: &'k str,
        stored_env: &str,
        stored_hash: &[u8],
    ) -> Result<ParsedKey<'k>, ApiKeyError> {
        if stored_hash.len() != HASH_LEN {
            return Err(ApiKeyError::InvalidStoredHash(stored_hash.len()));
        }
        let (parsed, hash) = self.hash_key(key)?;
        let secret_ok = bool::from(hash.ct_eq(stored_hash));
        let env_ok = bool::from(parsed.env.as_bytes().ct_eq(stored_env.as_bytes()));
        match (secret_ok, env_ok) {
            (true, true) => Ok(parsed),
            (false, _) => Err(ApiKeyError::Mismatch),
            (true, false) => Err(ApiKeyError::EnvMismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_parse_verify() {
        let hasher = ApiKeyHasher::new(&[3u8; 32]).unwrap();
        let issued = hasher.issue("live").unwrap();
        assert!(issued.key.starts_with("mcpr_live_"));
        let parsed = hasher.verify(&issued.key, "live", &issued.hash).unwrap();
        assert_eq!(parsed.key_id, issued.key_id);
        assert_eq!(parsed.env, "live");
        let other = ApiKeyHasher::new(&[4u8; 32]).unwrap();
        assert_eq!(
            other.verify(&issued.key, "live", &issued.hash),
            Err(ApiKeyError::Mismatch)
        );
    }

    /// The same key id and secret under another label, with the checksum recomputed as an
    /// attacker can (CRC32 is public), or left as it was.
    fn relabelled(key: &str, env: &str, recompute: bool) -> String {
        let (body, sum) = key.rsplit_once('_').unwrap();
        let rest = body.splitn(3, '_').nth(2).unwrap();
        let body = format!("{PREFIX}_{env}_{rest}");
        let sum = if recompute {
            checksum(&body)
        } else {
            sum.to_owned()
        };
        format!("{body}_{sum}")
    }

    #[test]
    fn relabelled_key_refused() {
        let hasher = ApiKeyHasher::new(&[3u8; 32]).unwrap();
        let issued = hasher.issue("test").unwrap();
        assert_eq!(
            parse(&relabelled(&issued.key, "live", false)),
            Err(ApiKeyError::BadChecksum)
        );
        let forged = relabelled(&issued.key, "live", true);
        assert_eq!(parse(&forged).unwrap().env, "live");
        assert_eq!(
            hasher.verify(&forged, "test", &issued.hash),
            Err(ApiKeyError::EnvMismatch)
        );
        // The record's label decides: the genuine key against a relabelled record fails too.
        assert_eq!(
            hasher.verify(&issued.key, "live", &issued.hash),
            Err(ApiKeyError::EnvMismatch)
        );
        assert!(hasher.verify(&issued.key, "test", &issued.hash).is_ok());
        // A wrong secret reports the mismatch, whatever the label.
        assert_eq!(
            hasher.verify(&forged, "test", &[0u8; HASH_LEN]),
            Err(ApiKeyError::Mismatch)
        );
    }

    #[test]
    fn typo_fails_checksum() {
        let hasher = ApiKeyHasher::new(&[3u8; 32]).unwrap();
        let key = hasher.issue("test").unwrap().key;
        let pos = key.len() - 20;
        let mut typo = key.as_bytes().to_vec();
        typo[pos] = if typo[pos] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(typo).unwrap();
        assert_eq!(parse(&typo), Err(ApiKeyError::BadChecksum));
        assert_eq!(parse("mcpr_live_x"), Err(ApiKeyError::Malformed("shape")));
        assert_eq!(
            parse(&key.replace("mcpr", "mcpx")),
            Err(ApiKeyError::Malformed("prefix"))
        );
    }

    #[test]
    fn base62_width_and_range() {
        assert_eq!(base62(&[0; 4], 6), "000000");
        assert_eq!(base62(&[0xff; 4], 6), "4gfFC3");
        assert_eq!(base62(&[0xff; 32], SECRET_LEN).len(), SECRET_LEN);
        assert!(62f64.powi(SECRET_LEN as i32).log2() >= 256.0);
    }

    #[test]
    fn short_pepper_rejected() {
        assert_eq!(
            ApiKeyHasher::new(&[0u8; 8]).unwrap_err(),
            ApiKeyError::PepperTooShort(8)
        );
    }
}
