//! `vt4g validate` and `vt4g schema` against the real binary.

mod common;

use common::{run, run_args, temp_file, vt4g};
use serde_json::{json, Value};

fn pay(amount: &str, mode: &str) -> Value {
    json!({
        "order": {"payType": "paypay", "paymentId": "pay_0001", "amount": amount},
        "control": {
            "requestMode": mode,
            "successUrl": "https://shop.example/ok",
            "cancelUrl": "https://shop.example/cancel",
            "errorUrl": "https://shop.example/error"
        }
    })
}

fn validate(args: &[&str], body: &Value) -> common::Run {
    let mut c = vt4g();
    c.arg("validate").args(args);
    run(c, body.to_string().as_bytes())
}

const VIOLATION_KEYS: [&str; 7] = [
    "path", "provider", "rule", "limit", "actual", "severity", "message",
];

#[test]
fn a_valid_body_exits_0() {
    let r = validate(&["pay", "--mode", "sandbox"], &pay("1000", "sandbox"));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json(), json!({"valid": true, "violations": []}));
}

#[test]
fn a_provider_limit_violation_exits_1_with_the_report() {
    let r = validate(&["pay", "--mode", "sandbox"], &pay("12345678", "sandbox"));
    assert_eq!(r.code, 1, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["valid"], false);
    let v = doc["violations"].as_array().unwrap();
    let amount = v
        .iter()
        .find(|v| v["path"] == "order.amount")
        .expect("amount violation");
    for k in VIOLATION_KEYS {
        assert!(amount.get(k).is_some(), "{k} missing in {amount}");
    }
    assert_eq!(amount["provider"], "paypay");
    assert_eq!(amount["severity"], "error");
    // At the limit it passes.
    let ok = validate(&["pay", "--mode", "sandbox"], &pay("1234567", "sandbox"));
    assert_eq!(ok.code, 0, "{ok:?}");
}

#[test]
fn the_mode_defaults_to_live_and_is_checked() {
    let path = temp_file("pay.json", pay("1000", "sandbox").to_string().as_bytes());
    let p = path.to_str().unwrap();
    let live = run_args(&["validate", "pay", p]);
    let sandbox = run_args(&["validate", "pay", "--mode", "sandbox", p]);
    std::fs::remove_file(&path).ok();
    assert_eq!(live.code, 1, "{live:?}");
    assert!(live.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["path"] == "control.requestMode"));
    assert_eq!(sandbox.code, 0, "{sandbox:?}");
}

#[test]
fn warnings_alone_leave_valid_true_and_strict_makes_them_errors() {
    // PayPay does not use item.categoryId (Merpay only): the server ignores it.
    let mut body = pay("1000", "sandbox");
    body["item"] = json!([{"id": "item001", "name": "Tea", "categoryId": "1234"}]);
    let r = validate(&["pay", "--mode", "sandbox"], &body);
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["valid"], true);
    let v = doc["violations"].as_array().unwrap();
    assert!(!v.is_empty(), "{doc}");
    assert!(v.iter().all(|v| v["severity"] != "error"), "{doc}");

    let strict = validate(&["pay", "--mode", "sandbox", "--strict"], &body);
    assert_eq!(strict.code, 1, "{strict:?}");
    assert_eq!(strict.json()["valid"], false);
}

#[test]
fn pay_type_option_applies_provider_limits_to_follow_up_commands() {
    let body = json!({
        "order": {"paymentId": "pay_0001", "amount": "12345678"},
        "control": {"requestMode": "sandbox"}
    });
    let generic = validate(&["capture", "--mode", "sandbox"], &body);
    let au = validate(&["capture", "--mode", "sandbox", "--pay-type", "au"], &body);
    assert_eq!(au.code, 1, "{au:?}");
    assert!(au.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["path"] == "order.amount" && v["provider"] == "au"));
    // Without a provider, the au limit is not applied.
    assert!(!generic.json()["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["rule"] == "max_digits"));
}

#[test]
fn malformed_json_is_an_invalid_payload_not_a_usage_error() {
    let mut c = vt4g();
    c.args(["validate", "pay", "-"]);
    let r = run(c, b"{\"order\": ");
    assert_eq!(r.code, 1, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["valid"], false);
    let v = &doc["violations"][0];
    assert_eq!(v["path"], "");
    assert_eq!(v["rule"], "json");
    assert_eq!(v["severity"], "error");
    for k in VIOLATION_KEYS {
        assert!(v.get(k).is_some(), "{k}");
    }
}

#[test]
fn update_order_accepts_both_spellings() {
    let body = json!({"order": {"paymentId": "p1", "amount": "100"}, "control": {"requestMode": "sandbox"}});
    for name in ["updateOrder", "update_order"] {
        let r = validate(&[name, "--mode", "sandbox", "--pay-type", "rakuten"], &body);
        assert!(r.code == 0 || r.code == 1, "{name}: {r:?}");
        r.json();
    }
}

#[test]
fn schema_applies_the_provider_limits() {
    let generic = run_args(&["schema", "pay"]);
    assert_eq!(generic.code, 0, "{generic:?}");
    let g = generic.json();
    assert_eq!(g["$schema"], "http://json-schema.org/draft-07/schema#");
    let amount = &g["properties"]["order"]["properties"]["amount"];
    assert_eq!(amount["type"], "string");
    assert_eq!(amount["maxLength"], 12);

    let au = run_args(&["schema", "pay", "--pay-type", "au"]).json();
    let order = &au["properties"]["order"]["properties"];
    assert_eq!(order["amount"]["pattern"], "^[0-9]{1,7}$");
    assert_eq!(order["amount"]["maxLength"], 7);
    assert_eq!(order["payType"]["const"], "au");
    // Merpay-only field removed for au, kept and required for Merpay.
    assert!(au["properties"]["item"]["items"]["properties"]
        .get("categoryId")
        .is_none());
    let merpay = run_args(&["schema", "pay", "--pay-type", "merpay"]).json();
    let item = &merpay["properties"]["item"]["items"];
    assert!(item["properties"].get("categoryId").is_some());
    assert!(item["required"]
        .as_array()
        .unwrap()
        .contains(&json!("categoryId")));
}

#[test]
fn schema_for_an_unsupported_provider_is_a_usage_error() {
    // updateOrder: Rakuten Pay and au only.
    let r = run_args(&["schema", "updateOrder", "--pay-type", "paypay"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty());
    let ok = run_args(&["schema", "updateOrder", "--pay-type", "au", "--pretty"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    ok.json();
}

fn patterns(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(p)) = m.get("pattern") {
                out.push(p.clone());
            }
            m.values().for_each(|x| patterns(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| patterns(x, out)),
        _ => {}
    }
}

#[test]
fn every_schema_is_well_formed_and_its_patterns_compile() {
    let commands = [
        "pay",
        "subscribe",
        "updateOrder",
        "capture",
        "cancel",
        "charge",
        "terminate",
        "getTransactionResult",
    ];
    let providers = ["", "paypay", "rakuten", "docomo", "au", "merpay"];
    let mut checked = 0;
    for c in commands {
        for p in providers {
            let mut args = vec!["schema", c];
            if !p.is_empty() {
                args.extend(["--pay-type", p]);
            }
            let r = run_args(&args);
            if r.code == 2 {
                assert!(r.stderr.contains("does not support"), "{args:?}: {r:?}");
                continue;
            }
            assert_eq!(r.code, 0, "{args:?}: {r:?}");
            let doc = r.json();
            assert_eq!(doc["type"], "object", "{args:?}");
            assert!(doc["properties"].is_object(), "{args:?}");
            assert!(
                doc.get("definitions").is_none(),
                "{args:?}: sub-schemas are inlined"
            );
            let mut ps = Vec::new();
            patterns(&doc, &mut ps);
            for pat in ps {
                regex::Regex::new(&pat).unwrap_or_else(|e| panic!("{args:?}: {pat}: {e}"));
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "{checked}");
}

#[test]
fn schema_patterns_accept_and_reject_like_the_validator() {
    let merpay = run_args(&["schema", "pay", "--pay-type", "merpay"]).json();
    let p = merpay["properties"]["order"]["properties"]["amount"]["pattern"]
        .as_str()
        .unwrap()
        .to_owned();
    let re = regex::Regex::new(&p).unwrap();
    for ok in ["1", "999999", "1000000", "0100"] {
        assert!(re.is_match(ok), "{ok} vs {p}");
    }
    for bad in ["0", "1000001", "9999999", "", "1e3", "-1"] {
        assert!(!re.is_match(bad), "{bad} vs {p}");
    }
}
