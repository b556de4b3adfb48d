//! Bounded retention (`SandboxConfig::retention`): what is kept, what is
//! evicted, and how an evicted order answers — over real HTTP.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::*;
use serde_json::{json, Value};
use vt4g_sandbox::{ManualClock, Retention, SandboxConfig};

fn retention(f: impl FnOnce(&mut Retention)) -> Retention {
    let mut r = Retention::default();
    f(&mut r);
    r
}

/// pay + consumer step; returns (fepReferenceId of the pay, consumer URL).
async fn ready(api: &Api, pid: &str) -> (String, String) {
    let a = api.pay("paypay", pid, Some("1000"), |_| {}).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let (s, _) = api.consumer(&a, None).await;
    assert_eq!(s, 302);
    (
        a.body["transaction"]["fepReferenceId"]
            .as_str()
            .unwrap()
            .to_owned(),
        a.body["control"]["redirectUrl"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

async fn gtr(api: &Api, fep_ref: &str) -> Answer {
    api.call(
        "getTransactionResult",
        &json!({"transaction": {"fepReferenceId": fep_ref}}),
        None,
    )
    .await
}

async fn stats(api: &Api) -> Value {
    api.admin_get("/_sandbox/stats").await
}

#[tokio::test]
async fn the_least_recently_used_order_is_evicted_and_answers_like_an_unknown_order() {
    let api = start(SandboxConfig::default().retention(retention(|r| r.max_orders = 3))).await;
    let (ref_a, _) = ready(&api, "order-a").await;
    let (ref_b, page_b) = ready(&api, "order-b").await;
    ready(&api, "order-c").await;
    // Using order-a (getTransactionResult) makes order-b the least recently used.
    assert_eq!(gtr(&api, &ref_a).await.code(), "UA-000-001");
    ready(&api, "order-d").await;

    let s = stats(&api).await;
    assert_eq!(s["orders"], 3, "{s}");
    assert_eq!(s["ordersEvicted"], 1, "{s}");
    assert!(api.sandbox.order("order-b").is_none());
    for kept in ["order-a", "order-c", "order-d"] {
        assert!(api.sandbox.order(kept).is_some(), "{kept}");
    }

    // Every way of naming order-b answers as for an order that never existed.
    let a = api.call("capture", &order_ref("order-b"), None).await;
    assert_eq!((a.status, a.code()), (404, "UA-REQ-900"), "{:?}", a.body);
    let a = gtr(&api, &ref_b).await;
    assert_eq!((a.status, a.code()), (404, "UA-REQ-900"), "{:?}", a.body);
    let r = api.http.get(&page_b).send().await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        404,
        "consumer page of an evicted order"
    );
    let r = api
        .http
        .get(format!(
            "{}/_sandbox/orders/order-b",
            api.sandbox.root_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // The kept ones work as before.
    let a = api.call("capture", &order_ref("order-a"), None).await;
    assert_eq!((a.status, a.code()), (200, "UA-000-001"), "{:?}", a.body);

    // The effect log is not tied to orders: order-b's pay is still there.
    assert!(api
        .sandbox
        .effects()
        .iter()
        .any(|e| e.payment_id == "order-b" && e.command == "pay"));

    // An evicted order's paymentId is free again.
    let a = api.pay("paypay", "order-b", Some("1000"), |_| {}).await;
    assert_eq!((a.status, a.code()), (200, "UA-000-001"), "{:?}", a.body);
}

#[tokio::test]
async fn retained_orders_stay_bounded_over_many_orders() {
    let cap = 20;
    let api = start(SandboxConfig::default().retention(retention(|r| r.max_orders = cap))).await;
    let total = 200;
    for i in 0..total {
        let pid = format!("many-{i}");
        ready(&api, &pid).await;
        let a = api.call("capture", &order_ref(&pid), None).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        let s = api.sandbox.stats();
        assert!(s.orders <= cap, "{s:?}");
        // pay + capture transaction per kept order, nothing more.
        assert!(s.transactions <= 2 * cap, "{s:?}");
    }
    let s = api.sandbox.stats();
    assert_eq!(s.orders, cap);
    assert_eq!(s.transactions, 2 * cap);
    assert_eq!(s.orders_evicted, (total - cap) as u64);
    // The newest are the kept ones.
    assert!(api.sandbox.order(&format!("many-{}", total - 1)).is_some());
    assert!(api.sandbox.order("many-0").is_none());
    // Default effect-log bound is far above this: complete.
    assert_eq!(s.effects, 2 * total);
    assert_eq!(s.effects_dropped, 0);
}

#[tokio::test]
async fn a_truncated_effect_log_says_so() {
    let api = start(SandboxConfig::default().retention(retention(|r| r.max_effects = 5))).await;
    for i in 0..4 {
        let pid = format!("eff-{i}");
        ready(&api, &pid).await;
        let a = api.call("capture", &order_ref(&pid), None).await;
        assert_eq!(a.status, 200);
    }
    // 8 effects applied, the newest 5 kept.
    let r = api
        .http
        .get(format!("{}/_sandbox/effects", api.sandbox.root_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("x-sandbox-effects-dropped")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    let list: Vec<Value> = r.json().await.unwrap();
    let seqs: Vec<u64> = list.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, vec![4, 5, 6, 7, 8]);
    assert_eq!(list[4]["paymentId"], "eff-3");
    assert_eq!(list[4]["command"], "capture");
    let s = stats(&api).await;
    assert_eq!(
        (s["effects"].as_u64(), s["effectsDropped"].as_u64()),
        (Some(5), Some(3))
    );
    // The orders themselves are all kept.
    assert_eq!(s["orders"], 4);
}

#[tokio::test]
async fn idle_orders_expire_on_the_simulator_clock() {
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_750_000_000));
    let api = start(
        SandboxConfig::default()
            .clock(std::sync::Arc::new(clock.clone()))
            .retention(retention(|r| r.order_ttl = Some(Duration::from_secs(3600)))),
    )
    .await;
    let (fep_ref, _) = ready(&api, "idle-1").await;
    ready(&api, "idle-2").await;
    clock.advance(Duration::from_secs(59 * 60));
    // Used within the hour: idle-1 stays, idle-2 does not get that grace.
    assert_eq!(gtr(&api, &fep_ref).await.code(), "UA-000-001");
    clock.advance(Duration::from_secs(2 * 60));
    let a = api.call("capture", &order_ref("idle-2"), None).await;
    assert_eq!((a.status, a.code()), (404, "UA-REQ-900"), "{:?}", a.body);
    let a = api.call("capture", &order_ref("idle-1"), None).await;
    assert_eq!((a.status, a.code()), (200, "UA-000-001"), "{:?}", a.body);
    clock.advance(Duration::from_secs(3600));
    let a = gtr(&api, &fep_ref).await;
    assert_eq!((a.status, a.code()), (404, "UA-REQ-900"), "{:?}", a.body);
    let s = api.sandbox.stats();
    assert_eq!(
        (s.orders, s.orders_evicted, s.transactions),
        (0, 2, 0),
        "{s:?}"
    );
}

#[tokio::test]
async fn idempotency_records_are_bounded_and_outlive_their_order() {
    let api = start(SandboxConfig::default().retention(retention(|r| {
        r.max_orders = 1;
        r.max_idempotency_records = 2;
    })))
    .await;
    let pay = |pid: &str| {
        json!({
            "order": {"payType": "paypay", "paymentId": pid, "amount": "1000"},
            "control": {
                "requestMode": "sandbox",
                "successUrl": "https://merchant.example/success",
                "cancelUrl": "https://merchant.example/cancel",
                "errorUrl": "https://merchant.example/error",
            },
        })
    };
    let first = api.call("pay", &pay("idem-1"), Some("key-1")).await;
    assert_eq!(first.status, 200);
    // idem-2 evicts idem-1 (max_orders = 1); key-1's record is kept.
    assert_eq!(
        api.call("pay", &pay("idem-2"), Some("key-2")).await.status,
        200
    );
    assert!(api.sandbox.order("idem-1").is_none());
    let replay = api.call("pay", &pay("idem-1"), Some("key-1")).await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.raw, first.raw, "the original answer, byte for byte");
    assert_eq!(api.sandbox.effects().len(), 2, "nothing processed again");

    // A third key drops the oldest record (key-1): a retry is processed anew.
    assert_eq!(
        api.call("pay", &pay("idem-3"), Some("key-3")).await.status,
        200
    );
    assert_eq!(api.sandbox.stats().idempotency_records, 2);
    let again = api.call("pay", &pay("idem-1"), Some("key-1")).await;
    assert_eq!(again.status, 200);
    assert_ne!(again.raw, first.raw);
    assert_eq!(api.sandbox.effects().len(), 4);
}

#[tokio::test]
async fn webhook_records_are_bounded() {
    let (url, rec) = receiver(vec![]).await;
    let api = start(SandboxConfig::default().retention(retention(|r| r.max_webhooks = 2))).await;
    for i in 0..3 {
        let pid = format!("hook-{i}");
        ready(&api, &pid).await;
        let a = api
            .call(
                "capture",
                &json!({"order": {"paymentId": pid}, "control": {"pushUrl": url}}),
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
    }
    // Every webhook is delivered; only the newest two are recorded.
    assert!(eventually(|| rec.got.lock().len() == 3).await);
    let r = api
        .http
        .get(format!("{}/_sandbox/webhooks", api.sandbox.root_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("x-sandbox-webhooks-dropped")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let list: Vec<Value> = r.json().await.unwrap();
    let pids: Vec<&str> = list
        .iter()
        .map(|w| w["paymentId"].as_str().unwrap())
        .collect();
    assert_eq!(pids, vec!["hook-1", "hook-2"]);
    assert!(
        eventually(|| api
            .sandbox
            .webhooks()
            .iter()
            .all(|w| w.state == vt4g_sandbox::DeliveryState::Delivered))
        .await
    );
}

#[tokio::test]
async fn the_default_keeps_everything_a_test_makes() {
    let d = Retention::default();
    assert!(d.max_orders >= 100_000 && d.order_ttl.is_none());
    assert!(d.max_effects >= 500_000 && d.max_idempotency_records >= 100_000);
    let api = start(SandboxConfig::default()).await;
    ready(&api, "default-1").await;
    let s = stats(&api).await;
    assert_eq!(s["ordersEvicted"], 0);
    assert_eq!(s["effectsDropped"], 0);
    assert_eq!(s["webhooksDropped"], 0);
    let r = api
        .http
        .get(format!("{}/_sandbox/effects", api.sandbox.root_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("x-sandbox-effects-dropped")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
}
