//! Any bytes through the client request head parser: never a panic; a complete head lies
//! within the input, ends with its blank line, keeps within the limits and reads the same
//! with or without the bytes after it; no prefix of it is a complete head.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcproute_core::http_request::{parse_request_head, RequestFraming, MAX_HEADERS, MAX_LINE};

fuzz_target!(|data: &[u8]| {
    let Ok(Some(head)) = parse_request_head(data) else {
        return;
    };
    assert!(head.len <= data.len());
    let bytes = &data[..head.len];
    assert!(bytes.ends_with(b"\r\n\r\n"));
    assert!(head.minor <= 1);
    assert!(head.headers.len() <= MAX_HEADERS);
    assert!(bytes.split(|&b| b == b'\n').all(|line| line.len() <= MAX_LINE + 1));
    let lengths = head
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .count();
    let codings = head
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("transfer-encoding"))
        .count();
    match head.framing {
        RequestFraming::Length(_) => assert_eq!((lengths, codings), (1, 0)),
        RequestFraming::Chunked => assert_eq!((lengths, codings), (0, 1)),
        RequestFraming::None => assert_eq!((lengths, codings), (0, 0)),
    }
    assert_eq!(parse_request_head(bytes), Ok(Some(head.clone())));
    for cut in [head.len - 1, head.len - 2, head.len / 2] {
        assert!(!matches!(parse_request_head(&data[..cut]), Ok(Some(_))));
    }
});
