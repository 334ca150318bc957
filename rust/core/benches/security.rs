//! Cost of the security primitives without the Python crossing: keyring seal/open by size,
//! HMAC-SHA256, and a full RFC 9421 sign + verify of a JSON POST.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mcproute_core::aead;
use mcproute_core::keyring::Keyring;
use mcproute_core::sign::{
    self, HmacKey, MemoryNonceStore, Request, SignOptions, Verifier, VerifyPolicy,
};
use std::hint::black_box;

const KEY: [u8; 32] = [7; 32];

fn aead_bench(c: &mut Criterion) {
    let ring = Keyring::with_limits(1 << 32, 1 << 32).unwrap();
    ring.add(1, &KEY).unwrap();
    let ad = aead::associated_data(b"tenant-7", b"ctx-0193");
    let mut g = c.benchmark_group("aes256gcm");
    for size in [64usize, 1024, 64 * 1024, 1024 * 1024] {
        let pt = vec![0x5a; size];
        let ct = ring.encrypt(&pt, &ad).unwrap().ciphertext;
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("keyring_encrypt", size), &pt, |b, pt| {
            b.iter(|| ring.encrypt(black_box(pt), &ad).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("keyring_decrypt", size), &ct, |b, ct| {
            b.iter(|| ring.decrypt(black_box(ct), &ad).unwrap())
        });
    }
    g.finish();
}

fn hmac_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("hmac_sha256");
    for size in [64usize, 1024] {
        let msg = vec![0x33; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("one_shot", size), &msg, |b, m| {
            b.iter(|| sign::hmac_sha256(&KEY, black_box(m)))
        });
    }
    g.finish();
}

fn rfc9421_bench(c: &mut Criterion) {
    let key = HmacKey::new(&KEY).unwrap();
    let verifier = Verifier::new(
        VerifyPolicy::default(),
        Box::new(MemoryNonceStore::new(50_000_000)),
    )
    .unwrap();
    verifier.set_key("k1", HmacKey::new(&KEY).unwrap()).unwrap();
    let url = "https://gateway.example.com/v1/chat/completions?stream=false";
    let body: &[u8] = br#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}"#;
    let opts = SignOptions {
        label: "sig1",
        components: &[],
        created: 1_700_000_000,
        expires: None,
        nonce: None,
        include_nonce: true,
        tag: None,
        include_alg: true,
    };
    c.bench_function("rfc9421/sign_verify", |b| {
        b.iter(|| {
            let base = [("Content-Type", "application/json")];
            let req = Request {
                method: "POST",
                target_uri: url,
                headers: &base,
            };
            let out = sign::sign(&key, "k1", req, Some(body), &opts).unwrap();
            let headers = [
                ("Content-Type", "application/json"),
                (
                    "Content-Digest",
                    out.content_digest.as_deref().unwrap_or(""),
                ),
                ("Signature-Input", out.signature_input.as_str()),
                ("Signature", out.signature.as_str()),
            ];
            let req = Request {
                headers: &headers,
                ..req
            };
            verifier
                .verify(req, Some(body), None, 1_700_000_000)
                .unwrap()
        })
    });
}

criterion_group!(benches, aead_bench, hmac_bench, rfc9421_bench);
criterion_main!(benches);
