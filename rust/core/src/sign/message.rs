//! The request side of signatures: target URI parsing, derived components (`@method`,
//! `@target-uri`, ...), header field values, the signature base and Content-Digest.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::digest::{digest, SHA256};
use subtle::ConstantTimeEq;

use super::sfv::{parse_dictionary, write_params, write_sf_string, Bare, Member, Params};
use super::SignError;

/// A request as the signer or verifier sees it. Header names are matched case-insensitively;
/// repeated headers are combined with ", " as RFC 9421 section 2.1 requires.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The absolute target URI, e.g. `https://example.com/v1/chat?x=1`.
    pub target_uri: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
}

pub(super) struct Uri<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

pub(super) fn parse_uri(uri: &str) -> Result<Uri<'_>, SignError> {
    let bad = |m: &str| SignError::InvalidRequest(format!("target_uri: {m}"));
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("must be ASCII without spaces or controls"));
    }
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| bad("must be absolute (scheme://host/...)"))?;
    if scheme.is_empty()
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Err(bad("invalid scheme"));
    }
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or_else(|| bad("unterminated IPv6 literal"))?;
        let (h, p) = authority.split_at(close + 1);
        (h, p.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("missing host"));
    }
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad("invalid port"));
    }
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    Ok(Uri {
        scheme,
        host,
        port,
        path,
        query,
    })
}

impl Uri<'_> {
    fn authority(&self) -> String {
        let scheme = self.scheme.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" => Some("80"),
            "https" => Some("443"),
            _ => None,
        };
        let host = self.host.to_ascii_lowercase();
        match self.port {
            Some(p) if !p.is_empty() && Some(p.trim_start_matches('0')) != default => {
                format!("{host}:{p}")
            }
            _ => host,
        }
    }

    fn path(&self) -> &str {
        if self.path.is_empty() {
            "/"
        } else {
            self.path
        }
    }

    fn target_uri(&self, method: &str) -> String {
        // RFC 9110 4.2.3: an empty OPTIONS path addresses the server and is not normalized.
        let path = if method == "OPTIONS" {
            self.path
        } else {
            self.path()
        };
        let mut out = format!("{}://{}", self.scheme, self.host);
        if let Some(p) = self.port {
            out.push(':');
            out.push_str(p);
        }
        out.push_str(path);
        if let Some(q) = self.query {
            out.push('?');
            out.push_str(q);
        }
        out
    }
}

/// A request with its URI parsed once and header lookups ready.
pub(super) struct Resolver<'a> {
    req: Request<'a>,
    uri: Uri<'a>,
    /// A Content-Digest the signer computed, which overrides any header of that name.
    digest_override: Option<&'a str>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(
        req: Request<'a>,
        digest_override: Option<&'a str>,
    ) -> Result<Self, SignError> {
        if req.method.is_empty() || !req.method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SignError::InvalidRequest(
                "method: must be a non-empty uppercase token".into(),
            ));
        }
        Ok(Self {
            uri: parse_uri(req.target_uri)?,
            req,
            digest_override,
        })
    }

    pub(super) fn header(&self, name: &str) -> Option<String> {
        let mut values = self
            .req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim_matches([' ', '\t']))
            .peekable();
        values.peek()?;
        Some(values.collect::<Vec<_>>().join(", "))
    }

    pub(super) fn has_header(&self, name: &str) -> bool {
        self.req
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    fn component(&self, name: &str) -> Result<String, SignError> {
        let value = match name {
            "@method" => self.req.method.to_owned(),
            "@target-uri" => self.uri.target_uri(self.req.method),
            "@authority" => self.uri.authority(),
            "@scheme" => self.uri.scheme.to_ascii_lowercase(),
            "@path" => self.uri.path().to_owned(),
            "@query" => format!("?{}", self.uri.query.unwrap_or("")),
            "@request-target" => match self.uri.query {
                Some(q) => format!("{}?{q}", self.uri.path()),
                None => self.uri.path().to_owned(),
            },
            _ if name.starts_with('@') => {
                return Err(SignError::UnsupportedComponent(format!("\"{name}\"")))
            }
            "content-digest" if self.digest_override.is_some() => {
                self.digest_override.unwrap_or_default().to_owned()
            }
            _ => self
                .header(name)
                .ok_or_else(|| SignError::MissingComponent(format!("\"{name}\"")))?,
        };
        if !value
            .bytes()
            .all(|b| b == b'\t' || (0x20..=0x7e).contains(&b))
        {
            return Err(SignError::InvalidRequest(format!(
                "component \"{name}\": value must be printable ASCII"
            )));
        }
        Ok(value)
    }
}

pub(super) fn validate_component_name(name: &str) -> Result<(), SignError> {
    let ok = !name.is_empty()
        && name.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b"-_.".contains(&b)
                || (i == 0 && b == b'@')
        });
    if !ok || name == "@signature-params" {
        return Err(SignError::UnsupportedComponent(format!("\"{name}\"")));
    }
    Ok(())
}

/// Builds the signature base (RFC 9421 section 2.5) and returns it.
pub(super) fn signature_base(
    resolver: &Resolver<'_>,
    components: &[String],
    params_line: &str,
) -> Result<String, SignError> {
    let mut base = String::with_capacity(256);
    for (i, name) in components.iter().enumerate() {
        if components[..i].contains(name) {
            return Err(SignError::InvalidParameter(format!(
                "components: \"{name}\" is listed twice"
            )));
        }
        let value = resolver.component(name)?;
        write_sf_string(&mut base, name);
        base.push_str(": ");
        base.push_str(&value);
        base.push('\n');
    }
    base.push_str("\"@signature-params\": ");
    base.push_str(params_line);
    Ok(base)
}

/// The serialized inner list `("c1" "c2");created=..;...` as it appears after the label.
pub(super) fn params_line(components: &[String], params: &Params) -> String {
    let mut out = String::from("(");
    for (i, c) in components.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_sf_string(&mut out, c);
    }
    out.push(')');
    write_params(&mut out, params);
    out
}

/// `sha-256=:<base64>:` for `body`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(digest(&SHA256, body)))
}

pub(super) fn check_content_digest(header: &str, body: &[u8]) -> Result<(), SignError> {
    let dict = parse_dictionary(header)
        .map_err(|_| SignError::ContentDigestRequired("the header is not a valid dictionary"))?;
    let expected = digest(&SHA256, body);
    let Some((_, Member::Item(Bare::Bytes(got), _))) = dict.iter().find(|(k, _)| k == "sha-256")
    else {
        return Err(SignError::ContentDigestRequired("no sha-256 member"));
    };
    if bool::from(got.as_slice().ct_eq(expected.as_ref())) {
        Ok(())
    } else {
        Err(SignError::ContentDigestMismatch)
    }
}
