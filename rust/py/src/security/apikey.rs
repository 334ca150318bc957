//! API key format, checksum and peppered hashing.

use mcproute_core::apikey::{self, ApiKeyHasher as CoreHasher};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::apikey_err;

/// Issues and verifies `mcpr_<env>_<key id>_<secret>_<checksum>` keys under a server pepper.
#[derive(Debug)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct ApiKeyHasher {
    inner: CoreHasher,
}

#[pymethods]
impl ApiKeyHasher {
    #[new]
    fn new(pepper: &[u8]) -> PyResult<Self> {
        Ok(Self {
            inner: CoreHasher::new(pepper).map_err(apikey_err)?,
        })
    }

    /// A new key: `(key, key_id, secret_hash)`. Show `key` once; store only the hash.
    fn issue<'py>(
        &self,
        py: Python<'py>,
        env: &str,
    ) -> PyResult<(String, String, Bound<'py, PyBytes>)> {
        let issued = self.inner.issue(env).map_err(apikey_err)?;
        let hash = PyBytes::new(py, &issued.hash);
        Ok((issued.key.as_str().to_owned(), issued.key_id, hash))
    }

    /// Checks format and checksum and returns `(env, key_id, secret_hash)` for a store lookup.
    fn hash_key<'py>(
        &self,
        py: Python<'py>,
        key: &str,
    ) -> PyResult<(String, String, Bound<'py, PyBytes>)> {
        let (parsed, hash) = self.inner.hash_key(key).map_err(apikey_err)?;
        Ok((
            parsed.env.to_owned(),
            parsed.key_id.to_owned(),
            PyBytes::new(py, &hash),
        ))
    }

    /// Verifies `key` against its stored record (hash in constant time, environment label);
    /// returns `(env, key_id)`.
    fn verify(
        &self,
        key: &str,
        stored_env: &str,
        stored_hash: &[u8],
    ) -> PyResult<(String, String)> {
        let parsed = self
            .inner
            .verify(key, stored_env, stored_hash)
            .map_err(apikey_err)?;
        Ok((parsed.env.to_owned(), parsed.key_id.to_owned()))
    }

    fn __repr__(&self) -> &'static str {
        "ApiKeyHasher(pepper=<redacted>)"
    }
}

/// Checks format and checksum without any lookup; returns `(env, key_id)`.
#[pyfunction]
fn parse_api_key(key: &str) -> PyResult<(String, String)> {
    let parsed = apikey::parse(key).map_err(apikey_err)?;
    Ok((parsed.env.to_owned(), parsed.key_id.to_owned()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ApiKeyHasher>()?;
    m.add_function(wrap_pyfunction!(parse_api_key, m)?)?;
    Ok(())
}
