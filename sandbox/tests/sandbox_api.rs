//! Auth, format check, life cycle, redirect signature, getTransactionResult,
//! idempotency — over real HTTP.

mod common;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use common::*;
use serde_json::json;
use vt4g::redirect::RedirectVerifier;
use vt4g_sandbox::{ManualClock, OrderState, SandboxConfig, DEFAULT_AUTH_KEY, DEFAULT_CCID};

#[tokio::test]
async fn bearer_token_is_required() {
    let api = start(SandboxConfig::default()).await;
    let body = serde_json::to_vec(&order_ref("x")).unwrap();
    for token in [None, Some("wrong-token")] {
        let a = api.call_raw("capture", body.clone(), None, token).await;
        assert_eq!(a.status, 401);
        assert_eq!(a.code(), "UA-REQ-008");
        assert_eq!(a.body["result"]["actionCode"], "confirm_token");
        assert!(!String::from_utf8_lossy(&a.raw).contains("sandbox-token"));
    }
    let a = api
        .call_raw("nosuchcommand", body, None, Some("sandbox-token"))
        .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn format_errors_name_the_field() {
    let api = start(SandboxConfig::default()).await;
    let a = api
        .call_raw("pay", b"{not json".to_vec(), None, Some("sandbox-token"))
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-001"));
    assert_eq!(a.body["result"]["status"], "failure");

    let a = api
        .pay("paypay", "p1", Some("100"), |b| {
            b["order"]
                .as_object_mut()
                .unwrap()
                .remove("paymentId")
                .map(|_| ())
                .unwrap()
        })
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-001"));
    assert!(a.body["result"]["message"]
        .as_str()
        .unwrap()
        .contains("order.paymentId"));

    let a = api.pay("paypay", "p1", Some("12a"), |_| {}).await;
    assert!(
        a.body["result"]["message"]
            .as_str()
            .unwrap()
            .contains("order.amount"),
        "{:?}",
        a.body
    );

    let a = api
        .pay("paypay", "p1", Some("100"), |b| {
            b["control"]["requestMode"] = json!("live")
        })
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-001"));
    let a = api
        .pay("paypay", "p1", Some("100"), |b| {
            b["control"].as_object_mut().unwrap().remove("requestMode");
        })
        .await;
    assert_eq!(
        (a.status, a.code()),
        (400, "UA-REQ-001"),
        "unset requestMode means live"
    );

    let a = api
        .pay("paypay", "p1", Some("100"), |b| {
            b["control"]["pushUrl"] = json!("http://example.com/hook")
        })
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-001"), "push URL policy");

    let a = api
        .call(
            "capture",
            &json!({"order": {"paymentId": "a", "fepOrderId": "b"}}),
            None,
        )
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-001"));
    let a = api
        .call(
            "capture",
            &json!({"order": {"paymentId": "a"}}),
            Some("bad key!"),
        )
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-001"));
    assert!(api.sandbox.effects().is_empty());
}

#[tokio::test]
async fn pay_redirect_gtr_capture_refund() {
    let api = start(SandboxConfig::default()).await;
    let a = api
        .pay("paypay", "order-1", Some("1000"), |b| {
            b["transaction"] = json!({"merchantRequestKey1": "k1"})
        })
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.code(), "UA-000-001");
    assert_eq!(a.body["order"]["paymentId"], "order-1");
    assert_eq!(a.body["transaction"]["command"], "pay");
    assert_eq!(a.body["transaction"]["merchantRequestKey1"], "k1");
    assert_eq!(
        a.body["transaction"]["transactionDatetime"]
            .as_str()
            .unwrap()
            .len(),
        14
    );
    assert_eq!(a.body["control"]["requestMode"], "sandbox");
    let fep_ref = a.body["transaction"]["fepReferenceId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Before the consumer returns: UA-U00-001.
    let g = api
        .call(
            "getTransactionResult",
            &json!({"transaction": {"fepReferenceId": fep_ref}}),
            None,
        )
        .await;
    assert_eq!((g.status, g.code()), (200, "UA-U00-001"));
    assert!(g.body.get("transactionData").is_none());
    // Not capturable yet.
    let c = api.call("capture", &order_ref("order-1"), None).await;
    assert_eq!((c.status, c.code()), (400, "UA-REQ-007"));

    let (s, loc) = api.consumer(&a, None).await;
    assert_eq!(s, 302);
    let loc = loc.unwrap();
    assert!(
        loc.starts_with("https://merchant.example/success?"),
        "{loc}"
    );
    let verifier = RedirectVerifier::new(DEFAULT_CCID, DEFAULT_AUTH_KEY.into()).unwrap();
    let verified = verifier
        .verify(loc.as_str(), "order-1")
        .expect("redirect verifies");
    let _ = verified;
    // authParams is not the natural order and repeats names.
    let q = url::Url::parse(&loc).unwrap();
    let ap = q
        .query_pairs()
        .find(|(k, _)| k == "authParams")
        .unwrap()
        .1
        .into_owned();
    let names = vt4g::redirect::decode_auth_params(&ap).unwrap();
    assert_ne!(&names[..3], &["status", "actionCode", "resultCode"]);
    assert!(names.len() > 8);
    // Tampering is detected.
    let tampered = loc.replace("paymentId=order-1", "paymentId=order-2");
    assert!(verifier.verify(tampered.as_str(), "order-2").is_err());
    // The same redirect again (browser replays) gives the same Location.
    let (_, loc2) = api.consumer(&a, None).await;
    assert_eq!(loc2.unwrap(), loc);

    let g = api
        .call(
            "getTransactionResult",
            &json!({"transaction": {"fepReferenceId": fep_ref}}),
            None,
        )
        .await;
    assert_eq!((g.status, g.code()), (200, "UA-000-001"));
    assert_eq!(g.body["transactionData"]["order"]["amount"], "1000");
    assert_eq!(g.body["transactionData"]["transaction"]["command"], "pay");

    // Over the authorized amount.
    let c = api
        .call("capture", &with_amount("order-1", "1001"), None)
        .await;
    assert_eq!((c.status, c.code()), (400, "UA-REQ-001"));
    // Cancel of a part before capture is refused.
    let c = api
        .call("cancel", &with_amount("order-1", "100"), None)
        .await;
    assert_eq!((c.status, c.code()), (400, "UA-REQ-001"));
    // Partial capture 900, then refunds 300 + 600, then nothing left.
    let c = api
        .call("capture", &with_amount("order-1", "900"), None)
        .await;
    assert_eq!((c.status, c.code()), (200, "UA-000-001"), "{:?}", c.body);
    assert_eq!(c.body["transaction"]["command"], "capture");
    assert_eq!(c.body["order"]["amount"], "900");
    let c = api.call("capture", &order_ref("order-1"), None).await;
    assert_eq!(
        (c.status, c.code()),
        (400, "UA-REQ-007"),
        "capture only once"
    );
    let c = api
        .call("cancel", &with_amount("order-1", "901"), None)
        .await;
    assert_eq!(
        (c.status, c.code()),
        (400, "UA-REQ-001"),
        "over the balance"
    );
    let c = api
        .call("cancel", &with_amount("order-1", "300"), None)
        .await;
    assert_eq!((c.status, c.code()), (200, "UA-000-001"));
    assert_eq!(api.sandbox.order("order-1").unwrap().balance, 600);
    let c = api.call("cancel", &order_ref("order-1"), None).await;
    assert_eq!((c.status, c.code()), (200, "UA-000-001"));
    assert_eq!(
        c.body["order"]["amount"], "600",
        "unspecified amount = the full balance"
    );
    let o = api.sandbox.order("order-1").unwrap();
    assert_eq!((o.state, o.balance), (OrderState::Canceled, 0));
    let c = api.call("cancel", &order_ref("order-1"), None).await;
    assert_eq!((c.status, c.code()), (400, "UA-REQ-007"));

    let effects = api.admin_get("/_sandbox/effects").await;
    let cmds: Vec<_> = effects
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["command"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(cmds, ["pay", "capture", "cancel", "cancel"]);
    let order = api.admin_get("/_sandbox/orders/order-1").await;
    assert_eq!(order["state"], "canceled");
}

#[tokio::test]
async fn duplicates_unknown_orders_and_unsupported_commands() {
    let api = start(SandboxConfig::default()).await;
    api.ready_order("docomo", "d1", Some("500"), false).await;
    let a = api.pay("docomo", "d1", Some("500"), |_| {}).await;
    assert_eq!((a.status, a.code()), (409, "UA-REQ-003"));
    let a = api.call("capture", &order_ref("nope"), None).await;
    assert_eq!((a.status, a.code()), (404, "UA-REQ-900"));
    let a = api
        .call("updateOrder", &with_amount("d1", "400"), None)
        .await;
    assert_eq!(
        (a.status, a.code()),
        (400, "UA-REQ-001"),
        "updateOrder is rakuten/au only"
    );
    // Full cancel before capture by fepOrderId.
    let fep_order = api.sandbox.order("d1").unwrap().fep_order_id;
    let a = api
        .call("cancel", &json!({"order": {"fepOrderId": fep_order}}), None)
        .await;
    assert_eq!((a.status, a.code()), (200, "UA-000-001"));

    // A failed consumer step frees the paymentId for a retry.
    let a = api.pay("docomo", "d2", Some("500"), |_| {}).await;
    let (_, loc) = api.consumer(&a, Some("cancel")).await;
    assert!(loc.unwrap().starts_with("https://merchant.example/cancel?"));
    assert_eq!(api.sandbox.order("d2").unwrap().state, OrderState::Failed);
    let a = api.pay("docomo", "d2", Some("500"), |_| {}).await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn update_order_rules() {
    let api = start(SandboxConfig::default()).await;
    api.ready_order("rakuten", "r1", Some("1000"), false).await;
    let a = api
        .call("updateOrder", &with_amount("r1", "2000"), None)
        .await;
    assert_eq!((a.status, a.code()), (200, "UA-000-001"), "{:?}", a.body);
    assert_eq!(a.body["transaction"]["command"], "update_order");
    assert_eq!(api.sandbox.order("r1").unwrap().amount, 2000);
    let a = api
        .call(
            "updateOrder",
            &json!({"order": {"paymentId": "r1", "authExtensionType": "extend"}}),
            None,
        )
        .await;
    assert_eq!(a.code(), "UA-000-001");
    // After capture: refused.
    let a = api.call("capture", &order_ref("r1"), None).await;
    assert_eq!(a.code(), "UA-000-001");
    let a = api
        .call("updateOrder", &with_amount("r1", "1000"), None)
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-007"));
    // auth_with_capture orders cannot be changed.
    api.ready_order("au", "a1", Some("1000"), true).await;
    let a = api
        .call("updateOrder", &with_amount("a1", "900"), None)
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-007"));
    // au original orders are not eligible.
    api.ready_order("au", "a2", None, false).await;
    let a = api
        .call("updateOrder", &with_amount("a2", "900"), None)
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-001"));
}

#[tokio::test]
async fn subscribe_charge_terminate_deregister() {
    let api = start(SandboxConfig::default()).await;
    api.ready_order("paypay", "sub-1", None, false).await;
    assert_eq!(
        api.sandbox.order("sub-1").unwrap().state,
        OrderState::Subscribed
    );
    let charge = |pid: &str, amount: &str, awc: bool| {
        json!({"order": {"paymentId": pid, "originalPaymentId": "sub-1", "amount": amount,
                         "authCaptureType": if awc { "auth_with_capture" } else { "auth" }}})
    };
    let a = api
        .call("charge", &charge("ch-1", "1000", false), None)
        .await;
    assert_eq!(
        (a.status, a.code()),
        (400, "UA-REQ-001"),
        "PayPay needs auth_with_capture"
    );
    let a = api
        .call("charge", &charge("ch-1", "1000", true), None)
        .await;
    assert_eq!((a.status, a.code()), (200, "UA-000-001"), "{:?}", a.body);
    assert_eq!(a.body["order"]["originalPaymentId"], "sub-1");
    assert_eq!(
        api.sandbox.order("ch-1").unwrap().state,
        OrderState::Captured
    );
    let a = api
        .call("charge", &charge("ch-1", "1000", true), None)
        .await;
    assert_eq!((a.status, a.code()), (409, "UA-REQ-003"));
    let a = api.call("charge", &json!({"order": {"paymentId": "x", "originalPaymentId": "none", "amount": "1", "authCaptureType": "auth_with_capture"}}), None).await;
    assert_eq!((a.status, a.code()), (404, "UA-REQ-900"));
    // A failed charge (digit 3) leaves the paymentId reusable.
    let a = api
        .call("charge", &charge("ch-2", "1003", true), None)
        .await;
    assert_eq!((a.status, a.code()), (502, "UA-PRV-001"));
    let a = api
        .call("charge", &charge("ch-2", "1000", true), None)
        .await;
    assert_eq!(a.code(), "UA-000-001");
    // Terminate, then charge is refused.
    let a = api.call("terminate", &order_ref("sub-1"), None).await;
    assert_eq!((a.status, a.code()), (200, "UA-000-001"));
    let a = api
        .call("charge", &charge("ch-3", "1000", true), None)
        .await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-007"));
    let a = api.call("terminate", &order_ref("sub-1"), None).await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-007"));
    // Rakuten: no terminate, no deregistration.
    api.ready_order("rakuten", "sub-r", None, false).await;
    let a = api.call("terminate", &order_ref("sub-r"), None).await;
    assert_eq!((a.status, a.code()), (400, "UA-REQ-001"));
    assert!(api.sandbox.deregister("sub-r").is_err());
    // Deregistration by the provider (admin API).
    api.ready_order("merpay", "sub-m", None, false).await;
    let (s, _) = api
        .admin_post("/_sandbox/orders/sub-m/deregister", &json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        api.sandbox.order("sub-m").unwrap().state,
        OrderState::Deregistered
    );
    let a = api
        .call(
            "charge",
            &json!({"order": {"paymentId": "ch-m", "originalPaymentId": "sub-m", "amount": "100"}}),
            None,
        )
        .await;
    assert_eq!(a.code(), "UA-REQ-007");
}

#[tokio::test]
async fn idempotency_replays_byte_identical_without_a_second_effect() {
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_750_000_000));
    let api = start(SandboxConfig::default().clock(Arc::new(clock.clone()))).await;
    api.ready_order("paypay", "i1", Some("1000"), false).await;
    let body = with_amount("i1", "500");
    let first = api.call("capture", &body, Some("key-1")).await;
    assert_eq!(first.code(), "UA-000-001");
    let again = api.call("capture", &body, Some("key-1")).await;
    assert_eq!(again.status, first.status);
    assert_eq!(again.raw, first.raw, "byte-identical replay");
    let count = |cmd: &str| {
        api.sandbox
            .effects()
            .iter()
            .filter(|e| e.command == cmd)
            .count()
    };
    assert_eq!(count("capture"), 1);
    assert_eq!(
        api.sandbox
            .effects()
            .last()
            .unwrap()
            .idempotency_key
            .as_deref(),
        Some("key-1")
    );
    // Same key, other API → separate request.
    let c = api
        .call("cancel", &with_amount("i1", "100"), Some("key-1"))
        .await;
    assert_eq!(c.code(), "UA-000-001");
    assert_eq!(count("cancel"), 1);
    // Same key, other paymentId → separate request (unknown order here).
    let c = api
        .call("capture", &with_amount("i-other", "100"), Some("key-1"))
        .await;
    assert_eq!(c.code(), "UA-REQ-900");
    // The format is still checked with a known key.
    let bad = api
        .call(
            "capture",
            &json!({"order": {"paymentId": "i1", "amount": 5}}),
            Some("key-1"),
        )
        .await;
    assert_eq!(bad.code(), "UA-REQ-001");
    // Within 24 h: still a replay; after: processed anew (here: REQ-007, already captured).
    clock.advance(Duration::from_secs(24 * 3600 - 1));
    assert_eq!(
        api.call("capture", &body, Some("key-1")).await.raw,
        first.raw
    );
    clock.advance(Duration::from_secs(1));
    let late = api.call("capture", &body, Some("key-1")).await;
    assert_eq!(late.code(), "UA-REQ-007");
    assert_eq!(count("capture"), 1);
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let api = start(SandboxConfig::default()).await;
    let url = api.sandbox.base_url();
    assert_eq!(api.call("capture", &order_ref("x"), None).await.status, 404);
    api.sandbox.shutdown().await;
    let fresh = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(fresh.post(format!("{url}/capture")).send().await.is_err());
}
