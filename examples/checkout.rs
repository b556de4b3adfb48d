//! A full payment flow against the embedded simulator — the README's main command:
//!
//! ```text
//! cargo run --example checkout
//! ```
//!
//! pay → consumer redirect → verified redirect → webhook received and verified →
//! getTransactionResult → capture → partial cancel, printing each step.
//!
//! Everything runs on 127.0.0.1: the `vt4g-sandbox` simulator stands in for
//! the Unified API sandbox, and a small axum server stands in for the
//! merchant's webhook endpoint. Nothing contacts VeriTrans.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::json;
use tokio::sync::mpsc;
use vt4g::client::{Outcome, RequestMode};
use vt4g::generated::types;
use vt4g::redirect::RedirectVerifier;
use vt4g::validation::UrlPolicy;
use vt4g::webhook::{VerifiedWebhook, WebhookScheme, WebhookVerifier};
use vt4g::{Client, PayType, Secret};
use vt4g_sandbox::{Sandbox, SandboxConfig};

/// The merchant's credentials. In production they come from MAP (the
/// merchant portal) via your secret store, never from source code.
const CCID: &str = "demoMerchantCcId";
const AUTH_KEY: &str = "5f3c1e0a9b8d7c6e5f4a3b2c1d0e9f8a";
const TOKEN: &str = "demo-bearer-token";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn step(n: u32, title: &str) {
    println!("\n[{n}] {title}");
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // --- The merchant's webhook endpoint: verify over the raw bytes received.
    let verifier = WebhookVerifier::new(CCID, Secret::new(AUTH_KEY), WebhookScheme::Literal)?;
    let (tx, mut webhooks) = mpsc::unbounded_channel::<VerifiedWebhook>();
    let app = axum::Router::new().route(
        "/webhook",
        post(move |headers: HeaderMap, body: Bytes| {
            let verifier = verifier.clone();
            let tx = tx.clone();
            async move {
                let pairs = headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes()));
                match verifier.verify_headers(pairs, &body) {
                    Ok(event) => {
                        let _ = tx.send(event);
                        StatusCode::OK
                    }
                    // A forged or altered notification: reject, record nothing.
                    Err(_) => StatusCode::UNAUTHORIZED,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let push_url = format!("http://{}/webhook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    // --- The simulator, with the same merchant credentials.
    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .bearer_token(Secret::new(TOKEN))
            .merchant(CCID, Secret::new(AUTH_KEY))
            .webhook_scheme(WebhookScheme::Literal),
    )
    .await?;
    println!("simulator listening at {}", sandbox.base_url());

    // --- The client. `UrlPolicy::AllowLocalSimulator` is the explicit, named
    // relaxation that lets http://127.0.0.1 push URLs through local validation;
    // the default policy (Production) would refuse them before sending.
    let client = Client::builder()
        .base_url(sandbox.base_url(), RequestMode::Sandbox)
        .bearer_token(TOKEN)
        .validation(false, UrlPolicy::AllowLocalSimulator)
        .build()?;

    let payment_id = format!("checkout-{}", uuid::Uuid::new_v4().simple());

    step(1, "pay: PayPay, 1,980 yen, authorization only");
    let pay: types::PayRequest = serde_json::from_value(json!({
        "order": {
            "payType": "paypay",
            "paymentId": payment_id,
            "amount": "1980",
            "authCaptureType": "auth",
            "description": "Demo order"
        },
        "item": [{"id": "sku-001", "name": "Green tea 2 L"}],
        "control": {
            "successUrl": "https://merchant.example/checkout/success",
            "cancelUrl": "https://merchant.example/checkout/cancel",
            "errorUrl": "https://merchant.example/checkout/error",
            "pushUrl": push_url
        }
    }))?;
    let pay_response = match client.pay(&pay).await? {
        Outcome::Success(body) => body,
        other => return Err(format!("pay did not succeed: {:?}", other.result_code()).into()),
    };
    let redirect_url = pay_response
        .control
        .as_ref()
        .and_then(|c| c.redirect_url.clone())
        .ok_or("pay response carries no control.redirectUrl")?;
    let fep_reference_id = pay_response
        .transaction
        .as_ref()
        .and_then(|t| t.fep_reference_id.clone())
        .ok_or("pay response carries no transaction.fepReferenceId")?;
    println!("    resultCode   {}", result_code(&pay_response.result));
    println!("    redirectUrl  {redirect_url}");

    step(2, "consumer: the browser follows redirectUrl and approves");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let consumer = browser
        .get(format!("{redirect_url}?choice=success"))
        .send()
        .await?;
    let back_to_merchant = consumer
        .headers()
        .get("location")
        .ok_or("the consumer page did not redirect back")?
        .to_str()?
        .to_owned();
    println!("    {} → {back_to_merchant}", consumer.status());

    step(3, "redirect: verify vAuthInfo and that it is OUR paymentId");
    let redirect = RedirectVerifier::new(CCID, Secret::new(AUTH_KEY))?
        .verify(back_to_merchant.as_str(), &payment_id)?;
    println!(
        "    verified: status={:?} resultCode={:?} command={} paymentId={}",
        redirect.status, redirect.result_code, redirect.command, redirect.payment_id
    );
    println!("    (an overview only — the webhook and getTransactionResult are authoritative)");

    step(
        4,
        "webhook: received at the merchant and verified (HMAC-SHA512 over the raw body)",
    );
    let event = tokio::time::timeout(Duration::from_secs(10), webhooks.recv())
        .await
        .map_err(|_| "no webhook within 10 s")?
        .ok_or("webhook channel closed")?;
    let tx_block = event.payload.transaction.as_ref();
    println!(
        "    X-VT-webhook-id={} command={} resultCode={}",
        event.webhook_id,
        tx_block.and_then(|t| t.command.as_deref()).unwrap_or("?"),
        event
            .payload
            .result
            .as_ref()
            .and_then(|r| r.result_code.as_deref())
            .unwrap_or("?")
    );

    step(
        5,
        "getTransactionResult: the authoritative state of the order",
    );
    let gtr: types::GetTransactionResultRequest = serde_json::from_value(json!({
        "transaction": {"fepReferenceId": fep_reference_id}
    }))?;
    let result = client.get_transaction_result(&gtr).await?;
    let body = result.body();
    let data = body.transaction_data.as_ref();
    println!(
        "    resultCode {} · amount {}",
        result_code(&body.result),
        data.and_then(|d| d.order.as_ref())
            .and_then(|o| o.amount.as_deref())
            .unwrap_or("?")
    );
    if !result.is_success() {
        return Err(format!("order not settled: {:?}", result.result_code()).into());
    }

    step(
        6,
        "capture: the full amount (a fresh idempotency key is sent and reused on retry)",
    );
    let capture: types::CaptureRequest = serde_json::from_value(json!({
        "order": {"paymentId": payment_id, "amount": "1980"}
    }))?;
    let captured = client
        .capture(&capture)
        .pay_type(PayType::Paypay)
        .await?
        .into_success()
        .map_err(|o| format!("capture: {:?}", o.result_code()))?;
    println!("    resultCode {}", result_code(&captured.result));

    step(7, "cancel: a partial refund of 500 yen");
    let cancel: types::CancelRequest = serde_json::from_value(json!({
        "order": {"paymentId": payment_id, "amount": "500"},
        "transaction": {"reason": "One bottle returned"}
    }))?;
    let refunded = client
        .cancel(&cancel)
        .pay_type(PayType::Paypay)
        .await?
        .into_success()
        .map_err(|o| format!("cancel: {:?}", o.result_code()))?;
    println!("    resultCode {}", result_code(&refunded.result));

    step(
        8,
        "the simulator's effect log (what really happened, once each)",
    );
    for effect in sandbox.effects() {
        println!(
            "    {:<10} {:<40} amount={:<6} key={}",
            effect.command,
            effect.payment_id,
            effect.amount.as_deref().unwrap_or("-"),
            effect.idempotency_key.as_deref().unwrap_or("-")
        );
    }
    if let Some(order) = sandbox.order(&payment_id) {
        println!(
            "    order: state={:?} authorized={} captured={} balance={}",
            order.state, order.amount, order.captured, order.balance
        );
    }

    sandbox.shutdown().await;
    println!("\ncheckout complete.");
    Ok(())
}

fn result_code(result: &Option<types::ResultBlock>) -> String {
    result
        .as_ref()
        .and_then(|r| r.result_code.clone())
        .unwrap_or_else(|| "?".into())
}
