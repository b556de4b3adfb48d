//! The client over real HTTP against a small scripted HTTP/1.1 server on
//! 127.0.0.1 that records every request it receives (headers and exact body
//! bytes) and answers from a script: a status and body, a dropped connection
//! (after reading the request), or a hang past the client's timeout.
//!
//! This covers every retry class byte-for-byte, including the ones the
//! simulator cannot produce (5xx without a result code, per-code retries).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use vt4g::client::{Client, ManualClock, Outcome, RequestMode, RetryPolicy};
use vt4g::generated::types;
use vt4g::idempotency::{IdempotencyKey, InMemoryStore};
use vt4g::result_code::ResultCode;
use vt4g::validation::UrlPolicy;
use vt4g::{Command, Error, PayType};

const TOKEN: &str = "tok-7f3c1d9e-secret-bearer";

#[derive(Clone, Debug)]
enum Action {
    Reply(u16, String),
    /// A reply with extra headers; the client's clock is moved forward first
    /// when `advance` is given.
    ReplyWith {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
        advance: Option<(Arc<ManualClock>, Duration)>,
    },
    Drop,
    Hang(Duration),
    /// Moves the client's clock forward, then closes without answering.
    DropAdvancing(Arc<ManualClock>, Duration),
}

#[derive(Clone, Debug)]
struct Received {
    /// When the server had read the whole request.
    at: std::time::Instant,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Action>,
    received: Vec<Received>,
}

struct FakeServer {
    base: String,
    state: Arc<Mutex<State>>,
}

fn success_body(code: &str) -> String {
    json!({
        "result": {"status": "success", "actionCode": "success", "resultCode": code,
                    "message": "Success", "vResultCode": "1001"},
        "order": {"paymentId": "pay-1", "amount": "1000"},
        "transaction": {"fepReferenceId": "ref-1"}
    })
    .to_string()
}

fn failure_body(code: &str, status: &str, action: &str) -> String {
    json!({"result": {"status": status, "actionCode": action, "resultCode": code,
                       "message": "m", "vResultCode": "X1"}})
    .to_string()
}

impl FakeServer {
    async fn start(script: Vec<Action>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            received: Vec::new(),
        }));
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, st).await;
                });
            }
        });
        FakeServer {
            base: format!("http://{addr}/fep/command"),
            state,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

async fn serve(mut sock: TcpStream, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let action = {
        let mut s = st.lock().unwrap();
        s.received.push(Received {
            at: std::time::Instant::now(),
            path,
            headers,
            body,
        });
        s.script
            .pop_front()
            .unwrap_or_else(|| Action::Reply(200, success_body("UA-000-001")))
    };
    match action {
        Action::Drop => Ok(()), // close without answering
        Action::DropAdvancing(clock, by) => {
            clock.advance(by);
            Ok(())
        }
        Action::Hang(d) => {
            tokio::time::sleep(d).await;
            Ok(())
        }
        Action::Reply(status, body) => reply(&mut sock, status, &[], &body).await,
        Action::ReplyWith {
            status,
            headers,
            body,
            advance,
        } => {
            if let Some((clock, by)) = advance {
                clock.advance(by);
            }
            reply(&mut sock, status, &headers, &body).await
        }
    }
}

async fn reply(
    sock: &mut TcpStream,
    status: u16,
    headers: &[(&'static str, String)],
    body: &str,
) -> std::io::Result<()> {
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let resp = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(resp.as_bytes()).await?;
    sock.shutdown().await
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .max_elapsed(Duration::from_secs(30))
}

fn client_for(server: &FakeServer) -> Client {
    Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .request_timeout(Duration::from_millis(500))
        .retry_policy(fast_policy())
        .validation(false, UrlPolicy::AllowLocalSimulator)
        .build()
        .unwrap()
}

fn capture_req(payment_id: &str, amount: &str) -> types::CaptureRequest {
    serde_json::from_value(json!({"order": {"paymentId": payment_id, "amount": amount}})).unwrap()
}

fn pay_json(request_mode: Option<&str>) -> Value {
    let mut control = json!({
        "successUrl": "https://merchant.example/success",
        "cancelUrl": "https://merchant.example/cancel",
        "errorUrl": "https://merchant.example/error"
    });
    if let Some(m) = request_mode {
        control["requestMode"] = json!(m);
    }
    json!({
        "order": {"payType": "paypay", "paymentId": "pay-100", "amount": "1000",
                   "authCaptureType": "auth"},
        "item": [{"id": "item1", "name": "Tea"}],
        "control": control
    })
}

fn assert_same_key_and_body(received: &[Received]) {
    assert!(received.len() >= 2);
    let key = received[0]
        .header("x-vt-idempotency-key")
        .expect("key sent");
    for r in received {
        assert_eq!(r.header("x-vt-idempotency-key"), Some(key));
        assert_eq!(
            r.body, received[0].body,
            "byte-identical body on every attempt"
        );
    }
}

#[tokio::test]
async fn sends_exactly_the_documented_headers_and_the_serialized_body() {
    let server = FakeServer::start(vec![]).await;
    let client = client_for(&server);
    let req = capture_req("pay-1", "1000");
    let out = client
        .capture(&req)
        .pay_type(PayType::Paypay)
        .await
        .unwrap();
    assert!(matches!(out, Outcome::Success(_)));
    let got = server.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.path, "/fep/command/capture");
    assert_eq!(
        r.body,
        serde_json::to_vec(&serde_json::to_value(&req).unwrap()).unwrap()
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("vt4g/", env!("CARGO_PKG_VERSION"), " (+rust)"))
    );
    let key = r.header("x-vt-idempotency-key").unwrap();
    assert!(IdempotencyKey::new(key).is_ok());
    assert_eq!(key.len(), 36);
    let mut names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "accept",
            "authorization",
            "content-length",
            "content-type",
            "host",
            "user-agent",
            "x-vt-idempotency-key"
        ]
    );
}

#[tokio::test]
async fn every_retry_request_code_is_retried_with_the_same_key_and_bytes() {
    for (status, code, st) in [
        (429, "UA-LMT-001", "failure"),
        (406, "UA-REQ-005", "failure"),
        (502, "UA-PRV-001", "failure"),
        (500, "UA-SYS-003", "error"),
        (500, "UA-SYS-004", "error"),
    ] {
        let server = FakeServer::start(vec![
            Action::Reply(status, failure_body(code, st, "retry_request")),
            Action::Reply(status, failure_body(code, st, "retry_request")),
        ])
        .await;
        let client = client_for(&server);
        let out = client.capture(&capture_req("pay-1", "1000")).await;
        assert!(matches!(out, Ok(Outcome::Success(_))), "{code}: {out:?}");
        let got = server.received();
        assert_eq!(got.len(), 3, "{code}");
        assert_same_key_and_body(&got);
    }
}

#[tokio::test]
async fn retryable_code_still_returned_after_the_last_attempt_is_an_api_error() {
    let body = failure_body("UA-LMT-001", "failure", "retry_request");
    let server = FakeServer::start(vec![Action::Reply(429, body); 10]).await;
    let client = client_for(&server);
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    match &err {
        Error::Api(f) => {
            assert_eq!(f.result_code, ResultCode::TooManyConcurrentConnections);
            assert_eq!(f.attempts, 4);
            assert_eq!(f.http_status, 429);
            assert!(f.idempotency_key.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 4);
}

#[tokio::test]
async fn pending_confirm_payment_and_failures_are_never_retried() {
    let cases: Vec<(Action, &str)> = vec![
        (
            Action::Reply(
                500,
                failure_body("UA-PND-002", "failure", "confirm_pending_status"),
            ),
            "pending",
        ),
        (Action::Reply(200, success_body("UA-000-002")), "confirm"),
        (
            Action::Reply(200, success_body("UA-U00-001")),
            "user_paying",
        ),
        (
            Action::Reply(200, success_body("UA-P00-001")),
            "provider_processing",
        ),
        (
            Action::Reply(
                400,
                failure_body("UA-REQ-001", "failure", "confirm_request"),
            ),
            "failure",
        ),
        (
            Action::Reply(500, failure_body("UA-SYS-001", "error", "inquiry_support")),
            "system",
        ),
    ];
    for (action, what) in cases {
        let server = FakeServer::start(vec![action]).await;
        let client = client_for(&server);
        let out = client.capture(&capture_req("pay-1", "1000")).await;
        match (what, &out) {
            ("pending", Err(Error::Pending(f))) => {
                assert_eq!(f.result_code, ResultCode::PendingUnsettled);
                assert_eq!(f.attempts, 1);
                assert!(out.as_ref().unwrap_err().maybe_processed());
            }
            ("confirm", Ok(Outcome::ConfirmPayment(_))) => {}
            ("user_paying", Ok(Outcome::UserPaying(_))) => {}
            ("provider_processing", Ok(Outcome::ProviderProcessing(_))) => {}
            ("failure", Err(Error::Api(f))) => {
                assert_eq!(f.result_code, ResultCode::InvalidMessage);
                assert_eq!(f.v_result_code.as_deref(), Some("X1"));
            }
            ("system", Err(Error::Api(f))) => assert_eq!(f.result_code, ResultCode::SystemError),
            _ => panic!("{what}: unexpected {out:?}"),
        }
        assert_eq!(server.received().len(), 1, "{what} must not be retried");
    }
}

#[tokio::test]
async fn dropped_connection_and_timeout_after_sending_are_retried_with_the_key() {
    let server = FakeServer::start(vec![
        Action::Drop,
        Action::Hang(Duration::from_secs(3)),
        Action::Reply(200, success_body("UA-000-001")),
    ])
    .await;
    let client = client_for(&server);
    let out = client.capture(&capture_req("pay-1", "1000")).await.unwrap();
    assert!(out.is_success());
    let got = server.received();
    assert_eq!(got.len(), 3);
    assert_same_key_and_body(&got);
}

#[tokio::test]
async fn five_hundred_without_result_code_is_retried_then_surfaces_as_maybe_processed() {
    let html = "<html>bad gateway</html>".to_string();
    let server = FakeServer::start(vec![Action::Reply(502, html); 10]).await;
    let client = client_for(&server);
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    assert!(err.maybe_processed(), "{err:?}");
    match &err {
        Error::Decode(d) => {
            assert_eq!(d.http_status, 502);
            assert_eq!(d.attempts, 4);
            assert_eq!(d.body, b"<html>bad gateway</html>");
        }
        other => panic!("{other:?}"),
    }
    let got = server.received();
    assert_eq!(got.len(), 4);
    assert_same_key_and_body(&got);
}

#[tokio::test]
async fn timeouts_exhausted_surface_as_timeout_with_key_and_attempts() {
    let server = FakeServer::start(vec![Action::Hang(Duration::from_secs(3)); 3]).await;
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(fast_policy().max_attempts(3))
        .build()
        .unwrap();
    let key = IdempotencyKey::new("cap-timeout-1").unwrap();
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .idempotency_key(key)
        .await
        .unwrap_err();
    match &err {
        Error::Timeout {
            attempts,
            idempotency_key,
            maybe_processed,
            ..
        } => {
            assert_eq!(*attempts, 3);
            assert_eq!(idempotency_key.as_deref(), Some("cap-timeout-1"));
            assert!(maybe_processed);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn connection_refused_is_retried_and_reported_as_never_processed() {
    // Bind then drop a listener to get a port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .base_url(
            format!("http://127.0.0.1:{port}/fep/command"),
            RequestMode::Sandbox,
        )
        .bearer_token(TOKEN)
        .retry_policy(fast_policy().max_attempts(3))
        .build()
        .unwrap();
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    match &err {
        Error::Transport {
            attempts,
            maybe_processed,
            ..
        } => {
            assert_eq!(*attempts, 3);
            assert!(!maybe_processed);
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.maybe_processed());
}

#[tokio::test]
async fn get_transaction_result_sends_no_key_and_is_retried_after_a_timeout() {
    let server = FakeServer::start(vec![Action::Hang(Duration::from_secs(3))]).await;
    let client = client_for(&server);
    let req: types::GetTransactionResultRequest =
        serde_json::from_value(json!({"transaction": {"fepReferenceId": "ref-1"}})).unwrap();
    let out = client.get_transaction_result(&req).await.unwrap();
    assert!(out.is_success());
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert!(got
        .iter()
        .all(|r| r.header("x-vt-idempotency-key").is_none()));
    assert_eq!(got[0].path, "/fep/command/getTransactionResult");
}

#[tokio::test]
async fn without_a_key_a_dropped_connection_is_not_resent() {
    // getTransactionResult is the only command without a key; for mutating
    // commands a key is always sent, so check the mutating path via a caller
    // key and the non-key path via the retry rule on the read-only command.
    let server =
        FakeServer::start(vec![Action::Drop, Action::Drop, Action::Drop, Action::Drop]).await;
    let client = client_for(&server);
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    assert!(err.maybe_processed());
    let got = server.received();
    assert_eq!(got.len(), 4);
    assert_same_key_and_body(&got);
}

#[tokio::test]
async fn a_caller_key_reused_with_a_different_body_is_refused_locally() {
    let server = FakeServer::start(vec![]).await;
    let client = client_for(&server);
    let key = IdempotencyKey::new("order-9-capture").unwrap();
    let out = client
        .capture(&capture_req("pay-9", "1000"))
        .idempotency_key(key.clone())
        .await
        .unwrap();
    assert!(out.is_success());
    // same key, same body: allowed (the API answers with the original response)
    let again = client
        .capture(&capture_req("pay-9", "1000"))
        .idempotency_key(key.clone())
        .await
        .unwrap();
    assert!(again.is_success());
    let err = client
        .capture(&capture_req("pay-9", "900"))
        .idempotency_key(key)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::IdempotencyConflict { key, scope: None } if key == "order-9-capture"),
        "{err:?}"
    );
    assert_eq!(
        server.received().len(),
        2,
        "the conflicting request was never sent"
    );
}

#[tokio::test]
async fn ledger_completed_scope_is_answered_without_calling_the_api() {
    let server = FakeServer::start(vec![]).await;
    let store = Arc::new(InMemoryStore::new());
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(fast_policy())
        .idempotency_store(store.clone())
        .build()
        .unwrap();
    let req = capture_req("pay-7", "1000");
    let first = client.capture(&req).scope("order-7/capture").await.unwrap();
    let second = client.capture(&req).scope("order-7/capture").await.unwrap();
    assert_eq!(first, second);
    assert_eq!(server.received().len(), 1);
    let err = client
        .capture(&capture_req("pay-7", "500"))
        .scope("order-7/capture")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdempotencyConflict { scope: Some(_), .. }),
        "{err:?}"
    );
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn ledger_resumes_with_the_stored_key_and_refuses_once_the_key_is_24h_old() {
    let server = FakeServer::start(vec![Action::Drop; 2]).await;
    let store = Arc::new(InMemoryStore::new());
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(fast_policy().max_attempts(2))
        .idempotency_store(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    let req = capture_req("pay-8", "1000");
    let err = client
        .capture(&req)
        .scope("order-8/capture")
        .await
        .unwrap_err();
    assert!(err.maybe_processed());
    let first_key = err.idempotency_key().unwrap().to_owned();
    // released on an unknown outcome: resumable at once, with the stored key
    let out = client.capture(&req).scope("order-8/capture").await.unwrap();
    assert!(out.is_success());
    let got = server.received();
    assert_eq!(got.len(), 3);
    assert_same_key_and_body(&got);
    assert_eq!(
        got[0].header("x-vt-idempotency-key"),
        Some(first_key.as_str())
    );

    // a second scope left in flight, then 24 h pass: refused, nothing sent
    server
        .state
        .lock()
        .unwrap()
        .script
        .extend([Action::Drop, Action::Drop]);
    let req2 = capture_req("pay-8b", "1000");
    let _ = client
        .capture(&req2)
        .scope("order-8b/capture")
        .await
        .unwrap_err();
    let before = server.received().len();
    clock.advance(Duration::from_secs(24 * 3600));
    let err = client
        .capture(&req2)
        .scope("order-8b/capture")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdempotencyKeyExpired { .. }),
        "{err:?}"
    );
    assert_eq!(server.received().len(), before);
}

#[tokio::test]
async fn request_mode_is_filled_in_or_refused_locally() {
    let server = FakeServer::start(vec![]).await;
    let client = client_for(&server);
    let ok: types::PayRequest = serde_json::from_value(pay_json(None)).unwrap();
    let out = client.pay(&ok).await;
    assert!(out.is_ok(), "{out:?}");
    let got = server.received();
    assert_eq!(got.len(), 1);
    let sent: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(sent["control"]["requestMode"], "sandbox");

    let bad: types::PayRequest = serde_json::from_value(pay_json(Some("live"))).unwrap();
    let err = client.pay(&bad).await.unwrap_err();
    match &err {
        Error::Validation(report) => assert!(report
            .violations()
            .iter()
            .any(|v| v.path.contains("requestMode"))),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.received().len(),
        1,
        "nothing sent for the refused request"
    );
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let server = FakeServer::start(vec![]).await;
    let client = client_for(&server);
    // 8 digits: over PayPay's 7-digit capture limit
    let err = client
        .capture(&capture_req("pay-1", "12345678"))
        .pay_type(PayType::Paypay)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn generic_call_and_typed_decode_failure_keeps_the_raw_body() {
    // A 200 success whose body does not fit the typed response: money moved,
    // so the error must keep the result code and the whole body.
    let odd = json!({"result": {"resultCode": "UA-000-001", "status": "success"},
                     "order": "not-an-object"})
    .to_string();
    let server = FakeServer::start(vec![Action::Reply(200, odd.clone())]).await;
    let client = client_for(&server);
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    match &err {
        Error::Decode(d) => {
            assert_eq!(d.result_code, Some(ResultCode::Success));
            assert_eq!(d.body, odd.as_bytes());
            assert_eq!(d.http_status, 200);
        }
        other => panic!("{other:?}"),
    }
    // the generic entry point decodes into any type
    let server = FakeServer::start(vec![]).await;
    let client = client_for(&server);
    let v: Outcome<Value> = client
        .call(
            Command::Capture,
            &json!({"order": {"paymentId": "p", "amount": "10"}}),
        )
        .await
        .unwrap();
    assert_eq!(v.body()["transaction"]["fepReferenceId"], "ref-1");
}

#[tokio::test]
async fn bare_404_is_page_not_found() {
    let server = FakeServer::start(vec![Action::Reply(404, String::new())]).await;
    let client = client_for(&server);
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(f) if f.result_code == ResultCode::PageNotFound && f.http_status == 404),
        "{err:?}"
    );
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn no_retry_once_the_key_is_24h_old() {
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    // The first attempt is dropped while (for the client) 24 h go by.
    let server = FakeServer::start(vec![Action::DropAdvancing(
        clock.clone(),
        Duration::from_secs(24 * 3600),
    )])
    .await;
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(fast_policy())
        .clock(clock.clone())
        .build()
        .unwrap();
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    match &err {
        Error::Transport {
            attempts,
            maybe_processed,
            ..
        } => {
            assert_eq!(*attempts, 1, "never resent with a 24 h old key");
            assert!(maybe_processed);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_scope_without_a_store_is_refused() {
    let server = FakeServer::start(vec![]).await;
    let client = client_for(&server);
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .scope("order-1/capture")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn unknown_code_on_200_keeps_the_body_and_is_maybe_processed() {
    let body = success_body("UA-000-999");
    let server = FakeServer::start(vec![Action::Reply(200, body.clone())]).await;
    let client = client_for(&server);
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    assert!(err.maybe_processed());
    match &err {
        Error::Decode(d) => {
            assert_eq!(
                d.result_code,
                Some(ResultCode::Unknown("UA-000-999".into()))
            );
            assert_eq!(d.body, body.as_bytes());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 1, "not retried");
}

#[tokio::test]
async fn a_scope_in_flight_elsewhere_is_not_sent_twice() {
    let server = FakeServer::start(vec![Action::Hang(Duration::from_millis(1500))]).await;
    let store = Arc::new(InMemoryStore::new());
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .request_timeout(Duration::from_secs(1))
        .retry_policy(RetryPolicy::none())
        .idempotency_store(store)
        .build()
        .unwrap();
    let first = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .capture(&capture_req("pay-5", "1000"))
                .scope("order-5/capture")
                .await
        })
    };
    // wait (bounded) until the first call is on the wire
    for _ in 0..200 {
        if !server.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.received().len(), 1);
    let err = client
        .capture(&capture_req("pay-5", "1000"))
        .scope("order-5/capture")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InFlightElsewhere { .. }), "{err:?}");
    assert_eq!(server.received().len(), 1, "the second caller sent nothing");
    let first = first.await.unwrap().unwrap_err();
    assert!(first.maybe_processed(), "{first:?}");
}

// --- Retry-After (429 UA-LMT-001, 503) -------------------------------------

fn lmt_body() -> String {
    failure_body("UA-LMT-001", "failure", "retry_request")
}

fn policy_with_max_backoff(max_backoff: Duration, max_elapsed: Duration) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(max_backoff)
        .max_elapsed(max_elapsed)
}

#[tokio::test]
async fn retry_after_seconds_on_429_is_honoured() {
    let server = FakeServer::start(vec![Action::ReplyWith {
        status: 429,
        headers: vec![("retry-after", "1".into())],
        body: lmt_body(),
        advance: None,
    }])
    .await;
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(policy_with_max_backoff(
            Duration::from_secs(2),
            Duration::from_secs(30),
        ))
        .build()
        .unwrap();
    let out = client.capture(&capture_req("pay-1", "1000")).await.unwrap();
    assert!(out.is_success());
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert_same_key_and_body(&got);
    // Without Retry-After the wait would be at most 5 ms (the backoff ceiling).
    let waited = got[1].at.duration_since(got[0].at);
    assert!(
        waited >= Duration::from_secs(1),
        "resent after {waited:?}, before the 1 s the server asked for"
    );
}

#[tokio::test]
async fn retry_after_http_date_on_503_is_honoured_against_the_client_clock() {
    // A whole second, so that the HTTP-date (1 s resolution) is exact.
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    let clock = Arc::new(ManualClock::new(start));
    let server = FakeServer::start(vec![Action::ReplyWith {
        status: 503,
        headers: vec![(
            "retry-after",
            httpdate::fmt_http_date(start + Duration::from_secs(2)),
        )],
        body: "Service Unavailable".into(),
        advance: None,
    }])
    .await;
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(policy_with_max_backoff(
            Duration::from_secs(5),
            Duration::from_secs(30),
        ))
        .clock(clock)
        .build()
        .unwrap();
    let out = client.capture(&capture_req("pay-1", "1000")).await.unwrap();
    assert!(out.is_success());
    let got = server.received();
    assert_eq!(
        got.len(),
        2,
        "a 503 without a result code is retried with the key"
    );
    assert_same_key_and_body(&got);
    let waited = got[1].at.duration_since(got[0].at);
    assert!(
        waited >= Duration::from_secs(2),
        "resent after {waited:?}, before the date the server gave"
    );
}

#[tokio::test]
async fn retry_after_longer_than_max_backoff_is_returned_instead_of_waited() {
    let server = FakeServer::start(vec![Action::ReplyWith {
        status: 429,
        headers: vec![("retry-after", "120".into())],
        body: lmt_body(),
        advance: None,
    }])
    .await;
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(policy_with_max_backoff(
            Duration::from_secs(2),
            Duration::from_secs(600),
        ))
        .build()
        .unwrap();
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(&ResultCode::TooManyConcurrentConnections),
        "{err:?}"
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.idempotency_key().is_some(), "the key to resend with");
    match &err {
        Error::Api(f) => assert_eq!(f.attempts, 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 1, "not resent early");
}

#[tokio::test]
async fn retry_after_past_the_time_budget_ends_the_retries() {
    let server = FakeServer::start(vec![Action::ReplyWith {
        status: 503,
        headers: vec![("retry-after", "5".into())],
        body: "{}".into(),
        advance: None,
    }])
    .await;
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(policy_with_max_backoff(
            Duration::from_secs(10),
            Duration::from_secs(3),
        ))
        .build()
        .unwrap();
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert!(err.maybe_processed());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn retry_after_never_waits_into_the_last_minute_of_the_key_life() {
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    // While the first attempt is answered, the key becomes 23 h 58 min 50 s
    // old: a 30 s wait would end inside the last minute of its 24 h life.
    let server = FakeServer::start(vec![Action::ReplyWith {
        status: 429,
        headers: vec![("retry-after", "30".into())],
        body: lmt_body(),
        advance: Some((clock.clone(), Duration::from_secs(24 * 3600 - 70))),
    }])
    .await;
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(policy_with_max_backoff(
            Duration::from_secs(60),
            Duration::from_secs(600),
        ))
        .clock(clock)
        .build()
        .unwrap();
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    assert_eq!(
        err.result_code(),
        Some(&ResultCode::TooManyConcurrentConnections)
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(
        server.received().len(),
        1,
        "never resent near the key's end"
    );
}

#[tokio::test]
async fn retry_after_does_not_make_a_final_answer_retryable() {
    let server = FakeServer::start(vec![Action::ReplyWith {
        status: 503,
        headers: vec![("retry-after", "1".into())],
        body: failure_body("UA-REQ-001", "failure", "confirm_request"),
        advance: None,
    }])
    .await;
    let client = client_for(&server);
    let err = client
        .capture(&capture_req("pay-1", "1000"))
        .await
        .unwrap_err();
    assert_eq!(err.result_code(), Some(&ResultCode::InvalidMessage));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(server.received().len(), 1);
}

// --- A caller-built reqwest::Client -----------------------------------------

#[tokio::test]
async fn a_custom_http_client_is_used_with_our_timeout_and_user_agent_per_request() {
    // The first attempt hangs: only the per-request timeout (our 300 ms; the
    // reqwest::Client has none) lets the call go on to its retry.
    let server = FakeServer::start(vec![Action::Hang(Duration::from_secs(5))]).await;
    let mut default_headers = reqwest::header::HeaderMap::new();
    default_headers.insert("x-proxy-tag", "edge-7".parse().unwrap());
    let http = reqwest::Client::builder()
        .user_agent("someone-else/1.0")
        .default_headers(default_headers)
        .build()
        .unwrap();
    let client = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .http_client(http)
        .request_timeout(Duration::from_millis(300))
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    assert!(format!("{client:?}").contains("custom_http_client: true"));
    assert!(!format!("{client:?}").contains(TOKEN));
    let out = client.capture(&capture_req("pay-1", "1000")).await.unwrap();
    assert!(out.is_success());
    let got = server.received();
    assert_eq!(got.len(), 2, "the hung attempt timed out and was retried");
    assert_same_key_and_body(&got);
    for r in &got {
        assert_eq!(r.header("x-proxy-tag"), Some("edge-7"), "sent through it");
        assert_eq!(r.header("user-agent"), Some(vt4g::client::USER_AGENT));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn a_connect_timeout_with_a_custom_http_client_is_refused() {
    let err = Client::builder()
        .sandbox()
        .bearer_token(TOKEN)
        .http_client(reqwest::Client::new())
        .connect_timeout(Duration::from_secs(3))
        .build()
        .unwrap_err();
    match err {
        Error::Config(m) => assert!(m.contains("connect_timeout"), "{m}"),
        other => panic!("{other:?}"),
    }
}

// --- The typed path puts the same bytes on the wire as the generic one -----

#[tokio::test]
async fn typed_and_generic_calls_send_byte_identical_bodies() {
    let items: Vec<Value> = (0..5)
        .map(|i| json!({"id": format!("SKU{i:04}"), "name": format!("Green tea {i}"), "categoryId": "1"}))
        .collect();
    let pay = json!({
        "order": {"payType": "paypay", "paymentId": "order-000001", "amount": "12800",
                   "authCaptureType": "auth", "description": "Tea", "commodityType": "product_sales"},
        "transaction": {"merchantRequestKey1": "customer-000123", "metadata1": "{\"cart\":\"c-9\"}",
                         "metadata2": "note: \u{3042} before noon"},
        "item": items,
        "merchant": {"storeId": "store-001", "storeName": "Tea Shop", "terminalId": "term_01"},
        "customer": {"buyer": {"buyerInfoType": "not_use", "userAgent": "Mozilla/5.0"},
                      "shipping": {"deliveryAddressType": "not_use"}},
        "control": {"successUrl": "https://shop.example.com/ok?o=1",
                     "cancelUrl": "https://shop.example.com/cancel",
                     "errorUrl": "https://shop.example.com/error",
                     "pushUrl": "https://shop.example.com/webhooks/vt4g"}
    });
    let typed: types::PayRequest = serde_json::from_value(pay.clone()).unwrap();
    let capture = capture_req("order-000001", "12800");
    let server = FakeServer::start(vec![]).await;
    let client = client_for(&server);
    let k = |s: &str| IdempotencyKey::new(s).unwrap();
    // requestMode absent: both paths fill it in. The JSON is built in another key
    // order than the typed struct's: with serde_json's preserve_order (on in the
    // workspace build) only the client's key sorting makes the bytes equal.
    let _ = client.pay(&typed).idempotency_key(k("p1")).await.unwrap();
    let _: Outcome<Value> = client
        .call(Command::Pay, &pay)
        .idempotency_key(k("p2"))
        .await
        .unwrap();
    let _ = client
        .capture(&capture)
        .pay_type(PayType::Paypay)
        .idempotency_key(k("c1"))
        .await
        .unwrap();
    let _: Outcome<Value> = client
        .call(Command::Capture, &capture)
        .pay_type(PayType::Paypay)
        .idempotency_key(k("c2"))
        .await
        .unwrap();
    let got = server.received();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0].body, got[1].body, "pay: typed vs generic bytes");
    assert_eq!(got[2].body, got[3].body, "capture: typed vs generic bytes");
    let sent: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(sent["control"]["requestMode"], "sandbox");
    // And a caller key reused across the two paths with the same request is
    // the same request (no false conflict).
    let _ = client
        .capture(&capture)
        .idempotency_key(k("c1"))
        .await
        .unwrap();
}
