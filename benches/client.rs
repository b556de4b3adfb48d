//! Call overhead of [`vt4g::Client`] against raw reqwest, on loopback.
//!
//! `cargo bench -p vt4g --bench client`
//!
//! Both sides talk to the same minimal axum server on 127.0.0.1 that answers
//! every `POST /fep/command/capture` with a fixed UA-000-001 body.
//!
//! - `raw_reqwest`: a `reqwest::Client` posting the pre-serialized JSON of the
//!   same `CaptureRequest` with the same headers (fixed idempotency key), then
//!   reading the body and decoding it into `CaptureResponse`.
//! - `vt4g_client`: `client.capture(&req).pay_type(PayType::Paypay).await`:
//!   per-provider validation of the typed request, one serialization, a fresh
//!   UUIDv4 key (from the OS: one `getrandom` system call), the send, and the
//!   typed decode (which also gives the result code).
//!
//! - `raw_reqwest_with_timeouts`: as `raw_reqwest` with the client's reqwest
//!   configuration (user agent, 10 s connect / 30 s request timeouts): the
//!   request timeout costs a timer per request, a setting a payment SDK must
//!   have, so the ratio is reported against both baselines.
//! - `vt4g_client_caller_key`, `vt4g_client_no_pay_type`,
//!   `vt4g_get_transaction_result_no_key`: variants for reading the difference.
//! - `capture_local_work/*`: the client's CPU work without I/O: the typed
//!   path it takes (`typed_validate_to_vec`), the former `to_value` path
//!   (`to_value_validate_to_vec`, what `Client::call` with a generic body
//!   still does), and key generation.
//!
//! - `capture_interleaved/*`: the three calls (`raw_reqwest`,
//!   `raw_reqwest_with_timeouts`, `vt4g_client`) made in turn in one loop,
//!   timing one of them, so all see the same load (use these for the ratio on
//!   a shared machine).
//!
//! - `capture_cpu/*`: the same three calls, each in its own loop, timed in
//!   **thread CPU time** instead of wall time: the user + system CPU time of
//!   the bench thread (`CLOCK_THREAD_CPUTIME_ID`), which runs both the client
//!   and the server (current-thread runtime), read once per sample. On loopback a call never waits for anything but the CPU, so this
//!   is the work per call — what wall time measures on an idle machine —
//!   without the time spent waiting for a CPU on a loaded one. Linux only.
//!
//! The goal is `vt4g_client` ≤ 1.05 × `raw_reqwest`.
use std::hint::black_box;
use std::time::Duration;

use axum::routing::post;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use vt4g::client::{Client, RequestMode, RetryPolicy};
use vt4g::generated::types;
use vt4g::PayType;

#[path = "common/raw_capture.rs"]
mod raw_capture;
use raw_capture::raw_capture;

const BODY: &str = r#"{"result":{"status":"success","actionCode":"success","resultCode":"UA-000-001","message":"Success","vResultCode":"1001"},"order":{"paymentId":"bench-1","amount":"1000","payType":"paypay"},"transaction":{"fepReferenceId":"X01AHK4HS7GFKHGKE7SGFJKTHIH","command":"capture"}}"#;

fn bench(c: &mut Criterion) {
    // One thread for server and client: the measurement is the work per call,
    // not cross-thread wake-up latency (which dominated and varied with load
    // on this shared 2-core machine).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(async {
        let app = axum::Router::new().route(
            "/fep/command/{command}",
            post(|_body: axum::body::Bytes| async {
                ([("content-type", "application/json")], BODY)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        format!("http://{addr}/fep/command")
    });
    let client = Client::builder()
        .base_url(base.clone(), RequestMode::Sandbox)
        .bearer_token("bench-token")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let req: types::CaptureRequest =
        serde_json::from_value(json!({"order": {"paymentId": "bench-1", "amount": "1000"}}))
            .unwrap();
    let raw = reqwest::Client::builder().build().unwrap();
    // The same reqwest configuration as `Client` uses (timeouts, user agent).
    let raw_timeouts = reqwest::Client::builder()
        .user_agent(vt4g::client::USER_AGENT)
        .connect_timeout(vt4g::client::DEFAULT_CONNECT_TIMEOUT)
        .timeout(vt4g::client::DEFAULT_REQUEST_TIMEOUT)
        .build()
        .unwrap();
    let url = format!("{base}/capture");
    let body = bytes::Bytes::from(serde_json::to_vec(&req).unwrap());

    // Sanity: both paths succeed before measuring.
    rt.block_on(async {
        assert!(client
            .capture(&req)
            .pay_type(PayType::Paypay)
            .await
            .unwrap()
            .is_success());
    });

    let mut g = c.benchmark_group("capture_loopback");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("raw_reqwest", |b| {
        b.iter(|| black_box(rt.block_on(raw_capture(&raw, &url, body.clone()))))
    });
    g.bench_function("raw_reqwest_with_timeouts", |b| {
        b.iter(|| black_box(rt.block_on(raw_capture(&raw_timeouts, &url, body.clone()))))
    });
    g.bench_function("vt4g_client", |b| {
        b.iter(|| {
            rt.block_on(async {
                let out = client
                    .capture(&req)
                    .pay_type(PayType::Paypay)
                    .await
                    .unwrap();
                black_box(out)
            })
        })
    });
    g.finish();

    // The same three calls, in turn: each iteration makes one call of each
    // kind and times only one of them, so all see the same machine load.
    let raw_call = |http: &'static str| {
        let (client, ua) = match http {
            "plain" => (&raw, Some(vt4g::client::USER_AGENT)),
            _ => (&raw_timeouts, None),
        };
        let url = &url;
        let body = body.clone();
        async move {
            let mut rb = client
                .post(url)
                .header("content-type", "application/json")
                .header("authorization", "Bearer bench-token")
                .header(
                    "x-vt-idempotency-key",
                    "29eb1743-b37c-4c4b-badb-7bc4056d9a98",
                );
            if let Some(ua) = ua {
                rb = rb.header("user-agent", ua);
            }
            let resp = rb.body(body).send().await.unwrap();
            let bytes = resp.bytes().await.unwrap();
            let typed: types::CaptureResponse = serde_json::from_slice(&bytes).unwrap();
            black_box(typed);
        }
    };
    let client_call = || async {
        let out = client
            .capture(&req)
            .pay_type(PayType::Paypay)
            .await
            .unwrap();
        assert!(black_box(out).is_success());
    };
    let mut g = c.benchmark_group("capture_interleaved");
    g.measurement_time(Duration::from_secs(5));
    for timed_side in ["raw_reqwest", "raw_reqwest_with_timeouts", "vt4g_client"] {
        g.bench_function(timed_side, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        for side in ["raw_reqwest", "raw_reqwest_with_timeouts", "vt4g_client"] {
                            let t = std::time::Instant::now();
                            match side {
                                "raw_reqwest" => raw_call("plain").await,
                                "raw_reqwest_with_timeouts" => raw_call("timeouts").await,
                                _ => client_call().await,
                            }
                            if side == timed_side {
                                timed += t.elapsed();
                            }
                        }
                    }
                    timed
                })
            })
        });
    }
    g.finish();

    // Thread CPU time of `iters` calls of one kind.
    let mut g = c.benchmark_group("capture_cpu");
    g.measurement_time(Duration::from_secs(5));
    if thread_cpu_time().is_some() {
        for side in ["raw_reqwest", "raw_reqwest_with_timeouts", "vt4g_client"] {
            g.bench_function(side, |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let before = thread_cpu_time().expect("schedstat");
                        for _ in 0..iters {
                            match side {
                                "raw_reqwest" => raw_call("plain").await,
                                "raw_reqwest_with_timeouts" => raw_call("timeouts").await,
                                _ => client_call().await,
                            }
                        }
                        thread_cpu_time().expect("schedstat") - before
                    })
                })
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("capture_loopback_variants");
    let fixed_key = vt4g::idempotency::IdempotencyKey::new("bench-fixed-key").unwrap();
    g.bench_function("vt4g_client_caller_key", |b| {
        b.iter(|| {
            rt.block_on(async {
                let out = client
                    .capture(&req)
                    .pay_type(PayType::Paypay)
                    .idempotency_key(fixed_key.clone())
                    .await
                    .unwrap();
                black_box(out)
            })
        })
    });
    g.bench_function("vt4g_client_no_pay_type", |b| {
        b.iter(|| rt.block_on(async { black_box(client.capture(&req).await.unwrap()) }))
    });
    let gtr = json!({"transaction": {"fepReferenceId": "X01AHK4HS7GFKHGKE7SGFJKTHIH"}});
    g.bench_function("vt4g_get_transaction_result_no_key", |b| {
        b.iter(|| {
            rt.block_on(async {
                let out: vt4g::client::Outcome<serde_json::Value> = client
                    .call(vt4g::Command::GetTransactionResult, &gtr)
                    .await
                    .unwrap();
                black_box(out)
            })
        })
    });
    g.finish();

    // The client's local work, for reading the difference above.
    let mut g = c.benchmark_group("capture_local_work");
    let opts = vt4g::validation::ValidationOptions::new(RequestMode::Sandbox)
        .with_pay_type(PayType::Paypay);
    g.bench_function("typed_validate_to_vec", |b| {
        b.iter(|| {
            use vt4g::validation::ValidateRequest;
            let report = req.validate(&opts);
            black_box(report.is_valid());
            black_box(serde_json::to_vec(&req).unwrap())
        })
    });
    g.bench_function("to_value_validate_to_vec", |b| {
        b.iter(|| {
            let v = serde_json::to_value(&req).unwrap();
            let report = vt4g::validation::validate(vt4g::Command::Capture, &v, &opts);
            black_box(report.is_valid());
            black_box(serde_json::to_vec(&v).unwrap())
        })
    });
    g.bench_function("uuid_v4", |b| {
        b.iter(|| black_box(vt4g::idempotency::IdempotencyKey::generate()))
    });
    g.finish();
}

/// The calling thread's time on a CPU, user + system
/// (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`); `None` where there is no such clock.
fn thread_cpu_time() -> Option<Duration> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Some(Duration::new(
            u64::try_from(t.tv_sec).ok()?,
            u32::try_from(t.tv_nsec).ok()?,
        ))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        None
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
