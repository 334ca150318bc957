//! `mcproute._core`: thin PyO3 bindings over `mcproute-core`. Each module here only converts.

use pyo3::prelude::*;

mod codec;
mod errors;
mod eventstream;
mod http_head;
mod http_reply;
mod http_request;
mod route;
mod security;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    codec::register(m)?;
    route::register(m)?;
    eventstream::register(m)?;
    http_head::register(m)?;
    http_reply::register(m)?;
    http_request::register(m)?;
    security::register(m)?;
    Ok(())
}
