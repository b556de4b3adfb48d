//! The axum webhook receiver over real HTTP on 127.0.0.1:0.
//!
//! `cargo test -p vt4g --features axum --test webhook_axum`
#![cfg(feature = "axum")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use vt4g::axum_webhook::WebhookReceiver;
use vt4g::dedupe::{InMemoryDeduper, Seen, WebhookDeduper};
use vt4g::webhook::{sign_webhook, VerifiedWebhook, WebhookScheme, WebhookVerifier};
use vt4g::Secret;

const CCID: &str = "A100000000000001069951cc";
const KEY: &str = "0123456789abcdef0123456789abcdef";
const BODY: &str = r#"{"result":{"status":"success","actionCode":"success","resultCode":"UA-000-001"},"order":{"paymentId":"p_1"}}"#;

struct Server {
    url: String,
    calls: Arc<AtomicUsize>,
    deduper: InMemoryDeduper,
    client: reqwest::Client,
}

/// Starts a receiver whose handler counts calls and fails while the body
/// has `result.message` "fail" (or panics on "panic").
async fn start() -> Server {
    let verifier =
        WebhookVerifier::new(CCID, Secret::new(KEY), WebhookScheme::Literal).expect("verifier");
    let verifier = verifier.with_max_body_size(4096);
    let deduper = InMemoryDeduper::new();
    let receiver = WebhookReceiver::new(verifier, Arc::new(deduper.clone()));
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let app: Router = Router::new().route(
        "/webhook",
        receiver.into_route(move |event: VerifiedWebhook| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let message = event
                    .payload
                    .result
                    .as_ref()
                    .and_then(|r| r.message.clone())
                    .unwrap_or_default();
                if message == "fail" {
                    return Err("merchant handler failed".to_owned());
                }
                if message == "panic" {
                    panic!("merchant handler panicked");
                }
                Ok(())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Server {
        url: format!("http://{addr}/webhook"),
        calls,
        deduper,
        client: reqwest::Client::new(),
    }
}

impl Server {
    async fn post(&self, id: &str, hmac: &str, body: &str) -> u16 {
        self.client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("X-VT-webhook-id", id)
            .header("X-VT-Content-hmac", hmac)
            .body(body.to_owned())
            .send()
            .await
            .expect("send")
            .status()
            .as_u16()
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// `true` when `id` is currently recorded (probes, then restores).
    async fn recorded(&self, id: &str) -> bool {
        let seen = self
            .deduper
            .check_and_record(id, SystemTime::now(), Duration::from_secs(60))
            .await
            .expect("dedupe");
        if seen == Seen::First {
            self.deduper.forget(id).await.expect("forget");
        }
        seen == Seen::Duplicate
    }
}

fn sign(body: &str) -> String {
    sign_webhook(
        WebhookScheme::Literal,
        CCID,
        &Secret::new(KEY),
        body.as_bytes(),
    )
    .expect("sign")
}

#[tokio::test]
async fn first_delivery_is_processed_and_redelivery_skipped() {
    let s = start().await;
    let h = sign(BODY);
    assert_eq!(s.post("wh-1", &h, BODY).await, 200);
    assert_eq!(s.calls(), 1);
    assert_eq!(s.post("wh-1", &h, BODY).await, 200);
    assert_eq!(s.calls(), 1, "a duplicate must not reach the handler");
    assert_eq!(s.post("wh-2", &h, BODY).await, 200);
    assert_eq!(s.calls(), 2);
}

#[tokio::test]
async fn bad_signature_is_rejected_without_side_effects() {
    let s = start().await;
    let h = sign(BODY);
    let tampered = BODY.replace("success", "failure");
    assert_eq!(s.post("wh-bad", &h, &tampered).await, 401);
    let other_ccid = h.replace(CCID, "OtherCcid");
    assert_eq!(s.post("wh-bad", &other_ccid, BODY).await, 401);
    assert_eq!(s.post("wh-bad", "h=HmacSHA512;s=x", BODY).await, 400);
    assert_eq!(s.post("wh bad", &h, BODY).await, 400);
    assert_eq!(s.calls(), 0);
    assert!(
        !s.recorded("wh-bad").await,
        "a forged request must record nothing"
    );
    // The genuine delivery with the same id is then processed.
    assert_eq!(s.post("wh-bad", &h, BODY).await, 200);
    assert_eq!(s.calls(), 1);
}

#[tokio::test]
async fn missing_headers_and_oversized_bodies_are_4xx() {
    let s = start().await;
    let status = s
        .client
        .post(&s.url)
        .body(BODY)
        .send()
        .await
        .expect("send")
        .status()
        .as_u16();
    assert_eq!(status, 400);
    let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(5000));
    assert_eq!(s.post("wh-big", &sign(&big), &big).await, 413);
    assert_eq!(s.calls(), 0);
    assert!(!s.recorded("wh-big").await);
}

#[tokio::test]
async fn handler_error_forgets_the_id_so_redelivery_is_processed() {
    let s = start().await;
    let body = r#"{"result":{"message":"fail"}}"#;
    let h = sign(body);
    assert_eq!(s.post("wh-f", &h, body).await, 500);
    assert_eq!(s.calls(), 1);
    assert!(!s.recorded("wh-f").await);
    assert_eq!(s.post("wh-f", &h, body).await, 500);
    assert_eq!(s.calls(), 2, "the redelivery must reach the handler again");
}

#[tokio::test]
async fn handler_panic_forgets_the_id() {
    let s = start().await;
    let body = r#"{"result":{"message":"panic"}}"#;
    let h = sign(body);
    assert_eq!(s.post("wh-p", &h, body).await, 500);
    assert_eq!(s.calls(), 1);
    assert!(!s.recorded("wh-p").await);
}

#[tokio::test]
async fn genuine_but_undecodable_body_is_500_and_not_recorded() {
    let s = start().await;
    let body = "not json";
    assert_eq!(s.post("wh-nj", &sign(body), body).await, 500);
    assert_eq!(s.calls(), 0);
    assert!(!s.recorded("wh-nj").await);
}
