//! Webhook delivery to a local receiver that verifies signatures with
//! `vt4g::webhook`: conditions, retry with backoff, deliberate redelivery.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use vt4g::webhook::{WebhookScheme, WebhookVerifier};
use vt4g_sandbox::{
    DeliveryState, SandboxConfig, WebhookRetryPolicy, DEFAULT_AUTH_KEY, DEFAULT_CCID,
};

fn fast_retry() -> WebhookRetryPolicy {
    WebhookRetryPolicy {
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        multiplier: 2.0,
        max_elapsed: Duration::from_secs(5),
        attempt_timeout: Duration::from_secs(2),
    }
}

fn verify_all(rec: &Receiver, scheme: WebhookScheme) -> Vec<(String, Value)> {
    let v = WebhookVerifier::new(DEFAULT_CCID, DEFAULT_AUTH_KEY.into(), scheme).unwrap();
    rec.got
        .lock()
        .iter()
        .map(|(hmac, id, body)| {
            let verified = v.verify(hmac, id, body).expect("signature verifies");
            let _ = verified;
            (id.clone(), serde_json::from_slice(body).unwrap())
        })
        .collect()
}

#[tokio::test]
async fn notifications_follow_the_conditions_table_and_verify() {
    for scheme in [WebhookScheme::Literal, WebhookScheme::HexKey] {
        let (url, rec) = receiver(vec![]).await;
        let api = start(
            SandboxConfig::default()
                .webhook_scheme(scheme)
                .webhook_retry(fast_retry()),
        )
        .await;
        // pay with pushUrl: nothing before the consumer, one after success.
        let a = api
            .pay("rakuten", "w1", Some("1000"), |b| {
                b["control"]["pushUrl"] = json!(url)
            })
            .await;
        assert_eq!(a.status, 200);
        assert!(rec.got.lock().is_empty());
        api.consumer(&a, None).await;
        assert!(eventually(|| rec.got.lock().len() == 1).await);
        // A failed consumer step sends nothing (pay: successful orders only).
        let b = api
            .pay("rakuten", "w2", Some("1002"), |b| {
                b["control"]["pushUrl"] = json!(url)
            })
            .await;
        api.consumer(&b, None).await;
        // updateOrder (rakuten: all statuses), capture failure (all statuses), cancel.
        let mut up = with_amount("w1", "1100");
        up["control"] = json!({"pushUrl": url});
        assert_eq!(
            api.call("updateOrder", &up, None).await.code(),
            "UA-000-001"
        );
        let mut cap = with_amount("w1", "1006");
        cap["control"] = json!({"pushUrl": url});
        assert_eq!(
            api.call("capture", &cap, None).await.code(),
            "UA-PRV-001",
            "rakuten partial capture digit 6"
        );
        let mut cap = order_ref("w1");
        cap["control"] = json!({"pushUrl": url});
        assert_eq!(api.call("capture", &cap, None).await.code(), "UA-000-001");
        assert!(eventually(|| rec.got.lock().len() == 4).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let got = verify_all(&rec, scheme);
        let cmds: Vec<_> = got
            .iter()
            .map(|(_, b)| b["transaction"]["command"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(cmds, ["pay", "update_order", "capture", "capture"]);
        let codes: Vec<_> = got
            .iter()
            .map(|(_, b)| b["result"]["resultCode"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            codes,
            ["UA-000-001", "UA-000-001", "UA-PRV-001", "UA-000-001"]
        );
        assert_eq!(got[0].1["control"]["requestMode"], "sandbox");
        let ids: std::collections::HashSet<_> = got.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids.len(), 4, "unique webhook ids");
        assert!(ids.iter().all(|i| vt4g::webhook::is_valid_webhook_id(i)));
        let log = api.admin_get("/_sandbox/webhooks").await;
        assert_eq!(log.as_array().unwrap().len(), 4);
        assert_eq!(log[0]["state"], "delivered");
    }
}

#[tokio::test]
async fn retries_until_200_then_stops() {
    let (url, rec) = receiver(vec![500, 503, 404]).await;
    let api = start(SandboxConfig::default().webhook_retry(fast_retry())).await;
    api.ready_order("paypay", "r1", Some("1000"), false).await;
    let mut cap = order_ref("r1");
    cap["control"] = json!({"pushUrl": url});
    assert_eq!(api.call("capture", &cap, None).await.code(), "UA-000-001");
    assert!(
        eventually(|| api
            .sandbox
            .webhooks()
            .first()
            .is_some_and(|w| w.state == DeliveryState::Delivered))
        .await
    );
    let w = &api.sandbox.webhooks()[0];
    let statuses: Vec<_> = w.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(404), Some(200)]);
    let got = verify_all(&rec, WebhookScheme::Literal);
    assert_eq!(got.len(), 4);
    assert!(
        got.iter().all(|(id, _)| id == &w.webhook_id),
        "same id on every retry"
    );
    assert!(
        got.windows(2).all(|p| p[0].1 == p[1].1),
        "same body on every retry"
    );
}

#[tokio::test]
async fn gives_up_after_the_bounded_time_on_connection_failure() {
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}/hook")
    };
    let policy = WebhookRetryPolicy {
        max_elapsed: Duration::from_millis(300),
        ..fast_retry()
    };
    let api = start(SandboxConfig::default().webhook_retry(policy)).await;
    api.ready_order("docomo", "g1", Some("1000"), false).await;
    let mut cap = order_ref("g1");
    cap["control"] = json!({"pushUrl": dead});
    assert_eq!(api.call("capture", &cap, None).await.code(), "UA-000-001");
    assert!(
        eventually(|| api
            .sandbox
            .webhooks()
            .first()
            .is_some_and(|w| w.state == DeliveryState::Failed))
        .await
    );
    let w = &api.sandbox.webhooks()[0];
    assert!(w.attempts.len() >= 2, "retried: {:?}", w.attempts);
    assert!(w
        .attempts
        .iter()
        .all(|a| a.status.is_none() && a.error.is_some()));
}

#[tokio::test]
async fn redelivery_sends_the_same_webhook_again_after_200() {
    let (url, rec) = receiver(vec![]).await;
    let api = start(
        SandboxConfig::default()
            .webhook_retry(fast_retry())
            .redeliver_webhooks(true),
    )
    .await;
    api.ready_order("merpay", "m1", Some("1000"), false).await;
    let mut cap = order_ref("m1");
    cap["control"] = json!({"pushUrl": url});
    assert_eq!(api.call("capture", &cap, None).await.code(), "UA-000-001");
    assert!(eventually(|| rec.got.lock().len() == 2).await);
    let got = verify_all(&rec, WebhookScheme::Literal);
    assert_eq!(got[0], got[1], "same id and body");
    assert!(
        eventually(|| api.sandbox.webhooks()[0]
            .attempts
            .iter()
            .any(|a| a.redelivery))
        .await
    );
}

#[tokio::test]
async fn deregistration_and_user_paying_notifications() {
    let (url, rec) = receiver(vec![]).await;
    let (dereg_url, dereg) = receiver(vec![]).await;
    let api = start(SandboxConfig::default().webhook_retry(fast_retry())).await;
    let a = api
        .pay("paypay", "s1", None, |b| {
            b["control"]["pushUrl"] = json!(url);
            b["control"]["deregistrationPushUrl"] = json!(dereg_url);
        })
        .await;
    api.consumer(&a, None).await;
    assert!(
        eventually(|| rec.got.lock().len() == 1).await,
        "subscribe success notifies"
    );
    // PayPay charge with recovery: UA-U00-001 webhook, then UA-000-001 after the consumer pays.
    let charge = json!({"order": {"paymentId": "c1", "originalPaymentId": "s1", "amount": "1005", "authCaptureType": "auth_with_capture"},
                        "control": {"pushUrl": url}, "protocol": {"recoveryType": "recovery"}});
    assert_eq!(api.call("charge", &charge, None).await.code(), "UA-U00-001");
    assert!(eventually(|| rec.got.lock().len() == 2).await);
    let (s, _) = api
        .admin_post("/_sandbox/orders/c1/complete", &json!({}))
        .await;
    assert_eq!(s, 200);
    assert!(eventually(|| rec.got.lock().len() == 3).await);
    let got = verify_all(&rec, WebhookScheme::Literal);
    assert_eq!(got[1].1["result"]["resultCode"], "UA-U00-001");
    assert_eq!(got[2].1["result"]["resultCode"], "UA-000-001");
    assert_eq!(
        got[2].1["transaction"]["fepReferenceId"],
        got[1].1["transaction"]["fepReferenceId"]
    );
    api.sandbox.deregister("s1").unwrap();
    assert!(
        eventually(|| dereg.got.lock().len() == 1).await,
        "to deregistrationPushUrl"
    );
    let d = verify_all(&dereg, WebhookScheme::Literal);
    assert_eq!(d[0].1["transaction"]["command"], "deregistration");
    assert_eq!(rec.got.lock().len(), 3);
}
