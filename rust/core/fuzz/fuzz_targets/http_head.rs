//! Any bytes through the upstream response head parser: never a panic; a complete head lies
//! within the input, ends with its blank line and reads the same with or without the bytes
//! after it; no prefix of it is a complete head.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcproute_core::http_head::{parse_response_head, BodyFraming};

fuzz_target!(|data: &[u8]| {
    let Ok(Some(head)) = parse_response_head(data) else {
        return;
    };
    assert!(head.len <= data.len());
    assert!(head.fields_start <= head.len);
    assert!(data[..head.len].ends_with(b"\r\n\r\n"));
    assert!((100..=999).contains(&head.status));
    if head.framing == BodyFraming::UntilClose {
        assert!(!head.keep_alive);
    }
    assert_eq!(parse_response_head(&data[..head.len]), Ok(Some(head)));
    for cut in [head.len - 1, head.len / 2, head.fields_start] {
        if cut < head.len {
            assert!(!matches!(parse_response_head(&data[..cut]), Ok(Some(_))));
        }
    }
});
