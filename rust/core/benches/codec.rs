//! Parse and validation cost of typical MCP messages.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mcproute_core::json::{Document, Limits};
use mcproute_core::mcp::{self, Options};
use std::hint::black_box;

const TOOLS_CALL: &[u8] = br#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_weather","arguments":{"location":"San Francisco, CA","units":"metric","days":3,"include":["hourly","alerts"],"lang":"en"},"_meta":{"progressToken":"tok-42"}}}"#;
const TOOLS_LIST: &[u8] = include_bytes!("tools_list_100k.json");

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("codec");
    for (name, msg, result_of) in [
        ("tools_call", TOOLS_CALL, None),
        ("tools_list_100k", TOOLS_LIST, Some("tools/list")),
    ] {
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_with_input(BenchmarkId::new("parse", name), msg, |b, m| {
            b.iter(|| Document::parse(black_box(m), Limits::default()).unwrap())
        });
        let opts = Options {
            version: Some("2025-11-25"),
            result_of,
        };
        g.bench_with_input(BenchmarkId::new("parse_validate", name), msg, |b, m| {
            b.iter(|| mcp::parse(black_box(m), Limits::default(), &opts).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("serde_json_value", name), msg, |b, m| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(m)).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
