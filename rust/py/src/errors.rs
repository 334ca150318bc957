//! Python exception types for every core error enum, mapped in one place.

use mcproute_core::json::{Document, Limits};
use mcproute_core::jsonrpc::{Id, RpcError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::codec::{id_to_python, value_to_python};

pyo3::create_exception!(
    mcproute._core,
    ProtocolError,
    PyValueError,
    "A JSON-RPC/MCP protocol error: `code` (e.g. -32700, -32602), `offset` (bytes, for parse errors), `data`, and the request `id` when it could be read."
);

pyo3::create_exception!(
    mcproute._core,
    NoDeploymentAvailable,
    pyo3::exceptions::PyLookupError,
    "A balancer could not pick: no deployment has a positive weight, or every one is at its concurrency limit or cooling down."
);

/// Raise `ProtocolError` carrying the JSON-RPC code, parse offset, data and request id.
pub fn protocol_error(py: Python<'_>, e: &RpcError, id: Option<&Id>) -> PyErr {
    let err = ProtocolError::new_err(e.message.clone());
    let value = err.value(py);
    let data = e
        .data
        .as_deref()
        .and_then(|d| Document::parse(d.as_bytes(), Limits::default()).ok())
        .map(|doc| value_to_python(py, doc.root()))
        .transpose();
    let set = || -> PyResult<()> {
        value.setattr("code", e.code)?;
        value.setattr("offset", e.offset)?;
        value.setattr("data", data?)?;
        value.setattr("id", id.map(|i| id_to_python(py, i)).transpose()?)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(inner) => inner,
    }
}

// --- security: each exception carries a stable `reason` code next to its message.
use mcproute_core::aead::AeadError as CoreAeadError;
use mcproute_core::apikey::ApiKeyError as CoreApiKeyError;
use mcproute_core::eventstream::EventStreamError as CoreEventStreamError;
use mcproute_core::http_head::HeadError as CoreHeadError;
use mcproute_core::http_request::RequestHeadError as CoreRequestHeadError;
use mcproute_core::keyring::KeyringError as CoreKeyringError;
use mcproute_core::sign::sigv4::SigV4Error as CoreSigV4Error;
use mcproute_core::sign::SignError as CoreSignError;
use pyo3::PyTypeInfo;

pyo3::create_exception!(
    mcproute._core,
    SignatureError,
    PyValueError,
    "A request signature was rejected or could not be made."
);
pyo3::create_exception!(
    mcproute._core,
    AeadError,
    PyValueError,
    "A ciphertext could not be opened or produced."
);
pyo3::create_exception!(
    mcproute._core,
    KeyringError,
    PyValueError,
    "A keyring operation failed."
);
pyo3::create_exception!(
    mcproute._core,
    ApiKeyError,
    PyValueError,
    "An API key was rejected."
);

pyo3::create_exception!(
    mcproute._core,
    EventStreamError,
    PyValueError,
    "An AWS event stream is malformed (CRC mismatch, impossible length, bad header) or cut short."
);

pyo3::create_exception!(
    mcproute._core,
    ReplyHeadError,
    PyValueError,
    "An upstream's HTTP/1.1 response head is malformed, too large, or frames its body ambiguously."
);

pyo3::create_exception!(
    mcproute._core,
    RequestHeadError,
    PyValueError,
    "A client's HTTP/1.1 request head is malformed, over a limit, or frames its body ambiguously."
);

fn with_reason<T: PyTypeInfo>(message: String, reason: &'static str) -> PyErr {
    Python::attach(|py| {
        let err = PyErr::new::<T, _>(message);
        // Setting an attribute on a fresh exception instance cannot fail.
        let _ = err.value(py).setattr("reason", reason);
        err
    })
}

pub fn sign_err(e: CoreSignError) -> PyErr {
    with_reason::<SignatureError>(e.to_string(), e.reason())
}

pub fn sigv4_err(e: CoreSigV4Error) -> PyErr {
    with_reason::<SignatureError>(e.to_string(), e.reason())
}

pub fn eventstream_err(e: CoreEventStreamError) -> PyErr {
    with_reason::<EventStreamError>(e.to_string(), e.reason())
}

pub fn reply_head_err(e: CoreHeadError) -> PyErr {
    with_reason::<ReplyHeadError>(e.to_string(), e.reason())
}

pub fn request_head_err(e: CoreRequestHeadError) -> PyErr {
    with_reason::<RequestHeadError>(e.to_string(), e.reason())
}

pub fn aead_err(e: CoreAeadError) -> PyErr {
    with_reason::<AeadError>(e.to_string(), e.reason())
}

/// Ciphertext failures keep their own type even when they surface through the keyring.
pub fn keyring_err(e: CoreKeyringError) -> PyErr {
    match e {
        CoreKeyringError::Aead(inner) => aead_err(inner),
        other => with_reason::<KeyringError>(other.to_string(), other.reason()),
    }
}

pub fn apikey_err(e: CoreApiKeyError) -> PyErr {
    with_reason::<ApiKeyError>(e.to_string(), e.reason())
}

fn register_security(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    for (name, ty) in [
        ("SignatureError", py.get_type::<SignatureError>()),
        ("AeadError", py.get_type::<AeadError>()),
        ("KeyringError", py.get_type::<KeyringError>()),
        ("ApiKeyError", py.get_type::<ApiKeyError>()),
        ("EventStreamError", py.get_type::<EventStreamError>()),
        ("ReplyHeadError", py.get_type::<ReplyHeadError>()),
        ("RequestHeadError", py.get_type::<RequestHeadError>()),
    ] {
        ty.setattr("reason", "")?;
        m.add(name, ty)?;
    }
    Ok(())
}
// --- end security

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ProtocolError", m.py().get_type::<ProtocolError>())?;
    m.add(
        "NoDeploymentAvailable",
        m.py().get_type::<NoDeploymentAvailable>(),
    )?;
    register_security(m)?;
    Ok(())
}
