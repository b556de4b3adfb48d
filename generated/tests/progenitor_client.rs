//! progenitor's generated `Client` over real HTTP against the local simulator
//! (vt4g-sandbox on 127.0.0.1): `POST {base}/{command}`, the success type decodes, and an
//! error status comes back as `Error::ErrorResponse(ErrorResponse)` thanks to the
//! `default` → `4XX`/`5XX` split done by the xtask.

use serde_json::json;
use vt4g_generated::types::{CaptureRequest, GetTransactionResultRequest, PayRequest};
use vt4g_generated::Client;
use vt4g_sandbox::{Sandbox, SandboxConfig, DEFAULT_BEARER_TOKEN};

fn client(sandbox: &Sandbox) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {DEFAULT_BEARER_TOKEN}").parse().unwrap(),
    );
    let http = reqwest::Client::builder()
        .no_proxy()
        .default_headers(headers)
        .build()
        .unwrap();
    Client::new_with_client(&sandbox.base_url(), http)
}

#[tokio::test]
async fn pay_get_transaction_result_and_an_error_response() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let c = client(&sandbox);

    let pay: PayRequest = serde_json::from_value(json!({
        "order": {"payType": "paypay", "paymentId": "gen-order-1", "amount": "1000"},
        "control": {
            "requestMode": "sandbox",
            "successUrl": "https://merchant.example/success",
            "cancelUrl": "https://merchant.example/cancel",
            "errorUrl": "https://merchant.example/error"
        }
    }))
    .unwrap();
    let key = "gen-key-1".parse().unwrap();
    let r = c.pay(Some(&key), &pay).await.expect("pay succeeds");
    assert_eq!(r.status().as_u16(), 200);
    let body = r.into_inner();
    let result = body.result.expect("result block");
    assert_eq!(result.result_code.as_deref(), Some("UA-000-001"));
    let fep_ref = body
        .transaction
        .and_then(|t| t.fep_reference_id)
        .expect("fepReferenceId");

    let gtr: GetTransactionResultRequest =
        serde_json::from_value(json!({"transaction": {"fepReferenceId": fep_ref}})).unwrap();
    let g = c
        .get_transaction_result(None, &gtr)
        .await
        .expect("getTransactionResult succeeds")
        .into_inner();
    assert_eq!(
        g.result.and_then(|r| r.result_code).as_deref(),
        Some("UA-U00-001")
    );

    // Capturing an order the consumer has not paid yet: HTTP 400, UA-REQ-007.
    let cap: CaptureRequest =
        serde_json::from_value(json!({"order": {"paymentId": "gen-order-1"}})).unwrap();
    match c.capture(None, &cap).await {
        Err(vt4g_generated::client::Error::ErrorResponse(e)) => {
            assert_eq!(e.status().as_u16(), 400);
            let code = e.into_inner().result.result_code;
            assert_eq!(code.as_deref(), Some("UA-REQ-007"));
        }
        other => panic!("expected an ErrorResponse, got {other:?}"),
    }
    sandbox.shutdown().await;
}
