//! Shared helpers for the sandbox tests (real HTTP on 127.0.0.1).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{json, Value};
use vt4g_sandbox::{Sandbox, SandboxConfig, DEFAULT_BEARER_TOKEN};

pub struct Api {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["result"]["resultCode"].as_str().unwrap_or("")
    }
    pub fn v_code(&self) -> &str {
        self.body["result"]["vResultCode"].as_str().unwrap_or("")
    }
}

pub async fn start(cfg: SandboxConfig) -> Api {
    let sandbox = Sandbox::start(cfg).await.expect("start sandbox");
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Api { sandbox, http }
}

impl Api {
    pub async fn call(&self, command: &str, body: &Value, key: Option<&str>) -> Answer {
        self.call_raw(
            command,
            serde_json::to_vec(body).unwrap(),
            key,
            Some(DEFAULT_BEARER_TOKEN),
        )
        .await
    }

    pub async fn call_raw(
        &self,
        command: &str,
        body: Vec<u8>,
        key: Option<&str>,
        token: Option<&str>,
    ) -> Answer {
        let mut req = self
            .http
            .post(format!("{}/{command}", self.sandbox.base_url()))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(k) = key {
            req = req.header("X-VT-Idempotency-Key", k);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let raw = resp.bytes().await.expect("body").to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Answer { status, body, raw }
    }

    /// pay (or subscribe when `amount` is None) and return the answer.
    pub async fn pay(
        &self,
        pay_type: &str,
        payment_id: &str,
        amount: Option<&str>,
        extra: impl FnOnce(&mut Value),
    ) -> Answer {
        let mut body = json!({
            "order": {"payType": pay_type, "paymentId": payment_id},
            "control": {
                "requestMode": "sandbox",
                "successUrl": "https://merchant.example/success",
                "cancelUrl": "https://merchant.example/cancel",
                "errorUrl": "https://merchant.example/error",
            },
        });
        if let Some(a) = amount {
            body["order"]["amount"] = json!(a);
        }
        if pay_type == "merpay" && amount.is_none() {
            body["order"]["orderName"] = json!("sub");
            body["order"]["description"] = json!("sub");
        }
        extra(&mut body);
        let cmd = if amount.is_some() { "pay" } else { "subscribe" };
        self.call(cmd, &body, None).await
    }

    /// Opens the consumer page; returns (status, Location).
    pub async fn consumer(
        &self,
        pay_answer: &Answer,
        choice: Option<&str>,
    ) -> (u16, Option<String>) {
        let url = pay_answer.body["control"]["redirectUrl"]
            .as_str()
            .expect("redirectUrl")
            .to_owned();
        let url = match choice {
            Some(c) => format!("{url}?choice={c}"),
            None => url,
        };
        let resp = self.http.get(url).send().await.expect("consumer");
        let loc = resp
            .headers()
            .get("location")
            .map(|h| h.to_str().unwrap().to_owned());
        (resp.status().as_u16(), loc)
    }

    /// pay/subscribe + consumer success; panics unless the order is ready.
    pub async fn ready_order(
        &self,
        pay_type: &str,
        payment_id: &str,
        amount: Option<&str>,
        auth_with_capture: bool,
    ) {
        let a = self
            .pay(pay_type, payment_id, amount, |b| {
                if auth_with_capture {
                    b["order"]["authCaptureType"] = json!("auth_with_capture");
                }
            })
            .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        let (s, loc) = self.consumer(&a, None).await;
        assert_eq!(s, 302);
        assert!(loc.unwrap().starts_with("https://merchant.example/success"));
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.sandbox.root_url()))
            .send()
            .await
            .expect("admin")
            .json()
            .await
            .expect("json")
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.sandbox.root_url()))
            .json(body)
            .send()
            .await
            .expect("admin");
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

pub fn order_ref(payment_id: &str) -> Value {
    json!({"order": {"paymentId": payment_id}})
}

pub fn with_amount(payment_id: &str, amount: &str) -> Value {
    json!({"order": {"paymentId": payment_id, "amount": amount}})
}

/// (X-VT-Content-hmac, X-VT-webhook-id, raw body).
pub type Received = (String, String, Vec<u8>);

/// A local webhook receiver: answers with the scripted statuses (then 200),
/// records (headers, raw body).
#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Received>>>,
    pub script: Arc<Mutex<Vec<u16>>>,
}

pub async fn receiver(script: Vec<u16>) -> (String, Receiver) {
    use axum::routing::post;
    let rec = Receiver {
        got: Arc::default(),
        script: Arc::new(Mutex::new(script)),
    };
    let r2 = rec.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let rec = r2.clone();
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    rec.got.lock().push((
                        h("x-vt-content-hmac"),
                        h("x-vt-webhook-id"),
                        body.to_vec(),
                    ));
                    let mut s = rec.script.lock();
                    let status = if s.is_empty() { 200 } else { s.remove(0) };
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/hook"), rec)
}

/// Polls `f` until it returns true (bounded: 10 s), for background deliveries.
pub async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..400 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    f()
}
