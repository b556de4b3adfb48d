//! `vt4g webhook ...` and `vt4g redirect verify` against the real binary.

mod common;

use common::{run, temp_file, vt4g};
use vt4g::redirect::sign_redirect;
use vt4g::webhook::{sign_webhook, WebhookScheme};
use vt4g::Secret;

const CCID: &str = "testCcid01";
/// Hex, so that every scheme can use it.
const KEY: &str = "5ec7e7a11b0d1e5ec7e7a11b0d1e5ec7";
/// A body with unusual spacing: it must be verified byte for byte, never re-serialized.
const BODY: &[u8] = br#"{"result" : {"status":"success","resultCode":"UA-000-001"},
  "order":{"payType":"paypay","paymentId":"pay_0001","amount":"1000"},
  "transaction":{"command":"capture"}}"#;

fn with_creds(args: &[&str]) -> std::process::Command {
    let mut c = vt4g();
    c.env("VT_MERCHANT_CCID", CCID)
        .env("VT_MERCHANT_KEY", KEY)
        .args(args);
    c
}

fn header(scheme: WebhookScheme, body: &[u8]) -> String {
    sign_webhook(scheme, CCID, &Secret::new(KEY), body).unwrap()
}

#[test]
fn webhook_verify_accepts_a_genuine_webhook_from_stdin() {
    let h = header(WebhookScheme::Literal, BODY);
    let r = run(
        with_creds(&[
            "webhook",
            "verify",
            "--header",
            &h,
            "--webhook-id",
            "01HG79DYJS6MJBN8BRS0HAQ38X",
        ]),
        BODY,
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(
        doc,
        serde_json::json!({
            "valid": true,
            "scheme": "literal",
            "command": "capture",
            "paymentId": "pay_0001",
            "resultCode": "UA-000-001",
            "webhookId": "01HG79DYJS6MJBN8BRS0HAQ38X",
        })
    );
    r.assert_not_leaked(KEY);
}

#[test]
fn webhook_verify_reads_a_file_and_honours_the_scheme() {
    let h = header(WebhookScheme::MdkBody, BODY);
    let path = temp_file("body.json", BODY);
    let p = path.to_str().unwrap();
    let ok = run(
        with_creds(&[
            "webhook", "verify", "--header", &h, "--scheme", "mdk-body", p,
        ]),
        b"",
    );
    let wrong = run(with_creds(&["webhook", "verify", "--header", &h, p]), b"");
    std::fs::remove_file(&path).ok();
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(ok.json()["scheme"], "mdk-body");
    assert_eq!(ok.json()["webhookId"], serde_json::Value::Null);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert_eq!(wrong.json()["valid"], false);
}

#[test]
fn webhook_verify_rejects_a_tampered_body_or_header() {
    let h = header(WebhookScheme::Literal, BODY);
    let mut tampered = BODY.to_vec();
    let pos = tampered.iter().position(|&b| b == b'1').unwrap();
    tampered[pos] = b'9';
    for (hdr, body) in [
        (h.clone(), tampered.as_slice()),
        (h.replace(CCID, "otherCcid"), BODY),
        ("h=HmacSHA512;s=x".to_owned(), BODY),
    ] {
        let r = run(
            with_creds(&["webhook", "verify", "--header", &hdr, "-"]),
            body,
        );
        assert_eq!(r.code, 1, "{r:?}");
        let doc = r.json();
        assert_eq!(doc["valid"], false);
        assert!(
            doc["reason"].as_str().is_some_and(|s| !s.is_empty()),
            "{doc}"
        );
        assert_eq!(doc.as_object().unwrap().len(), 2, "{doc}");
        r.assert_not_leaked(KEY);
    }
}

#[test]
fn webhook_verify_without_credentials_is_a_usage_error() {
    let h = header(WebhookScheme::Literal, BODY);
    let mut c = vt4g();
    c.args(["webhook", "verify", "--header", &h]);
    let r = run(c, BODY);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("VT_MERCHANT_CCID"), "{}", r.stderr);
}

#[test]
fn flags_override_the_environment_and_are_never_printed() {
    let h = header(WebhookScheme::Literal, BODY);
    let mut c = vt4g();
    c.env("VT_MERCHANT_CCID", CCID)
        .env("VT_MERCHANT_KEY", "wrong-key-in-env")
        .args(["webhook", "verify", "--key", KEY, "--header", &h]);
    let r = run(c, BODY);
    assert_eq!(r.code, 0, "{r:?}");
    r.assert_not_leaked(KEY);
    r.assert_not_leaked("wrong-key-in-env");
}

#[test]
fn detect_scheme_reports_the_matching_schemes() {
    let h = header(WebhookScheme::HexKey, BODY);
    let r = run(
        with_creds(&["webhook", "detect-scheme", "--header", &h]),
        BODY,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json(), serde_json::json!({"matches": ["hex-key"]}));
    r.assert_not_leaked(KEY);

    let none = run(
        with_creds(&["webhook", "detect-scheme", "--header", &h]),
        b"{}",
    );
    assert_eq!(none.code, 1, "{none:?}");
    assert_eq!(none.json(), serde_json::json!({"matches": []}));
}

fn signed_redirect(payment_id: &str) -> String {
    signed_redirect_with(payment_id, &[])
}

/// A redirect signed over the reference's example list, with `extra`
/// parameters sent but not listed (as the merchant keys are in the reference).
fn signed_redirect_with(payment_id: &str, extra: &[(&str, &str)]) -> String {
    let fep_order_id = format!("{payment_id}_01AHK4HS7GFKHGKE7SGFJKTHIH");
    let mut params = vec![
        ("status", "success"),
        ("actionCode", "success"),
        ("resultCode", "UA-000-001"),
        ("command", "pay"),
        ("paymentId", payment_id),
        ("fepOrderId", fep_order_id.as_str()),
        ("fepReferenceId", "X01AHK4HS7GFKHGKE7SGFJKTHIH"),
    ];
    params.extend_from_slice(extra);
    let order = [
        "status",
        "actionCode",
        "resultCode",
        "command",
        "paymentId",
        "fepOrderId",
        "fepReferenceId",
        "fepReferenceId",
        "paymentId",
        "fepOrderId",
        "actionCode",
        "resultCode",
        "command",
        "status",
    ];
    sign_redirect(CCID, &Secret::new(KEY), &params, &order).unwrap()
}

/// The reference's redirect carries merchantRequestKey1 without listing it:
/// it verifies, the key is returned under "unverified" only, with a warning.
#[test]
fn redirect_verify_returns_an_unlisted_merchant_key_as_unverified() {
    let q = signed_redirect_with("order-42", &[("merchantRequestKey1", "key-1")]);
    let r = run(
        with_creds(&[
            "redirect",
            "verify",
            "--expect-payment-id",
            "order-42",
            &format!("https://merchant.example/done?{q}"),
        ]),
        b"",
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["merchantRequestKey1"], serde_json::Value::Null);
    assert_eq!(doc["unverified"]["merchantRequestKey1"], "key-1");
    assert!(
        r.stderr.contains("merchantRequestKey1") && r.stderr.contains("not signed"),
        "{}",
        r.stderr
    );
}

#[test]
fn redirect_verify_accepts_url_and_query() {
    let q = signed_redirect("order-42");
    for input in [
        format!("https://shop.example/done?{q}"),
        q.clone(),
        format!("?{q}"),
    ] {
        let r = run(
            with_creds(&[
                "redirect",
                "verify",
                "--expect-payment-id",
                "order-42",
                &input,
            ]),
            b"",
        );
        assert_eq!(r.code, 0, "{r:?}");
        let doc = r.json();
        assert_eq!(doc["valid"], true);
        assert_eq!(doc["status"], "success");
        assert_eq!(doc["actionCode"], "success");
        assert_eq!(doc["resultCode"], "UA-000-001");
        assert_eq!(doc["command"], "pay");
        assert_eq!(doc["paymentId"], "order-42");
        assert_eq!(doc["fepReferenceId"], "X01AHK4HS7GFKHGKE7SGFJKTHIH");
        assert_eq!(doc["fepOrderId"], "order-42_01AHK4HS7GFKHGKE7SGFJKTHIH");
        assert_eq!(doc["paymentIdChecked"], true);
        assert_eq!(doc["unverified"], serde_json::json!({}));
        r.assert_not_leaked(KEY);
    }
}

#[test]
fn redirect_verify_rejects_a_replay_of_another_order() {
    let old = signed_redirect("order-41");
    let r = run(
        with_creds(&[
            "redirect",
            "verify",
            "--expect-payment-id",
            "order-42",
            &old,
        ]),
        b"",
    );
    assert_eq!(r.code, 1, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["valid"], false);
    assert!(
        doc["reason"].as_str().unwrap().contains("paymentId"),
        "{doc}"
    );
}

#[test]
fn redirect_verify_rejects_tampering() {
    let q = signed_redirect("order-42").replace("status=success", "status=failure");
    let r = run(
        with_creds(&["redirect", "verify", "--expect-payment-id", "order-42", &q]),
        b"",
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["valid"], false);
}

#[test]
fn redirect_verify_without_expected_id_says_so() {
    let q = signed_redirect("order-42");
    let r = run(with_creds(&["redirect", "verify", &q]), b"");
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["paymentIdChecked"], false);
    assert!(r.stderr.contains("--expect-payment-id"), "{}", r.stderr);

    let unsigned = run(
        with_creds(&["redirect", "verify", "status=success&paymentId=x"]),
        b"",
    );
    assert_eq!(unsigned.code, 1, "{unsigned:?}");
    assert_eq!(unsigned.json()["valid"], false);
}
