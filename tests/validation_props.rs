//! Property tests: the validator never panics, whatever the JSON, and its report is
//! always serializable with the documented shape.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use vt4g::validation::{to_full_width, validate, RequestMode, UrlPolicy, ValidationOptions};
use vt4g::{Command, PayType};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".*".prop_map(Value::String),
        "[0-9]{0,20}".prop_map(Value::String),
        prop::sample::select(vec![
            "paypay",
            "rakuten",
            "docomo",
            "au",
            "merpay",
            "recovery",
            "auth",
            "live",
            "sandbox",
            "https://[::1]:0/",
            "http://",
            "https://a.b:99999/",
            "20250615234640",
            "ｶﾞ①😀\u{3099}",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    let keys = prop::sample::select(vec![
        "order",
        "payType",
        "paymentId",
        "fepOrderId",
        "amount",
        "item",
        "name",
        "id",
        "categoryId",
        "control",
        "pushUrl",
        "successUrl",
        "protocol",
        "recoveryType",
        "recoveryExpiredDatetime",
        "transaction",
        "metadata1",
        "merchant",
        "storeId",
        "customer",
        "buyer",
        "userAgent",
        "paymentInstrument",
        "au",
        "loginType",
        "originalPaymentId",
        "authCaptureType",
        "x",
    ]);
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

fn arb_opts() -> impl Strategy<Value = ValidationOptions> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::option::of(prop::sample::select(PayType::ALL.to_vec())),
        any::<bool>(),
        any::<u32>(),
    )
        .prop_map(|(sandbox, strict, p, relaxed, secs)| {
            let mut o = ValidationOptions::new(if sandbox {
                RequestMode::Sandbox
            } else {
                RequestMode::Live
            })
            .strict(strict)
            .at(std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::from(secs)));
            o.pay_type = p;
            if relaxed {
                o = o.with_url_policy(UrlPolicy::AllowLocalSimulator);
            }
            o
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_json(body in arb_json(), o in arb_opts(), c in prop::sample::select(Command::ALL.to_vec())) {
        let report = validate(c, &body, &o);
        let v = serde_json::to_value(&report).expect("serializable");
        prop_assert_eq!(v["valid"].as_bool(), Some(report.is_valid()));
        prop_assert_eq!(v["violations"].as_array().map(Vec::len), Some(report.violations().len()));
    }

    #[test]
    fn never_panics_on_arbitrary_strings_in_real_fields(s in ".*", p in prop::sample::select(PayType::ALL.to_vec())) {
        let body = json!({
            "order": {"payType": p.as_str(), "paymentId": s, "amount": s, "description": s},
            "item": [{"id": s, "name": s, "categoryId": s}],
            "merchant": {"storeId": s, "terminalId": s},
            "customer": {"buyer": {"userAgent": s}},
            "control": {"successUrl": s, "cancelUrl": s, "errorUrl": s, "pushUrl": s}
        });
        let _ = validate(Command::Pay, &body, &ValidationOptions::default());
        let charge = json!({"order": {"paymentId": s, "originalPaymentId": s, "amount": s},
            "protocol": {"recoveryType": "recovery", "recoveryExpiredDatetime": s}});
        let _ = validate(Command::Charge, &charge, &ValidationOptions::default().with_pay_type(p));
    }

    #[test]
    fn widening_is_idempotent_and_never_shrinks_characters(s in ".*") {
        let once = to_full_width(&s);
        prop_assert_eq!(to_full_width(&once), once.clone());
        prop_assert!(once.chars().count() <= s.chars().count());
    }
}
