//! Published vectors: Wycheproof AES-GCM and HMAC-SHA256 (from the shared vector directory) and
//! RFC 4231. Every case in each file is accounted for; none is skipped silently.

use std::path::PathBuf;

use mcproute_core::aead::{self, AeadError};
use mcproute_core::sign::{hmac_sha256, hmac_sha256_verify};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use serde_json::Value;

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn wycheproof(name: &str) -> Value {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "../../../shared/vectors/wycheproof",
        name,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector JSON")
}

fn field(t: &Value, k: &str) -> Vec<u8> {
    hex(t[k].as_str().unwrap_or_else(|| panic!("field {k}")))
}

#[test]
fn wycheproof_aes_gcm_every_case() {
    let doc = wycheproof("aes_gcm_test.json");
    let (mut total, mut ran_ours, mut ran_ring128, mut rejected_params) = (0, 0, 0, 0);
    for group in doc["testGroups"].as_array().unwrap() {
        for t in group["tests"].as_array().unwrap() {
            total += 1;
            let id = &t["tcId"];
            let (key, iv, aad, msg) = (
                field(t, "key"),
                field(t, "iv"),
                field(t, "aad"),
                field(t, "msg"),
            );
            let (ct, tag) = (field(t, "ct"), field(t, "tag"));
            let valid = t["result"] == "valid";
            let ours = aead::open_raw(&key, &iv, &aad, &ct, &tag);
            let expressible = key.len() == 32 && iv.len() == 12 && tag.len() == 16;
            if expressible {
                ran_ours += 1;
                if valid {
                    assert_eq!(
                        ours.as_deref(),
                        Ok(&msg[..]),
                        "tc {id}: valid case must open"
                    );
                    let sealed = aead::seal_raw_for_test_vectors(&key, &iv, &aad, &msg).unwrap();
                    assert_eq!(sealed, [ct.as_slice(), &tag].concat(), "tc {id}: seal");
                } else {
                    assert_eq!(
                        ours,
                        Err(AeadError::AuthenticationFailed),
                        "tc {id}: invalid case"
                    );
                }
                continue;
            }
            // Our API is AES-256 with 96-bit nonces and 128-bit tags: anything else is refused by
            // a length check before any decryption.
            rejected_params += 1;
            let expected = if key.len() != 32 {
                AeadError::InvalidKeyLength(key.len())
            } else if iv.len() != 12 {
                AeadError::InvalidNonceLength(iv.len())
            } else {
                AeadError::InvalidTagLength(tag.len())
            };
            assert_eq!(
                ours,
                Err(expected),
                "tc {id}: unsupported parameters must be rejected"
            );
            // AES-128 with a 96-bit nonce is still checked through the raw primitive.
            if key.len() == 16 && iv.len() == 12 {
                ran_ring128 += 1;
                let k = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
                let mut buf = [ct.as_slice(), &tag].concat();
                let nonce = Nonce::try_assume_unique_for_key(&iv).unwrap();
                let opened = k
                    .open_in_place(nonce, Aad::from(&aad), &mut buf)
                    .map(|p| p.to_vec());
                assert_eq!(opened.is_ok(), valid, "tc {id}: AES-128 primitive");
                if valid {
                    assert_eq!(opened.unwrap(), msg, "tc {id}");
                }
            }
        }
    }
    assert_eq!(total, doc["numberOfTests"].as_u64().unwrap());
    assert_eq!(ran_ours + rejected_params, total);
    assert!(
        ran_ours >= 60 && ran_ring128 >= 60,
        "{ran_ours} {ran_ring128}"
    );
}

#[test]
fn wycheproof_hmac_sha256_every_case() {
    let doc = wycheproof("hmac_sha256_test.json");
    let mut total = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let tag_bytes = group["tagSize"].as_u64().unwrap() as usize / 8;
        for t in group["tests"].as_array().unwrap() {
            total += 1;
            let (key, msg, tag) = (field(t, "key"), field(t, "msg"), field(t, "tag"));
            let valid = t["result"] == "valid";
            assert_eq!(
                hmac_sha256_verify(&key, &msg, &tag),
                valid,
                "tc {}: {}",
                t["tcId"],
                t["comment"]
            );
            if valid {
                assert_eq!(&hmac_sha256(&key, &msg)[..tag_bytes], &tag[..]);
            }
        }
    }
    assert_eq!(total, doc["numberOfTests"].as_u64().unwrap());
}

#[test]
fn rfc4231_hmac_sha256() {
    let aa131 = vec![0xaau8; 131];
    let cases: [(Vec<u8>, Vec<u8>, &str); 7] = [
        (vec![0x0b; 20], b"Hi There".to_vec(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec(), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (vec![0xaa; 20], vec![0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        ((1u8..=25).collect(), vec![0xcd; 50], "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        (vec![0x0c; 20], b"Test With Truncation".to_vec(), "a3b6167473100ee06e0c796c2955552b"),
        (aa131.clone(), b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (aa131, b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ];
    for (n, (key, msg, want)) in cases.iter().enumerate() {
        let want = hex(want);
        assert_eq!(
            &hmac_sha256(key, msg)[..want.len()],
            &want[..],
            "RFC 4231 case {}",
            n + 1
        );
        assert!(hmac_sha256_verify(key, msg, &want), "case {}", n + 1);
        let mut bad = want.clone();
        bad[0] ^= 1;
        assert!(!hmac_sha256_verify(key, msg, &bad), "case {}", n + 1);
    }
}
