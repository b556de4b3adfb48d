//! Hand-written validation cases: the tricky measures, cross-field rules, URL policy,
//! time windows, strict mode, the report's JSON shape, and the helpers.

mod common;

use common::now;

use std::time::Duration;

use serde_json::{json, Value};
use vt4g::validation::{
    format_jst, to_full_width, truncate_for, validate, validate_idempotency_key, RequestMode,
    RuleKind, Severity, UrlPolicy, ValidationOptions, ValidationReport, Violation,
};
use vt4g::{Command, PayType};

fn opts() -> ValidationOptions {
    ValidationOptions::new(RequestMode::Live).at(now())
}

fn pay(pay_type: &str) -> Value {
    json!({
        "order": {"payType": pay_type, "paymentId": "order-0001", "amount": "1000"},
        "control": {
            "successUrl": "https://shop.example.com/ok",
            "cancelUrl": "https://shop.example.com/cancel",
            "errorUrl": "https://shop.example.com/error"
        }
    })
}

fn find<'a>(r: &'a ValidationReport, path: &str, rule: RuleKind) -> Option<&'a Violation> {
    r.violations()
        .iter()
        .find(|v| v.path == path && v.rule == rule)
}

fn errors(r: &ValidationReport) -> Vec<&Violation> {
    r.with_severity(Severity::Error).collect()
}

#[test]
fn a_plain_pay_request_is_valid_for_every_provider() {
    for p in PayType::ALL {
        let mut body = pay(p.as_str());
        if p == PayType::Merpay {
            body["item"] = json!([{"categoryId": "1"}]);
        }
        let r = validate(Command::Pay, &body, &opts());
        assert!(r.is_valid(), "{p}: {r}");
        assert!(errors(&r).is_empty());
    }
}

#[test]
fn amounts_are_single_byte_digit_strings() {
    for bad in ["１０００", "-100", "10.5", "1e3", " 100", ""] {
        let mut body = pay("paypay");
        body["order"]["amount"] = json!(bad);
        let r = validate(Command::Pay, &body, &opts());
        let v = find(&r, "order.amount", RuleKind::Charset).unwrap_or_else(|| panic!("{bad}: {r}"));
        assert_eq!(v.severity, Severity::Error);
    }
    // A JSON number is a type error, not silently accepted.
    let mut body = pay("paypay");
    body["order"]["amount"] = json!(1000);
    let r = validate(Command::Pay, &body, &opts());
    assert!(find(&r, "order.amount", RuleKind::Type).is_some(), "{r}");
}

#[test]
fn amount_limits_per_provider() {
    let cases = [
        ("paypay", "9999999", "10000000"),
        ("rakuten", "9999999", "10000000"),
        ("docomo", "99999999", "100000000"),
        ("au", "9999999", "10000000"),
        ("merpay", "1000000", "1000001"),
    ];
    for (p, ok, bad) in cases {
        let mut body = pay(p);
        if p == "merpay" {
            body["item"] = json!([{"categoryId": "1"}]);
        }
        body["order"]["amount"] = json!(ok);
        let r = validate(Command::Pay, &body, &opts());
        assert!(r.is_valid(), "{p} {ok}: {r}");
        body["order"]["amount"] = json!(bad);
        let r = validate(Command::Pay, &body, &opts());
        assert!(!r.is_valid(), "{p} {bad}");
        let v = &errors(&r)[0];
        assert_eq!(v.path, "order.amount");
        assert_eq!(v.provider.map(PayType::as_str), Some(p));
    }
    // Merpay minimum 1; Rakuten: below 2 error, below 100 warning.
    let mut body = pay("merpay");
    body["item"] = json!([{"categoryId": "1"}]);
    body["order"]["amount"] = json!("0");
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "order.amount",
        RuleKind::MinValue
    )
    .is_some());
    let mut body = pay("rakuten");
    body["order"]["amount"] = json!("99");
    let r = validate(Command::Pay, &body, &opts());
    assert!(r.is_valid(), "{r}");
    assert_eq!(
        find(&r, "order.amount", RuleKind::MinValue).map(|v| v.severity),
        Some(Severity::Warning)
    );
    body["order"]["amount"] = json!("1");
    assert!(!validate(Command::Pay, &body, &opts()).is_valid());
}

#[test]
fn capture_and_cancel_amount_limits_differ_from_pay() {
    let o = opts().with_pay_type(PayType::Merpay);
    let body = json!({"order": {"paymentId": "p1", "amount": "9999999"}});
    assert!(validate(Command::Capture, &body, &o).is_valid());
    let body = json!({"order": {"paymentId": "p1", "amount": "10000000"}});
    assert!(find(
        &validate(Command::Capture, &body, &o),
        "order.amount",
        RuleKind::MaxDigits
    )
    .is_some());
    let o = opts().with_pay_type(PayType::Docomo);
    let body = json!({"order": {"paymentId": "p1", "amount": "99999999"}});
    assert!(validate(Command::Cancel, &body, &o).is_valid());
}

#[test]
fn docomo_and_au_names_need_double_byte_without_device_dependent_characters() {
    for (p, limit) in [("docomo", 20usize), ("au", 24)] {
        let mut body = pay(p);
        body["item"] = json!([{"id": "A1", "name": "テスト商品"}]);
        assert!(validate(Command::Pay, &body, &opts()).is_valid());
        // Half-width katakana is single-byte in Shift_JIS.
        body["item"][0]["name"] = json!("ﾃｽﾄ");
        let r = validate(Command::Pay, &body, &opts());
        let v = find(&r, "item[0].name", RuleKind::DoubleByte).expect("double-byte");
        assert_eq!(v.severity, Severity::Error);
        assert!(v.message.contains("to_full_width"), "{}", v.message);
        // Widening fixes it.
        body["item"][0]["name"] = json!(to_full_width("ﾃｽﾄ Item"));
        assert!(validate(Command::Pay, &body, &opts()).is_valid());
        // Device-dependent classes.
        for c in ["①", "Ⅹ", "㈱", "㌔", "髙", "ⅱ"] {
            body["item"][0]["name"] = json!(format!("商品{c}"));
            let r = validate(Command::Pay, &body, &opts());
            assert!(
                find(&r, "item[0].name", RuleKind::DeviceDependent).is_some(),
                "{p} {c}"
            );
        }
        // Length: a warning (truncated by the server), an error in strict mode.
        body["item"][0]["name"] = json!("あ".repeat(limit + 1));
        let r = validate(Command::Pay, &body, &opts());
        let v = find(&r, "item[0].name", RuleKind::MaxChars).expect("max chars");
        assert_eq!(v.severity, Severity::Warning);
        assert_eq!(v.limit, format!("{limit} characters"));
        assert_eq!(v.actual, format!("{} characters", limit + 1));
        let r = validate(Command::Pay, &body, &opts().strict(true));
        assert_eq!(
            find(&r, "item[0].name", RuleKind::MaxChars).map(|v| v.severity),
            Some(Severity::Error)
        );
    }
}

#[test]
fn bytes_count_utf8_and_characters_count_scalar_values() {
    // PayPay item name: 255 bytes. 63 emoji = 252 bytes + "abc" = 255.
    let mut body = pay("paypay");
    let at = "😀".repeat(63) + "abc";
    body["item"] = json!([{"name": at}]);
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "item[0].name",
        RuleKind::MaxBytes
    )
    .is_none());
    body["item"][0]["name"] = json!("😀".repeat(64));
    let r = validate(Command::Pay, &body, &opts());
    let v = find(&r, "item[0].name", RuleKind::MaxBytes).expect("bytes");
    assert_eq!(v.actual, "256 bytes");
    // Rakuten: 300 characters; a combining sequence counts 2.
    let mut body = pay("rakuten");
    body["item"] = json!([{"name": "か\u{3099}".repeat(150)}]);
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "item[0].name",
        RuleKind::MaxChars
    )
    .is_none());
    body["item"][0]["name"] = json!("か\u{3099}".repeat(150) + "a");
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "item[0].name",
        RuleKind::MaxChars
    )
    .is_some());
}

#[test]
fn item_id_charsets_per_provider() {
    let mut body = pay("paypay");
    body["item"] = json!([{"id": "SKU-1_a@b.c *x"}]);
    assert!(validate(Command::Pay, &body, &opts()).is_valid());
    body["item"][0]["id"] = json!("SKU#1");
    let r = validate(Command::Pay, &body, &opts());
    let v = find(&r, "item[0].id", RuleKind::Charset).expect("charset");
    assert!(v.actual.contains("'#'"), "{}", v.actual);
    let mut body = pay("docomo");
    body["item"] = json!([{"id": "SKU-1"}]);
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "item[0].id",
        RuleKind::Charset
    )
    .is_some());
    body["item"][0]["id"] = json!("A".repeat(16));
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "item[0].id",
        RuleKind::MaxBytes
    )
    .is_some());
}

#[test]
fn au_store_id_is_digits() {
    let mut body = pay("au");
    body["merchant"] = json!({"storeId": "12345678"});
    assert!(validate(Command::Pay, &body, &opts()).is_valid());
    body["merchant"]["storeId"] = json!("1234567a");
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "merchant.storeId",
        RuleKind::Charset
    )
    .is_some());
    body["merchant"]["storeId"] = json!("123456789");
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "merchant.storeId",
        RuleKind::MaxChars
    )
    .is_some());
}

#[test]
fn required_for_provider() {
    let body = pay("merpay");
    let r = validate(Command::Pay, &body, &opts());
    // No item at all: categoryId cannot be checked per item; with an item it is required.
    let mut body2 = body.clone();
    body2["item"] = json!([{"name": "x"}]);
    let r2 = validate(Command::Pay, &body2, &opts());
    assert!(
        find(&r2, "item[0].categoryId", RuleKind::RequiredForProvider).is_some(),
        "{r2}"
    );
    assert!(r.violations().iter().all(|v| v.rule != RuleKind::Required));
    let sub = json!({
        "order": {"payType": "merpay", "paymentId": "s1"},
        "control": {
            "successUrl": "https://shop.example.com/ok",
            "cancelUrl": "https://shop.example.com/cancel",
            "errorUrl": "https://shop.example.com/error"
        }
    });
    let r = validate(Command::Subscribe, &sub, &opts());
    assert!(
        find(&r, "order.orderName", RuleKind::RequiredForProvider).is_some(),
        "{r}"
    );
    assert!(
        find(&r, "order.description", RuleKind::RequiredForProvider).is_some(),
        "{r}"
    );
}

#[test]
fn charge_auth_capture_type_rules() {
    let base = json!({"order": {"paymentId": "c1", "originalPaymentId": "s1", "amount": "100"}});
    let r = validate(
        Command::Charge,
        &base,
        &opts().with_pay_type(PayType::Paypay),
    );
    assert!(
        find(&r, "order.authCaptureType", RuleKind::RequiredForProvider).is_some(),
        "{r}"
    );
    let mut auth = base.clone();
    auth["order"]["authCaptureType"] = json!("auth");
    let r = validate(
        Command::Charge,
        &auth,
        &opts().with_pay_type(PayType::Paypay),
    );
    assert_eq!(
        find(&r, "order.authCaptureType", RuleKind::MustEqual).map(|v| v.severity),
        Some(Severity::Error)
    );
    // au: contract-dependent → a warning, also when absent (the default is auth).
    let r = validate(Command::Charge, &base, &opts().with_pay_type(PayType::Au));
    assert!(r.is_valid(), "{r}");
    assert_eq!(
        find(&r, "order.authCaptureType", RuleKind::MustEqual).map(|v| v.severity),
        Some(Severity::Warning)
    );
    let mut awc = base.clone();
    awc["order"]["authCaptureType"] = json!("auth_with_capture");
    let r = validate(Command::Charge, &awc, &opts().with_pay_type(PayType::Au));
    assert!(r.violations().is_empty(), "{r}");
}

#[test]
fn payment_id_xor_fep_order_id() {
    let o = opts().with_pay_type(PayType::Paypay);
    let both = json!({"order": {"paymentId": "p1", "fepOrderId": "f1"}});
    let r = validate(Command::Capture, &both, &o);
    assert!(
        r.violations()
            .iter()
            .any(|v| v.rule == RuleKind::ExactlyOne),
        "{r}"
    );
    let none = json!({"order": {}});
    assert!(validate(Command::Capture, &none, &o)
        .violations()
        .iter()
        .any(|v| v.rule == RuleKind::ExactlyOne));
    for one in [
        json!({"order": {"paymentId": "p1"}}),
        json!({"order": {"fepOrderId": "f1"}}),
    ] {
        assert!(validate(Command::Capture, &one, &o).is_valid());
    }
    let both = json!({"order": {"paymentId": "c1", "originalPaymentId": "a", "originalFepOrderId": "b", "amount": "100", "authCaptureType": "auth_with_capture"}});
    assert!(!validate(Command::Charge, &both, &o).is_valid());
}

#[test]
fn webhook_urls() {
    let bad = [
        ("http://shop.example.com/hook", RuleKind::UrlScheme),
        ("https://shop.example.com:8443/hook", RuleKind::UrlPort),
        ("https://10.0.0.5/hook", RuleKind::UrlPrivateAddress),
        ("https://192.168.1.1/hook", RuleKind::UrlPrivateAddress),
        ("https://172.16.0.1/hook", RuleKind::UrlPrivateAddress),
        ("https://127.0.0.1/hook", RuleKind::UrlPrivateAddress),
        ("https://169.254.169.254/hook", RuleKind::UrlPrivateAddress),
        ("https://0.0.0.0/hook", RuleKind::UrlPrivateAddress),
        ("https://[::1]/hook", RuleKind::UrlPrivateAddress),
        ("https://[fe80::1]/hook", RuleKind::UrlPrivateAddress),
        ("https://[fd00::1]/hook", RuleKind::UrlPrivateAddress),
        (
            "https://[::ffff:10.1.2.3]/hook",
            RuleKind::UrlPrivateAddress,
        ),
        ("https://[::]/hook", RuleKind::UrlPrivateAddress),
        ("https://localhost/hook", RuleKind::UrlPrivateAddress),
        ("not a url", RuleKind::UrlFormat),
        ("ftp://shop.example.com/hook", RuleKind::UrlFormat),
    ];
    for (url, kind) in bad {
        let mut body = pay("paypay");
        body["control"]["pushUrl"] = json!(url);
        let r = validate(Command::Pay, &body, &opts());
        assert!(find(&r, "control.pushUrl", kind).is_some(), "{url}: {r}");
        assert!(!r.is_valid());
    }
    for url in [
        "https://shop.example.com/hook",
        "https://shop.example.com:443/hook",
        "https://8.8.8.8/x",
        "https://[2404:6800::1]/x",
    ] {
        let mut body = pay("paypay");
        body["control"]["pushUrl"] = json!(url);
        assert!(validate(Command::Pay, &body, &opts()).is_valid(), "{url}");
    }
    // Length: 1024 characters pass, 1025 fail.
    let mut body = pay("paypay");
    let base = "https://shop.example.com/";
    body["control"]["pushUrl"] = json!(format!("{base}{}", "a".repeat(1024 - base.len())));
    assert!(validate(Command::Pay, &body, &opts()).is_valid());
    body["control"]["pushUrl"] = json!(format!("{base}{}", "a".repeat(1025 - base.len())));
    assert!(find(
        &validate(Command::Pay, &body, &opts()),
        "control.pushUrl",
        RuleKind::MaxLength
    )
    .is_some());
    // deregistrationPushUrl on subscribe follows the same rules.
    let sub = json!({
        "order": {"payType": "paypay", "paymentId": "s1"},
        "control": {
            "successUrl": "https://shop.example.com/ok",
            "cancelUrl": "https://shop.example.com/cancel",
            "errorUrl": "https://shop.example.com/error",
            "deregistrationPushUrl": "https://10.0.0.1/dereg"
        }
    });
    assert!(find(
        &validate(Command::Subscribe, &sub, &opts()),
        "control.deregistrationPushUrl",
        RuleKind::UrlPrivateAddress
    )
    .is_some());
}

#[test]
fn the_simulator_relaxation_is_explicit() {
    let mut body = pay("paypay");
    body["control"]["pushUrl"] = json!("http://127.0.0.1:8080/hook");
    body["control"]["successUrl"] = json!("http://127.0.0.1:8080/ok");
    assert!(!validate(Command::Pay, &body, &opts()).is_valid());
    assert_eq!(
        ValidationOptions::default().url_policy,
        UrlPolicy::Production
    );
    let relaxed = opts().with_url_policy(UrlPolicy::AllowLocalSimulator);
    let r = validate(Command::Pay, &body, &relaxed);
    assert!(r.is_valid(), "{r}");
    // Other private addresses stay rejected.
    body["control"]["pushUrl"] = json!("http://10.0.0.1:8080/hook");
    assert!(!validate(Command::Pay, &body, &relaxed).is_valid());
}

#[test]
fn redirect_urls_need_https_in_live_mode_only() {
    let mut body = pay("paypay");
    body["control"]["successUrl"] = json!("http://shop.example.com/ok");
    let r = validate(Command::Pay, &body, &opts());
    assert!(find(&r, "control.successUrl", RuleKind::UrlScheme).is_some());
    body["control"]["requestMode"] = json!("sandbox");
    let sandbox = ValidationOptions::new(RequestMode::Sandbox).at(now());
    assert!(validate(Command::Pay, &body, &sandbox).is_valid());
    // requestMode must match the environment.
    let r = validate(Command::Pay, &body, &opts());
    assert!(
        find(&r, "control.requestMode", RuleKind::RequestMode).is_some(),
        "{r}"
    );
}

#[test]
fn recovery_expired_datetime() {
    let o = opts().with_pay_type(PayType::Paypay);
    let body = |rt: Option<&str>, dt: &str| {
        let mut b = json!({
            "order": {"paymentId": "c1", "originalPaymentId": "s1", "amount": "100", "authCaptureType": "auth_with_capture"},
            "protocol": {"recoveryExpiredDatetime": dt}
        });
        if let Some(rt) = rt {
            b["protocol"]["recoveryType"] = json!(rt);
        }
        b
    };
    let at = |secs: u64| format_jst(now() + Duration::from_secs(secs));
    let path = "protocol.recoveryExpiredDatetime";
    for ok in [600, 3600, 172_800] {
        let r = validate(Command::Charge, &body(Some("recovery"), &at(ok)), &o);
        assert!(r.is_valid(), "{ok}: {r}");
    }
    for bad in [599, 172_801, 0] {
        let r = validate(Command::Charge, &body(Some("recovery"), &at(bad)), &o);
        assert!(
            find(&r, path, RuleKind::DatetimeWindow).is_some(),
            "{bad}: {r}"
        );
    }
    let past = format_jst(now() - Duration::from_secs(60));
    assert!(find(
        &validate(Command::Charge, &body(Some("recovery"), &past), &o),
        path,
        RuleKind::DatetimeWindow
    )
    .is_some());
    for malformed in ["20250230120000", "2025061512000", "20251315120000"] {
        let r = validate(Command::Charge, &body(Some("recovery"), malformed), &o);
        assert!(!r.is_valid(), "{malformed}");
    }
    // Only with recoveryType=recovery.
    for rt in [None, Some("not_recovery")] {
        let r = validate(Command::Charge, &body(rt, &at(3600)), &o);
        assert!(find(&r, path, RuleKind::OnlyWhen).is_some(), "{rt:?}: {r}");
    }
    // 1_750_000_000 Unix seconds = 2025-06-15 15:06:40 UTC = 2025-06-16 00:06:40 JST.
    assert_eq!(format_jst(now()), "20250616000640");
}

#[test]
fn unsupported_fields_warn_and_strict_mode_errors() {
    let mut body = pay("rakuten");
    body["order"]["description"] = json!("PayPay only");
    let r = validate(Command::Pay, &body, &opts());
    let v = find(&r, "order.description", RuleKind::UnsupportedByProvider).expect("unsupported");
    assert_eq!(v.severity, Severity::Warning);
    assert!(r.is_valid());
    let r = validate(Command::Pay, &body, &opts().strict(true));
    assert!(!r.is_valid());
    // Rakuten does not use cancelUrl, but the spec requires it: no finding.
    assert!(find(&r, "control.cancelUrl", RuleKind::UnsupportedByProvider).is_none());
}

#[test]
fn unknown_fields_types_enums_and_required() {
    let mut body = pay("paypay");
    body["order"]["paymentID"] = json!("typo");
    body["order"]["authCaptureType"] = json!("capture");
    body["control"].as_object_mut().unwrap().remove("errorUrl");
    body["transaction"] = json!("not an object");
    let r = validate(Command::Pay, &body, &opts());
    assert!(
        find(&r, "order.paymentID", RuleKind::UnknownField).is_some(),
        "{r}"
    );
    assert!(
        find(&r, "order.authCaptureType", RuleKind::Enum).is_some(),
        "{r}"
    );
    assert!(
        find(&r, "control.errorUrl", RuleKind::Required).is_some(),
        "{r}"
    );
    assert!(find(&r, "transaction", RuleKind::Type).is_some(), "{r}");
    assert_eq!(errors(&r).len(), 4, "{r}");
    let r = validate(Command::Pay, &json!([1, 2]), &opts());
    assert!(!r.is_valid());
}

#[test]
fn commands_and_providers() {
    let o = opts().with_pay_type(PayType::Docomo);
    let r = validate(
        Command::UpdateOrder,
        &json!({"order": {"paymentId": "p1"}}),
        &o,
    );
    assert!(
        r.violations()
            .iter()
            .any(|v| v.rule == RuleKind::UnsupportedCommand),
        "{r}"
    );
    // Unknown provider: spec-level checks only, and an info finding.
    let r = validate(
        Command::Capture,
        &json!({"order": {"paymentId": "p1", "amount": "123456789012"}}),
        &opts(),
    );
    assert!(r.is_valid(), "{r}");
    assert!(r
        .violations()
        .iter()
        .any(|v| v.rule == RuleKind::ProviderLimitsNotChecked && v.severity == Severity::Info));
    // Mismatch between body and option.
    let r = validate(
        Command::Pay,
        &pay("au"),
        &opts().with_pay_type(PayType::Paypay),
    );
    assert!(r
        .violations()
        .iter()
        .any(|v| v.rule == RuleKind::PayTypeMismatch));
}

#[test]
fn report_json_shape() {
    let mut body = pay("docomo");
    body["item"] = json!([{"name": "ﾃｽﾄ"}]);
    let r = validate(Command::Pay, &body, &opts());
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["valid"], json!(false));
    let first = &v["violations"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "path", "provider", "rule", "limit", "actual", "severity", "message",
    ] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    assert_eq!(keys.len(), 7);
    assert_eq!(first["path"], json!("item[0].name"));
    assert_eq!(first["provider"], json!("docomo"));
    assert_eq!(first["rule"], json!("double_byte"));
    assert_eq!(first["severity"], json!("error"));
    let ok = serde_json::to_value(validate(Command::Pay, &pay("paypay"), &opts())).unwrap();
    assert_eq!(ok, json!({"valid": true, "violations": []}));
    let info = serde_json::to_value(validate(
        Command::Capture,
        &json!({"order": {"paymentId": "p"}}),
        &opts(),
    ))
    .unwrap();
    assert_eq!(info["violations"][0]["provider"], Value::Null);
    assert_eq!(info["violations"][0]["severity"], json!("info"));
}

#[test]
fn metadata_values_are_not_echoed() {
    let secret = "card 4111111111111111 ".repeat(100);
    let mut body = pay("paypay");
    body["transaction"] = json!({"metadata1": secret});
    let r = validate(Command::Pay, &body, &opts());
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains("4111111111111111"), "{text}");
    assert!(find(&r, "transaction.metadata1", RuleKind::MaxLength).is_some());
}

#[test]
fn idempotency_key() {
    assert!(validate_idempotency_key(&"a".repeat(100)).is_ok());
    assert!(validate_idempotency_key(&"a".repeat(101)).is_err());
    assert!(validate_idempotency_key("A-z_0").is_ok());
    for bad in ["", "a b", "a.b", "ａ", "a😀"] {
        let e = validate_idempotency_key(bad).unwrap_err();
        assert_eq!(e.rule, RuleKind::IdempotencyKey);
    }
}

#[test]
fn truncate_helper() {
    let long = "あ".repeat(30);
    assert_eq!(
        truncate_for(Command::Pay, "item[].name", PayType::Docomo, &long)
            .chars()
            .count(),
        20
    );
    assert_eq!(
        truncate_for(Command::Pay, "item[].name", PayType::Au, &long)
            .chars()
            .count(),
        24
    );
    // PayPay: 255 bytes, cut at a character boundary (85 × 3 = 255).
    let kana = "あ".repeat(100);
    let cut = truncate_for(Command::Pay, "item[].name", PayType::Paypay, &kana);
    assert_eq!(cut.len(), 255);
    let mixed = "a".to_string() + &kana;
    let cut = truncate_for(Command::Pay, "item[].name", PayType::Paypay, &mixed);
    assert_eq!(cut.len(), 253);
    let emoji = "😀".repeat(70);
    let cut = truncate_for(Command::Pay, "item[].name", PayType::Paypay, &emoji);
    assert_eq!(cut.len(), 252);
    // Fits: borrowed unchanged. Unknown field: unchanged.
    assert!(matches!(
        truncate_for(Command::Pay, "item[].name", PayType::Docomo, "短い"),
        std::borrow::Cow::Borrowed(_)
    ));
    assert_eq!(
        truncate_for(Command::Pay, "nope", PayType::Docomo, "x"),
        "x"
    );
    let merpay = "x".repeat(30);
    assert_eq!(
        truncate_for(
            Command::Subscribe,
            "order.orderName",
            PayType::Merpay,
            &merpay
        )
        .len(),
        20
    );
}
