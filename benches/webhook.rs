//! Webhook verification speed on a 2 KiB body.
//!
//! `cargo bench -p vt4g --bench webhook`
//!
//! - `bare_hmac_sha512`: `Hmac<Sha512>` keyed, fed the same 2 KiB, finalized
//!   (the baseline; the goal is verify ≥ 0.8× its rate).
//! - `verify_signature`: `WebhookVerifier::verify_signature` (header parse,
//!   id and size checks, MAC over CCID ‖ body ‖ key, constant-time compare).
//! - `verify_with_decode`: `WebhookVerifier::verify` (the above plus JSON decode
//!   into the generated `WebhookPayload`).
//! - `sha512`: bare SHA-512 of the 2 KiB, to compare with
//!   `openssl speed -evp sha512 -bytes 2048`.
//!
//! sha2 0.11 picks its SHA-512 backend at run time;
//! `RUSTFLAGS='--cfg sha2_512_backend="soft"'` forces the portable one and
//! `RUSTFLAGS='-C target-cpu=native'` removes the detection. The figures of
//! each build are in BENCHMARKS.md (section 1).
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha512};
use std::hint::black_box;
use vt4g::webhook::{sign_webhook, WebhookScheme, WebhookVerifier};
use vt4g::Secret;

const KEY: &str = "0123456789abcdef0123456789abcdef";
const CCID: &str = "A100000000000001069951cc";

/// A JSON body of exactly 2048 bytes.
fn body_2k() -> Vec<u8> {
    let head = r#"{"result":{"status":"success","actionCode":"success","resultCode":"UA-000-001"},"order":{"paymentId":"paymentId_1234567890","amount":"10000","memo":""#;
    let tail = r#""}}"#;
    let pad = 2048 - head.len() - tail.len();
    let mut s = String::with_capacity(2048);
    s.push_str(head);
    s.push_str(&"x".repeat(pad));
    s.push_str(tail);
    assert_eq!(s.len(), 2048);
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let body = body_2k();
    let key = Secret::new(KEY);
    let header = sign_webhook(WebhookScheme::Literal, CCID, &key, &body).expect("sign");
    let verifier = WebhookVerifier::new(CCID, key, WebhookScheme::Literal).expect("verifier");
    verifier
        .verify(&header, "01HG79DYJS6MJBN8BRS0HAQ38X", &body)
        .expect("the benchmark input verifies");

    let mut g = c.benchmark_group("webhook_2KiB");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("bare_hmac_sha512", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha512>::new_from_slice(black_box(KEY.as_bytes())).expect("key");
            mac.update(black_box(&body));
            black_box(mac.finalize().into_bytes())
        })
    });
    g.bench_function("verify_signature", |b| {
        b.iter(|| {
            verifier
                .verify_signature(
                    black_box(&header),
                    black_box("01HG79DYJS6MJBN8BRS0HAQ38X"),
                    black_box(&body),
                )
                .expect("verifies")
        })
    });
    g.bench_function("verify_with_decode", |b| {
        b.iter(|| {
            verifier
                .verify(
                    black_box(&header),
                    black_box("01HG79DYJS6MJBN8BRS0HAQ38X"),
                    black_box(&body),
                )
                .expect("verifies")
        })
    });
    g.bench_function("sha512", |b| {
        b.iter(|| black_box(Sha512::digest(black_box(&body))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
