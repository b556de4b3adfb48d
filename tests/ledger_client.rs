//! The client's ledger protocol over real HTTP on 127.0.0.1: a scope is bound
//! to its command, body and paymentId; answers whose effect is unknown leave
//! the scope resumable with the same key; the lease is checked at build time,
//! renewed while the holder works and never outlived by a resend near the
//! key's 24 h end; a `complete` that fails is retried, then surfaced.
//!
//! Effects are counted in the `vt4g-sandbox` simulator's effect log; the
//! answers the simulator cannot give (UA-SYS-001) come from a scripted server.

mod ledger_support;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use vt4g::client::{Client, ManualClock, Outcome, RequestMode, RetryPolicy};
use vt4g::idempotency::{
    Begin, IdempotencyRecord, IdempotencyStore, InMemoryStore, RecordState, StoreError,
    StoredResponse,
};
use vt4g::result_code::ResultCode;
use vt4g::{Command, Error, PayType};
use vt4g_sandbox::{FaultKind, FaultRule, Sandbox, SandboxConfig};

use ledger_support::{effects_of, prepare};

fn sandbox_client(sb: &Sandbox, store: Arc<dyn IdempotencyStore>) -> vt4g::client::ClientBuilder {
    Client::builder()
        .base_url(sb.base_url(), RequestMode::Sandbox)
        .bearer_token(sb.bearer_token().clone())
        .idempotency_store(store)
}

async fn call(
    client: &Client,
    command: Command,
    body: &Value,
    scope: &str,
) -> Result<Outcome<Value>, Error> {
    client
        .call::<Value, Value>(command, body)
        .pay_type(PayType::Paypay)
        .scope(scope)
        .await
}

// ------------------------------------------------------------ scope binding

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_capture_scope_reused_for_a_cancel_with_the_same_bytes_is_a_conflict() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    prepare(&sb, &[(Command::Pay, "bind-1".into())])
        .await
        .unwrap();
    let client = sandbox_client(&sb, Arc::new(InMemoryStore::new()))
        .build()
        .unwrap();
    // Capture and cancel of one order can have byte-identical bodies.
    let body = json!({ "order": { "paymentId": "bind-1" } });
    let out = call(&client, Command::Capture, &body, "bind-1/op")
        .await
        .unwrap();
    assert!(out.is_success());
    let err = call(&client, Command::Cancel, &body, "bind-1/op")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdempotencyConflict { scope: Some(ref s), .. } if s == "bind-1/op"),
        "{err:?}"
    );
    let effects = sb.effects();
    assert_eq!(effects_of(&effects, Command::Capture, "bind-1").len(), 1);
    assert_eq!(
        effects_of(&effects, Command::Cancel, "bind-1").len(),
        0,
        "the refund the merchant asked for was neither made nor reported as made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_flight_capture_scope_reused_for_a_cancel_sends_nothing() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    prepare(&sb, &[(Command::Pay, "bind-2".into())])
        .await
        .unwrap();
    let client = sandbox_client(&sb, Arc::new(InMemoryStore::new()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let body = json!({ "order": { "paymentId": "bind-2" } });
    // The capture is applied but its answer is lost: the scope stays in flight, released.
    sb.add_fault(FaultRule::new(
        Some(Command::Capture),
        Some("bind-2"),
        FaultKind::ApplyThenDrop,
        1,
    ));
    let err = call(&client, Command::Capture, &body, "bind-2/op")
        .await
        .unwrap_err();
    assert!(err.maybe_processed(), "{err:?}");
    let before = sb.stats();
    let err = call(&client, Command::Cancel, &body, "bind-2/op")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IdempotencyConflict { .. }), "{err:?}");
    let effects = sb.effects();
    assert_eq!(effects_of(&effects, Command::Capture, "bind-2").len(), 1);
    assert_eq!(effects_of(&effects, Command::Cancel, "bind-2").len(), 0);
    assert_eq!(sb.stats().effects, before.effects, "0 requests applied");
    // The capture itself still resumes under its scope, with its key: no second effect.
    let out = call(&client, Command::Capture, &body, "bind-2/op")
        .await
        .unwrap();
    assert!(out.is_success());
    assert_eq!(
        effects_of(&sb.effects(), Command::Capture, "bind-2").len(),
        1
    );
}

// ------------------------------------------------- a scripted HTTP server

type Script = Arc<Mutex<(VecDeque<(u16, String)>, Vec<(Option<String>, Vec<u8>)>)>>;

/// Answers `POST /fep/command/*` from `script` in order (then 200 UA-000-001)
/// and records each request's idempotency key and body.
async fn scripted(script: Vec<(u16, String)>) -> (String, Script) {
    use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Router};
    let state: Script = Arc::new(Mutex::new((script.into(), Vec::new())));
    async fn handler(
        State(st): State<Script>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (axum::http::StatusCode, String) {
        let mut st = st.lock().unwrap();
        let key = headers
            .get("x-vt-idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        st.1.push((key, body.to_vec()));
        let (status, body) = st.0.pop_front().unwrap_or((200, success()));
        (axum::http::StatusCode::from_u16(status).unwrap(), body)
    }
    let app = Router::new()
        .route("/fep/command/{command}", post(handler))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/fep/command"), state)
}

fn success() -> String {
    json!({"result": {"resultCode": "UA-000-001", "status": "success", "actionCode": "success",
                      "message": "Success"},
           "order": {"paymentId": "sys-1", "amount": "1000"}})
    .to_string()
}

fn system_error(code: &str) -> String {
    json!({"result": {"resultCode": code, "status": "error", "actionCode": "inquiry_support",
                      "message": "System error"}})
    .to_string()
}

fn scripted_client(base: &str, store: Arc<dyn IdempotencyStore>) -> vt4g::client::ClientBuilder {
    Client::builder()
        .base_url(base, RequestMode::Sandbox)
        .bearer_token("tok-ledger-client")
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20))
                .max_elapsed(Duration::from_secs(5)),
        )
        .request_timeout(Duration::from_secs(5))
        .ledger_lease(Duration::from_secs(30))
        .idempotency_store(store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_error_is_maybe_processed_and_resumed_with_the_same_key() {
    for code in ["UA-SYS-001", "UA-SYS-002"] {
        let (base, script) = scripted(vec![(500, system_error(code))]).await;
        let store = Arc::new(InMemoryStore::new());
        let client = scripted_client(&base, store.clone()).build().unwrap();
        let body = json!({ "order": { "paymentId": "sys-1" } });
        let err = call(&client, Command::Capture, &body, "sys-1/capture")
            .await
            .unwrap_err();
        assert_eq!(err.result_code(), Some(&ResultCode::from_code(code)));
        assert!(err.maybe_processed(), "{code}: {err:?}");
        // Not recorded as a final failure: the scope is in flight and released.
        let rec = store.get("sys-1/capture").await.unwrap().unwrap();
        assert_eq!(rec.state, RecordState::InFlight, "{code}");
        // A resume resends the same bytes with the same key.
        let out = call(&client, Command::Capture, &body, "sys-1/capture")
            .await
            .unwrap();
        assert!(out.is_success(), "{code}");
        let seen = script.lock().unwrap().1.clone();
        assert_eq!(
            seen.len(),
            2,
            "{code}: one attempt each (inquiry_support is not retried)"
        );
        assert_eq!(seen[0], seen[1], "{code}: same key and bytes");
        assert_eq!(seen[0].0.as_deref(), Some(rec.key.as_str()));
    }
}

// ------------------------------------------------------------ the lease

#[test]
fn a_lease_shorter_than_the_worst_case_call_is_refused() {
    let store: Arc<dyn IdempotencyStore> = Arc::new(InMemoryStore::new());
    let builder = || {
        Client::builder()
            .sandbox()
            .bearer_token("tok")
            .idempotency_store(store.clone())
    };
    // Defaults: 60 s retry budget + 30 s request timeout.
    let err = builder()
        .ledger_lease(Duration::from_secs(60))
        .build()
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(msg.contains("ledger_lease") && msg.contains("90"), "{msg}");
    builder()
        .build()
        .expect("the default lease covers the default worst case");
    builder()
        .ledger_lease(Duration::from_secs(100))
        .build()
        .expect("90 s + 10 % fits in 100 s");
    // One attempt: the request timeout alone.
    builder()
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(1))
        .ledger_lease(Duration::from_millis(1100))
        .build()
        .unwrap();
    assert!(builder()
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(1))
        .ledger_lease(Duration::from_millis(1000))
        .build()
        .is_err());
    // Without a store the lease is not used, so not checked.
    Client::builder()
        .sandbox()
        .bearer_token("tok")
        .ledger_lease(Duration::from_millis(1))
        .build()
        .unwrap();
}

/// An in-memory ledger whose `complete` can be slowed down or made to fail.
#[derive(Debug, Default)]
struct FlakyStore {
    inner: InMemoryStore,
    complete_delay: Mutex<Duration>,
    complete_failures: AtomicUsize,
    complete_calls: AtomicUsize,
    renewals: AtomicUsize,
}

#[async_trait::async_trait]
impl IdempotencyStore for FlakyStore {
    async fn begin(
        &self,
        proposal: IdempotencyRecord,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Begin, StoreError> {
        self.inner.begin(proposal, now, lease).await
    }
    async fn renew(
        &self,
        scope: &str,
        key: &str,
        token: u64,
        now: SystemTime,
        lease: Duration,
    ) -> Result<SystemTime, StoreError> {
        self.renewals.fetch_add(1, Ordering::SeqCst);
        self.inner.renew(scope, key, token, now, lease).await
    }
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        token: u64,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        self.complete_calls.fetch_add(1, Ordering::SeqCst);
        let delay = *self.complete_delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        let failing = self
            .complete_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(StoreError::Backend("injected: connection reset".into()));
        }
        self.inner.complete(scope, key, token, response).await
    }
    async fn release(&self, scope: &str, key: &str, token: u64) -> Result<(), StoreError> {
        self.inner.release(scope, key, token).await
    }
    async fn get(&self, scope: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.get(scope).await
    }
}

/// One attempt of at most 300 ms: a 500 ms lease is enough.
fn short_lease(b: vt4g::client::ClientBuilder) -> vt4g::client::ClientBuilder {
    b.retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_millis(300))
        .ledger_lease(Duration::from_millis(500))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_is_renewed_while_the_holder_works() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    prepare(&sb, &[(Command::Pay, "hb-1".into())])
        .await
        .unwrap();
    let store = Arc::new(FlakyStore::default());
    // The holder's ledger write takes six leases long (a slow commit).
    *store.complete_delay.lock().unwrap() = Duration::from_millis(3000);
    let client = short_lease(sandbox_client(&sb, store.clone()))
        .build()
        .unwrap();
    let body = json!({ "order": { "paymentId": "hb-1" } });
    let holder = {
        let (client, body) = (client.clone(), body.clone());
        tokio::spawn(async move { call(&client, Command::Capture, &body, "hb-1/capture").await })
    };
    // Two leases later another replica tries the scope: the lease is still held.
    for _ in 0..300 {
        if store.complete_calls.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    *store.complete_delay.lock().unwrap() = Duration::ZERO;
    let other = call(&client, Command::Capture, &body, "hb-1/capture").await;
    assert!(
        matches!(other, Err(Error::InFlightElsewhere { .. })),
        "a second holder while the first works: {other:?}"
    );
    assert!(holder.await.unwrap().unwrap().is_success());
    assert!(store.renewals.load(Ordering::SeqCst) >= 2);
    let captures = effects_of(&sb.effects(), Command::Capture, "hb-1").len();
    assert_eq!(captures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_complete_is_retried_then_surfaced_with_the_key() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    prepare(
        &sb,
        &[(Command::Pay, "cf-1".into()), (Command::Pay, "cf-2".into())],
    )
    .await
    .unwrap();
    let store = Arc::new(FlakyStore::default());
    let client = short_lease(sandbox_client(&sb, store.clone()))
        .build()
        .unwrap();

    // Two failures: retried, the call succeeds and the scope is completed.
    store.complete_failures.store(2, Ordering::SeqCst);
    let body = json!({ "order": { "paymentId": "cf-1" } });
    assert!(call(&client, Command::Capture, &body, "cf-1/capture")
        .await
        .unwrap()
        .is_success());
    let rec = store.get("cf-1/capture").await.unwrap().unwrap();
    assert_eq!(rec.state, RecordState::Completed);

    // The ledger stays down: the error says the request was processed, with its key.
    store.complete_failures.store(usize::MAX, Ordering::SeqCst);
    let body = json!({ "order": { "paymentId": "cf-2" } });
    let err = call(&client, Command::Capture, &body, "cf-2/capture")
        .await
        .unwrap_err();
    let rec = store.get("cf-2/capture").await.unwrap().unwrap();
    match &err {
        Error::LedgerNotRecorded {
            key, result_code, ..
        } => {
            assert_eq!(key, &rec.key);
            assert_eq!(result_code.as_ref(), Some(&ResultCode::Success));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.maybe_processed());
    assert_eq!(err.idempotency_key(), Some(rec.key.as_str()));
    assert!(err.to_string().contains("was processed"), "{err}");
    assert_eq!(effects_of(&sb.effects(), Command::Capture, "cf-2").len(), 1);

    // The ledger is back: after the lease, a resume records the original answer.
    store.complete_failures.store(0, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(call(&client, Command::Capture, &body, "cf-2/capture")
        .await
        .unwrap()
        .is_success());
    assert_eq!(
        store.get("cf-2/capture").await.unwrap().unwrap().state,
        RecordState::Completed
    );
    assert_eq!(effects_of(&sb.effects(), Command::Capture, "cf-2").len(), 1);
}

// ----------------------------------------------------------- key life

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_resend_within_the_safety_margin_of_the_keys_24h() {
    // The first attempt is answered with a system error: the scope stays in flight.
    let (base, script) = scripted(vec![]).await;
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let store = Arc::new(InMemoryStore::new());
    let client = scripted_client(&base, store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    let body = json!({ "order": { "paymentId": "age-1" } });
    script
        .lock()
        .unwrap()
        .0
        .push_back((500, system_error("UA-SYS-001")));
    let _ = call(&client, Command::Capture, &body, "age-1/capture")
        .await
        .unwrap_err();
    // 23 h 55 min later: inside the default 10 min margin, nothing is sent.
    clock.advance(Duration::from_secs(23 * 3600 + 55 * 60));
    let err = call(&client, Command::Capture, &body, "age-1/capture")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdempotencyKeyExpired { .. }),
        "{err:?}"
    );
    assert_eq!(script.lock().unwrap().1.len(), 1);
    // A client configured with a 1 min margin still resends at that age.
    let client = scripted_client(&base, store.clone())
        .clock(clock.clone())
        .retry_policy(RetryPolicy::none().key_resend_margin(Duration::from_secs(60)))
        .build()
        .unwrap();
    assert!(call(&client, Command::Capture, &body, "age-1/capture")
        .await
        .unwrap()
        .is_success());
    assert_eq!(script.lock().unwrap().1.len(), 2);
}
