//! `cargo xtask spec-diff` on two small fixture specs: every kind of change is reported,
//! in the text and the JSON output, and the exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn spec_diff(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(root())
        .args([
            "spec-diff",
            "xtask/tests/fixtures/spec-diff-old.yaml",
            "xtask/tests/fixtures/spec-diff-new.yaml",
            "--rules",
            "xtask/tests/fixtures/spec-diff-rules.yaml",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn text_output_reports_every_kind_of_change() {
    let o = spec_diff(&[]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "(1.1.3) -> xtask/tests/fixtures/spec-diff-new.yaml (1.1.4)",
        "Operations added (1):\n  + refund",
        "Operations removed (1):\n  - terminate",
        "~ pay: x-vt4g-providers [\"paypay\",\"au\"] -> [\"paypay\",\"au\",\"merpay\"]",
        "Schemas added (1):\n  + PayItem",
        "Schemas removed (1):\n  - OldThing",
        "+ pay request: order.currency (string, maxLength 3)",
        "- pay request: order.legacy (string, maxLength 10)",
        "+ pay response 200: result.newField (string)",
        "- pay response 200: result.oldField (string)",
        "+ #WebhookPayload: order.status (string)",
        "~ pay header parameter: X-VT-Idempotency-Key: maxLength 100 -> 64",
        "~ pay request: order.amount: type \"string\" -> \"integer\"",
        "~ pay request: order.amount: maxLength 12 -> null",
        "~ pay request: order.amount: required true -> false",
        "~ pay request: order.payType: enum [\"paypay\",\"au\"] -> [\"paypay\",\"au\",\"merpay\"]",
        "~ pay request: order.paymentId: maxLength 64 -> 80",
        "~ pay request: order.paymentId: x-vt4g-providers [\"paypay\",\"au\"] -> [\"paypay\",\"au\",\"merpay\"]",
        "! fields[1]: pay: order.legacy",
        "! cross_rules[0]: terminate: order.paymentId",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // An inline item schema replaced by an equivalent $ref is not a change.
    assert!(!text.contains("item[].name"), "{text}");
    // A rule whose target still exists is not reported.
    assert!(!text.contains("fields[0]"), "{text}");
}

#[test]
fn json_output_reports_every_kind_of_change() {
    let o = spec_diff(&["--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["old_version"], json!("1.1.3"));
    assert_eq!(v["new_version"], json!("1.1.4"));
    assert_eq!(v["operations_added"], json!(["refund"]));
    assert_eq!(v["operations_removed"], json!(["terminate"]));
    assert_eq!(
        v["operations_changed"],
        json!([{"operation": "pay", "attribute": "x-vt4g-providers",
                "old": ["paypay", "au"], "new": ["paypay", "au", "merpay"]}])
    );
    assert_eq!(v["schemas_added"], json!(["PayItem"]));
    assert_eq!(v["schemas_removed"], json!(["OldThing"]));
    let keys = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {}: {}",
                    e["operation"].as_str().unwrap(),
                    e["side"].as_str().unwrap(),
                    e["path"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        keys("fields_added"),
        vec![
            "#WebhookPayload schema: order.status",
            "pay request: order.currency",
            "pay response 200: result.newField",
            "refund request: order",
            "refund request: order.paymentId",
        ]
    );
    assert_eq!(
        keys("fields_removed"),
        vec![
            "#OldThing schema: x",
            "pay request: order.legacy",
            "pay response 200: result.oldField",
            "terminate request: order",
            "terminate request: order.paymentId",
        ]
    );
    let changed: Vec<(String, String, Value, Value)> = v["fields_changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_string(),
                c["attribute"].as_str().unwrap().to_string(),
                c["old"].clone(),
                c["new"].clone(),
            )
        })
        .collect();
    let expect = |p: &str, a: &str, o: Value, n: Value| (p.to_string(), a.to_string(), o, n);
    assert_eq!(
        changed,
        vec![
            expect("X-VT-Idempotency-Key", "maxLength", json!(100), json!(64)),
            expect("order.amount", "type", json!("string"), json!("integer")),
            expect("order.amount", "maxLength", json!(12), Value::Null),
            expect("order.amount", "required", json!(true), json!(false)),
            expect(
                "order.payType",
                "enum",
                json!(["paypay", "au"]),
                json!(["paypay", "au", "merpay"])
            ),
            expect(
                "order.payType",
                "x-vt4g-providers",
                json!(["paypay", "au"]),
                json!(["paypay", "au", "merpay"])
            ),
            expect("order.paymentId", "maxLength", json!(64), json!(80)),
            expect(
                "order.paymentId",
                "x-vt4g-providers",
                json!(["paypay", "au"]),
                json!(["paypay", "au", "merpay"])
            ),
        ]
    );
    assert_eq!(
        v["rules_with_vanished_targets"],
        json!([
            {"rule": "fields[1]", "command": "pay", "path": "order.legacy"},
            {"rule": "cross_rules[0]", "command": "terminate", "path": "order.paymentId"}
        ])
    );
}

#[test]
fn identical_inputs_report_no_differences() {
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(root())
        .args([
            "spec-diff",
            "openapi/effective/unified-api-1.1.3.yaml",
            "openapi/effective/unified-api-1.1.3.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.ends_with("No differences.\n"), "{text}");
}

#[test]
fn unreadable_input_exits_2() {
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(root())
        .args([
            "spec-diff",
            "xtask/tests/fixtures/nope.yaml",
            "xtask/tests/fixtures/spec-diff-new.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.yaml"));
}
