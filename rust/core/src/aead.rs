//! AES-256-GCM with a versioned, self-describing ciphertext.
//!
//! Layout (the same as Tink's `TINK` output prefix, so either side can read the other):
//! `0x01 | key id (4 bytes, big endian) | nonce (12 random bytes) | ciphertext | tag (16 bytes)`.
//!
//! The associated data binds a ciphertext to its tenant and context id. Both are length-prefixed
//! so that `("ab", "c")` and `("a", "bc")` never produce the same associated data.

use std::fmt;

use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// The only ciphertext format version this crate writes and reads.
pub const VERSION: u8 = 0x01;
/// Key length in bytes (AES-256).
pub const KEY_LEN: usize = 32;
/// Nonce length in bytes (96-bit, random per message).
pub const NONCE_LEN: usize = 12;
/// Authentication tag length in bytes.
pub const TAG_LEN: usize = 16;
/// Bytes before the sealed payload: version byte and key id.
pub const PREFIX_LEN: usize = 1 + 4;
/// Fixed overhead of a ciphertext over its plaintext.
pub const OVERHEAD: usize = PREFIX_LEN + NONCE_LEN + TAG_LEN;

/// Why a ciphertext could not be produced or opened. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AeadError {
    /// The key is not exactly 32 bytes.
    InvalidKeyLength(usize),
    /// The nonce is not exactly 12 bytes (raw primitive only).
    InvalidNonceLength(usize),
    /// The tag is not exactly 16 bytes (raw primitive only).
    InvalidTagLength(usize),
    /// Shorter than the fixed overhead: cannot hold a version, key id, nonce and tag.
    Truncated(usize),
    /// The first byte is not [`VERSION`].
    WrongVersion(u8),
    /// No key with this id is in the keyring.
    UnknownKeyId(u32),
    /// The key exists but was retired: it no longer decrypts.
    RetiredKey(u32),
    /// The tag did not verify: tampered ciphertext or tag, wrong key or wrong associated data.
    AuthenticationFailed,
    /// The system random number generator failed.
    RandomFailure,
    /// The plaintext is too large for one GCM invocation.
    PlaintextTooLarge,
    /// An output buffer of the wrong size was supplied (a caller bug, never input-dependent).
    OutputLength,
}

impl AeadError {
    /// A stable, machine-readable reason code.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidKeyLength(_) => "invalid_key_length",
            Self::InvalidNonceLength(_) => "invalid_nonce_length",
            Self::InvalidTagLength(_) => "invalid_tag_length",
            Self::Truncated(_) => "truncated",
            Self::WrongVersion(_) => "wrong_version",
            Self::UnknownKeyId(_) => "unknown_key_id",
            Self::RetiredKey(_) => "retired_key",
            Self::AuthenticationFailed => "authentication_failed",
            Self::RandomFailure => "random_failure",
            Self::PlaintextTooLarge => "plaintext_too_large",
            Self::OutputLength => "output_length",
        }
    }
}

impl fmt::Display for AeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidKeyLength(n) => write!(f, "key: expected {KEY_LEN} bytes, got {n}"),
            Self::InvalidNonceLength(n) => write!(f, "nonce: expected {NONCE_LEN} bytes, got {n}"),
            Self::InvalidTagLength(n) => write!(f, "tag: expected {TAG_LEN} bytes, got {n}"),
            Self::Truncated(n) => write!(
                f,
                "ciphertext: truncated ({n} bytes, at least {OVERHEAD} are needed)"
            ),
            Self::WrongVersion(v) => {
                write!(f, "ciphertext: unknown version byte 0x{v:02x} (expected 0x{VERSION:02x})")
            }
            Self::UnknownKeyId(id) => write!(f, "ciphertext: key id {id} is not in the keyring"),
            Self::RetiredKey(id) => write!(f, "ciphertext: key id {id} is retired"),
            Self::AuthenticationFailed => f.write_str(
                "ciphertext: authentication failed (tampered data or tag, or wrong associated data)",
            ),
            Self::RandomFailure => f.write_str("random number generator failed"),
            Self::PlaintextTooLarge => f.write_str("plaintext: too large for AES-GCM"),
            Self::OutputLength => f.write_str("output buffer: wrong length"),
        }
    }
}

impl std::error::Error for AeadError {}

/// One AES-256-GCM key. The raw bytes are zeroized on drop; `Debug` never shows them.
pub struct AeadKey {
    sealing: LessSafeKey,
    raw: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AeadKey(<redacted>)")
    }
}

impl AeadKey {
    pub fn new(key: &[u8]) -> Result<Self, AeadError> {
        let raw: [u8; KEY_LEN] = key
            .try_into()
            .map_err(|_| AeadError::InvalidKeyLength(key.len()))?;
        let raw = Zeroizing::new(raw);
        let unbound = UnboundKey::new(&AES_256_GCM, raw.as_slice())
            .map_err(|_| AeadError::InvalidKeyLength(key.len()))?;
        Ok(Self {
            sealing: LessSafeKey::new(unbound),
            raw,
        })
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, AeadError> {
        let mut raw = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(raw.as_mut_slice())
            .map_err(|_| AeadError::RandomFailure)?;
        Self::new(raw.as_slice())
    }

    /// Constant-time equality of the key material (used to make `add` idempotent).
    pub fn same_material(&self, other: &AeadKey) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.raw.ct_eq(other.raw.as_slice()))
    }

    /// Seals `plaintext` into the versioned layout under `key_id`, with a random nonce.
    pub fn seal(&self, key_id: u32, plaintext: &[u8], ad: &[u8]) -> Result<Vec<u8>, AeadError> {
        let mut out = vec![0u8; sealed_len(plaintext.len())];
        self.seal_into(key_id, plaintext, ad, &mut out)?;
        Ok(out)
    }

    /// Like [`AeadKey::seal`], writing into `out`, which must be exactly
    /// [`sealed_len`]`(plaintext.len())` bytes (lets callers seal straight into their buffer).
    pub fn seal_into(
        &self,
        key_id: u32,
        plaintext: &[u8],
        ad: &[u8],
        out: &mut [u8],
    ) -> Result<(), AeadError> {
        if out.len() != sealed_len(plaintext.len()) {
            return Err(AeadError::OutputLength);
        }
        let (prefix, rest) = out.split_at_mut(PREFIX_LEN);
        let (nonce, rest) = rest.split_at_mut(NONCE_LEN);
        let (body, tag_out) = rest.split_at_mut(plaintext.len());
        prefix[0] = VERSION;
        prefix[1..].copy_from_slice(&key_id.to_be_bytes());
        SystemRandom::new()
            .fill(nonce)
            .map_err(|_| AeadError::RandomFailure)?;
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| AeadError::RandomFailure)?;
        body.copy_from_slice(plaintext);
        let tag = self
            .sealing
            .seal_in_place_separate_tag(nonce, Aad::from(ad), body)
            .map_err(|_| AeadError::PlaintextTooLarge)?;
        tag_out.copy_from_slice(tag.as_ref());
        Ok(())
    }

    /// Opens a versioned ciphertext (header already checked) into `out`, which must be exactly
    /// `ciphertext.len() - OVERHEAD` bytes. On failure `out` is zeroed.
    fn open_into(&self, ciphertext: &[u8], ad: &[u8], out: &mut [u8]) -> Result<(), AeadError> {
        if ciphertext.len() < OVERHEAD || out.len() != ciphertext.len() - OVERHEAD {
            return Err(AeadError::OutputLength);
        }
        let nonce = &ciphertext[PREFIX_LEN..PREFIX_LEN + NONCE_LEN];
        let (body, tag) = ciphertext[PREFIX_LEN + NONCE_LEN..].split_at(out.len());
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| AeadError::OutputLength)?;
        let tag = Tag::try_from(tag).map_err(|_| AeadError::InvalidTagLength(tag.len()))?;
        out.copy_from_slice(body);
        if self
            .sealing
            .open_in_place_separate_tag(nonce, Aad::from(ad), tag, out, 0..)
            .is_err()
        {
            out.fill(0);
            return Err(AeadError::AuthenticationFailed);
        }
        Ok(())
    }
}

/// Length of the versioned ciphertext for a plaintext of `plaintext_len` bytes.
pub fn sealed_len(plaintext_len: usize) -> usize {
    plaintext_len.saturating_add(OVERHEAD)
}

/// The parsed fixed prefix of a versioned ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub key_id: u32,
}

/// Checks version and length and returns the key id, without touching any key.
pub fn parse_header(ciphertext: &[u8]) -> Result<Header, AeadError> {
    if ciphertext.len() < OVERHEAD {
        // A wrong version is the more useful diagnosis when there is a first byte to read.
        if let Some(&v) = ciphertext.first() {
            if v != VERSION {
                return Err(AeadError::WrongVersion(v));
            }
        }
        return Err(AeadError::Truncated(ciphertext.len()));
    }
    if ciphertext[0] != VERSION {
        return Err(AeadError::WrongVersion(ciphertext[0]));
    }
    let key_id = u32::from_be_bytes([ciphertext[1], ciphertext[2], ciphertext[3], ciphertext[4]]);
    Ok(Header { key_id })
}

/// Opens a versioned ciphertext whose header was already checked with [`parse_header`].
pub fn open_with(key: &AeadKey, ciphertext: &[u8], ad: &[u8]) -> Result<Vec<u8>, AeadError> {
    parse_header(ciphertext)?;
    let mut out = vec![0u8; ciphertext.len() - OVERHEAD];
    key.open_into(ciphertext, ad, &mut out)?;
    Ok(out)
}

/// Like [`open_with`], writing the plaintext into `out` (exactly `ciphertext.len() - OVERHEAD`).
pub fn open_with_into(
    key: &AeadKey,
    ciphertext: &[u8],
    ad: &[u8],
    out: &mut [u8],
) -> Result<(), AeadError> {
    parse_header(ciphertext)?;
    key.open_into(ciphertext, ad, out)
}

/// Associated data binding tenant and context id: `u32 BE len | tenant | u32 BE len | context`.
pub fn associated_data(tenant: &[u8], context_id: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(8 + tenant.len() + context_id.len());
    for part in [tenant, context_id] {
        // Lengths above u32::MAX cannot come from a tenant or context id; saturate rather than wrap.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        ad.extend_from_slice(&len.to_be_bytes());
        ad.extend_from_slice(part);
    }
    ad
}

/// Raw AES-256-GCM open with caller-supplied nonce and tag (test vectors, interop). The nonce must
/// be 12 bytes and the tag 16 bytes, the only parameters this crate accepts.
pub fn open_raw(
    key: &[u8],
    nonce: &[u8],
    ad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, AeadError> {
    let key = AeadKey::new(key)?;
    if nonce.len() != NONCE_LEN {
        return Err(AeadError::InvalidNonceLength(nonce.len()));
    }
    if tag.len() != TAG_LEN {
        return Err(AeadError::InvalidTagLength(tag.len()));
    }
    let mut framed = Vec::with_capacity(OVERHEAD + ciphertext.len());
    framed.extend_from_slice(&[VERSION, 0, 0, 0, 0]);
    framed.extend_from_slice(nonce);
    framed.extend_from_slice(ciphertext);
    framed.extend_from_slice(tag);
    let mut out = vec![0u8; ciphertext.len()];
    key.open_into(&framed, ad, &mut out)?;
    Ok(out)
}

/// Raw AES-256-GCM seal with a caller-supplied nonce; returns `ciphertext | tag`. Only for known
/// answer tests: reusing a nonce under one key breaks GCM.
pub fn seal_raw_for_test_vectors(
    key: &[u8],
    nonce: &[u8],
    ad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, AeadError> {
    let key = AeadKey::new(key)?;
    let nonce: [u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| AeadError::InvalidNonceLength(nonce.len()))?;
    let mut out = plaintext.to_vec();
    let tag = key
        .sealing
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(ad), &mut out)
        .map_err(|_| AeadError::PlaintextTooLarge)?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let key = AeadKey::new(&[7u8; 32]).unwrap();
        let ad = associated_data(b"tenant", b"ctx");
        let ct = key.seal(0x0102_0304, b"hello", &ad).unwrap();
        assert_eq!(ct.len(), OVERHEAD + 5);
        assert_eq!(&ct[..5], &[1, 1, 2, 3, 4]);
        assert_eq!(open_with(&key, &ct, &ad).unwrap(), b"hello");
        let other_ad = associated_data(b"tenant", b"ctx2");
        assert_eq!(
            open_with(&key, &ct, &other_ad),
            Err(AeadError::AuthenticationFailed)
        );
    }

    #[test]
    fn associated_data_is_unambiguous() {
        assert_ne!(associated_data(b"ab", b"c"), associated_data(b"a", b"bc"));
    }

    #[test]
    fn debug_redacts_key() {
        let key = AeadKey::new(&[0x41u8; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "AeadKey(<redacted>)");
    }
}
