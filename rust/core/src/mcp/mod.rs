//! MCP on top of JSON-RPC: per-revision validation, version negotiation and era detection.
//!
//! [`check`] is the hot path: one call parses the envelope, picks the revision, validates the
//! whole message against that revision's compiled schema and returns a small [`Handle`].

mod revisions;
pub mod schema;
pub mod splice;

use crate::json::{Document, Kind, Limits, Value};
use crate::jsonrpc::{codes, write_string, Envelope, Id, MessageKind, RpcError};
use schema::{Path, Revision};

/// Every supported revision, oldest first.
pub const SUPPORTED_VERSIONS: [&str; 5] = [
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    "2026-07-28",
];
/// The newest revision negotiated through `initialize`.
pub const LATEST_LEGACY: &str = "2025-11-25";
/// The newest revision, stateless, versioned per request in `_meta`.
pub const LATEST: &str = "2026-07-28";
/// The only revision whose messages may be JSON-RPC batches.
pub const BATCH_VERSION: &str = "2025-03-26";

/// `_meta` keys of the stateless era.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

/// Which generation of the protocol a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// `initialize` handshake, sessions (2024-11-05 .. 2025-11-25).
    Legacy,
    /// Stateless, version in every request's `_meta` (2026-07-28 and later).
    Modern,
    /// Nothing in the message says (responses, most notifications).
    Unknown,
}

impl Era {
    pub fn as_str(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Modern => "modern",
            Era::Unknown => "unknown",
        }
    }

    pub fn of_version(version: &str) -> Era {
        if version >= LATEST {
            Era::Modern
        } else {
            Era::Legacy
        }
    }
}

/// The compiled schema of a supported revision.
pub fn revision(version: &str) -> Option<&'static Revision> {
    revisions::ALL
        .iter()
        .copied()
        .find(|r| r.version == version)
}

/// Legacy `initialize` negotiation: the same version if supported, else our latest legacy one.
pub fn negotiate(requested: &str) -> &'static str {
    SUPPORTED_VERSIONS
        .iter()
        .copied()
        .find(|v| *v == requested && Era::of_version(v) == Era::Legacy)
        .unwrap_or(LATEST_LEGACY)
}

/// The -32022 error for a per-request version we do not serve, naming the supported ones.
pub fn unsupported_version(requested: &str) -> RpcError {
    let mut data = Vec::with_capacity(96);
    data.extend_from_slice(b"{\"supported\":[");
    for (i, v) in SUPPORTED_VERSIONS
        .iter()
        .filter(|v| Era::of_version(v) == Era::Modern)
        .enumerate()
    {
        if i > 0 {
            data.push(b',');
        }
        write_string(&mut data, v);
    }
    data.extend_from_slice(b"],\"requested\":");
    write_string(&mut data, requested);
    data.push(b'}');
    RpcError {
        code: codes::UNSUPPORTED_PROTOCOL_VERSION,
        message: format!("unsupported protocol version {requested:?}"),
        offset: None,
        data: String::from_utf8(data).ok(),
    }
}

/// What the caller knows about the message's context.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'o> {
    /// The negotiated revision of the session, if any. A message that names its own version
    /// (`initialize`, or a stateless request's `_meta`) takes precedence.
    pub version: Option<&'o str>,
    /// For a response: the method of the request it answers, so the result can be validated.
    pub result_of: Option<&'o str>,
}

/// The small summary of a validated message that routing needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Handle {
    pub kind: MessageKind,
    pub id: Option<Id>,
    /// The method of a request or notification.
    pub method: Option<String>,
    /// Byte range of the routing name's JSON string literal: `params.name` for tools/call and
    /// prompts/get, `params.uri` for resources/read, subscribe and unsubscribe, `params.taskId`
    /// for tasks/get, update and cancel.
    pub name_span: Option<(usize, usize)>,
    /// The revision the message was validated against.
    pub version: &'static str,
    pub era: Era,
    /// Byte range of the message in the input (a batch item's own range).
    pub span: (usize, usize),
    /// Byte range of the `id` value, where there is one.
    pub id_span: Option<(usize, usize)>,
    /// Byte range of a response's `result` object.
    pub result_span: Option<(usize, usize)>,
    /// A response's `result.resultType` (2026-07-28: "complete", "input_required", ...).
    pub result_type: Option<String>,
    /// A tool result that reports a failure (`result.isError` is true).
    pub tool_error: bool,
    /// An error response's `error.code`.
    pub error_code: Option<i64>,
}

/// Where the routing name of a method lives in its params.
fn name_key(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => Some("uri"),
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some("taskId"),
        _ => None,
    }
}

/// Requests of extensions (tasks, SEP-2663; skills, SEP-2640) that no revision's schema
/// defines: only their JSON-RPC envelope is checked here, their params by their handler, and
/// their results not at all. Sorted.
const EXTENSION_REQUESTS: &[&str] = &[
    "resources/directory/read",
    "skills/get",
    "skills/list",
    "tasks/cancel",
    "tasks/get",
    "tasks/update",
];

fn extension_request(name: &str) -> bool {
    EXTENSION_REQUESTS.binary_search(&name).is_ok()
}

/// The extensions' notifications, checked the same way: a task's status change (SEP-2663).
const EXTENSION_NOTIFICATIONS: &[&str] = &["notifications/tasks"];

/// The per-request version a stateless message names in `params._meta`, if any.
fn meta_version<'d, 'a>(env: &Envelope<'d, 'a>) -> Option<Value<'d, 'a>> {
    env.params?.get("_meta")?.get(META_PROTOCOL_VERSION)
}

/// Era detection for one message, without validating it.
pub fn detect_era(env: &Envelope<'_, '_>) -> Era {
    if meta_version(env).is_some() {
        return Era::Modern;
    }
    match env.method_name().as_deref() {
        Some("initialize" | "notifications/initialized") => Era::Legacy,
        Some("server/discover" | "subscriptions/listen") => Era::Modern,
        _ => Era::Unknown,
    }
}

/// A request of the stateless era by its method or its `_meta`, whatever its version says.
fn stateless_shaped(env: &Envelope<'_, '_>) -> bool {
    let client_capabilities = env
        .params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(META_CLIENT_CAPABILITIES));
    env.kind == MessageKind::Request
        && (detect_era(env) == Era::Modern || client_capabilities.is_some())
}

/// Pick the revision that governs this message.
fn select_revision(
    env: &Envelope<'_, '_>,
    opts: &Options<'_>,
) -> Result<&'static Revision, RpcError> {
    if let Some(v) = meta_version(env) {
        let Some(requested) = v.as_str() else {
            return Err(RpcError::new(
                codes::INVALID_PARAMS,
                format!(
                    "params._meta[{META_PROTOCOL_VERSION:?}]: expected string, got {}",
                    v.kind().name()
                ),
            ));
        };
        return match revision(&requested) {
            Some(r) if Era::of_version(r.version) == Era::Modern => Ok(r),
            _ => Err(unsupported_version(&requested)),
        };
    }
    if opts.version.is_none() && stateless_shaped(env) {
        // Outside a session, a stateless request must name its version.
        return Err(RpcError::new(
            codes::INVALID_PARAMS,
            format!("params._meta[{META_PROTOCOL_VERSION:?}]: required in a stateless request"),
        ));
    }
    if env.method_name().as_deref() == Some("initialize") {
        let requested = env
            .params
            .and_then(|p| p.get("protocolVersion"))
            .and_then(|v| v.as_str());
        let version = negotiate(requested.as_deref().unwrap_or(LATEST_LEGACY));
        return revision(version)
            .ok_or_else(|| RpcError::new(codes::INTERNAL_ERROR, "no revision"));
    }
    let version = opts.version.unwrap_or(LATEST_LEGACY);
    revision(version).ok_or_else(|| {
        RpcError::invalid_request(format!(
            "protocol version {version:?} is not supported (supported: {})",
            SUPPORTED_VERSIONS.join(", ")
        ))
    })
}

/// Map a schema failure to the JSON-RPC code its location calls for: a bad `params` or
/// `result` is -32602, a bad envelope field is -32600.
fn schema_error(e: schema::Invalid) -> RpcError {
    let within = |root: &str| {
        e.path
            .strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    };
    let absent_body = e.path.is_empty() && matches!(e.missing, Some("params" | "result"));
    let code = if within("params") || within("result") || absent_body {
        codes::INVALID_PARAMS
    } else {
        codes::INVALID_REQUEST
    };
    RpcError::new(code, e.to_string())
}

/// Validate one message (an object, not a batch) and summarize it.
pub fn check_message(msg: Value<'_, '_>, opts: &Options<'_>) -> Result<Handle, RpcError> {
    let env = Envelope::read(msg)?;
    let rev = select_revision(&env, opts)?;
    let root = Path::Root("");
    let method = env.method_name();
    match env.kind {
        MessageKind::Request | MessageKind::Notification => {
            let name = method.as_deref().unwrap_or_default();
            let envelope = match env.kind {
                MessageKind::Request if extension_request(name) => Some("JSONRPCRequest"),
                MessageKind::Notification if EXTENSION_NOTIFICATIONS.contains(&name) => {
                    Some("JSONRPCNotification")
                }
                _ => None,
            }
            .filter(|_| rev.method(name).is_none());
            if let Some(envelope) = envelope {
                if let Some(node) = rev.definition(envelope) {
                    rev.validate(node, msg, &root).map_err(schema_error)?;
                }
            } else {
                let Some(m) = rev.method(name) else {
                    return Err(RpcError::new(
                        codes::METHOD_NOT_FOUND,
                        format!(
                            "method not found: {name:?} is not a method of revision {}",
                            rev.version
                        ),
                    ));
                };
                let is_notification = env.kind == MessageKind::Notification;
                if m.notification != is_notification {
                    return Err(RpcError::invalid_request(if m.notification {
                        format!("{name:?} is a notification and must not carry an id")
                    } else {
                        format!("{name:?} is a request and needs an id")
                    }));
                }
                rev.validate(m.message, msg, &root).map_err(schema_error)?;
            }
        }
        MessageKind::Response => {
            let envelope = rev
                .definition("JSONRPCResultResponse")
                .or_else(|| rev.definition("JSONRPCResponse"));
            if let Some(node) = envelope {
                rev.validate(node, msg, &root).map_err(schema_error)?;
            }
            // An extension's result is left to whoever asked for it (2025-11-25 also has a
            // tasks/get and tasks/cancel: the experimental tasks the extension replaced).
            let checked = opts.result_of.filter(|req| !extension_request(req));
            if let (Some(req), Some(result)) = (checked, env.result) {
                let Some(m) = rev.method(req).filter(|m| !m.notification) else {
                    return Err(RpcError::new(
                        codes::METHOD_NOT_FOUND,
                        format!(
                            "result_of: {req:?} is not a request method of revision {}",
                            rev.version
                        ),
                    ));
                };
                if let Some(node) = m.result {
                    rev.validate(node, result, &Path::Key(&root, "result"))
                        .map_err(schema_error)?;
                }
            }
        }
        MessageKind::Error => {
            let node = rev
                .definition("JSONRPCErrorResponse")
                .or_else(|| rev.definition("JSONRPCError"));
            if let Some(node) = node {
                rev.validate(node, msg, &root).map_err(schema_error)?;
            }
        }
    }
    let name_span = method
        .as_deref()
        .and_then(name_key)
        .and_then(|k| env.params?.get(k))
        .filter(|v| v.kind() == Kind::String)
        .map(|v| v.span());
    let era = match detect_era(&env) {
        Era::Unknown => Era::of_version(rev.version),
        e => e,
    };
    let result = env.result.filter(|r| r.kind() == Kind::Object);
    Ok(Handle {
        kind: env.kind,
        id: env.id_value(),
        method: method.map(|m| m.into_owned()),
        name_span,
        version: rev.version,
        era,
        span: msg.span(),
        id_span: env.id.map(|v| v.span()),
        result_span: result.map(|r| r.span()),
        result_type: result
            .and_then(|r| r.get("resultType"))
            .and_then(|t| t.as_str())
            .map(|t| t.into_owned()),
        tool_error: result
            .and_then(|r| r.get("isError"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        error_code: env
            .error
            .and_then(|e| e.get("code"))
            .and_then(|c| c.as_i64()),
    })
}

/// Validate one message or a batch. A batch is accepted only under revision 2025-03-26; each
/// item then gets its own verdict.
pub fn check(doc: &Document<'_>, opts: &Options<'_>) -> Result<Checked, RpcError> {
    let root = doc.root();
    if root.kind() != Kind::Array {
        return check_message(root, opts).map(Checked::Single);
    }
    let version = opts.version.unwrap_or(LATEST_LEGACY);
    if version != BATCH_VERSION {
        return Err(RpcError::invalid_request(format!(
            "JSON-RPC batches are allowed only in revision {BATCH_VERSION}, not {version}"
        )));
    }
    if root.is_empty() {
        return Err(RpcError::invalid_request("an empty batch is not allowed"));
    }
    Ok(Checked::Batch(
        root.items().map(|item| check_message(item, opts)).collect(),
    ))
}

/// The verdict on a parsed input: one message, or a batch of individual verdicts.
#[derive(Debug)]
pub enum Checked {
    Single(Handle),
    Batch(Vec<Result<Handle, RpcError>>),
}

/// Parse and validate bytes in one call.
pub fn parse(input: &[u8], limits: Limits, opts: &Options<'_>) -> Result<Checked, RpcError> {
    let doc = Document::parse(input, limits)?;
    check(&doc, opts)
}

/// Validate a JSON text as a named definition of a revision (e.g. "CallToolResult").
pub fn validate_as(
    version: &str,
    type_name: &str,
    input: &[u8],
    limits: Limits,
) -> Result<(), RpcError> {
    let rev = revision(version).ok_or_else(|| {
        RpcError::invalid_request(format!("protocol version {version:?} is not supported"))
    })?;
    let node = rev.definition(type_name).ok_or_else(|| {
        RpcError::new(
            codes::INVALID_PARAMS,
            format!("{type_name:?} is not a type of revision {version}"),
        )
    })?;
    let doc = Document::parse(input, limits)?;
    rev.validate(node, doc.root(), &Path::Root(""))
        .map_err(|e| RpcError::new(codes::INVALID_PARAMS, e.to_string()))
}

/// The names of every definition of a revision.
pub fn type_names(version: &str) -> Option<Vec<&'static str>> {
    revision(version).map(|r| r.defs.iter().map(|(n, _)| *n).collect())
}

#[cfg(test)]
mod tests;
