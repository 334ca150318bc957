"""Compile the official MCP JSON Schemas into static Rust tables for the core validator.

Usage: python tools/gen_mcp_schema.py [--check] [SCHEMA_ROOT]   (default: ../shared/mcp-schema)

Writes rust/core/src/mcp/revisions/r<version>.rs, one module per protocol revision. The output
is committed: building or running mcproute never needs the schema files. Rerun this when a
revision is added or the upstream schema changes; `make test` checks the output is current.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "rust/core/src/mcp/revisions"
REVISIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]

TYPE_BITS = {
    "null": "T_NULL",
    "boolean": "T_BOOL",
    "integer": "T_INT",
    "number": "T_NUM",
    "string": "T_STR",
    "array": "T_ARR",
    "object": "T_OBJ",
}
# Keywords that only annotate: JSON Schema validators (and we) ignore them.
ANNOTATIONS = {"description", "title", "$comment", "format", "default", "examples", "deprecated"}
HANDLED = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "allOf",
    "const",
    "enum",
    "minimum",
    "maximum",
    "maxItems",
    "$ref",
}
# Where schema.json narrows schema.ts's `number` to "integer" although schema.ts, both official
# SDKs (TypeScript `z.number()`, Python `int | float`) and the elicitation `NumberSchema` (type
# "number") allow any JSON number: a form answer of 95.5, a float in capabilities or sampling
# metadata. JSONValue also lost schema.ts's `null`. These definitions are widened to match.
WIDENED = {"ElicitResult": ("number",), "JSONValue": ("number", "null")}


def widen(s: Any, extra: tuple[str, ...]) -> Any:
    """`s` with each scalar union of string, integer and boolean taking `extra` for integer."""
    if isinstance(s, list):
        return [widen(x, extra) for x in s]
    if not isinstance(s, dict):
        return s
    out = {k: widen(v, extra) for k, v in s.items()}
    types = s.get("type")
    if isinstance(types, list) and {"string", "integer", "boolean"} <= set(types):
        out["type"] = [t for t in types if t != "integer"] + [t for t in extra if t not in types]
    return out


def corrected(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs") or schema["definitions"]
    for name, extra in WIDENED.items():
        if name in defs:
            defs[name] = widen(defs[name], extra)
    return schema


def rust_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def rust_lit(v: Any) -> str:
    if v is None:
        return "Lit::Null"
    if isinstance(v, bool):
        return f"Lit::Bool({'true' if v else 'false'})"
    if isinstance(v, int):
        return f"Lit::Num({float(v)!r})"
    if isinstance(v, float):
        return f"Lit::Num({v!r})"
    if isinstance(v, str):
        return f"Lit::Str({rust_str(v)})"
    raise SystemExit(f"unsupported literal {v!r}")


def rust_f64(v: float) -> str:
    text = repr(float(v))
    return text if ("." in text or "e" in text) else text + ".0"


class Compiler:
    def __init__(self, version: str, schema: dict[str, Any]) -> None:
        self.version = version
        self.draft07 = "draft-07" in schema.get("$schema", "")
        self.defs: dict[str, Any] = schema.get("$defs") or schema["definitions"]
        self.def_index = {name: i for i, name in enumerate(self.defs)}
        self.nodes: list[str | None] = [None] * len(self.defs)

    def ref_target(self, ref: str) -> int:
        m = re.fullmatch(r"#/(?:\$defs|definitions)/(.+)", ref)
        if not m or m.group(1) not in self.def_index:
            raise SystemExit(f"{self.version}: unresolvable $ref {ref}")
        return self.def_index[m.group(1)]

    def node(self, s: Any, name: str = "") -> int:
        """Return the index of the node for schema `s` (a $ref alone resolves to its target)."""
        if s is True or s == {}:
            return self.add("Schema { ..ANY }")
        if s is False:
            return self.add("Schema { never: true, ..ANY }")
        keys = set(s) - ANNOTATIONS
        unknown = keys - HANDLED
        if unknown:
            raise SystemExit(f"{self.version}: unsupported keywords {sorted(unknown)} in {name}")
        if "$ref" in s and (self.draft07 or keys == {"$ref"}):
            return self.ref_target(s["$ref"])  # draft-07 ignores siblings of $ref
        return self.add(self.body(s, name))

    def add(self, body: str) -> int:
        self.nodes.append(body)
        return len(self.nodes) - 1

    def body(self, s: dict[str, Any], name: str) -> str:
        f: list[str] = []
        if name:
            f.append(f"name: {rust_str(name)}")
        if "type" in s:
            ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
            f.append("types: " + " | ".join(TYPE_BITS[t] for t in ts))
        if "$ref" in s:
            f.append(f"reference: Some({self.ref_target(s['$ref'])})")
        names = list(s.get("properties", {}))
        if names:
            if len(names) > 64:
                raise SystemExit(f"{self.version}: {name} has over 64 properties")
            props = ", ".join(
                f"({rust_str(k)}, {self.node(v)})" for k, v in s["properties"].items()
            )
            f.append(f"props: &[{props}]")
        required = s.get("required", [])
        # Required properties that are declared are checked as a bit mask over `props`.
        mask = sum(1 << names.index(r) for r in required if r in names)
        if mask:
            f.append(f"required_mask: {mask:#x}")
        others = [r for r in required if r not in names]
        if others:
            f.append("required: &[" + ", ".join(rust_str(r) for r in others) + "]")
        if "additionalProperties" in s:
            ap = s["additionalProperties"]
            if ap is False:
                f.append("additional: Additional::Deny")
            elif ap is not True and ap != {}:
                f.append(f"additional: Additional::Schema({self.node(ap)})")
        if "items" in s:
            f.append(f"items: Some({self.node(s['items'])})")
        if "maxItems" in s:
            f.append(f"max_items: Some({int(s['maxItems'])})")
        if "anyOf" in s:
            f.append("any_of: &[" + ", ".join(str(self.node(x)) for x in s["anyOf"]) + "]")
        if "allOf" in s:
            f.append("all_of: &[" + ", ".join(str(self.node(x)) for x in s["allOf"]) + "]")
        if "const" in s:
            f.append(f"konst: Some({rust_lit(s['const'])})")
        if "enum" in s:
            f.append("enumeration: &[" + ", ".join(rust_lit(v) for v in s["enum"]) + "]")
        if "minimum" in s:
            f.append(f"minimum: Some({rust_f64(s['minimum'])})")
        if "maximum" in s:
            f.append(f"maximum: Some({rust_f64(s['maximum'])})")
        return "Schema { " + ", ".join([*f, "..ANY"]) + " }"

    def compile(self) -> str:
        for name, s in self.defs.items():
            i = self.def_index[name]
            if isinstance(s, dict) and "$ref" in s and set(s) - ANNOTATIONS == {"$ref"}:
                # An alias definition: give it its own node that points at the target.
                self.nodes[i] = (
                    f"Schema {{ name: {rust_str(name)}, "
                    f"reference: Some({self.ref_target(s['$ref'])}), ..ANY }}"
                )
            else:
                self.nodes[i] = self.body(s, name) if isinstance(s, dict) else "Schema { ..ANY }"
        methods = self.methods()
        nodes = ",\n".join(f"    {n}" for n in self.nodes)
        defs = sorted(self.def_index.items())
        def_rows = ",\n".join(f"    ({rust_str(k)}, {v})" for k, v in defs)
        method_rows = ",\n".join(f"    {m}" for m in methods)
        return f"""//! MCP revision {self.version}, compiled from the official schema.json by
//! tools/gen_mcp_schema.py. Do not edit by hand.

#[allow(unused_imports)]
use crate::mcp::schema::{{Additional, Lit, Method, Revision, Schema, ANY}};
#[allow(unused_imports)]
use crate::mcp::schema::{{T_ARR, T_BOOL, T_INT, T_NULL, T_NUM, T_OBJ, T_STR}};

pub static REVISION: Revision = Revision {{
    version: {rust_str(self.version)},
    nodes: &NODES,
    defs: &DEFS,
    methods: &METHODS,
}};

static NODES: [Schema; {len(self.nodes)}] = [
{nodes}
];

/// Definition names, sorted for binary search.
static DEFS: [(&str, u16); {len(defs)}] = [
{def_rows}
];

/// Methods, sorted by name for binary search.
static METHODS: [Method; {len(methods)}] = [
{method_rows}
];
"""

    def methods(self) -> list[str]:
        rows: dict[str, str] = {}
        typed = {
            name: s
            for name, s in self.defs.items()
            if isinstance(s.get("properties", {}).get("method", {}).get("const"), str)
            and name.endswith(("Request", "Notification"))
            and not name.startswith(("Client", "Server"))  # unions that collapsed to one member
        }
        # In 2026-07-28 server-to-client requests exist only inside InputRequiredResult: their
        # types lack the envelope fields every wire request has, so they are not wire methods.
        enveloped = any("jsonrpc" in s.get("required", []) for s in typed.values())
        for name, s in typed.items():
            method = s["properties"]["method"]["const"]
            if enveloped and "jsonrpc" not in s.get("required", []):
                continue
            notification = name.endswith("Notification")
            result = "None" if notification else f"Some({self.result_node(name)})"
            if method in rows:
                raise SystemExit(f"{self.version}: method {method} defined twice")
            rows[method] = (
                f"Method {{ name: {rust_str(method)}, notification: {str(notification).lower()}, "
                f"message: {self.def_index[name]}, result: {result} }}"
            )
        return [rows[k] for k in sorted(rows)]

    def result_node(self, request_def: str) -> int:
        """The schema a successful response's `result` must match for this request type."""
        base = request_def.removesuffix("Request")
        response = self.defs.get(f"{base}ResultResponse")
        if response is not None:
            return self.node(response["properties"]["result"])
        for candidate in (f"{base}Result", "EmptyResult", "Result"):
            if candidate in self.def_index:
                return self.def_index[candidate]
        raise SystemExit(f"{self.version}: no result type for {request_def}")


def main() -> int:
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    schema_root = Path(args[0]) if args else ROOT.parent / "shared/mcp-schema"
    with tempfile.TemporaryDirectory() as tmp:
        written = []
        for version in REVISIONS:
            schema = json.loads((schema_root / version / "schema.json").read_text())
            path = Path(tmp) / f"r{version.replace('-', '_')}.rs"
            path.write_text(Compiler(version, corrected(schema)).compile())
            written.append(path)
        subprocess.run(["rustfmt", "--edition", "2021", *map(str, written)], check=True)
        stale = [
            p.name
            for p in written
            if not (OUT / p.name).is_file() or (OUT / p.name).read_text() != p.read_text()
        ]
        if check:
            if stale:
                print(f"out of date, rerun tools/gen_mcp_schema.py: {', '.join(stale)}")
                return 1
            return 0
        OUT.mkdir(parents=True, exist_ok=True)
        for p in written:
            shutil.copy(p, OUT / p.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
