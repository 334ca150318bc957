//! `Keyring` and the raw AES-256-GCM helpers used by vector tests.

use mcproute_core::aead;
use mcproute_core::keyring::{self, Keyring as CoreKeyring};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{aead_err, keyring_err};

/// Buffers at least this large are processed with the GIL released.
const DETACH_THRESHOLD: usize = 16 * 1024;

/// AES-256-GCM keys with one primary; see the `mcproute.security` docs for the ciphertext layout.
#[derive(Debug)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct Keyring {
    inner: CoreKeyring,
}

fn warn_rotation(py: Python<'_>, key_id: u32, count: u64, limit: u64) -> PyResult<()> {
    let msg = format!(
        "keyring: key {key_id} has performed {count} encryptions (hard limit {limit}); \
         add and promote a new key"
    );
    py.import("logging")?
        .call_method1("getLogger", ("mcproute.security",))?
        .call_method1("warning", (msg,))?;
    Ok(())
}

#[pymethods]
impl Keyring {
    #[new]
    #[pyo3(signature = (*, max_encryptions = keyring::DEFAULT_MAX_ENCRYPTIONS, warn_encryptions = keyring::DEFAULT_WARN_ENCRYPTIONS))]
    fn new(max_encryptions: u64, warn_encryptions: u64) -> PyResult<Self> {
        let inner =
            CoreKeyring::with_limits(max_encryptions, warn_encryptions).map_err(keyring_err)?;
        Ok(Self { inner })
    }

    /// Loads `<key id>:<base64 key>` entries (comma or newline separated; first is primary).
    fn load_spec(&self, spec: &str) -> PyResult<()> {
        self.inner.load_spec(spec).map_err(keyring_err)
    }

    fn add(&self, key_id: u32, key: &[u8]) -> PyResult<()> {
        self.inner.add(key_id, key).map_err(keyring_err)
    }

    fn promote(&self, key_id: u32) -> PyResult<()> {
        self.inner.promote(key_id).map_err(keyring_err)
    }

    fn retire(&self, key_id: u32) -> PyResult<()> {
        self.inner.retire(key_id).map_err(keyring_err)
    }

    #[getter]
    fn primary(&self) -> Option<u32> {
        self.inner.primary()
    }

    #[getter]
    fn max_encryptions(&self) -> u64 {
        self.inner.max_encryptions()
    }

    #[getter]
    fn warn_encryptions(&self) -> u64 {
        self.inner.warn_encryptions()
    }

    /// `(key_id, status, encryptions)` for every key; never key material.
    fn keys(&self) -> Vec<(u32, &'static str, u64)> {
        self.inner
            .keys()
            .into_iter()
            .map(|k| (k.key_id, k.status.as_str(), k.encryptions))
            .collect()
    }

    /// Encrypts under the primary key, binding `tenant` and `context_id` as associated data.
    fn encrypt<'py>(
        &self,
        py: Python<'py>,
        plaintext: &[u8],
        tenant: &str,
        context_id: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let ad = aead::associated_data(tenant.as_bytes(), context_id.as_bytes());
        let mut used = (0, false);
        let out = PyBytes::new_with(py, aead::sealed_len(plaintext.len()), |buf| {
            let mut run = move || self.inner.encrypt_into(plaintext, &ad, buf);
            used = if plaintext.len() >= DETACH_THRESHOLD {
                py.detach(run)
            } else {
                run()
            }
            .map_err(keyring_err)?;
            Ok(())
        })?;
        if used.1 {
            warn_rotation(
                py,
                used.0,
                self.inner.warn_encryptions(),
                self.inner.max_encryptions(),
            )?;
        }
        Ok(out)
    }

    /// Decrypts with whichever active key the ciphertext names.
    fn decrypt<'py>(
        &self,
        py: Python<'py>,
        ciphertext: &[u8],
        tenant: &str,
        context_id: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        aead::parse_header(ciphertext).map_err(aead_err)?;
        let ad = aead::associated_data(tenant.as_bytes(), context_id.as_bytes());
        PyBytes::new_with(py, ciphertext.len() - aead::OVERHEAD, |buf| {
            let mut run = move || self.inner.decrypt_into(ciphertext, &ad, buf);
            if ciphertext.len() >= DETACH_THRESHOLD {
                py.detach(run)
            } else {
                run()
            }
            .map_err(keyring_err)
        })
    }

    /// Re-encrypts under the primary; returns `None` if it already is under the primary.
    fn reencrypt<'py>(
        &self,
        py: Python<'py>,
        ciphertext: &[u8],
        tenant: &str,
        context_id: &str,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let ad = aead::associated_data(tenant.as_bytes(), context_id.as_bytes());
        let sealed = py
            .detach(|| self.inner.reencrypt(ciphertext, &ad))
            .map_err(keyring_err)?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        if sealed.crossed_warning {
            warn_rotation(
                py,
                sealed.key_id,
                self.inner.warn_encryptions(),
                self.inner.max_encryptions(),
            )?;
        }
        Ok(Some(PyBytes::new(py, &sealed.ciphertext)))
    }

    fn __repr__(&self) -> String {
        let keys: Vec<String> = self
            .inner
            .keys()
            .into_iter()
            .map(|k| format!("{}:{}", k.key_id, k.status.as_str()))
            .collect();
        format!("Keyring(keys=[{}])", keys.join(", "))
    }
}

/// Length-prefixed associated data binding a tenant and a context id.
#[pyfunction]
fn associated_data<'py>(py: Python<'py>, tenant: &str, context_id: &str) -> Bound<'py, PyBytes> {
    PyBytes::new(
        py,
        &aead::associated_data(tenant.as_bytes(), context_id.as_bytes()),
    )
}

/// Raw AES-256-GCM open (12-byte nonce, 16-byte tag) for known-answer tests and interop.
#[pyfunction]
fn aes256gcm_open<'py>(
    py: Python<'py>,
    key: &[u8],
    nonce: &[u8],
    associated_data: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let plaintext =
        aead::open_raw(key, nonce, associated_data, ciphertext, tag).map_err(aead_err)?;
    Ok(PyBytes::new(py, &plaintext))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Keyring>()?;
    m.add_function(wrap_pyfunction!(associated_data, m)?)?;
    m.add_function(wrap_pyfunction!(aes256gcm_open, m)?)?;
    Ok(())
}
