//! The compiled form of an MCP revision's schema, and the validator that walks it.
//!
//! Each revision's definitions are flattened into a static array of [`Schema`] nodes that refer
//! to each other by index. Validation follows JSON Schema semantics for the keywords the official
//! schemas use (draft-07 and 2020-12), so its verdicts agree with a conforming validator; errors
//! name the JSON path of the offending value.

use std::fmt::{self, Write as _};

use crate::json::{Kind, Value};

pub const T_NULL: u8 = 1;
pub const T_BOOL: u8 = 2;
pub const T_INT: u8 = 4;
pub const T_NUM: u8 = 8;
pub const T_STR: u8 = 16;
pub const T_ARR: u8 = 32;
pub const T_OBJ: u8 = 64;

#[derive(Clone, Copy, Debug)]
pub enum Additional {
    Any,
    Deny,
    Schema(u16),
}

#[derive(Clone, Copy, Debug)]
pub enum Lit {
    Null,
    Bool(bool),
    Num(f64),
    Str(&'static str),
}

/// One schema node. Absent keywords take their "accept anything" value from [`ANY`].
#[derive(Debug)]
pub struct Schema {
    /// The definition name, for nodes that are definitions ("" otherwise).
    pub name: &'static str,
    /// Allowed types as a bit set of `T_*`; 0 allows any type.
    pub types: u8,
    /// `false` schema: nothing validates.
    pub never: bool,
    pub reference: Option<u16>,
    pub props: &'static [(&'static str, u16)],
    /// Bit i set: `props[i]` is required.
    pub required_mask: u64,
    /// Required properties that `props` does not declare.
    pub required: &'static [&'static str],
    pub additional: Additional,
    pub items: Option<u16>,
    pub max_items: Option<u32>,
    pub any_of: &'static [u16],
    pub all_of: &'static [u16],
    pub konst: Option<Lit>,
    pub enumeration: &'static [Lit],
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

pub const ANY: Schema = Schema {
    name: "",
    types: 0,
    never: false,
    reference: None,
    props: &[],
    required_mask: 0,
    required: &[],
    additional: Additional::Any,
    items: None,
    max_items: None,
    any_of: &[],
    all_of: &[],
    konst: None,
    enumeration: &[],
    minimum: None,
    maximum: None,
};

/// A method of a revision: the schema of the whole message and of a successful result.
#[derive(Debug)]
pub struct Method {
    pub name: &'static str,
    pub notification: bool,
    pub message: u16,
    pub result: Option<u16>,
}

#[derive(Debug)]
pub struct Revision {
    pub version: &'static str,
    pub nodes: &'static [Schema],
    pub defs: &'static [(&'static str, u16)],
    pub methods: &'static [Method],
}

impl Revision {
    pub fn method(&self, name: &str) -> Option<&'static Method> {
        self.methods
            .binary_search_by(|m| m.name.cmp(name))
            .ok()
            .map(|i| &self.methods[i])
    }

    /// The node of a named definition (e.g. "CallToolRequest").
    pub fn definition(&self, name: &str) -> Option<u16> {
        self.defs
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| self.defs[i].1)
    }

    /// Validate `value` (found at `path`) against node `node`.
    pub fn validate(
        &self,
        node: u16,
        value: Value<'_, '_>,
        path: &Path<'_>,
    ) -> Result<(), Invalid> {
        let quick = Validator {
            rev: self,
            report: false,
        };
        if quick.check(node, value, path).is_ok() {
            return Ok(());
        }
        Validator {
            rev: self,
            report: true,
        }
        .check(node, value, path)
    }
}

/// A JSON path, built on the stack while descending; rendered only when an error is reported.
#[derive(Debug, Clone, Copy)]
pub enum Path<'p> {
    Root(&'static str),
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn depth(&self) -> usize {
        match self {
            Path::Root(_) => 0,
            Path::Key(p, _) | Path::Index(p, _) => p.depth() + 1,
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Key(p, k) => {
                let plain = !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$');
                if matches!(p, Path::Root("")) && plain {
                    f.write_str(k)
                } else if plain {
                    write!(f, "{p}.{k}")
                } else {
                    write!(f, "{p}[{k:?}]")
                }
            }
            Path::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

/// A validation failure: where (a rendered JSON path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub message: String,
    /// The required property that is absent, when that is the failure.
    pub missing: Option<&'static str>,
    /// Path depth, used to pick the most specific failure among `anyOf` branches.
    depth: usize,
}

impl Invalid {
    fn new(path: &Path<'_>, message: String) -> Self {
        Invalid {
            path: path.to_string(),
            message,
            missing: None,
            depth: path.depth(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

fn type_names(bits: u8) -> String {
    let names = [
        (T_NULL, "null"),
        (T_BOOL, "boolean"),
        (T_INT, "integer"),
        (T_NUM, "number"),
        (T_STR, "string"),
        (T_ARR, "array"),
        (T_OBJ, "object"),
    ];
    let v: Vec<&str> = names
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    v.join(" or ")
}

fn type_matches(bits: u8, v: Value<'_, '_>) -> bool {
    match v.kind() {
        Kind::Null => bits & T_NULL != 0,
        Kind::Bool => bits & T_BOOL != 0,
        Kind::Int => bits & (T_INT | T_NUM) != 0,
        // An integer written as a float (`3.0`, `3e0`) counts as one within i64, the same limit
        // ids have; beyond it, a float is only an approximation of the integer it names.
        Kind::Float => bits & T_NUM != 0 || (bits & T_INT != 0 && v.as_i64().is_some()),
        Kind::String => bits & T_STR != 0,
        Kind::Array => bits & T_ARR != 0,
        Kind::Object => bits & T_OBJ != 0,
    }
}

fn lit_eq(lit: &Lit, v: Value<'_, '_>) -> bool {
    match *lit {
        Lit::Null => v.is_null(),
        Lit::Bool(b) => v.as_bool() == Some(b),
        Lit::Num(n) => v.as_f64() == Some(n),
        Lit::Str(s) => v.str_eq(s),
    }
}

fn lit_text(lit: &Lit) -> String {
    match *lit {
        Lit::Null => "null".into(),
        Lit::Bool(b) => b.to_string(),
        Lit::Num(n) => n.to_string(),
        Lit::Str(s) => format!("{s:?}"),
    }
}

fn kind_name(v: Value<'_, '_>) -> &'static str {
    if v.kind() == Kind::Int || (v.kind() == Kind::Float && v.as_i64().is_some()) {
        "integer"
    } else {
        v.kind().name()
    }
}

struct Validator<'r> {
    rev: &'r Revision,
    /// Whether failures carry a rendered path and message. Validation first runs without
    /// (a failed `anyOf` branch then costs nothing) and reruns with it only to report.
    report: bool,
}

impl Validator<'_> {
    fn fail(&self, path: &Path<'_>, message: impl FnOnce() -> String) -> Invalid {
        if self.report {
            Invalid::new(path, message())
        } else {
            Invalid {
                path: String::new(),
                message: String::new(),
                missing: None,
                depth: path.depth(),
            }
        }
    }

    fn node(&self, i: u16) -> &'static Schema {
        // Indices come from the generated tables; an out-of-range one is a generator bug.
        &self.rev.nodes[i as usize]
    }

    fn check(&self, i: u16, v: Value<'_, '_>, path: &Path<'_>) -> Result<(), Invalid> {
        let s = self.node(i);
        if s.never {
            return Err(self.fail(path, || "no value is allowed here".into()));
        }
        if let Some(r) = s.reference {
            self.check(r, v, path)?;
        }
        if s.types != 0 && !type_matches(s.types, v) {
            return Err(self.fail(path, || {
                format!("expected {}, got {}", type_names(s.types), kind_name(v))
            }));
        }
        if let Some(k) = &s.konst {
            if !lit_eq(k, v) {
                return Err(self.fail(path, || {
                    format!("must be {}, got {}", lit_text(k), short(v))
                }));
            }
        }
        if !s.enumeration.is_empty() && !s.enumeration.iter().any(|l| lit_eq(l, v)) {
            let options: Vec<String> = s.enumeration.iter().map(lit_text).collect();
            return Err(self.fail(path, || {
                format!("must be one of {}, got {}", options.join(", "), short(v))
            }));
        }
        match v.kind() {
            Kind::Int | Kind::Float => self.check_number(s, v, path)?,
            Kind::Object => self.check_object(s, v, path)?,
            Kind::Array => self.check_array(s, v, path)?,
            _ => {}
        }
        for &a in s.all_of {
            self.check(a, v, path)?;
        }
        if !s.any_of.is_empty() {
            self.check_any_of(s, v, path)?;
        }
        Ok(())
    }

    fn check_number(&self, s: &Schema, v: Value<'_, '_>, path: &Path<'_>) -> Result<(), Invalid> {
        if s.minimum.is_none() && s.maximum.is_none() {
            return Ok(());
        }
        let n = v.as_f64().unwrap_or(f64::NAN);
        if let Some(min) = s.minimum {
            if n < min {
                return Err(self.fail(path, || format!("must be >= {min}, got {}", v.raw())));
            }
        }
        if let Some(max) = s.maximum {
            if n > max {
                return Err(self.fail(path, || format!("must be <= {max}, got {}", v.raw())));
            }
        }
        Ok(())
    }

    fn check_object(&self, s: &Schema, v: Value<'_, '_>, path: &Path<'_>) -> Result<(), Invalid> {
        for &req in s.required {
            if v.get(req).is_none() {
                return Err(self.missing(path, req));
            }
        }
        if s.props.is_empty() && matches!(s.additional, Additional::Any) {
            return Ok(());
        }
        let mut seen = 0u64;
        for (k, val) in v.members() {
            let key = k.as_str().unwrap_or_default();
            let sub = Path::Key(path, &key);
            match s.props.iter().position(|(name, _)| *name == key) {
                Some(i) => {
                    seen |= 1 << i;
                    self.check(s.props[i].1, val, &sub)?;
                }
                None => match s.additional {
                    Additional::Any => {}
                    Additional::Deny => {
                        return Err(self.fail(&sub, || "unknown property is not allowed".into()))
                    }
                    Additional::Schema(node) => self.check(node, val, &sub)?,
                },
            }
        }
        let absent = s.required_mask & !seen;
        if absent != 0 {
            return Err(self.missing(path, s.props[absent.trailing_zeros() as usize].0));
        }
        Ok(())
    }

    fn missing(&self, path: &Path<'_>, name: &'static str) -> Invalid {
        let mut e = self.fail(path, || format!("missing required property {name:?}"));
        e.missing = Some(name);
        e
    }

    fn check_array(&self, s: &Schema, v: Value<'_, '_>, path: &Path<'_>) -> Result<(), Invalid> {
        if let Some(max) = s.max_items {
            if v.len() > max as usize {
                return Err(self.fail(path, || {
                    format!("at most {max} items allowed, got {}", v.len())
                }));
            }
        }
        if let Some(item) = s.items {
            for (i, val) in v.items().enumerate() {
                self.check(item, val, &Path::Index(path, i))?;
            }
        }
        Ok(())
    }

    fn check_any_of(&self, s: &Schema, v: Value<'_, '_>, path: &Path<'_>) -> Result<(), Invalid> {
        let mut failures = Vec::new();
        for &alt in s.any_of {
            match self.check(alt, v, path) {
                Ok(()) => return Ok(()),
                Err(e) if self.report => failures.push((alt, e)),
                Err(_) => {}
            }
        }
        if !self.report {
            return Err(self.fail(path, String::new));
        }
        // Report the branch the value evidently meant (its `type`-like constant matches), else
        // the failure that got deepest into the value, else a summary of the alternatives.
        if let Some((_, e)) = failures
            .iter()
            .find(|(alt, _)| self.discriminator_matches(*alt, v))
        {
            return Err(e.clone());
        }
        let here = path.depth();
        if let Some((_, e)) = failures
            .iter()
            .filter(|(_, e)| e.depth > here)
            .max_by_key(|(_, e)| e.depth)
        {
            if failures.iter().filter(|(_, f)| f.depth == e.depth).count() == 1 {
                return Err(e.clone());
            }
        }
        let mut names = String::new();
        for (alt, _) in &failures {
            if !names.is_empty() {
                names.push_str(", ");
            }
            let n = self.display_name(*alt);
            let _ = write!(names, "{n}");
        }
        Err(self.fail(path, || format!("does not match any of: {names}")))
    }

    /// Follow pure references to the node that carries the keywords.
    fn resolve(&self, mut i: u16) -> &'static Schema {
        loop {
            let s = self.node(i);
            match s.reference {
                Some(r) if s.props.is_empty() && s.types == 0 => i = r,
                _ => return s,
            }
        }
    }

    fn display_name(&self, i: u16) -> String {
        let s = self.node(i);
        if !s.name.is_empty() {
            return s.name.to_string();
        }
        let r = self.resolve(i);
        if !r.name.is_empty() {
            r.name.to_string()
        } else if r.types != 0 {
            type_names(r.types)
        } else {
            "schema".into()
        }
    }

    /// True when an object branch has a property with a constant that the value carries.
    fn discriminator_matches(&self, alt: u16, v: Value<'_, '_>) -> bool {
        if v.kind() != Kind::Object {
            return false;
        }
        let s = self.resolve(alt);
        s.props.iter().any(|&(name, node)| {
            let p = self.resolve(node);
            match (&p.konst, v.get(name)) {
                (Some(k), Some(val)) => lit_eq(k, val),
                _ => false,
            }
        })
    }
}

/// A short rendering of a value for error messages.
fn short(v: Value<'_, '_>) -> String {
    let raw = v.raw();
    if raw.len() <= 40 {
        raw.to_string()
    } else {
        let cut = (0..=37)
            .rev()
            .find(|&i| raw.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}...", &raw[..cut])
    }
}
