//! No secret (bearer token) appears in the Debug output of the client or its
//! builder, or in the Display / Debug output of any error variant.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::json;
use vt4g::client::{Client, ManualClock, RequestMode, RetryPolicy};
use vt4g::error::{ApiFailure, DecodeFailure};
use vt4g::generated::types;
use vt4g::idempotency::{IdempotencyKey, InMemoryStore, StoreError};
use vt4g::result_code::ResultCode;
use vt4g::{Command, Error, PayType};

const TOKEN: &str = "SECRET-bearer-5b1f0c2e9d7a";

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "{what} leaks the token: {text}");
    assert!(
        !text.contains("5b1f0c2e9d7a"),
        "{what} leaks part of the token: {text}"
    );
}

fn check_error(e: &Error) {
    assert_clean("Display", &e.to_string());
    assert_clean("Debug", &format!("{e:?}"));
    assert_clean("Debug alt", &format!("{e:#?}"));
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        assert_clean("source", &s.to_string());
        src = s.source();
    }
}

#[tokio::test]
async fn no_error_variant_and_no_debug_output_shows_the_token() {
    let builder = Client::builder().sandbox().bearer_token(TOKEN);
    assert_clean("builder Debug", &format!("{builder:?}"));
    let client = builder
        .clock(Arc::new(ManualClock::new(SystemTime::now())))
        .build()
        .unwrap();
    assert_clean("client Debug", &format!("{client:?}"));
    assert_clean("client Debug alt", &format!("{client:#?}"));

    let mut errors: Vec<Error> = Vec::new();

    // Validation: refused locally (nothing is sent to the sandbox URL).
    let req: types::CaptureRequest =
        serde_json::from_value(json!({"order": {"paymentId": "p1", "amount": "123456789"}}))
            .unwrap();
    errors.push(
        client
            .capture(&req)
            .pay_type(PayType::Paypay)
            .await
            .unwrap_err(),
    );
    assert!(matches!(errors[0], Error::Validation(_)));
    let shown = errors[0].to_string();
    assert!(shown.contains("nothing was sent"), "{shown}");
    assert!(shown.contains("order.amount"), "{shown}");

    // Transport: connection refused on a loopback port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = Client::builder()
        .base_url(
            format!("http://127.0.0.1:{port}/fep/command"),
            RequestMode::Sandbox,
        )
        .bearer_token(TOKEN)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let ok_req: types::CaptureRequest =
        serde_json::from_value(json!({"order": {"paymentId": "p1", "amount": "1000"}})).unwrap();
    let transport = refused.capture(&ok_req).await.unwrap_err();
    assert!(matches!(transport, Error::Transport { .. }));
    errors.push(transport);

    let failure = ApiFailure {
        command: Command::Capture,
        http_status: 400,
        result_code: ResultCode::InvalidMessage,
        status: None,
        action_code: None,
        v_result_code: Some("X".into()),
        message: Some("Invalid message".into()),
        idempotency_key: Some(IdempotencyKey::generate().into_string()),
        attempts: 1,
        body_excerpt: "{}".into(),
        retry_after: Some(std::time::Duration::from_secs(3)),
    };
    errors.push(Error::Api(Box::new(failure.clone())));
    errors.push(Error::Pending(Box::new(ApiFailure {
        result_code: ResultCode::PendingUnsettled,
        ..failure
    })));
    errors.push(Error::Timeout {
        command: Command::Pay,
        idempotency_key: Some("k".into()),
        attempts: 2,
        maybe_processed: true,
    });
    errors.push(Error::Decode(Box::new(DecodeFailure {
        command: Command::Pay,
        http_status: 200,
        result_code: Some(ResultCode::Success),
        reason: "x".into(),
        idempotency_key: None,
        attempts: 1,
        excerpt: "{".into(),
        body: b"{".to_vec(),
        retry_after: None,
    })));
    errors.push(Error::IdempotencyConflict {
        key: "k".into(),
        scope: Some("s".into()),
    });
    errors.push(Error::IdempotencyKeyExpired {
        key: "k".into(),
        scope: None,
        created_at: SystemTime::UNIX_EPOCH,
    });
    errors.push(Error::InFlightElsewhere {
        scope: "s".into(),
        key: "k".into(),
    });
    errors.push(Error::Store(StoreError::Backend("down".into())));
    errors.push(Error::InvalidKey(
        IdempotencyKey::new("bad key").unwrap_err(),
    ));
    // Config errors produced by the builder itself, including a token that
    // cannot be a header value.
    errors.push(Client::builder().bearer_token(TOKEN).build().unwrap_err());
    errors.push(
        Client::builder()
            .sandbox()
            .bearer_token(format!("{TOKEN}\n"))
            .build()
            .unwrap_err(),
    );
    for e in &errors {
        check_error(e);
    }

    // A client with a store: its Debug shows neither the token nor bodies.
    let with_store = Client::builder()
        .sandbox()
        .bearer_token(TOKEN)
        .idempotency_store(Arc::new(InMemoryStore::new()))
        .request_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    assert_clean("client with store", &format!("{with_store:#?}"));
}
