//! The response-leniency transform, observed on the real generated types: data we
//! *receive* (responses, webhooks) decodes even when VeriTrans sends values outside the
//! documented enums/lengths or new fields; data we *send* keeps every constraint.

use serde_json::json;
use vt4g_generated::types::{PayRequest, PayResponse, WebhookPayload};

fn valid_pay_request() -> serde_json::Value {
    json!({
        "order": {"payType": "paypay", "paymentId": "order-0001", "amount": "1000"},
        "control": {
            "successUrl": "https://shop.example/ok",
            "cancelUrl": "https://shop.example/cancel",
            "errorUrl": "https://shop.example/error"
        }
    })
}

#[test]
fn success_response_with_undocumented_values_and_fields_decodes() {
    let long = "x".repeat(5000);
    let body = json!({
        "result": {
            "status": "a_status_added_in_1_1_4",
            "resultCode": "UA-NEW-999",
            "actionCode": "a_new_action",
            "message": long,
            "brandNewField": {"nested": true}
        },
        "order": {"payType": "a_new_provider", "paymentId": long, "amount": "1000"},
        "unknownTopLevel": 1
    });
    let r: PayResponse = serde_json::from_value(body).expect("lenient decode");
    let result = r.result.expect("result block");
    assert_eq!(result.status.as_deref(), Some("a_status_added_in_1_1_4"));
    assert_eq!(result.message.map(|m| m.len()), Some(5000));
    let order = r.order.expect("order block");
    assert_eq!(order.pay_type.as_deref(), Some("a_new_provider"));
}

#[test]
fn webhook_with_undocumented_values_decodes() {
    let body = json!({
        "result": {"status": "pending_forever", "resultCode": "UA-XYZ-000"},
        "order": {"payType": "newpay", "paymentId": "p".repeat(300)},
        "somethingNew": []
    });
    let w: Result<WebhookPayload, _> = serde_json::from_value(body);
    assert!(w.is_ok(), "{w:?}");
}

#[test]
fn request_types_keep_their_constraints() {
    let ok: Result<PayRequest, _> = serde_json::from_value(valid_pay_request());
    assert!(ok.is_ok(), "{ok:?}");

    let mut too_long = valid_pay_request();
    too_long["order"]["paymentId"] = json!("p".repeat(65));
    let e = serde_json::from_value::<PayRequest>(too_long).unwrap_err();
    assert!(e.to_string().contains("longer than 64"), "{e}");

    let mut bad_enum = valid_pay_request();
    bad_enum["order"]["payType"] = json!("newpay");
    assert!(serde_json::from_value::<PayRequest>(bad_enum).is_err());
}

#[test]
fn request_and_response_types_derive_json_schema() {
    let schema = serde_json::to_value(schemars::schema_for!(PayRequest)).unwrap();
    assert!(schema["properties"]["order"].is_object(), "{schema}");
    let schema = serde_json::to_value(schemars::schema_for!(PayResponse)).unwrap();
    assert!(schema["properties"]["result"].is_object(), "{schema}");
}
