//! Any bytes through the full message path: parse, envelope, per-revision validation.
//! Must never panic; accepted messages must re-parse to the same handle.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcproute_core::json::{Document, Limits};
use mcproute_core::mcp::{self, Checked, Options, SUPPORTED_VERSIONS};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    for version in SUPPORTED_VERSIONS {
        for result_of in [None, Some("tools/list"), Some("tools/call")] {
            let opts = Options {
                version: Some(version),
                result_of,
            };
            if let Ok(Checked::Single(h)) = mcp::parse(data, limits, &opts) {
                let (s, e) = h.span;
                let again = mcp::parse(&data[s..e], limits, &opts);
                assert!(matches!(again, Ok(Checked::Single(ref h2)) if h2.method == h.method));
            }
        }
    }
    if let Ok(doc) = Document::parse(data, limits) {
        let _ = doc.root().raw();
    }
});
