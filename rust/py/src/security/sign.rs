//! RFC 9421 request signing and verification: one call each.

use std::time::{SystemTime, UNIX_EPOCH};

use mcproute_core::sign::{self, Coverage, HmacKey, MemoryNonceStore, Request, SignOptions};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::sign_err;

pub(super) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Headers from a mapping (its `items()`, which keeps repeated fields for multidicts) or from an
/// iterable of `(name, value)` pairs.
pub(super) fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let items = if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        headers.clone()
    };
    items
        .try_iter()?
        .map(|pair| pair?.extract::<(String, String)>())
        .collect()
}

pub(super) fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// Signs requests with one HMAC-SHA256 key.
#[derive(Debug)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct RequestSigner {
    key: HmacKey,
    key_id: String,
    label: String,
    components: Vec<String>,
    tag: Option<String>,
    include_alg: bool,
    include_nonce: bool,
    expires_in: Option<i64>,
}

#[pymethods]
impl RequestSigner {
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (key_id, key, *, label = sign::DEFAULT_LABEL.to_owned(), components = None, tag = None, include_alg = true, include_nonce = true, expires_in = None))]
    fn new(
        key_id: String,
        key: &[u8],
        label: String,
        components: Option<Vec<String>>,
        tag: Option<String>,
        include_alg: bool,
        include_nonce: bool,
        expires_in: Option<i64>,
    ) -> PyResult<Self> {
        if expires_in.is_some_and(|e| e <= 0) {
            return Err(sign_err(sign::SignError::InvalidParameter(
                "'expires_in': must be positive seconds".into(),
            )));
        }
        Ok(Self {
            key: HmacKey::new(key).map_err(sign_err)?,
            key_id,
            label,
            components: components.unwrap_or_default(),
            tag,
            include_alg,
            include_nonce,
            expires_in,
        })
    }

    #[getter]
    fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Returns the headers to add: `Signature-Input`, `Signature` and, with a body,
    /// `Content-Digest`.
    #[pyo3(signature = (method, url, headers, body = None, *, created = None, nonce = None))]
    #[allow(clippy::too_many_arguments)]
    fn sign<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        url: &str,
        headers: &Bound<'py, PyAny>,
        body: Option<&[u8]>,
        created: Option<i64>,
        nonce: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let pairs = header_pairs(headers)?;
        let headers = borrowed(&pairs);
        let components: Vec<&str> = self.components.iter().map(String::as_str).collect();
        let created = created.unwrap_or_else(unix_now);
        let opts = SignOptions {
            label: &self.label,
            components: &components,
            created,
            expires: self.expires_in.map(|e| created.saturating_add(e)),
            nonce,
            include_nonce: self.include_nonce,
            tag: self.tag.as_deref(),
            include_alg: self.include_alg,
        };
        let req = Request {
            method,
            target_uri: url,
            headers: &headers,
        };
        let out = sign::sign(&self.key, &self.key_id, req, body, &opts).map_err(sign_err)?;
        let dict = PyDict::new(py);
        dict.set_item("Signature-Input", out.signature_input)?;
        dict.set_item("Signature", out.signature)?;
        if let Some(d) = out.content_digest {
            dict.set_item("Content-Digest", d)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "RequestSigner(key_id={:?}, label={:?})",
            self.key_id, self.label
        )
    }
}

/// What a valid signature covered.
#[derive(Debug)]
#[pyclass(frozen, get_all, module = "mcproute._core")]
pub struct VerifiedSignature {
    label: String,
    key_id: String,
    components: Vec<String>,
    created: i64,
    expires: Option<i64>,
    nonce: Option<String>,
    tag: Option<String>,
}

#[pymethods]
impl VerifiedSignature {
    fn __repr__(&self) -> String {
        format!(
            "VerifiedSignature(label={:?}, key_id={:?}, components={:?}, created={})",
            self.label, self.key_id, self.components, self.created
        )
    }
}

/// Verifies signatures: key by `keyid`, time window, replay cache, constant-time compare.
#[derive(Debug)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct SignatureVerifier {
    inner: sign::Verifier,
}

#[pymethods]
impl SignatureVerifier {
    #[new]
    #[pyo3(signature = (keys, *, window = sign::DEFAULT_WINDOW_SECS, require_nonce = true, required_components = None, expected_tag = None, replay_capacity = sign::DEFAULT_REPLAY_CAPACITY))]
    fn new(
        keys: &Bound<'_, PyAny>,
        window: i64,
        require_nonce: bool,
        required_components: Option<Vec<String>>,
        expected_tag: Option<String>,
        replay_capacity: usize,
    ) -> PyResult<Self> {
        let policy = sign::VerifyPolicy {
            window_secs: window,
            require_nonce,
            coverage: required_components.map_or(Coverage::Profile, Coverage::Components),
            expected_tag,
        };
        let inner = sign::Verifier::new(policy, Box::new(MemoryNonceStore::new(replay_capacity)))
            .map_err(sign_err)?;
        let this = Self { inner };
        for pair in keys.call_method0("items")?.try_iter()? {
            let (key_id, key): (String, Vec<u8>) = pair?.extract()?;
            this.set_key(&key_id, &key)?;
        }
        Ok(this)
    }

    /// Adds or replaces the key for `key_id`.
    fn set_key(&self, key_id: &str, key: &[u8]) -> PyResult<()> {
        let key = HmacKey::new(key).map_err(sign_err)?;
        self.inner.set_key(key_id, key).map_err(sign_err)
    }

    fn remove_key(&self, key_id: &str) -> bool {
        self.inner.remove_key(key_id)
    }

    fn key_ids(&self) -> Vec<String> {
        self.inner.key_ids()
    }

    /// Verifies the request's signature (`label`, or the only one) at `now` (default: the
    /// current time). Pass `body` whenever the request has one.
    #[pyo3(signature = (method, url, headers, body = None, *, label = None, now = None))]
    #[allow(clippy::too_many_arguments)]
    fn verify(
        &self,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyBytes>>,
        label: Option<&str>,
        now: Option<i64>,
    ) -> PyResult<VerifiedSignature> {
        let pairs = header_pairs(headers)?;
        let headers = borrowed(&pairs);
        let req = Request {
            method,
            target_uri: url,
            headers: &headers,
        };
        let body = body.map(|b| b.as_bytes());
        let v = self
            .inner
            .verify(req, body, label, now.unwrap_or_else(unix_now))
            .map_err(sign_err)?;
        Ok(VerifiedSignature {
            label: v.label,
            key_id: v.key_id,
            components: v.components,
            created: v.created,
            expires: v.expires,
            nonce: v.nonce,
            tag: v.tag,
        })
    }

    fn __repr__(&self) -> String {
        format!("SignatureVerifier(key_ids={:?})", self.inner.key_ids())
    }
}

/// `sha-256=:<base64>:` (RFC 9530) for `body`.
#[pyfunction]
fn content_digest(body: &[u8]) -> String {
    sign::content_digest(body)
}

/// HMAC-SHA256 of `message` under `key`.
#[pyfunction]
fn hmac_sha256<'py>(py: Python<'py>, key: &[u8], message: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &sign::hmac_sha256(key, message))
}

/// Constant-time check of a (possibly truncated, >= 10 bytes) HMAC-SHA256 tag.
#[pyfunction]
fn hmac_sha256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    sign::hmac_sha256_verify(key, message, tag)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RequestSigner>()?;
    m.add_class::<SignatureVerifier>()?;
    m.add_class::<VerifiedSignature>()?;
    m.add_function(wrap_pyfunction!(content_digest, m)?)?;
    m.add_function(wrap_pyfunction!(hmac_sha256, m)?)?;
    m.add_function(wrap_pyfunction!(hmac_sha256_verify, m)?)?;
    Ok(())
}
