//! A keyring of AES-256-GCM keys: one primary encrypts, every active key decrypts.
//!
//! Rotation is `add` a new key, `promote` it, re-encrypt stored data with [`Keyring::reencrypt`],
//! then `retire` the old key. Each key counts its encryptions: with random 96-bit nonces NIST
//! SP 800-38D caps one key at 2^32 invocations, so the keyring stops well below that and flags
//! the crossing of a warning threshold once, so the caller can rotate in time.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use zeroize::Zeroizing;

use crate::aead::{self, AeadError, AeadKey};

/// Default hard stop: half of the NIST limit for random nonces.
pub const DEFAULT_MAX_ENCRYPTIONS: u64 = 1 << 31;
/// Default warning threshold: a quarter of the NIST limit.
pub const DEFAULT_WARN_ENCRYPTIONS: u64 = 1 << 30;

/// Why a keyring operation failed. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringError {
    /// A ciphertext-level failure (truncated, wrong version, unknown key, tampered, ...).
    Aead(AeadError),
    /// `add` with an id that already holds different key material.
    DuplicateKeyId(u32),
    /// The operation names a key id that is not in the keyring.
    UnknownKeyId(u32),
    /// The primary key cannot be retired; promote another key first.
    RetirePrimary(u32),
    /// A retired key cannot become primary.
    PromoteRetired(u32),
    /// Encryption needs a primary key and there is none.
    NoPrimary,
    /// The primary key reached its encryption limit; rotate.
    UsageLimitReached { key_id: u32, limit: u64 },
    /// The limits are inconsistent (zero, above 2^32, or warning above the hard stop).
    InvalidLimits(String),
    /// A keyring specification (environment variable or file) is malformed.
    InvalidSpec(String),
}

impl KeyringError {
    /// A stable, machine-readable reason code.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Aead(e) => e.reason(),
            Self::DuplicateKeyId(_) => "duplicate_key_id",
            Self::UnknownKeyId(_) => "unknown_key_id",
            Self::RetirePrimary(_) => "retire_primary",
            Self::PromoteRetired(_) => "promote_retired",
            Self::NoPrimary => "no_primary",
            Self::UsageLimitReached { .. } => "usage_limit_reached",
            Self::InvalidLimits(_) => "invalid_limits",
            Self::InvalidSpec(_) => "invalid_spec",
        }
    }
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aead(e) => e.fmt(f),
            Self::DuplicateKeyId(id) => {
                write!(
                    f,
                    "key_id: {id} is already in the keyring with other key material"
                )
            }
            Self::UnknownKeyId(id) => write!(f, "key_id: {id} is not in the keyring"),
            Self::RetirePrimary(id) => {
                write!(
                    f,
                    "key_id: {id} is the primary key; promote another key first"
                )
            }
            Self::PromoteRetired(id) => write!(f, "key_id: {id} is retired and cannot be primary"),
            Self::NoPrimary => f.write_str("keyring: no primary key to encrypt with"),
            Self::UsageLimitReached { key_id, limit } => write!(
                f,
                "key_id: {key_id} reached its limit of {limit} encryptions; rotate the key"
            ),
            Self::InvalidLimits(m) => write!(f, "limits: {m}"),
            Self::InvalidSpec(m) => write!(f, "keyring spec: {m}"),
        }
    }
}

impl std::error::Error for KeyringError {}

impl From<AeadError> for KeyringError {
    fn from(e: AeadError) -> Self {
        Self::Aead(e)
    }
}

/// Lifecycle state of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Primary,
    Active,
    Retired,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
}

/// Public facts about one key: never its material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub key_id: u32,
    pub status: KeyStatus,
    pub encryptions: u64,
}

#[derive(Debug)]
struct Entry {
    key_id: u32,
    key: AeadKey,
    retired: bool,
    encryptions: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    entries: Vec<Entry>,
    primary: Option<u32>,
}

impl State {
    fn find(&self, key_id: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key_id == key_id)
    }
}

/// The result of one encryption.
#[derive(Debug)]
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub key_id: u32,
    /// True exactly once per key: on the encryption that reached the warning threshold.
    pub crossed_warning: bool,
}

/// A set of AES-256-GCM keys with one primary. Shared across threads.
#[derive(Debug)]
pub struct Keyring {
    state: RwLock<State>,
    max_encryptions: u64,
    warn_encryptions: u64,
}

impl Default for Keyring {
    fn default() -> Self {
        Self {
            state: RwLock::default(),
            max_encryptions: DEFAULT_MAX_ENCRYPTIONS,
            warn_encryptions: DEFAULT_WARN_ENCRYPTIONS,
        }
    }
}

impl Keyring {
    /// An empty keyring with custom usage limits (tests use small ones).
    pub fn with_limits(max_encryptions: u64, warn_encryptions: u64) -> Result<Self, KeyringError> {
        if max_encryptions == 0 || max_encryptions > 1 << 32 {
            return Err(KeyringError::InvalidLimits(format!(
                "max_encryptions must be in 1..=2^32, got {max_encryptions}"
            )));
        }
        if warn_encryptions == 0 || warn_encryptions > max_encryptions {
            return Err(KeyringError::InvalidLimits(format!(
                "warn_encryptions must be in 1..=max_encryptions, got {warn_encryptions}"
            )));
        }
        Ok(Self {
            state: RwLock::default(),
            max_encryptions,
            warn_encryptions,
        })
    }

    pub fn max_encryptions(&self) -> u64 {
        self.max_encryptions
    }

    pub fn warn_encryptions(&self) -> u64 {
        self.warn_encryptions
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-updated (every write is a
        // single push or field store), so a poisoned lock is still consistent.
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an active key. The first key added becomes primary. Adding the same id with the same
    /// material again is a no-op, so reloading a spec is idempotent.
    pub fn add(&self, key_id: u32, key: &[u8]) -> Result<(), KeyringError> {
        let key = AeadKey::new(key)?;
        let mut state = self.write();
        if let Some(existing) = state.find(key_id) {
            return if existing.key.same_material(&key) {
                Ok(())
            } else {
                Err(KeyringError::DuplicateKeyId(key_id))
            };
        }
        state.entries.push(Entry {
            key_id,
            key,
            retired: false,
            encryptions: AtomicU64::new(0),
        });
        if state.primary.is_none() {
            state.primary = Some(key_id);
        }
        Ok(())
    }

    /// Makes an active key the primary (the key new ciphertexts use).
    pub fn promote(&self, key_id: u32) -> Result<(), KeyringError> {
        let mut state = self.write();
        match state.find(key_id) {
            None => Err(KeyringError::UnknownKeyId(key_id)),
            Some(e) if e.retired => Err(KeyringError::PromoteRetired(key_id)),
            Some(_) => {
                state.primary = Some(key_id);
                Ok(())
            }
        }
    }

    /// Retires a non-primary key: it stays known (so errors say "retired") but never decrypts.
    pub fn retire(&self, key_id: u32) -> Result<(), KeyringError> {
        let mut state = self.write();
        if state.primary == Some(key_id) {
            return Err(KeyringError::RetirePrimary(key_id));
        }
        let entry = state
            .entries
            .iter_mut()
            .find(|e| e.key_id == key_id)
            .ok_or(KeyringError::UnknownKeyId(key_id))?;
        entry.retired = true;
        Ok(())
    }

    pub fn primary(&self) -> Option<u32> {
        self.read().primary
    }

    pub fn keys(&self) -> Vec<KeyInfo> {
        let state = self.read();
        state
            .entries
            .iter()
            .map(|e| KeyInfo {
                key_id: e.key_id,
                status: if state.primary == Some(e.key_id) {
                    KeyStatus::Primary
                } else if e.retired {
                    KeyStatus::Retired
                } else {
                    KeyStatus::Active
                },
                encryptions: e.encryptions.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Encrypts under the primary key, counting the invocation against its limit.
    pub fn encrypt(&self, plaintext: &[u8], ad: &[u8]) -> Result<Sealed, KeyringError> {
        let mut ciphertext = vec![0u8; aead::sealed_len(plaintext.len())];
        let (key_id, crossed_warning) = self.encrypt_into(plaintext, ad, &mut ciphertext)?;
        Ok(Sealed {
            ciphertext,
            key_id,
            crossed_warning,
        })
    }

    /// Like [`Keyring::encrypt`], into `out` of exactly [`aead::sealed_len`]`(plaintext.len())`
    /// bytes. Returns the key id used and whether this call crossed the warning threshold.
    pub fn encrypt_into(
        &self,
        plaintext: &[u8],
        ad: &[u8],
        out: &mut [u8],
    ) -> Result<(u32, bool), KeyringError> {
        let state = self.read();
        let key_id = state.primary.ok_or(KeyringError::NoPrimary)?;
        let entry = state.find(key_id).ok_or(KeyringError::NoPrimary)?;
        // Reserve a slot first so concurrent callers can never exceed the limit together.
        let reserved = entry
            .encryptions
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_encryptions).then_some(n + 1)
            })
            .map_err(|_| KeyringError::UsageLimitReached {
                key_id,
                limit: self.max_encryptions,
            })?;
        entry.key.seal_into(key_id, plaintext, ad, out)?;
        Ok((key_id, reserved + 1 == self.warn_encryptions))
    }

    /// Decrypts with whichever active key the ciphertext names.
    pub fn decrypt(&self, ciphertext: &[u8], ad: &[u8]) -> Result<Vec<u8>, KeyringError> {
        let mut out =
            vec![0u8; aead::parse_header(ciphertext).map(|_| ciphertext.len() - aead::OVERHEAD)?];
        self.decrypt_into(ciphertext, ad, &mut out)?;
        Ok(out)
    }

    /// Like [`Keyring::decrypt`], into `out` of exactly `ciphertext.len() - OVERHEAD` bytes.
    pub fn decrypt_into(
        &self,
        ciphertext: &[u8],
        ad: &[u8],
        out: &mut [u8],
    ) -> Result<(), KeyringError> {
        let header = aead::parse_header(ciphertext)?;
        let state = self.read();
        let entry = state
            .find(header.key_id)
            .ok_or(AeadError::UnknownKeyId(header.key_id))?;
        if entry.retired {
            return Err(AeadError::RetiredKey(header.key_id).into());
        }
        Ok(aead::open_with_into(&entry.key, ciphertext, ad, out)?)
    }

    /// Re-encrypts under the current primary. A ciphertext already under the primary is returned
    /// unchanged (`None`), so a rotation sweep can be rerun cheaply.
    pub fn reencrypt(&self, ciphertext: &[u8], ad: &[u8]) -> Result<Option<Sealed>, KeyringError> {
        let header = aead::parse_header(ciphertext)?;
        if self.primary() == Some(header.key_id) {
            // Still authenticate, so a sweep never blesses a forged ciphertext.
            self.decrypt(ciphertext, ad)?;
            return Ok(None);
        }
        let plaintext = Zeroizing::new(self.decrypt(ciphertext, ad)?);
        self.encrypt(&plaintext, ad).map(Some)
    }

    /// Loads keys from a specification: entries `<key id>:<base64 key>` separated by commas or
    /// newlines; blank lines and lines starting with `#` are ignored. The first entry is primary.
    pub fn load_spec(&self, spec: &str) -> Result<(), KeyringError> {
        let mut first = None;
        for (index, entry) in spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.starts_with('#'))
            .enumerate()
        {
            let n = index + 1;
            let (id, material) = entry.split_once(':').ok_or_else(|| {
                KeyringError::InvalidSpec(format!("entry {n}: expected '<key id>:<base64 key>'"))
            })?;
            let key_id: u32 = id.trim().parse().map_err(|_| {
                KeyringError::InvalidSpec(format!("entry {n}: key id is not an integer in 0..2^32"))
            })?;
            let raw = Zeroizing::new(STANDARD.decode(material.trim()).map_err(|_| {
                KeyringError::InvalidSpec(format!("entry {n} (key id {key_id}): key is not base64"))
            })?);
            if raw.len() != aead::KEY_LEN {
                return Err(KeyringError::InvalidSpec(format!(
                    "entry {n} (key id {key_id}): key must decode to {} bytes, got {}",
                    aead::KEY_LEN,
                    raw.len()
                )));
            }
            self.add(key_id, &raw)?;
            first.get_or_insert(key_id);
        }
        let first = first.ok_or_else(|| KeyringError::InvalidSpec("no keys".to_owned()))?;
        self.promote(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring_with(ids: &[u32]) -> Keyring {
        let ring = Keyring::default();
        for &id in ids {
            ring.add(id, &[id as u8; 32]).unwrap();
        }
        ring
    }

    #[test]
    fn rotation_flow() {
        let ring = ring_with(&[1]);
        let old = ring.encrypt(b"secret", b"ad").unwrap().ciphertext;
        ring.add(2, &[2u8; 32]).unwrap();
        ring.promote(2).unwrap();
        assert_eq!(ring.decrypt(&old, b"ad").unwrap(), b"secret");
        let new = ring.reencrypt(&old, b"ad").unwrap().unwrap();
        assert_eq!(new.key_id, 2);
        assert!(ring.reencrypt(&new.ciphertext, b"ad").unwrap().is_none());
        ring.retire(1).unwrap();
        assert_eq!(
            ring.decrypt(&old, b"ad"),
            Err(KeyringError::Aead(AeadError::RetiredKey(1)))
        );
        assert_eq!(ring.decrypt(&new.ciphertext, b"ad").unwrap(), b"secret");
        assert_eq!(ring.retire(2), Err(KeyringError::RetirePrimary(2)));
        assert_eq!(ring.promote(1), Err(KeyringError::PromoteRetired(1)));
    }

    #[test]
    fn usage_limit_and_warning() {
        let ring = Keyring::with_limits(3, 2).unwrap();
        ring.add(9, &[9u8; 32]).unwrap();
        let flags: Vec<bool> = (0..3)
            .map(|_| ring.encrypt(b"x", b"").unwrap().crossed_warning)
            .collect();
        assert_eq!(flags, [false, true, false]);
        assert_eq!(
            ring.encrypt(b"x", b"").unwrap_err(),
            KeyringError::UsageLimitReached {
                key_id: 9,
                limit: 3
            }
        );
    }

    #[test]
    fn concurrent_encryptions_never_exceed_the_limit() {
        let ring = Keyring::with_limits(1000, 900).unwrap();
        ring.add(1, &[1u8; 32]).unwrap();
        let ok = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..400 {
                        if ring.encrypt(b"x", b"").is_ok() {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(ok.load(Ordering::Relaxed), 1000);
        assert_eq!(ring.keys()[0].encryptions, 1000);
    }

    #[test]
    fn spec_loading() {
        let k1 = STANDARD.encode([1u8; 32]);
        let k2 = STANDARD.encode([2u8; 32]);
        let ring = Keyring::default();
        ring.load_spec(&format!("# comment\n7:{k2}\n3:{k1}"))
            .unwrap();
        assert_eq!(ring.primary(), Some(7));
        assert_eq!(ring.keys().len(), 2);
        let bad = Keyring::default();
        assert_eq!(bad.load_spec("1:!!!").unwrap_err().reason(), "invalid_spec");
        assert_eq!(
            bad.load_spec("x:AAAA").unwrap_err().reason(),
            "invalid_spec"
        );
        assert_eq!(bad.load_spec("").unwrap_err().reason(), "invalid_spec");
    }

    #[test]
    fn duplicate_ids() {
        let ring = ring_with(&[1]);
        ring.add(1, &[1u8; 32]).unwrap();
        assert_eq!(
            ring.add(1, &[5u8; 32]),
            Err(KeyringError::DuplicateKeyId(1))
        );
    }
}
