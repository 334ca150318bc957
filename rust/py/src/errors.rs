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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ProtocolError", m.py().get_type::<ProtocolError>())?;
    m.add(
        "NoDeploymentAvailable",
        m.py().get_type::<NoDeploymentAvailable>(),
    )?;
    Ok(())
}
