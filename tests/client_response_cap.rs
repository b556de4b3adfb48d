//! The client's answer-size cap (`ClientBuilder::max_response_bytes`) over real
//! HTTP: a loopback server on 127.0.0.1 answers with bodies around the cap,
//! with and without `Content-Length`. An oversized answer is a `Decode` error
//! that is maybe processed (the API answered, so the effect may have happened),
//! never retried, and a ledger scope stays resumable with the same key.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vt4g::client::{Client, RequestMode, RetryPolicy};
use vt4g::generated::types;
use vt4g::idempotency::InMemoryStore;
use vt4g::Error;

const TOKEN: &str = "tok-cap-test";
const CAP: usize = 4096;

/// One scripted answer: the body, and whether `Content-Length` is sent (without
/// it the body ends when the connection closes).
#[derive(Clone)]
struct Answer {
    body: Vec<u8>,
    content_length: bool,
}

/// A loopback HTTP/1.1 server answering from a script; records each request's
/// idempotency key.
struct Server {
    base: String,
    keys: Arc<Mutex<Vec<Option<String>>>>,
}

async fn start(script: Vec<Answer>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fep/command", listener.local_addr().unwrap());
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let keys = Arc::new(Mutex::new(Vec::new()));
    let k = keys.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let script = script.clone();
            let keys = k.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head and the body announced by Content-Length.
                let (head_end, len) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..p]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        let key = head
                            .lines()
                            .find_map(|l| l.strip_prefix("x-vt-idempotency-key:"))
                            .map(|v| v.trim().to_owned());
                        keys.lock().unwrap().push(key);
                        break (p, len);
                    }
                };
                while buf.len() < head_end + 4 + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let answer = script.lock().unwrap().pop_front().unwrap_or(Answer {
                    body: success(0),
                    content_length: true,
                });
                let mut head =
                    String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n");
                if answer.content_length {
                    head.push_str(&format!("content-length: {}\r\n", answer.body.len()));
                }
                head.push_str("connection: close\r\n\r\n");
                let _ = sock.write_all(head.as_bytes()).await;
                // Written in pieces, so the client sees a stream.
                for piece in answer.body.chunks(1000) {
                    if sock.write_all(piece).await.is_err() {
                        return;
                    }
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    Server { base, keys }
}

/// A success answer padded to at least `len` bytes with a long `message`.
fn success(len: usize) -> Vec<u8> {
    let mut body = json!({
        "result": {"status": "success", "actionCode": "success", "resultCode": "UA-000-001",
                   "message": "", "vResultCode": "1001"},
        "order": {"paymentId": "pay-1", "amount": "1000"},
        "transaction": {"fepReferenceId": "ref-1"}
    });
    let base = serde_json::to_vec(&body).unwrap().len();
    body["result"]["message"] = json!("x".repeat(len.saturating_sub(base)));
    serde_json::to_vec(&body).unwrap()
}

fn client(server: &Server, store: Option<Arc<InMemoryStore>>) -> Client {
    let mut b = Client::builder()
        .base_url(&server.base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .request_timeout(Duration::from_secs(5))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(4)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
        .max_response_bytes(CAP);
    if let Some(s) = store {
        b = b.idempotency_store(s);
    }
    b.build().unwrap()
}

fn capture() -> types::CaptureRequest {
    serde_json::from_value(json!({"order": {"paymentId": "pay-1", "amount": "1000"}})).unwrap()
}

fn assert_oversized(err: &Error, head_len: usize) {
    assert!(err.maybe_processed(), "{err:?}");
    match err {
        Error::Decode(d) => {
            assert_eq!(d.http_status, 200);
            assert_eq!(d.attempts, 1, "an oversized answer is not resent");
            assert_eq!(d.body.len(), head_len);
            assert!(d.reason.contains("4096 bytes"), "{}", d.reason);
            assert!(d.idempotency_key.is_some());
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_not_read_and_not_resent() {
    let server = start(vec![Answer {
        body: success(CAP + 1),
        content_length: true,
    }])
    .await;
    let err = client(&server, None).capture(&capture()).await.unwrap_err();
    assert_oversized(&err, 0);
    assert_eq!(server.keys.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_streamed_body_over_the_cap_is_cut_at_the_cap() {
    let server = start(vec![Answer {
        body: success(CAP * 3),
        content_length: false,
    }])
    .await;
    let err = client(&server, None).capture(&capture()).await.unwrap_err();
    assert_oversized(&err, CAP);
    assert_eq!(server.keys.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_body_of_exactly_the_cap_is_read() {
    for content_length in [true, false] {
        let body = success(CAP);
        assert_eq!(body.len(), CAP);
        let server = start(vec![Answer {
            body,
            content_length,
        }])
        .await;
        let out = client(&server, None).capture(&capture()).await.unwrap();
        assert!(out.is_success());
    }
}

#[tokio::test]
async fn an_oversized_answer_leaves_the_scope_resumable_with_the_same_key() {
    let server = start(vec![
        Answer {
            body: success(CAP * 2),
            content_length: false,
        },
        Answer {
            body: success(0),
            content_length: true,
        },
    ])
    .await;
    let store = Arc::new(InMemoryStore::new());
    let c = client(&server, Some(store));
    let err = c
        .capture(&capture())
        .scope("order-1/capture")
        .await
        .unwrap_err();
    assert_oversized(&err, CAP);
    let key = err.idempotency_key().unwrap().to_owned();
    let out = c
        .capture(&capture())
        .scope("order-1/capture")
        .await
        .unwrap();
    assert!(out.is_success());
    let keys = server.keys.lock().unwrap().clone();
    assert_eq!(keys, vec![Some(key.clone()), Some(key)]);
}
