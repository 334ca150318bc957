//! Any bytes, in any chunking, through the AWS event-stream decoder: never a panic, and the
//! messages of one feed equal those of the same bytes fed in two pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcproute_core::eventstream::Decoder;

fuzz_target!(|data: &[u8]| {
    let mut whole = Decoder::new();
    let all = whole.feed(data);
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let mut split = Decoder::new();
    let first = split.feed(&data[..cut]);
    let second = first.as_ref().ok().map(|_| split.feed(&data[cut..]));
    if let (Ok(all), Ok(head), Some(Ok(tail))) = (&all, &first, &second) {
        let joined: Vec<_> = head.iter().chain(tail.iter()).cloned().collect();
        assert_eq!(all, &joined);
    }
    if all.is_err() {
        assert!(whole.feed(b"").is_err());
    }
});
