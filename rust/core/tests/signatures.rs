//! RFC 9421 signatures: the RFC's own HMAC example, round trips, and every rejection reason.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mcproute_core::sign::{
    self, Coverage, HmacKey, MemoryNonceStore, Request, SignError, SignOptions, Verifier,
    VerifyPolicy,
};

const B25_KEY: &str =
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";
const NOW: i64 = 1_700_000_000;
const KEY: [u8; 32] = [0x42; 32];

fn verifier(policy: VerifyPolicy) -> Verifier {
    let v = Verifier::new(policy, Box::new(MemoryNonceStore::new(16))).unwrap();
    v.set_key("k1", HmacKey::new(&KEY).unwrap()).unwrap();
    v
}

fn opts(created: i64) -> SignOptions<'static> {
    SignOptions {
        label: "sig1",
        components: &[],
        created,
        expires: None,
        nonce: None,
        include_nonce: true,
        tag: None,
        include_alg: false,
    }
}

const URI: &str = "https://api.example.com/v1/chat?stream=true";
const BODY: &[u8] = br#"{"model":"m"}"#;

/// Signs a POST with a JSON body and returns the headers as the verifier will see them.
fn signed(o: &SignOptions<'_>) -> Vec<(String, String)> {
    let base = [("Content-Type", "application/json")];
    let req = Request {
        method: "POST",
        target_uri: URI,
        headers: &base,
    };
    let out = sign::sign(&HmacKey::new(&KEY).unwrap(), "k1", req, Some(BODY), o).unwrap();
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("Content-Digest".into(), out.content_digest.unwrap()),
        ("Signature-Input".into(), out.signature_input),
        ("Signature".into(), out.signature),
    ]
}

fn check(
    v: &Verifier,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    now: i64,
) -> Result<sign::Verified, SignError> {
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    v.verify(
        Request {
            method: "POST",
            target_uri: URI,
            headers: &h,
        },
        body,
        None,
        now,
    )
}

fn replace(headers: &mut [(String, String)], name: &str, value: String) {
    headers.iter_mut().find(|(n, _)| n == name).unwrap().1 = value;
}

#[test]
fn rfc9421_b25_hmac_example() {
    let key = STANDARD.decode(B25_KEY).unwrap();
    let v = Verifier::new(
        VerifyPolicy {
            require_nonce: false,
            coverage: Coverage::Components(vec![]),
            ..Default::default()
        },
        Box::new(MemoryNonceStore::new(4)),
    )
    .unwrap();
    v.set_key("test-shared-secret", HmacKey::new(&key).unwrap())
        .unwrap();
    let headers = [
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        ("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"),
        ("Content-Length", "18"),
        ("Signature-Input", r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#),
        ("Signature", "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"),
    ];
    let req = Request {
        method: "POST",
        target_uri: "https://example.com/foo?param=Value&Pet=dog",
        headers: &headers,
    };
    let ok = v.verify(req, None, None, 1_618_884_473 + 10).unwrap();
    // Our signer reproduces the RFC's signature byte for byte.
    let ours = sign::sign(
        &HmacKey::new(&key).unwrap(),
        "test-shared-secret",
        Request {
            headers: &headers[..5],
            ..req
        },
        None,
        &SignOptions {
            label: "sig-b25",
            components: &["date", "@authority", "content-type"],
            created: 1_618_884_473,
            expires: None,
            nonce: None,
            include_nonce: false,
            tag: None,
            include_alg: false,
        },
    )
    .unwrap();
    assert_eq!(ours.signature_input, headers[5].1);
    assert_eq!(ours.signature, headers[6].1);
    assert_eq!(ok.label, "sig-b25");
    assert_eq!(ok.components, ["date", "@authority", "content-type"]);
    // One changed covered header breaks it.
    let mut tampered = headers;
    tampered[2].1 = "text/plain";
    let req = Request {
        headers: &tampered,
        ..req
    };
    assert_eq!(
        v.verify(req, None, None, 1_618_884_480),
        Err(SignError::BadSignature)
    );
}

#[test]
fn round_trip_with_profile() {
    let v = verifier(VerifyPolicy::default());
    let mut o = opts(NOW);
    o.tag = Some("mcproute");
    let headers = signed(&o);
    let ok = check(&v, &headers, Some(BODY), NOW + 299).unwrap();
    assert_eq!(ok.key_id, "k1");
    assert_eq!(
        ok.components,
        ["@method", "@target-uri", "content-type", "content-digest"]
    );
    assert_eq!(ok.tag.as_deref(), Some("mcproute"));
}

#[test]
fn time_window_both_directions() {
    let v = verifier(VerifyPolicy::default());
    let headers = signed(&opts(NOW));
    assert_eq!(
        check(&v, &headers, Some(BODY), NOW + 301).unwrap_err(),
        SignError::Expired
    );
    assert_eq!(
        check(&v, &headers, Some(BODY), NOW - 301).unwrap_err(),
        SignError::NotYetValid
    );
    let mut o = opts(NOW);
    o.expires = Some(NOW + 5);
    let headers = signed(&o);
    assert_eq!(
        check(&v, &headers, Some(BODY), NOW + 6).unwrap_err(),
        SignError::Expired
    );
}

#[test]
fn replayed_nonce_and_cache_bound() {
    let v = verifier(VerifyPolicy::default());
    let headers = signed(&opts(NOW));
    check(&v, &headers, Some(BODY), NOW).unwrap();
    assert_eq!(
        check(&v, &headers, Some(BODY), NOW + 1).unwrap_err(),
        SignError::ReplayedNonce
    );
    // Sixteen more live nonces fill the cache (capacity 16, one already used): fail closed.
    let mut last = Ok(());
    for _ in 0..16 {
        last = check(&v, &signed(&opts(NOW)), Some(BODY), NOW).map(|_| ());
    }
    assert_eq!(last, Err(SignError::ReplayCacheFull));
    // Once the window has passed, old nonces are forgotten and the cache has room again.
    check(&v, &signed(&opts(NOW + 400)), Some(BODY), NOW + 400).unwrap();
}

#[test]
fn every_rejection_has_its_reason() {
    let v = verifier(VerifyPolicy::default());
    let good = signed(&opts(NOW));

    let mut h = good.clone();
    replace(&mut h, "Signature-Input", "sig1=(\"@method\"".into());
    assert_eq!(
        check(&v, &h, Some(BODY), NOW).unwrap_err().reason(),
        "malformed_signature_input"
    );

    let mut h = good.clone();
    replace(&mut h, "Signature", "sig1=:not base64!:".into());
    assert_eq!(
        check(&v, &h, Some(BODY), NOW).unwrap_err().reason(),
        "malformed_signature"
    );

    let h: Vec<_> = good
        .iter()
        .filter(|(n, _)| n != "Signature")
        .cloned()
        .collect();
    assert_eq!(
        check(&v, &h, Some(BODY), NOW).unwrap_err(),
        SignError::MissingSignature
    );

    let mut h = good.clone();
    let sig = good[3].1.replace("sig1=:", "");
    let mut raw = STANDARD.decode(sig.trim_end_matches(':')).unwrap();
    raw[0] ^= 1;
    replace(
        &mut h,
        "Signature",
        format!("sig1=:{}:", STANDARD.encode(raw)),
    );
    assert_eq!(
        check(&v, &h, Some(BODY), NOW).unwrap_err(),
        SignError::BadSignature
    );

    let mut h = good.clone();
    replace(
        &mut h,
        "Signature-Input",
        good[2].1.replace("keyid=\"k1\"", "keyid=\"nope\""),
    );
    assert_eq!(
        check(&v, &h, Some(BODY), NOW).unwrap_err(),
        SignError::UnknownKeyId
    );

    let mut h = good.clone();
    replace(
        &mut h,
        "Signature-Input",
        format!("{};alg=\"rsa-pss-sha512\"", good[2].1),
    );
    assert_eq!(
        check(&v, &h, Some(BODY), NOW).unwrap_err(),
        SignError::AlgorithmMismatch
    );

    assert_eq!(
        check(&v, &good, Some(b"{\"model\":\"x\"}"), NOW).unwrap_err(),
        SignError::ContentDigestMismatch
    );
    assert_eq!(
        check(&v, &good, None, NOW).unwrap_err().reason(),
        "content_digest_required"
    );

    let mut h = good.clone();
    replace(
        &mut h,
        "Signature-Input",
        good[2].1.replace(";created=", ";x=1;created="),
    );
    assert_eq!(
        check(&v, &h, Some(BODY), NOW).unwrap_err().reason(),
        "invalid_parameter"
    );

    let mut h = good.clone();
    replace(
        &mut h,
        "Signature-Input",
        r#"sig1=("@method");keyid="k1";nonce="n""#.into(),
    );
    assert_eq!(
        check(&v, &h, Some(BODY), NOW).unwrap_err(),
        SignError::MissingParameter("created")
    );

    let mut o = opts(NOW);
    o.components = &["@method", "content-digest"];
    assert_eq!(
        check(&v, &signed(&o), Some(BODY), NOW)
            .unwrap_err()
            .reason(),
        "component_not_covered"
    );

    let tagged = verifier(VerifyPolicy {
        expected_tag: Some("app".into()),
        ..Default::default()
    });
    assert_eq!(
        check(&tagged, &good, Some(BODY), NOW).unwrap_err(),
        SignError::TagMismatch
    );
}

#[test]
fn garbage_never_panics() {
    let v = verifier(VerifyPolicy::default());
    let inputs = [
        "",
        "=",
        "sig1",
        "sig1=",
        "sig1=(",
        "sig1=()",
        "sig1=(\"a\" ",
        "sig1=(\"\\x\")",
        "sig1=(1 2);created=",
        "sig1=(\"@method\");created=99999999999999999",
        "sig1=(\"@method\");created=1.5",
        "SIG=()",
        "sig1=(\"@method\";req)",
        "sig1=(\"@signature-params\")",
        "sig1=(\"@nope\")",
        "a=?2",
        "a=:::",
        "sig1=(\"@method\"),",
        "sig1=(), sig1=()",
        "\u{7f}",
        "sig1=(\"\u{e9}\")",
    ];
    for input in inputs {
        let headers = vec![
            ("Signature-Input".to_owned(), input.to_owned()),
            ("Signature".to_owned(), "sig1=:AAAA:".to_owned()),
        ];
        assert!(check(&v, &headers, None, NOW).is_err(), "{input:?}");
    }
}
