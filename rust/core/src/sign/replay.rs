//! Replay protection: nonces remembered for as long as their signature could be accepted.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::sync::Mutex;

use super::SignError;

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
