//! Fuzzes `WebhookVerifier::verify`: split the input into a header value, a
//! webhook id and a body; verification must never panic, and must never accept
//! a body/header pair it did not sign (a random input cannot carry a valid MAC).
//! The second half re-signs the body and checks that it verifies and that a
//! flipped bit does not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vt4g::webhook::{sign_webhook, WebhookScheme, WebhookVerifier};
use vt4g::Secret;

const CCID: &str = "FuzzCcid";
const KEY: &str = "00112233445566778899aabbccddeeff";

fuzz_target!(|data: &[u8]| {
    let scheme = WebhookScheme::ALL[usize::from(data.first().copied().unwrap_or(0)) % 3];
    let data = data.get(1..).unwrap_or(&[]);
    let verifier = WebhookVerifier::new(CCID, Secret::new(KEY), scheme)
        .expect("valid config")
        .with_max_body_size(4096);

    // Random header / id / body, separated by 0xFF bytes.
    let mut parts = data.splitn(3, |&b| b == 0xff);
    let header = std::str::from_utf8(parts.next().unwrap_or(&[])).unwrap_or("");
    let id = std::str::from_utf8(parts.next().unwrap_or(&[])).unwrap_or("");
    let body = parts.next().unwrap_or(&[]);
    let _ = verifier.verify(header, id, body);

    // Genuine signature over the whole input: verifies; a flipped bit does not.
    if data.len() <= 4096 {
        let signed = sign_webhook(scheme, CCID, &Secret::new(KEY), data).expect("sign");
        assert!(verifier.verify_signature(&signed, "fuzz-id", data).is_ok());
        if !data.is_empty() {
            let mut flipped = data.to_vec();
            let i = usize::from(data[0]) % flipped.len();
            flipped[i] ^= 1 << (data[data.len() - 1] % 8);
            assert!(verifier
                .verify_signature(&signed, "fuzz-id", &flipped)
                .is_err());
        }
    }
});
