//! Security bindings: AEAD keyring, RFC 9421 request signatures, API keys.

use pyo3::prelude::*;

mod aead;
mod apikey;
mod sign;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    aead::register(m)?;
    sign::register(m)?;
    apikey::register(m)?;
    Ok(())
}
