//! JSON-RPC/MCP codec bindings: one call parses, validates and returns a small handle.

use mcproute_core::json::{Document, Kind, Limits, Value};
use mcproute_core::jsonrpc::{self, Id, RpcError};
use mcproute_core::mcp::splice::{splice, Splice};
use mcproute_core::mcp::{self, Checked, Era, Handle, Options};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::errors::protocol_error;

pub fn id_to_python(py: Python<'_>, id: &Id) -> PyResult<Py<PyAny>> {
    Ok(match id {
        Id::Int(n) => n.into_pyobject(py)?.into_any().unbind(),
        Id::Str(s) => PyString::new(py, s).into_any().unbind(),
    })
}

fn id_from_python(obj: &Bound<'_, PyAny>) -> PyResult<Id> {
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err("id: expected str or int, got bool"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Id::Str(s.to_str()?.to_owned()));
    }
    if let Ok(n) = obj.extract::<i64>() {
        return Ok(Id::Int(n));
    }
    Err(PyTypeError::new_err(format!(
        "id: expected str or int within 64 bits, got {}",
        obj.get_type().name()?
    )))
}

/// An optional id argument: None (or Python None) for "no id".
fn optional_id(id: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Id>> {
    id.filter(|i| !i.is_none()).map(id_from_python).transpose()
}

/// Build Python objects for a JSON value (what `json.loads` would return).
pub fn value_to_python(py: Python<'_>, v: Value<'_, '_>) -> PyResult<Py<PyAny>> {
    Ok(match v.kind() {
        Kind::Null => py.None(),
        Kind::Bool => v
            .as_bool()
            .unwrap_or_default()
            .into_pyobject(py)?
            .to_owned()
            .into_any()
            .unbind(),
        Kind::Int => match v.raw().parse::<i64>() {
            Ok(n) => n.into_pyobject(py)?.into_any().unbind(),
            // Beyond 64 bits: Python's own int() keeps every digit.
            Err(_) => py.get_type::<PyInt>().call1((v.raw(),))?.unbind(),
        },
        Kind::Float => PyFloat::new(py, v.as_f64().unwrap_or(f64::NAN))
            .into_any()
            .unbind(),
        Kind::String => PyString::new(py, &v.as_str().unwrap_or_default())
            .into_any()
            .unbind(),
        Kind::Array => {
            let list = PyList::empty(py);
            for item in v.items() {
                list.append(value_to_python(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Kind::Object => {
            let dict = PyDict::new(py);
            for (k, val) in v.members() {
                dict.set_item(
                    PyString::new(py, &k.as_str().unwrap_or_default()),
                    value_to_python(py, val)?,
                )?;
            }
            dict.into_any().unbind()
        }
    })
}

/// A validated message: what routing needs, without building Python dicts.
#[pyclass(frozen, module = "mcproute._core")]
pub struct Message {
    handle: Handle,
    /// The message's bytes: the caller's own object for a single message (no copy).
    raw: Py<PyBytes>,
    /// Offset of `raw` within the input the spans refer to.
    base: usize,
    /// `params` as Python objects, built on first use.
    params: PyOnceLock<Py<PyAny>>,
}

#[pymethods]
impl Message {
    /// "request", "notification", "response" or "error".
    #[getter]
    fn kind(&self) -> &'static str {
        self.handle.kind.as_str()
    }

    #[getter]
    fn id(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.handle
            .id
            .as_ref()
            .map(|i| id_to_python(py, i))
            .transpose()
    }

    #[getter]
    fn method<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        self.handle
            .method
            .as_deref()
            .map(|m| PyString::intern(py, m))
    }

    /// The routing name: the tool or prompt name, or the resource URI.
    #[getter]
    fn name(&self, py: Python<'_>) -> Option<String> {
        let (start, end) = self.handle.name_span?;
        let raw = self.raw.bind(py);
        let literal = &raw.as_bytes()[start - self.base..end - self.base];
        let doc = Document::parse(literal, Limits::default()).ok()?;
        let name = doc.root().as_str()?.into_owned();
        Some(name)
    }

    /// The protocol revision the message was validated against.
    #[getter]
    fn protocol_version(&self) -> &'static str {
        self.handle.version
    }

    /// "legacy" (initialize, sessions) or "modern" (stateless, per-request version).
    #[getter]
    fn era(&self) -> &'static str {
        self.handle.era.as_str()
    }

    /// The message's exact bytes, for forwarding untouched.
    #[getter]
    fn raw(&self, py: Python<'_>) -> Py<PyBytes> {
        self.raw.clone_ref(py)
    }

    /// A response's `result.resultType`, if it names one.
    #[getter]
    fn result_type(&self) -> Option<&str> {
        self.handle.result_type.as_deref()
    }

    /// Whether a response's result reports a tool failure (`isError: true`).
    #[getter]
    fn tool_error(&self) -> bool {
        self.handle.tool_error
    }

    /// An error response's `error.code`.
    #[getter]
    fn error_code(&self) -> Option<i64> {
        self.handle.error_code
    }

    /// The `params` object (an empty dict when there is none), built once, on first use.
    fn params(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.params
            .get_or_try_init(py, || {
                let bytes = self.raw.bind(py).as_bytes();
                let doc = Document::parse(bytes, self.limits(bytes))
                    .map_err(|e| protocol_error(py, &RpcError::from(e), None))?;
                match doc.root().get("params") {
                    Some(p) if p.kind() == Kind::Object => value_to_python(py, p),
                    _ => Ok(PyDict::new(py).into_any().unbind()),
                }
            })
            .map(|p| p.clone_ref(py))
    }

    /// The message's bytes with a new `id`, routing `name` (`params.name` or `params.uri`),
    /// and, for a response, the members of `result_set` (a JSON object) set in its result and
    /// those named in `result_drop` left out. The rest is copied byte for byte.
    #[pyo3(signature = (*, id = None, name = None, result_set = None, result_drop = None))]
    fn splice<'py>(
        &self,
        py: Python<'py>,
        id: Option<&Bound<'_, PyAny>>,
        name: Option<&str>,
        result_set: Option<&Bound<'_, PyBytes>>,
        result_drop: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let id = optional_id(id)?;
        let set = result_set
            .map(|b| std::str::from_utf8(b.as_bytes()))
            .transpose()
            .map_err(|_| PyValueError::new_err("result_set: not UTF-8"))?;
        let result_drop = result_drop.unwrap_or_default();
        let drop: Vec<&str> = result_drop.iter().map(String::as_str).collect();
        let edits = Splice {
            id: id.as_ref(),
            name,
            result_set: set,
            result_drop: &drop,
        };
        let raw = self.raw.bind(py).as_bytes();
        let out = splice(raw, &self.handle, self.base, &edits)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &out))
    }

    /// The whole message as Python objects (dicts, lists, ...), built only when asked for.
    fn to_python(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let bytes = self.raw.bind(py).as_bytes();
        let doc = Document::parse(bytes, self.limits(bytes))
            .map_err(|e| protocol_error(py, &RpcError::from(e), None))?;
        value_to_python(py, doc.root())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let id = match &self.handle.id {
            Some(Id::Int(n)) => n.to_string(),
            Some(Id::Str(s)) => format!("{s:?}"),
            None => "None".into(),
        };
        let name = self
            .name(py)
            .map(|n| format!(" name={n:?}"))
            .unwrap_or_default();
        format!(
            "<Message {} id={id} method={:?}{name} version={}>",
            self.handle.kind.as_str(),
            self.handle.method.as_deref().unwrap_or(""),
            self.handle.version
        )
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

impl Message {
    /// Limits for parsing the message's own bytes again: they were accepted once.
    fn limits(&self, bytes: &[u8]) -> Limits {
        Limits {
            max_size: bytes.len(),
            max_depth: mcproute_core::json::MAX_DEPTH_CEILING,
        }
    }
}

/// Parsing limits and entry points; `Codec()` has the safe defaults (4 MiB, depth 64).
#[derive(Debug)]
#[pyclass(frozen, module = "mcproute._core")]
pub struct Codec {
    limits: Limits,
}

fn check_version(version: Option<&str>) -> PyResult<()> {
    match version {
        Some(v) if mcp::revision(v).is_none() => Err(PyValueError::new_err(format!(
            "version: {v:?} is not a supported protocol revision (supported: {})",
            mcp::SUPPORTED_VERSIONS.join(", ")
        ))),
        _ => Ok(()),
    }
}

impl Codec {
    fn message(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyBytes>,
        handle: Handle,
        single: bool,
    ) -> Message {
        let (raw, base) = if single {
            (data.clone().unbind(), 0)
        } else {
            let (s, e) = handle.span;
            (PyBytes::new(py, &data.as_bytes()[s..e]).unbind(), s)
        };
        Message {
            handle,
            raw,
            base,
            params: PyOnceLock::new(),
        }
    }

    pub fn do_parse(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyBytes>,
        version: Option<&str>,
        result_of: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        check_version(version)?;
        let bytes = data.as_bytes();
        let doc = Document::parse(bytes, self.limits)
            .map_err(|e| protocol_error(py, &RpcError::from(e), None))?;
        let opts = Options { version, result_of };
        match mcp::check(&doc, &opts) {
            Ok(Checked::Single(h)) => Ok(Py::new(py, self.message(py, data, h, true))?.into_any()),
            Ok(Checked::Batch(items)) => {
                let list = PyList::empty(py);
                for (item, result) in doc.root().items().zip(items) {
                    match result {
                        Ok(h) => list.append(Py::new(py, self.message(py, data, h, false))?)?,
                        Err(e) => {
                            let id = jsonrpc::Envelope::read(item)
                                .ok()
                                .and_then(|e| e.id_value());
                            list.append(protocol_error(py, &e, id.as_ref()).value(py))?
                        }
                    }
                }
                Ok(list.into_any().unbind())
            }
            Err(e) => {
                let id = jsonrpc::Envelope::read(doc.root())
                    .ok()
                    .and_then(|e| e.id_value());
                Err(protocol_error(py, &e, id.as_ref()))
            }
        }
    }
}

#[pymethods]
impl Codec {
    #[new]
    #[pyo3(signature = (*, max_size = 4 * 1024 * 1024, max_depth = 64))]
    fn new(max_size: usize, max_depth: u32) -> PyResult<Self> {
        if max_size == 0 {
            return Err(PyValueError::new_err("max_size: must be at least 1 byte"));
        }
        if max_depth == 0 || max_depth > mcproute_core::json::MAX_DEPTH_CEILING {
            return Err(PyValueError::new_err(format!(
                "max_depth: must be between 1 and {}",
                mcproute_core::json::MAX_DEPTH_CEILING
            )));
        }
        Ok(Codec {
            limits: Limits {
                max_size,
                max_depth,
            },
        })
    }

    #[getter]
    fn max_size(&self) -> usize {
        self.limits.max_size
    }

    #[getter]
    fn max_depth(&self) -> u32 {
        self.limits.max_depth
    }

    /// Parse and validate one message (or a 2025-03-26 batch); see the module-level `parse`.
    #[pyo3(signature = (data, *, version = None, result_of = None))]
    fn parse(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyBytes>,
        version: Option<&str>,
        result_of: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        self.do_parse(py, data, version, result_of)
    }

    /// Strict JSON to Python objects (duplicate keys, lone surrogates, overflow: -32700).
    fn loads(&self, py: Python<'_>, data: &Bound<'_, PyBytes>) -> PyResult<Py<PyAny>> {
        let doc = Document::parse(data.as_bytes(), self.limits)
            .map_err(|e| protocol_error(py, &RpcError::from(e), None))?;
        value_to_python(py, doc.root())
    }

    fn __repr__(&self) -> String {
        format!(
            "Codec(max_size={}, max_depth={})",
            self.limits.max_size, self.limits.max_depth
        )
    }
}

const DEFAULT_CODEC: Codec = Codec {
    limits: Limits {
        max_size: 4 * 1024 * 1024,
        max_depth: 64,
    },
};

/// Parse and validate a message with the default limits: returns a `Message`, or for a
/// 2025-03-26 batch a list of `Message` / `ProtocolError` items. Raises `ProtocolError`.
#[pyfunction]
#[pyo3(signature = (data, *, version = None, result_of = None))]
fn parse(
    py: Python<'_>,
    data: &Bound<'_, PyBytes>,
    version: Option<&str>,
    result_of: Option<&str>,
) -> PyResult<Py<PyAny>> {
    DEFAULT_CODEC.do_parse(py, data, version, result_of)
}

/// Strict JSON to Python objects with the default limits.
#[pyfunction]
fn loads(py: Python<'_>, data: &Bound<'_, PyBytes>) -> PyResult<Py<PyAny>> {
    DEFAULT_CODEC.loads(py, data)
}

/// Validate JSON bytes as a named type of a revision, e.g. ("2025-11-25", "CallToolResult").
#[pyfunction]
fn validate(
    py: Python<'_>,
    version: &str,
    type_name: &str,
    data: &Bound<'_, PyBytes>,
) -> PyResult<()> {
    check_version(Some(version))?;
    mcp::validate_as(version, type_name, data.as_bytes(), DEFAULT_CODEC.limits)
        .map_err(|e| protocol_error(py, &e, None))
}

/// The definition names of a revision's schema.
#[pyfunction]
fn type_names(version: &str) -> PyResult<Vec<&'static str>> {
    mcp::type_names(version).ok_or_else(|| {
        PyValueError::new_err(format!(
            "version: {version:?} is not a supported protocol revision"
        ))
    })
}

/// Legacy `initialize` negotiation: the requested version if supported, else our latest.
#[pyfunction]
fn negotiate(requested: &str) -> &'static str {
    mcp::negotiate(requested)
}

/// "legacy", "modern" or "unknown" for one message, without validating it.
#[pyfunction]
fn detect_era(py: Python<'_>, data: &Bound<'_, PyBytes>) -> PyResult<&'static str> {
    let doc = Document::parse(data.as_bytes(), DEFAULT_CODEC.limits)
        .map_err(|e| protocol_error(py, &RpcError::from(e), None))?;
    match jsonrpc::Envelope::read(doc.root()) {
        Ok(env) => Ok(mcp::detect_era(&env).as_str()),
        Err(_) => Ok(Era::Unknown.as_str()),
    }
}

/// The -32022 error for an unsupported per-request version, as a `ProtocolError` to raise.
#[pyfunction]
fn unsupported_version_error(py: Python<'_>, requested: &str) -> PyErr {
    protocol_error(py, &mcp::unsupported_version(requested), None)
}

fn json_text<'a>(what: &str, data: Option<&'a Bound<'_, PyBytes>>) -> PyResult<Option<&'a str>> {
    let Some(d) = data else { return Ok(None) };
    let bytes = d.as_bytes();
    Document::parse(bytes, DEFAULT_CODEC.limits)
        .map_err(|e| PyValueError::new_err(format!("{what}: not valid JSON: {e}")))?;
    Ok(std::str::from_utf8(bytes).ok())
}

/// `{"jsonrpc":"2.0","id":..,"result":..}` from pre-encoded JSON bytes.
#[pyfunction]
fn encode_result<'py>(
    py: Python<'py>,
    id: &Bound<'_, PyAny>,
    result: &Bound<'_, PyBytes>,
) -> PyResult<Bound<'py, PyBytes>> {
    let id = id_from_python(id)?;
    let result = json_text("result", Some(result))?.unwrap_or("{}");
    Ok(PyBytes::new(py, &jsonrpc::encode_result(&id, result)))
}

/// An error response; `id=None` when the request's id could not be read.
#[pyfunction]
#[pyo3(signature = (id, code, message, data = None))]
fn encode_error<'py>(
    py: Python<'py>,
    id: Option<&Bound<'_, PyAny>>,
    code: i32,
    message: &str,
    data: Option<&Bound<'_, PyBytes>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let id = optional_id(id)?;
    let data = json_text("data", data)?;
    Ok(PyBytes::new(
        py,
        &jsonrpc::encode_error(id.as_ref(), code, message, data),
    ))
}

/// A request (`id` given) or a notification (`id=None`); `params` is pre-encoded JSON.
#[pyfunction]
#[pyo3(signature = (id, method, params = None))]
fn encode_request<'py>(
    py: Python<'py>,
    id: Option<&Bound<'_, PyAny>>,
    method: &str,
    params: Option<&Bound<'_, PyBytes>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let id = optional_id(id)?;
    let params = json_text("params", params)?;
    Ok(PyBytes::new(
        py,
        &jsonrpc::encode_request(id.as_ref(), method, params),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Codec>()?;
    m.add_class::<Message>()?;
    m.add_function(wrap_pyfunction!(parse, m)?)?;
    m.add_function(wrap_pyfunction!(loads, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(type_names, m)?)?;
    m.add_function(wrap_pyfunction!(negotiate, m)?)?;
    m.add_function(wrap_pyfunction!(detect_era, m)?)?;
    m.add_function(wrap_pyfunction!(unsupported_version_error, m)?)?;
    m.add_function(wrap_pyfunction!(encode_result, m)?)?;
    m.add_function(wrap_pyfunction!(encode_error, m)?)?;
    m.add_function(wrap_pyfunction!(encode_request, m)?)?;
    m.add("SUPPORTED_VERSIONS", mcp::SUPPORTED_VERSIONS.to_vec())?;
    m.add("LATEST_VERSION", mcp::LATEST)?;
    m.add("LATEST_LEGACY_VERSION", mcp::LATEST_LEGACY)?;
    Ok(())
}
