//! mcproute core: the per-message work of the gateway, free of any Python dependency.
//!
//! - [`json`]: a strict JSON parser into a flat, borrow-free tree of byte ranges.
//! - [`jsonrpc`]: the JSON-RPC 2.0 envelope (requests, notifications, responses, batches).
//! - [`mcp`]: per-revision MCP validation, version negotiation and era detection.
//! - [`eventstream`]: the AWS event-stream framing, decoded incrementally.
//! - [`http_head`]: HTTP/1.1 response heads from upstreams and the framing of their bodies.
//! - [`http_request`]: HTTP/1.1 request heads from clients, with request-smuggling defences.
//! - [`route`]: weighted load balancing with outlier ejection, cooldowns and slow start.

pub mod aead;
pub mod apikey;
pub mod eventstream;
pub mod http_head;
pub mod http_reply;
pub mod http_request;
pub mod json;
pub mod jsonrpc;
pub mod keyring;
pub mod mcp;
pub mod route;
pub mod sign;
