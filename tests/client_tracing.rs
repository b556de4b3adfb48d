//! The per-call tracing span carries command, paymentId, attempt, resultCode
//! and latency, and nothing recorded (span fields or events) contains the
//! bearer token or a metadata value of the request.
//!
//! A minimal recording `tracing::Subscriber` is used (no extra dependency).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use vt4g::client::{Client, RequestMode, RetryPolicy};
use vt4g::generated::types;
use vt4g::PayType;

const TOKEN: &str = "TRACE-bearer-91ab27cd";
const META: &str = "META-private-value-77";

#[derive(Default, Clone)]
struct Recorder {
    next: Arc<AtomicU64>,
    /// (span name or "event", field name, value)
    fields: Arc<Mutex<Vec<(String, String, String)>>>,
    names: Arc<Mutex<Vec<(u64, String)>>>,
}

struct V<'a>(&'a Recorder, String);

impl Visit for V<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.fields.lock().unwrap().push((
            self.1.clone(),
            field.name().to_owned(),
            format!("{value:?}"),
        ));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.fields.lock().unwrap().push((
            self.1.clone(),
            field.name().to_owned(),
            value.to_owned(),
        ));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let name = span.metadata().name().to_owned();
        self.names.lock().unwrap().push((id, name.clone()));
        span.record(&mut V(self, name));
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let name = self
            .names
            .lock()
            .unwrap()
            .iter()
            .find(|(i, _)| *i == span.into_u64())
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        values.record(&mut V(self, name));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        event.record(&mut V(self, "event".into()));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// A one-shot HTTP server: answers every request with UA-000-001.
async fn server() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                loop {
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    if let Some(p) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&got[..p]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if got.len() >= p + 4 + len {
                            break;
                        }
                    }
                }
                let body = r#"{"result":{"resultCode":"UA-000-001","status":"success","actionCode":"success"}}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/fep/command")
}

#[tokio::test]
async fn span_fields_are_recorded_and_no_secret_or_metadata_leaks() {
    let rec = Recorder::default();
    let _guard = tracing::subscriber::set_default(rec.clone());
    let base = server().await;
    let client = Client::builder()
        .base_url(base, RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let req: types::CaptureRequest = serde_json::from_value(json!({
        "order": {"paymentId": "trace-1", "amount": "1000"},
        "transaction": {"metadata1": META}
    }))
    .unwrap();
    let out = client
        .capture(&req)
        .pay_type(PayType::Paypay)
        .await
        .unwrap();
    assert!(out.is_success());

    let fields = rec.fields.lock().unwrap().clone();
    let get = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(s, f, _)| s == "vt4g.call" && f == name)
            .map(|(_, _, v)| v.clone())
    };
    assert_eq!(get("command").as_deref(), Some("capture"));
    assert_eq!(get("payment_id").as_deref(), Some("trace-1"));
    assert_eq!(get("attempt").as_deref(), Some("1"));
    assert_eq!(get("result_code").as_deref(), Some("UA-000-001"));
    assert_eq!(get("http_status").as_deref(), Some("200"));
    assert!(get("latency_ms").is_some());
    for (s, f, v) in &fields {
        assert!(!v.contains(TOKEN), "{s}.{f} leaks the token");
        assert!(!v.contains(META), "{s}.{f} leaks a metadata value");
    }
}
