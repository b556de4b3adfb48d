//! A bench-like binary for counting what one capture costs, for
//! `valgrind --tool=callgrind` (instruction counts are deterministic on a
//! loaded machine) and `perf stat`.
//!
//! ```sh
//! cargo build --release --example client_overhead
//! valgrind --tool=callgrind target/release/examples/client_overhead client 2000
//! ```
//!
//! `client_overhead <side> <N>` makes 50 warm-up calls, then `N` captures on
//! one current-thread tokio runtime against an in-process axum server on
//! 127.0.0.1 answering a fixed UA-000-001 body (the same set-up as
//! `benches/client.rs`). Run it with two values of `N` and divide the
//! difference by the difference of `N` to get the cost per call without the
//! start-up. Sides:
//!
//! - `raw`: a default `reqwest::Client` posting the pre-serialized request
//!   with the headers `vt4g::Client` sends (Content-Type, Accept,
//!   Authorization, X-VT-Idempotency-Key, User-Agent) and decoding the answer
//!   into `CaptureResponse`.
//! - `raw_timeouts`: the same with the client's reqwest settings (user agent,
//!   10 s connect timeout, 30 s request timeout).
//! - `client`: `vt4g::Client::capture(&req).pay_type(PayType::Paypay)`.
//! - `paired`: all three of `raw`, `raw_timeouts` and `client`, in blocks of
//!   20 calls in turn (rotating which goes first), `N` rounds, each block
//!   timed in thread CPU time (`CLOCK_THREAD_CPUTIME_ID`: client and server
//!   share the thread); prints the median over rounds of the per-round ratios
//!   client/raw and client/raw_timeouts. Pairing within a round makes the
//!   ratio robust to the load of a shared machine; not a criterion figure.
use std::time::{Duration, Instant};

use axum::routing::post;
use serde_json::json;
use vt4g::client::{Client, RequestMode, RetryPolicy};
use vt4g::generated::types;
use vt4g::PayType;

#[path = "../benches/common/raw_capture.rs"]
mod raw_capture;
use raw_capture::raw_capture;

const BODY: &str = r#"{"result":{"status":"success","actionCode":"success","resultCode":"UA-000-001","message":"Success","vResultCode":"1001"},"order":{"paymentId":"bench-1","amount":"1000","payType":"paypay"},"transaction":{"fepReferenceId":"X01AHK4HS7GFKHGKE7SGFJKTHIH","command":"capture"}}"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let side = args.next().unwrap_or_else(|| "client".into());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let base = rt.block_on(async {
        let app = axum::Router::new().route(
            "/fep/command/{command}",
            post(|_body: axum::body::Bytes| async {
                ([("content-type", "application/json")], BODY)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        format!("http://{addr}/fep/command")
    });
    let req: types::CaptureRequest =
        serde_json::from_value(json!({"order": {"paymentId": "bench-1", "amount": "1000"}}))
            .expect("request");
    let url = format!("{base}/capture");
    let body = bytes::Bytes::from(serde_json::to_vec(&req).expect("json"));

    let raw_timeouts = reqwest::Client::builder()
        .user_agent(vt4g::client::USER_AGENT)
        .connect_timeout(vt4g::client::DEFAULT_CONNECT_TIMEOUT)
        .timeout(vt4g::client::DEFAULT_REQUEST_TIMEOUT)
        .build()
        .expect("reqwest");
    let raw_plain = reqwest::Client::new();
    let raw = match side.as_str() {
        "raw_timeouts" => raw_timeouts.clone(),
        _ => raw_plain.clone(),
    };
    let client = Client::builder()
        .base_url(base.clone(), RequestMode::Sandbox)
        .bearer_token("bench-token")
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");

    let raw_call = || async {
        std::hint::black_box(raw_capture(&raw, &url, body.clone()).await);
    };

    let client_call = || async {
        let out = client
            .capture(&req)
            .pay_type(PayType::Paypay)
            .await
            .expect("capture");
        assert!(std::hint::black_box(out).is_success());
    };

    if side == "paired" {
        const BLOCK: u32 = 20;
        let cpu = || {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
        };
        let mut r_raw = Vec::new();
        let mut r_to = Vec::new();
        let (mut sum_raw, mut sum_to, mut sum_cl) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        rt.block_on(async {
            for round in 0..n + 2 {
                let mut t = [Duration::ZERO; 3];
                for k in 0..3 {
                    let which = (k + round as usize) % 3;
                    let start = cpu();
                    for _ in 0..BLOCK {
                        match which {
                            0 => {
                                std::hint::black_box(
                                    raw_capture(&raw_plain, &url, body.clone()).await,
                                );
                            }
                            1 => {
                                std::hint::black_box(
                                    raw_capture(&raw_timeouts, &url, body.clone()).await,
                                );
                            }
                            _ => client_call().await,
                        }
                    }
                    t[which] = cpu() - start;
                }
                if round >= 2 {
                    // the first two rounds warm up
                    r_raw.push(t[2].as_secs_f64() / t[0].as_secs_f64());
                    r_to.push(t[2].as_secs_f64() / t[1].as_secs_f64());
                    sum_raw += t[0];
                    sum_to += t[1];
                    sum_cl += t[2];
                }
            }
        });
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        };
        let calls = u32::try_from(n).unwrap_or(u32::MAX).max(1) * BLOCK;
        eprintln!(
            "paired: {n} rounds x {BLOCK} calls each; CPU per call raw {:?}, raw_timeouts {:?}, client {:?}; \
             median per-round ratio client/raw {:.3}, client/raw_timeouts {:.3}",
            sum_raw / calls,
            sum_to / calls,
            sum_cl / calls,
            median(&mut r_raw),
            median(&mut r_to)
        );
        return;
    }

    let is_raw = side.starts_with("raw");
    let started = rt.block_on(async {
        for _ in 0..50 {
            if is_raw {
                raw_call().await
            } else {
                client_call().await
            }
        }
        let t = Instant::now();
        for _ in 0..n {
            if is_raw {
                raw_call().await
            } else {
                client_call().await
            }
        }
        t
    });
    let per = started.elapsed() / u32::try_from(n.max(1)).unwrap_or(u32::MAX);
    eprintln!("{side}: {n} calls, {per:?} per call (wall)");
}
