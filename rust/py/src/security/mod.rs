//! Security bindings: AEAD keyring, RFC 9421 request signatures, AWS SigV4, API keys.

use pyo3::prelude::*;

mod aead;
mod apikey;
mod sign;
mod sigv4;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    aead::register(m)?;
    sign::register(m)?;
    sigv4::register(m)?;
    apikey::register(m)?;
    Ok(())
}
