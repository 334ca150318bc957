//! Whole replies the front writes (`encode_reply`): one call per reply.

use mcproute_core::http_reply::ReplyBytes;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

/// `start` (the status line and any checked header lines, each ending in CR LF), then each
/// `(name, value)` of `fields`, then the header lines aiohttp adds to a reply without them
/// (`date` and `server` their values), the blank line and `body`. Raises ValueError for a
/// CR or LF in a field, which would split the response.
#[pyfunction]
fn encode_reply<'py>(
    py: Python<'py>,
    start: &str,
    fields: &Bound<'py, PyAny>,
    body: &[u8],
    keep_alive: bool,
    date: &str,
    server: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut reply = ReplyBytes::new(start, body.len());
    for item in fields.try_iter()? {
        let item = item?;
        let pair = item.cast::<PyTuple>()?;
        if pair.len() != 2 {
            return Err(PyValueError::new_err(
                "a response header is not a (name, value) pair",
            ));
        }
        let name = pair.get_item(0)?;
        let value = pair.get_item(1)?;
        let (name, value) = (name.cast::<PyString>()?, value.cast::<PyString>()?);
        reply.field(name.to_str()?, value.to_str()?).map_err(|_| {
            PyValueError::new_err("newline or carriage return in a response header")
        })?;
    }
    Ok(PyBytes::new(
        py,
        &reply.finish(body, keep_alive, date, server),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(encode_reply, m)?)?;
    Ok(())
}
