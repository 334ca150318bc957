//! The AWS event-stream decoder: chunks in, `(headers, payload)` messages out.

use std::sync::Mutex;

use mcproute_core::eventstream::{self, Decoder, HeaderValue};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::errors::eventstream_err;

fn header_value<'py>(py: Python<'py>, value: &HeaderValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        HeaderValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        HeaderValue::Byte(v) => v.into_pyobject(py)?.into_any(),
        HeaderValue::Short(v) => v.into_pyobject(py)?.into_any(),
        HeaderValue::Int(v) => v.into_pyobject(py)?.into_any(),
        HeaderValue::Long(v) | HeaderValue::Timestamp(v) => v.into_pyobject(py)?.into_any(),
        HeaderValue::Bytes(b) => PyBytes::new(py, b).into_any(),
        HeaderValue::Uuid(u) => PyBytes::new(py, u).into_any(),
        HeaderValue::String(s) => s.into_pyobject(py)?.into_any(),
    })
}

/// Decodes `application/vnd.amazon.eventstream` incrementally. `feed(chunk)` returns the
/// messages the chunk completes as `(headers, payload)`; header values are `bool`, `int`
/// (timestamps in milliseconds), `bytes` (also UUIDs) or `str`. A framing error is final.
#[derive(Debug, Default)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct EventStreamDecoder {
    inner: Mutex<Decoder>,
}

#[pymethods]
impl EventStreamDecoder {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    fn feed<'py>(&self, py: Python<'py>, chunk: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let messages = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .feed(chunk)
            .map_err(eventstream_err)?;
        let out = PyList::empty(py);
        for message in messages {
            let headers = PyDict::new(py);
            for (name, value) in &message.headers {
                headers.set_item(name, header_value(py, value)?)?;
            }
            let payload = PyBytes::new(py, &message.payload);
            out.append(PyTuple::new(py, [headers.into_any(), payload.into_any()])?)?;
        }
        Ok(out)
    }

    /// Raises `EventStreamError` if the stream ended inside a message.
    fn finish(&self) -> PyResult<()> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .finish()
            .map_err(eventstream_err)
    }

    /// Bytes held for a message not yet complete.
    #[getter]
    fn pending(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pending()
    }
}

/// One event-stream message with string headers (for simulators and tests).
#[pyfunction]
fn encode_event_message<'py>(
    py: Python<'py>,
    headers: Vec<(String, String)>,
    payload: &[u8],
) -> Bound<'py, PyBytes> {
    let typed: Vec<(&str, HeaderValue)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), HeaderValue::String(v.clone())))
        .collect();
    PyBytes::new(py, &eventstream::encode(&typed, payload))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EventStreamDecoder>()?;
    m.add_function(wrap_pyfunction!(encode_event_message, m)?)?;
    Ok(())
}
