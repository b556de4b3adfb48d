//! `redirect::confirm` against the simulator over real HTTP on 127.0.0.1: the
//! verified redirect of a paid order is confirmed with getTransactionResult;
//! before the consumer returns the order is not final; a transaction of
//! another order is refused.
//!
//! `cargo test -p vt4g --test redirect_confirm`

use std::time::Duration;

use serde_json::json;
use vt4g::client::{Client, Outcome, RequestMode, RetryPolicy};
use vt4g::generated::types;
use vt4g::redirect::{confirm, ConfirmError, Confirmation, RedirectVerifier};
use vt4g::result_code::{ResultCode, Status};
use vt4g::validation::UrlPolicy;
use vt4g::Secret;
use vt4g_sandbox::{Sandbox, SandboxConfig, DEFAULT_AUTH_KEY, DEFAULT_BEARER_TOKEN, DEFAULT_CCID};

fn client(sb: &Sandbox) -> Client {
    Client::builder()
        .base_url(sb.base_url(), RequestMode::Sandbox)
        .bearer_token(DEFAULT_BEARER_TOKEN)
        .retry_policy(RetryPolicy::default().max_elapsed(Duration::from_secs(20)))
        .validation(false, UrlPolicy::AllowLocalSimulator)
        .build()
        .unwrap()
}

/// pay; returns (fepReferenceId of the answer, redirectUrl).
async fn pay(c: &Client, payment_id: &str) -> (String, String) {
    let req: types::PayRequest = serde_json::from_value(json!({
        "order": {"payType": "paypay", "paymentId": payment_id, "amount": "1200"},
        "transaction": {"merchantRequestKey1": "cart-7"},
        "control": {
            "successUrl": "https://merchant.example/success",
            "cancelUrl": "https://merchant.example/cancel",
            "errorUrl": "https://merchant.example/error"
        }
    }))
    .unwrap();
    let Outcome::Success(resp) = c.pay(&req).await.unwrap() else {
        panic!("pay did not succeed")
    };
    let v = serde_json::to_value(&resp).unwrap();
    (
        v["transaction"]["fepReferenceId"]
            .as_str()
            .unwrap()
            .to_owned(),
        v["control"]["redirectUrl"].as_str().unwrap().to_owned(),
    )
}

/// The consumer approves; returns the Location back to the merchant.
async fn consumer_returns(redirect_url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(redirect_url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    resp.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_verified_redirect_is_confirmed_with_get_transaction_result() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let c = client(&sb);
    let (fep_ref, redirect_url) = pay(&c, "confirm-1").await;

    // Before the consumer returns: not final.
    let early = confirm(&c, "confirm-1", &fep_ref).await.unwrap();
    assert_eq!(
        early,
        Confirmation::NotFinal(ResultCode::AwaitingConsumerPayment)
    );

    let location = consumer_returns(&redirect_url).await;
    let verifier = RedirectVerifier::new(DEFAULT_CCID, Secret::new(DEFAULT_AUTH_KEY)).unwrap();
    let redirect = verifier.verify(location.as_str(), "confirm-1").unwrap();
    assert_eq!(redirect.status, Status::Success);

    let Confirmation::Succeeded(tx) = confirm(&c, &redirect.payment_id, &fep_ref).await.unwrap()
    else {
        panic!("not confirmed")
    };
    assert_eq!(tx.payment_id, "confirm-1");
    assert_eq!(tx.amount.as_deref(), Some("1200"));
    assert_eq!(tx.command.as_deref(), Some("pay"));

    // The same transaction presented as another order's is refused.
    let other = confirm(&c, "confirm-2", &fep_ref).await;
    assert!(
        matches!(
            &other,
            Err(ConfirmError::OtherOrder { expected, actual })
                if expected == "confirm-2" && actual.as_deref() == Some("confirm-1")
        ),
        "{other:?}"
    );

    // An unusable reference is refused before any request (the client
    // validates before sending).
    let bad = confirm(&c, "confirm-1", "not a reference!").await;
    assert!(
        matches!(
            bad,
            Err(ConfirmError::InvalidReference(_)
                | ConfirmError::Client(vt4g::Error::Validation(_)))
        ),
        "{bad:?}"
    );
}
