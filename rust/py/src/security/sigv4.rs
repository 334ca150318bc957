//! AWS Signature Version 4: one call per request, the headers to add out.

use mcproute_core::sign::sigv4::{self, Payload, SigV4Request};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::sign::{borrowed, header_pairs, unix_now};
use crate::errors::sigv4_err;

/// Signs requests with one set of AWS credentials for one region and service.
#[derive(Debug)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct SigV4Signer {
    inner: sigv4::SigV4Signer,
}

fn request<'a>(
    method: &'a str,
    url: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: Option<&'a [u8]>,
    payload_hash: Option<&'a str>,
) -> SigV4Request<'a> {
    let payload = match (payload_hash, body) {
        (Some(hash), _) => Payload::Hash(hash),
        (None, body) => Payload::Body(body.unwrap_or_default()),
    };
    SigV4Request {
        method,
        url,
        headers,
        payload,
    }
}

#[pymethods]
impl SigV4Signer {
    #[new]
    #[pyo3(signature = (access_key_id, secret_access_key, *, session_token = None, region, service))]
    fn new(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
        region: &str,
        service: &str,
    ) -> PyResult<Self> {
        sigv4::SigV4Signer::new(
            access_key_id,
            secret_access_key,
            session_token,
            region,
            service,
        )
        .map(|inner| Self { inner })
        .map_err(sigv4_err)
    }

    #[getter]
    fn access_key_id(&self) -> &str {
        self.inner.access_key_id()
    }

    #[getter]
    fn region(&self) -> &str {
        self.inner.region()
    }

    #[getter]
    fn service(&self) -> &str {
        self.inner.service()
    }

    /// The headers to add: `X-Amz-Date`, `X-Amz-Security-Token` (with a session token) and
    /// `Authorization`. `payload_hash` (hex SHA-256 or `UNSIGNED-PAYLOAD`) stands in for `body`;
    /// `timestamp` is Unix seconds (default: now).
    #[pyo3(signature = (method, url, headers, body = None, *, payload_hash = None, timestamp = None))]
    #[allow(clippy::too_many_arguments)]
    fn sign<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        url: &str,
        headers: &Bound<'py, PyAny>,
        body: Option<&[u8]>,
        payload_hash: Option<&str>,
        timestamp: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let pairs = header_pairs(headers)?;
        let headers = borrowed(&pairs);
        let req = request(method, url, &headers, body, payload_hash);
        let out = self
            .inner
            .sign(&req, timestamp.unwrap_or_else(unix_now))
            .map_err(sigv4_err)?;
        let dict = PyDict::new(py);
        dict.set_item("X-Amz-Date", out.amz_date)?;
        if let Some(token) = out.security_token {
            dict.set_item("X-Amz-Security-Token", token)?;
        }
        dict.set_item("Authorization", out.authorization)?;
        Ok(dict)
    }

    /// The canonical request `sign` would sign (for diagnostics and tests; holds no secret).
    #[pyo3(signature = (method, url, headers, body = None, *, payload_hash = None, timestamp = None))]
    #[allow(clippy::too_many_arguments)]
    fn canonical_request(
        &self,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
        body: Option<&[u8]>,
        payload_hash: Option<&str>,
        timestamp: Option<i64>,
    ) -> PyResult<String> {
        let pairs = header_pairs(headers)?;
        let headers = borrowed(&pairs);
        let req = request(method, url, &headers, body, payload_hash);
        self.inner
            .sign_detailed(&req, timestamp.unwrap_or_else(unix_now))
            .map(|(canonical, _)| canonical)
            .map_err(sigv4_err)
    }

    fn __repr__(&self) -> String {
        format!(
            "SigV4Signer(access_key_id={:?}, region={:?}, service={:?})",
            self.inner.access_key_id(),
            self.inner.region(),
            self.inner.service()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SigV4Signer>()
}
