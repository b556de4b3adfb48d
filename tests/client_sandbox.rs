//! The client against the `vt4g-sandbox` simulator over real HTTP on
//! 127.0.0.1: every command, every retry class the simulator can inject, and
//! the simulator's effects log as the server-side proof that retries carried
//! the same idempotency key and that a dropped-after-apply answer was
//! recovered with exactly one effect.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use vt4g::client::{Client, Outcome, RequestMode, RetryPolicy};
use vt4g::generated::types;
use vt4g::idempotency::{IdempotencyKey, InMemoryStore};
use vt4g::result_code::ResultCode;
use vt4g::validation::UrlPolicy;
use vt4g::{Command, Error, PayType};
use vt4g_sandbox::{FaultKind, FaultRule, Sandbox, SandboxConfig, DEFAULT_BEARER_TOKEN};

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(6)
        .initial_backoff(Duration::from_millis(20))
        .max_backoff(Duration::from_millis(200))
        .max_elapsed(Duration::from_secs(30))
}

fn client(sb: &Sandbox) -> Client {
    Client::builder()
        .base_url(sb.base_url(), RequestMode::Sandbox)
        .bearer_token(DEFAULT_BEARER_TOKEN)
        .retry_policy(policy())
        .validation(false, UrlPolicy::AllowLocalSimulator)
        .build()
        .unwrap()
}

fn typed<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn as_json<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap()
}

fn pay_body(pay_type: &str, payment_id: &str, amount: Option<&str>) -> Value {
    let mut b = json!({
        "order": {"payType": pay_type, "paymentId": payment_id},
        "control": {
            "successUrl": "https://merchant.example/success",
            "cancelUrl": "https://merchant.example/cancel",
            "errorUrl": "https://merchant.example/error"
        }
    });
    if let Some(a) = amount {
        b["order"]["amount"] = json!(a);
    }
    b
}

/// The consumer step: open the redirect URL the pay/subscribe answer gave.
async fn consumer_pays(redirect_url: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(redirect_url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    let loc = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with("https://merchant.example/success"), "{loc}");
}

/// pay → consumer → authorized order.
async fn authorized(client: &Client, pay_type: &str, payment_id: &str, amount: &str) -> Value {
    let req: types::PayRequest = typed(pay_body(pay_type, payment_id, Some(amount)));
    let out = client.pay(&req).await.unwrap();
    let Outcome::Success(resp) = out else {
        panic!("pay: {out:?}")
    };
    let v = as_json(&resp);
    assert_eq!(
        v["control"]["requestMode"], "sandbox",
        "filled in by the client"
    );
    consumer_pays(v["control"]["redirectUrl"].as_str().unwrap()).await;
    v
}

fn effects_for(sb: &Sandbox, command: &str, payment_id: &str) -> Vec<vt4g_sandbox::Effect> {
    sb.effects()
        .into_iter()
        .filter(|e| e.command == command && e.payment_id == payment_id)
        .collect()
}

#[tokio::test]
async fn every_command_over_the_simulator() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let c = client(&sb);

    // pay → consumer → getTransactionResult → capture → cancel
    let pay = authorized(&c, "paypay", "cs-pay-1", "1000").await;
    let fep_ref = pay["transaction"]["fepReferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let gtr: types::GetTransactionResultRequest =
        typed(json!({"transaction": {"fepReferenceId": fep_ref}}));
    let g = c.get_transaction_result(&gtr).await.unwrap();
    assert!(g.is_success(), "{g:?}");
    let cap: types::CaptureRequest =
        typed(json!({"order": {"paymentId": "cs-pay-1", "amount": "900"}}));
    let out = c.capture(&cap).pay_type(PayType::Paypay).await.unwrap();
    assert_eq!(as_json(out.body())["order"]["amount"], "900");
    assert!(out.is_success());
    let can: types::CancelRequest =
        typed(json!({"order": {"paymentId": "cs-pay-1", "amount": "300"}}));
    assert!(c
        .cancel(&can)
        .pay_type(PayType::Paypay)
        .await
        .unwrap()
        .is_success());

    // updateOrder (Rakuten)
    authorized(&c, "rakuten", "cs-upd-1", "1000").await;
    let upd: types::UpdateOrderRequest =
        typed(json!({"order": {"paymentId": "cs-upd-1", "amount": "2000"}}));
    let u = c.update_order(&upd).pay_type(PayType::Rakuten).await;
    assert!(matches!(u, Ok(Outcome::Success(_))), "{u:?}");

    // subscribe → consumer → charge → terminate
    let sub: types::SubscribeRequest = typed(pay_body("paypay", "cs-sub-1", None));
    let s = c.subscribe(&sub).await.unwrap();
    let Outcome::Success(s) = s else {
        panic!("subscribe: {s:?}")
    };
    consumer_pays(as_json(&s)["control"]["redirectUrl"].as_str().unwrap()).await;
    let ch: types::ChargeRequest = typed(json!({"order": {
        "paymentId": "cs-ch-1", "originalPaymentId": "cs-sub-1", "amount": "1000",
        "authCaptureType": "auth_with_capture"}}));
    assert!(c
        .charge(&ch)
        .pay_type(PayType::Paypay)
        .await
        .unwrap()
        .is_success());
    let term: types::TerminateRequest = typed(json!({"order": {"paymentId": "cs-sub-1"}}));
    assert!(c
        .terminate(&term)
        .pay_type(PayType::Paypay)
        .await
        .unwrap()
        .is_success());

    // Server side: one effect per call, each with its own UUIDv4 key.
    let effects = sb.effects();
    let cmds: Vec<&str> = effects.iter().map(|e| e.command.as_str()).collect();
    for expected in [
        "pay",
        "capture",
        "cancel",
        "updateOrder",
        "subscribe",
        "charge",
        "terminate",
    ] {
        assert!(cmds.contains(&expected), "{expected} missing from {cmds:?}");
    }
    let mut keys: Vec<String> = effects
        .iter()
        .map(|e| {
            e.idempotency_key
                .clone()
                .expect("every mutating call sends a key")
        })
        .collect();
    assert!(keys
        .iter()
        .all(|k| k.len() == 36 && IdempotencyKey::new(k.as_str()).is_ok()));
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), effects.len(), "a fresh key per logical call");
    sb.shutdown().await;
}

#[tokio::test]
async fn injected_faults_are_retried_with_the_same_key_and_applied_once() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let c = client(&sb);
    for (i, kind) in [
        FaultKind::ServerError,
        FaultKind::RateLimited,
        FaultKind::InProcess,
        FaultKind::DropConnection,
        FaultKind::ApplyThenDrop,
    ]
    .into_iter()
    .enumerate()
    {
        let pid = format!("cf-{i}");
        authorized(&c, "paypay", &pid, "1000").await;
        sb.add_fault(FaultRule::new(Some(Command::Capture), Some(&pid), kind, 2));
        let key = IdempotencyKey::new(format!("cap-{pid}")).unwrap();
        let cap: types::CaptureRequest = typed(json!({"order": {"paymentId": pid}}));
        let out = c
            .capture(&cap)
            .pay_type(PayType::Paypay)
            .idempotency_key(key.clone())
            .await;
        assert!(matches!(out, Ok(Outcome::Success(_))), "{kind:?}: {out:?}");
        let applied = effects_for(&sb, "capture", &pid);
        assert_eq!(applied.len(), 1, "{kind:?}: exactly one capture applied");
        assert_eq!(
            applied[0].idempotency_key.as_deref(),
            Some(key.as_str()),
            "{kind:?}"
        );
        assert_eq!(applied[0].amount.as_deref(), Some("1000"));
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn a_slow_apply_is_recovered_through_in_process_answers_exactly_once() {
    let sb = Sandbox::start(SandboxConfig::default().fault_delay(Duration::from_millis(800)))
        .await
        .unwrap();
    let c = Client::builder()
        .base_url(sb.base_url(), RequestMode::Sandbox)
        .bearer_token(DEFAULT_BEARER_TOKEN)
        .request_timeout(Duration::from_millis(250))
        .retry_policy(
            policy()
                .max_attempts(30)
                .max_backoff(Duration::from_millis(100)),
        )
        .build()
        .unwrap();
    authorized(&c, "paypay", "slow-1", "1000").await;
    sb.add_fault(FaultRule::new(
        Some(Command::Capture),
        Some("slow-1"),
        FaultKind::Delay,
        1,
    ));
    let cap: types::CaptureRequest = typed(json!({"order": {"paymentId": "slow-1"}}));
    let out = c.capture(&cap).pay_type(PayType::Paypay).await.unwrap();
    assert!(out.is_success());
    let applied = effects_for(&sb, "capture", "slow-1");
    assert_eq!(applied.len(), 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn maintenance_and_pending_are_not_retried() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let c = client(&sb);
    authorized(&c, "paypay", "m-1", "1000").await;
    sb.add_fault(FaultRule::new(
        Some(Command::Capture),
        Some("m-1"),
        FaultKind::Maintenance,
        1,
    ));
    let cap: types::CaptureRequest = typed(json!({"order": {"paymentId": "m-1"}}));
    let err = c.capture(&cap).pay_type(PayType::Paypay).await.unwrap_err();
    match &err {
        Error::Api(f) => {
            assert_eq!(f.result_code, ResultCode::UnderMaintenance);
            assert_eq!(f.attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(effects_for(&sb, "capture", "m-1").is_empty());

    // PayPay capture, amount ending in 4: UA-PND-002 (reference simulation table,
    // as vt4g-sandbox reads its merged cells: see sandbox/README.md).
    authorized(&c, "paypay", "p-1", "1004").await;
    let cap: types::CaptureRequest =
        typed(json!({"order": {"paymentId": "p-1", "amount": "1004"}}));
    let err = c.capture(&cap).pay_type(PayType::Paypay).await.unwrap_err();
    match &err {
        Error::Pending(f) => {
            assert_eq!(f.result_code, ResultCode::PendingUnsettled);
            assert_eq!(f.attempts, 1);
            assert!(f.idempotency_key.is_some());
        }
        other => panic!("{other:?}"),
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn ledger_resume_after_apply_then_drop_recovers_the_original_answer_once() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let store = Arc::new(InMemoryStore::new());
    let c = Client::builder()
        .base_url(sb.base_url(), RequestMode::Sandbox)
        .bearer_token(DEFAULT_BEARER_TOKEN)
        .retry_policy(RetryPolicy::none())
        .idempotency_store(store)
        .build()
        .unwrap();
    authorized(&c, "paypay", "l-1", "1000").await;
    sb.add_fault(FaultRule::new(
        Some(Command::Capture),
        Some("l-1"),
        FaultKind::ApplyThenDrop,
        1,
    ));
    let cap: types::CaptureRequest = typed(json!({"order": {"paymentId": "l-1"}}));
    // No retries allowed: the first call ends with "maybe processed".
    let err = c
        .capture(&cap)
        .pay_type(PayType::Paypay)
        .scope("order-l-1/capture")
        .await
        .unwrap_err();
    assert!(err.maybe_processed(), "{err:?}");
    let key = err.idempotency_key().unwrap().to_owned();
    assert_eq!(
        effects_for(&sb, "capture", "l-1").len(),
        1,
        "applied before the drop"
    );
    // The caller retries the logical operation (e.g. after a restart): the
    // ledger resends the stored bytes with the stored key; the simulator
    // answers with the original response; no second capture.
    let out = c
        .capture(&cap)
        .pay_type(PayType::Paypay)
        .scope("order-l-1/capture")
        .await
        .unwrap();
    assert!(out.is_success());
    let applied = effects_for(&sb, "capture", "l-1");
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].idempotency_key.as_deref(), Some(key.as_str()));
    // Completed: answered from the ledger, even with faults planned.
    sb.add_fault(FaultRule::new(
        Some(Command::Capture),
        Some("l-1"),
        FaultKind::DropConnection,
        5,
    ));
    let again = c
        .capture(&cap)
        .pay_type(PayType::Paypay)
        .scope("order-l-1/capture")
        .await
        .unwrap();
    assert_eq!(again, out);
    sb.shutdown().await;
}
