//! Fault injection: each kind, per request (admin API and in-process) and by
//! seeded probability; faults without effect change nothing, applied-then-
//! dropped requests replay with the same key.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use vt4g::Command;
use vt4g_sandbox::{FaultKind, FaultRule, OrderState, RandomFaults, SandboxConfig};

#[tokio::test]
async fn error_faults_answer_and_change_nothing() {
    let api = start(SandboxConfig::default()).await;
    api.ready_order("paypay", "f1", Some("1000"), false).await;
    let before = api.sandbox.effects().len();
    for (fault, status, code) in [
        ("server_error", 500, "UA-SYS-003"),
        ("rate_limited", 429, "UA-LMT-001"),
        ("in_process", 406, "UA-REQ-005"),
        ("maintenance", 503, "UA-PRV-999"),
    ] {
        let (s, _) = api
            .admin_post(
                "/_sandbox/faults",
                &json!({"command": "capture", "paymentId": "f1", "fault": fault, "count": 1}),
            )
            .await;
        assert_eq!(s, 201);
        let a = api.call("capture", &order_ref("f1"), Some("k-err")).await;
        assert_eq!((a.status, a.code()), (status, code), "{fault}");
        assert_eq!(
            api.sandbox.order("f1").unwrap().state,
            OrderState::Authorized
        );
        assert_eq!(api.sandbox.effects().len(), before);
    }
    // The key was not recorded by the faulted requests: this one processes.
    let a = api.call("capture", &order_ref("f1"), Some("k-err")).await;
    assert_eq!((a.status, a.code()), (200, "UA-000-001"));
    assert_eq!(api.sandbox.effects().len(), before + 1);
    // A rule for another paymentId / command does not fire here.
    api.sandbox.add_fault(FaultRule::new(
        Some(Command::Cancel),
        Some("other"),
        FaultKind::ServerError,
        1,
    ));
    assert_eq!(
        api.call("cancel", &with_amount("f1", "10"), None)
            .await
            .code(),
        "UA-000-001"
    );
    assert_eq!(
        api.admin_get("/_sandbox/faults")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (s, _) = api
        .admin_post("/_sandbox/faults", &json!({"fault": "no_such_fault"}))
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn drop_connection_closes_without_answer_and_without_effect() {
    let api = start(SandboxConfig::default()).await;
    api.ready_order("au", "f2", Some("1000"), false).await;
    api.sandbox.add_fault(FaultRule::new(
        Some(Command::Capture),
        None,
        FaultKind::DropConnection,
        1,
    ));
    let r = api
        .http
        .post(format!("{}/capture", api.sandbox.base_url()))
        .header("Authorization", "Bearer sandbox-token")
        .header("X-VT-Idempotency-Key", "k-drop")
        .json(&order_ref("f2"))
        .send()
        .await;
    assert!(r.is_err(), "no HTTP answer");
    assert_eq!(
        api.sandbox.order("f2").unwrap().state,
        OrderState::Authorized
    );
    assert!(api.sandbox.effects().iter().all(|e| e.command != "capture"));
    let a = api.call("capture", &order_ref("f2"), Some("k-drop")).await;
    assert_eq!(
        a.code(),
        "UA-000-001",
        "retry with the same key is processed"
    );
}

#[tokio::test]
async fn apply_then_drop_applies_once_and_replays() {
    let api = start(SandboxConfig::default()).await;
    api.ready_order("merpay", "f3", Some("1000"), false).await;
    api.sandbox.add_fault(FaultRule::new(
        Some(Command::Capture),
        Some("f3"),
        FaultKind::ApplyThenDrop,
        1,
    ));
    let send = || {
        api.http
            .post(format!("{}/capture", api.sandbox.base_url()))
            .header("Authorization", "Bearer sandbox-token")
            .header("X-VT-Idempotency-Key", "k-atd")
            .json(&order_ref("f3"))
            .send()
    };
    assert!(send().await.is_err(), "the client never sees the answer");
    assert_eq!(
        api.sandbox.order("f3").unwrap().state,
        OrderState::Captured,
        "effect applied"
    );
    let replay = api.call("capture", &order_ref("f3"), Some("k-atd")).await;
    assert_eq!(
        (replay.status, replay.code()),
        (200, "UA-000-001"),
        "original response replayed"
    );
    let caps: Vec<_> = api
        .sandbox
        .effects()
        .into_iter()
        .filter(|e| e.command == "capture")
        .collect();
    assert_eq!(caps.len(), 1);
    assert_eq!(caps[0].idempotency_key.as_deref(), Some("k-atd"));
    // Without the key the retry is a new request: the order is already captured.
    assert_eq!(
        api.call("capture", &order_ref("f3"), None).await.code(),
        "UA-REQ-007"
    );
}

#[tokio::test]
async fn delay_outlives_the_client_timeout_and_blocks_the_key_meanwhile() {
    let api = start(SandboxConfig::default().fault_delay(Duration::from_millis(700))).await;
    api.ready_order("docomo", "f4", Some("1000"), false).await;
    api.sandbox.add_fault(FaultRule::new(
        Some(Command::Capture),
        None,
        FaultKind::Delay,
        1,
    ));
    let r = api
        .http
        .post(format!("{}/capture", api.sandbox.base_url()))
        .header("Authorization", "Bearer sandbox-token")
        .header("X-VT-Idempotency-Key", "k-delay")
        .timeout(Duration::from_millis(100))
        .json(&order_ref("f4"))
        .send()
        .await;
    assert!(r.unwrap_err().is_timeout());
    // Still in process: same key → 406 UA-REQ-005.
    let busy = api.call("capture", &order_ref("f4"), Some("k-delay")).await;
    assert_eq!((busy.status, busy.code()), (406, "UA-REQ-005"));
    // The delayed request completes on the server even though the client left.
    assert!(eventually(|| api.sandbox.order("f4").unwrap().state == OrderState::Captured).await);
    let replay = api.call("capture", &order_ref("f4"), Some("k-delay")).await;
    assert_eq!(replay.code(), "UA-000-001");
    assert_eq!(
        api.sandbox
            .effects()
            .iter()
            .filter(|e| e.command == "capture")
            .count(),
        1
    );
}

#[tokio::test]
async fn seeded_random_faults_are_reproducible() {
    async fn run(seed: u64) -> Vec<String> {
        let cfg = SandboxConfig::default().random_faults(RandomFaults {
            rate: 0.5,
            seed,
            kinds: vec![FaultKind::ServerError, FaultKind::RateLimited],
        });
        let api = start(cfg).await;
        let mut out = Vec::new();
        for i in 0..40 {
            let a = api
                .call(
                    "getTransactionResult",
                    &json!({"transaction": {"fepReferenceId": format!("X{i}")}}),
                    None,
                )
                .await;
            out.push(a.code().to_owned());
        }
        out
    }
    let a = run(7).await;
    assert_eq!(a, run(7).await);
    assert!(a.iter().any(|c| c == "UA-SYS-003") && a.iter().any(|c| c == "UA-LMT-001"));
    assert!(a.iter().any(|c| c == "UA-REQ-900"), "some requests pass");
}
