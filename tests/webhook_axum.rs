//! The axum webhook receiver over real HTTP on 127.0.0.1:0.
//!
//! `cargo test -p vt4g --features axum --test webhook_axum`
#![cfg(feature = "axum")]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use tokio::sync::{Notify, Semaphore};
use vt4g::axum_webhook::WebhookReceiver;
use vt4g::dedupe::{
    Applied, Claim, DedupeError, EffectKey, InMemoryDeduper, InMemoryEffects, LeaseStatus,
    LeaseToken, ManualClock, WebhookDeduper,
};
use vt4g::webhook::{sign_webhook, VerifiedWebhook, WebhookScheme, WebhookVerifier};
use vt4g::Secret;

const CCID: &str = "A100000000000001069951cc";
const KEY: &str = "0123456789abcdef0123456789abcdef";
const BODY: &str = r#"{"result":{"status":"success","actionCode":"success","resultCode":"UA-000-001"},"order":{"paymentId":"p_1"},"transaction":{"command":"capture","fepReferenceId":"ref-1"}}"#;
const LEASE: Duration = Duration::from_secs(60);

/// What the test handler shares with the test.
struct Probe {
    /// Handler calls.
    calls: AtomicUsize,
    /// Handler calls that returned `Ok`.
    succeeded: AtomicUsize,
    /// While set, the handler fails ("message" aside).
    failing: AtomicBool,
    /// Signalled when a handler call starts.
    entered: Notify,
    /// "slow" handlers wait for a permit here.
    gate: Semaphore,
    /// Effects applied through the handler-level idempotency helper.
    effects: AtomicUsize,
    log: InMemoryEffects,
}

impl Default for Probe {
    fn default() -> Self {
        Probe {
            calls: AtomicUsize::new(0),
            succeeded: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            entered: Notify::new(),
            gate: Semaphore::new(0),
            effects: AtomicUsize::new(0),
            log: InMemoryEffects::new(),
        }
    }
}

struct Server {
    url: String,
    probe: Arc<Probe>,
    client: reqwest::Client,
    /// Present when the server runs on a runtime of its own ("process").
    runtime: Option<tokio::runtime::Runtime>,
}

/// A receiver whose handler counts calls, applies its effect once per
/// [`EffectKey`], fails on `result.message` "fail" (or while `failing`),
/// panics on "panic", waits for the gate on "slow" and never ends on "hang".
fn app(deduper: Arc<dyn WebhookDeduper>, lease: Duration, probe: Arc<Probe>) -> Router {
    let verifier =
        WebhookVerifier::new(CCID, Secret::new(KEY), WebhookScheme::Literal).expect("verifier");
    let verifier = verifier.with_max_body_size(4096);
    let receiver = WebhookReceiver::new(verifier, deduper).with_lease(lease);
    Router::new().route(
        "/webhook",
        receiver.into_route(move |event: VerifiedWebhook| {
            let probe = Arc::clone(&probe);
            async move {
                probe.calls.fetch_add(1, Ordering::SeqCst);
                probe.entered.notify_one();
                let message = event
                    .payload
                    .result
                    .as_ref()
                    .and_then(|r| r.message.clone())
                    .unwrap_or_default();
                match message.as_str() {
                    "fail" => return Err("merchant handler failed".to_owned()),
                    "panic" => panic!("merchant handler panicked"),
                    "slow" => {
                        probe.gate.acquire().await.expect("gate").forget();
                    }
                    "hang" => std::future::pending::<()>().await,
                    _ => {}
                }
                if probe.failing.load(Ordering::SeqCst) {
                    return Err("merchant handler failing".to_owned());
                }
                if let Ok(key) = EffectKey::for_webhook(&event) {
                    let applied = probe
                        .log
                        .once(&key, || async {
                            probe.effects.fetch_add(1, Ordering::SeqCst);
                            Ok::<_, String>(())
                        })
                        .await
                        .map_err(|e| e.to_string())?;
                    let _ = applied.ran_now();
                }
                probe.succeeded.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }),
    )
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    format!("http://{addr}/webhook")
}

async fn start_with(deduper: Arc<dyn WebhookDeduper>, lease: Duration) -> Server {
    let probe = Arc::new(Probe::default());
    let url = serve(app(deduper, lease, Arc::clone(&probe))).await;
    Server {
        url,
        probe,
        client: reqwest::Client::new(),
        runtime: None,
    }
}

async fn start() -> (Server, InMemoryDeduper) {
    let deduper = InMemoryDeduper::new();
    (start_with(Arc::new(deduper.clone()), LEASE).await, deduper)
}

/// A receiver on a runtime of its own, standing in for a receiver process:
/// dropping the runtime stops its tasks where they are, without any cleanup,
/// as a SIGKILL would.
fn start_process(deduper: Arc<dyn WebhookDeduper>) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let probe = Arc::new(Probe::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let url = format!("http://{}/webhook", listener.local_addr().expect("addr"));
    let app = app(deduper, LEASE, Arc::clone(&probe));
    rt.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        axum::serve(listener, app).await.expect("serve");
    });
    Server {
        url,
        probe,
        client: reqwest::Client::new(),
        runtime: Some(rt),
    }
}

impl Server {
    async fn send(&self, id: &str, hmac: &str, body: &str) -> reqwest::Response {
        self.client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("X-VT-webhook-id", id)
            .header("X-VT-Content-hmac", hmac)
            .body(body.to_owned())
            .send()
            .await
            .expect("send")
    }

    async fn post(&self, id: &str, hmac: &str, body: &str) -> u16 {
        self.send(id, hmac, body).await.status().as_u16()
    }

    fn calls(&self) -> usize {
        self.probe.calls.load(Ordering::SeqCst)
    }

    fn effects(&self) -> usize {
        self.probe.effects.load(Ordering::SeqCst)
    }

    /// "SIGKILL": stops the server's runtime with its tasks mid-way.
    fn kill(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// What `deduper` holds for `id`: "absent", "processing" or "done" (probes by
/// claiming; a successful probe is released again).
async fn state(deduper: &dyn WebhookDeduper, id: &str) -> &'static str {
    match deduper.claim(id, LEASE).await.expect("dedupe") {
        Claim::Claimed(token) => {
            assert_eq!(
                deduper.release(id, &token).await.expect("release"),
                LeaseStatus::Held
            );
            "absent"
        }
        Claim::InProgress { .. } => "processing",
        Claim::AlreadyDone => "done",
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

fn with_message(message: &str) -> String {
    format!(r#"{{"result":{{"message":"{message}"}},"order":{{"paymentId":"p_{message}"}}}}"#)
}

#[tokio::test]
async fn first_delivery_is_processed_and_redelivery_skipped() {
    let (s, d) = start().await;
    let h = sign(BODY);
    assert_eq!(s.post("wh-1", &h, BODY).await, 200);
    assert_eq!(s.calls(), 1);
    assert_eq!(state(&d, "wh-1").await, "done");
    let resp = s.send("wh-1", &h, BODY).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "duplicate");
    assert_eq!(s.calls(), 1, "a duplicate must not reach the handler");
    assert_eq!(s.post("wh-2", &h, BODY).await, 200);
    assert_eq!(s.calls(), 2);
}

#[tokio::test]
async fn bad_signature_is_rejected_without_side_effects() {
    let (s, d) = start().await;
    let h = sign(BODY);
    let tampered = BODY.replace("success", "failure");
    assert_eq!(s.post("wh-bad", &h, &tampered).await, 401);
    let other_ccid = h.replace(CCID, "OtherCcid");
    assert_eq!(s.post("wh-bad", &other_ccid, BODY).await, 401);
    assert_eq!(s.post("wh-bad", "h=HmacSHA512;s=x", BODY).await, 400);
    assert_eq!(s.post("wh bad", &h, BODY).await, 400);
    assert_eq!(s.calls(), 0);
    assert_eq!(
        state(&d, "wh-bad").await,
        "absent",
        "a forged request must record nothing"
    );
    // The genuine delivery with the same id is then processed.
    assert_eq!(s.post("wh-bad", &h, BODY).await, 200);
    assert_eq!(s.calls(), 1);
}

#[tokio::test]
async fn missing_headers_and_oversized_bodies_are_4xx() {
    let (s, d) = start().await;
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
    assert_eq!(state(&d, "wh-big").await, "absent");
}

#[tokio::test]
async fn handler_error_releases_the_id_so_redelivery_is_processed() {
    let (s, d) = start().await;
    let body = with_message("fail");
    let h = sign(&body);
    assert_eq!(s.post("wh-f", &h, &body).await, 500);
    assert_eq!(s.calls(), 1);
    assert_eq!(state(&d, "wh-f").await, "absent");
    assert_eq!(s.post("wh-f", &h, &body).await, 500);
    assert_eq!(s.calls(), 2, "the redelivery must reach the handler again");
}

#[tokio::test]
async fn handler_panic_releases_the_id() {
    let (s, d) = start().await;
    let body = with_message("panic");
    let h = sign(&body);
    assert_eq!(s.post("wh-p", &h, &body).await, 500);
    assert_eq!(s.calls(), 1);
    assert_eq!(state(&d, "wh-p").await, "absent");
}

#[tokio::test]
async fn genuine_but_undecodable_body_is_500_and_not_recorded() {
    let (s, d) = start().await;
    let body = "not json";
    assert_eq!(s.post("wh-nj", &sign(body), body).await, 500);
    assert_eq!(s.calls(), 0);
    assert_eq!(state(&d, "wh-nj").await, "absent");
}

/// A redelivery that arrives while the first delivery's handler is still
/// running must not be acknowledged: the first may yet fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_during_a_slow_first_delivery_is_not_acknowledged() {
    let (s, d) = start().await;
    let s = Arc::new(s);
    let body = with_message("slow");
    let h = sign(&body);
    let entered = s.probe.entered.notified();
    let first = {
        let (s, h, body) = (Arc::clone(&s), h.clone(), body.clone());
        tokio::spawn(async move { s.post("wh-slow", &h, &body).await })
    };
    entered.await;
    let resp = s.send("wh-slow", &h, &body).await;
    assert_eq!(resp.status().as_u16(), 409, "redelivery during processing");
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=LEASE.as_secs()).contains(&retry_after),
        "{retry_after}"
    );
    assert_eq!(s.calls(), 1, "the redelivery must not run the handler");
    assert_eq!(state(&d, "wh-slow").await, "processing");
    s.probe.gate.add_permits(1);
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(s.post("wh-slow", &h, &body).await, 200);
    assert_eq!(s.calls(), 1);
}

/// A receiver killed mid-handler leaves its claim behind; once the lease has
/// expired, the redelivery (to another receiver on the same store) runs the
/// handler — never a 200 for a handler that did not succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_mid_handler_is_taken_over_after_its_lease() {
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_790_000_000));
    let store = InMemoryDeduper::with_clock(Arc::new(clock.clone()));
    let mut dying = start_process(Arc::new(store.clone()));
    let body = with_message("hang");
    let h = sign(&body);
    let entered = dying.probe.entered.notified();
    let send = {
        let (client, url, h, body) = (dying.client.clone(), dying.url.clone(), h.clone(), body);
        tokio::spawn(async move {
            client
                .post(&url)
                .header("X-VT-webhook-id", "wh-kill")
                .header("X-VT-Content-hmac", h)
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    entered.await;
    dying.kill();
    assert!(
        !matches!(send.await.unwrap(), Ok(200)),
        "a killed handler was acknowledged"
    );
    assert_eq!(dying.probe.succeeded.load(Ordering::SeqCst), 0);

    let next = start_with(Arc::new(store.clone()), LEASE).await;
    // The redelivery carries a body whose handler succeeds, to see whether
    // the new receiver runs it.
    let ok_body = BODY;
    let ok_h = sign(ok_body);
    assert_eq!(
        next.post("wh-kill", &ok_h, ok_body).await,
        409,
        "lease still live"
    );
    assert_eq!(next.calls(), 0);
    clock.advance(LEASE);
    assert_eq!(next.post("wh-kill", &ok_h, ok_body).await, 200);
    assert_eq!(next.calls(), 1, "the redelivery must run the handler");
    assert_eq!(next.post("wh-kill", &ok_h, ok_body).await, 200);
    assert_eq!(next.calls(), 1);
}

/// A store that fails chosen calls (standing in for a database outage at
/// that moment) and otherwise delegates to the real in-memory store.
#[derive(Debug)]
struct Flaky {
    inner: InMemoryDeduper,
    fail_release: AtomicBool,
    fail_complete: AtomicBool,
}

#[async_trait::async_trait]
impl WebhookDeduper for Flaky {
    async fn claim(&self, id: &str, lease: Duration) -> Result<Claim, DedupeError> {
        self.inner.claim(id, lease).await
    }
    async fn renew(
        &self,
        id: &str,
        token: &LeaseToken,
        lease: Duration,
    ) -> Result<LeaseStatus, DedupeError> {
        self.inner.renew(id, token, lease).await
    }
    async fn complete(
        &self,
        id: &str,
        token: &LeaseToken,
        retention: Duration,
    ) -> Result<LeaseStatus, DedupeError> {
        if self.fail_complete.load(Ordering::SeqCst) {
            return Err(DedupeError("injected complete failure".into()));
        }
        self.inner.complete(id, token, retention).await
    }
    async fn release(&self, id: &str, token: &LeaseToken) -> Result<LeaseStatus, DedupeError> {
        if self.fail_release.load(Ordering::SeqCst) {
            return Err(DedupeError("injected release failure".into()));
        }
        self.inner.release(id, token).await
    }
    async fn purge_expired(&self) -> Result<u64, DedupeError> {
        self.inner.purge_expired().await
    }
}

fn flaky(clock: &ManualClock) -> Arc<Flaky> {
    Arc::new(Flaky {
        inner: InMemoryDeduper::with_clock(Arc::new(clock.clone())),
        fail_release: AtomicBool::new(false),
        fail_complete: AtomicBool::new(false),
    })
}

/// A handler error whose release also fails must not turn every redelivery
/// into a 200 "duplicate": the lease expires and the handler runs again.
#[tokio::test]
async fn failed_release_after_handler_error_does_not_lose_the_webhook() {
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_790_000_000));
    let store = flaky(&clock);
    store.fail_release.store(true, Ordering::SeqCst);
    let s = start_with(store.clone(), LEASE).await;
    let h = sign(BODY);
    s.probe.failing.store(true, Ordering::SeqCst);
    assert_eq!(s.post("wh-r", &h, BODY).await, 500);
    s.probe.failing.store(false, Ordering::SeqCst);
    assert_eq!(s.post("wh-r", &h, BODY).await, 409, "lease still live");
    assert_eq!(s.calls(), 1);
    clock.advance(LEASE);
    assert_eq!(s.post("wh-r", &h, BODY).await, 200);
    assert_eq!(s.calls(), 2, "the redelivery must run the handler");
    assert_eq!(s.probe.succeeded.load(Ordering::SeqCst), 1);
}

/// The handler succeeded but `done` cannot be written: 503 (not 200), and the
/// redelivery runs the handler again; its effect is applied once.
#[tokio::test]
async fn a_success_that_cannot_be_recorded_is_not_acknowledged() {
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_790_000_000));
    let store = flaky(&clock);
    store.fail_complete.store(true, Ordering::SeqCst);
    let s = start_with(store.clone(), LEASE).await;
    let h = sign(BODY);
    assert_eq!(s.post("wh-c", &h, BODY).await, 503);
    assert_eq!(s.calls(), 1);
    assert_eq!(state(&store.inner, "wh-c").await, "absent", "released");
    store.fail_complete.store(false, Ordering::SeqCst);
    assert_eq!(s.post("wh-c", &h, BODY).await, 200);
    assert_eq!(s.calls(), 2);
    assert_eq!(s.effects(), 1, "the effect helper keeps the effect single");
}

/// A handler that outlives its lease keeps it by the heartbeat: a redelivery
/// long after the first lease would have expired still gets 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_handler_keeps_its_lease_by_heartbeat() {
    let lease = Duration::from_millis(1500);
    let d = InMemoryDeduper::new();
    let s = Arc::new(start_with(Arc::new(d.clone()), lease).await);
    let body = with_message("slow");
    let h = sign(&body);
    let entered = s.probe.entered.notified();
    let first = {
        let (s, h, body) = (Arc::clone(&s), h.clone(), body.clone());
        tokio::spawn(async move { s.post("wh-long", &h, &body).await })
    };
    entered.await;
    tokio::time::sleep(lease * 3).await;
    assert_eq!(s.post("wh-long", &h, &body).await, 409);
    assert_eq!(s.calls(), 1, "the lease was renewed, nobody took over");
    s.probe.gate.add_permits(1);
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(state(&d, "wh-long").await, "done");
}

/// A captured webhook replayed under a fresh X-VT-webhook-id passes the
/// id dedupe, reaches the handler, and the effect helper keeps it from
/// changing anything; a different event of the same order is applied.
#[tokio::test]
async fn replay_under_a_fresh_webhook_id_changes_nothing() {
    let (s, _) = start().await;
    let h = sign(BODY);
    assert_eq!(s.post("wh-orig", &h, BODY).await, 200);
    assert_eq!((s.calls(), s.effects()), (1, 1));
    assert_eq!(s.post("wh-replayed", &h, BODY).await, 200);
    assert_eq!(s.calls(), 2, "a fresh id reaches the handler");
    assert_eq!(s.effects(), 1, "and changes nothing");
    // A second partial refund of the same order is another event.
    let other = BODY.replace("ref-1", "ref-2");
    assert_eq!(s.post("wh-other", &sign(&other), &other).await, 200);
    assert_eq!(s.effects(), 2);
    let key = EffectKey::for_payload(
        &serde_json::from_str::<vt4g::webhook::WebhookPayload>(BODY).unwrap(),
    )
    .unwrap();
    assert!(s.probe.log.contains(&key).await.unwrap());
    assert_eq!(
        s.probe
            .log
            .once(&key, || async { Ok::<_, String>(()) })
            .await
            .unwrap(),
        Applied::Before
    );
}
