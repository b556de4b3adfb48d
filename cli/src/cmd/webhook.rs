//! `vt4g webhook verify` and `vt4g webhook detect-scheme`.

use serde_json::{json, Value};
use vt4g::webhook::{detect_scheme, WebhookError, WebhookScheme, WebhookVerifier};

use crate::args::{SchemeArg, WebhookDetectArgs, WebhookVerifyArgs};
use crate::io::{read_input, Credentials, Exit, Failure, Outcome};

/// The webhook id used when `--webhook-id` is not given. The id is not covered by the MAC,
/// so the signature check is the same; the output then reports `"webhookId": null`.
const NO_WEBHOOK_ID: &str = "vt4g-cli-no-webhook-id";

impl From<SchemeArg> for WebhookScheme {
    fn from(s: SchemeArg) -> Self {
        match s {
            SchemeArg::Literal => WebhookScheme::Literal,
            SchemeArg::HexKey => WebhookScheme::HexKey,
            SchemeArg::MdkBody => WebhookScheme::MdkBody,
        }
    }
}

fn rejected(reason: impl Into<String>) -> Outcome {
    Outcome::new(
        json!({"valid": false, "reason": reason.into()}),
        Exit::Invalid,
    )
}

/// Picks a string at `pointer` out of the decoded body (`null` when absent).
fn pick(body: &Value, pointer: &str) -> Value {
    match body.pointer(pointer) {
        Some(Value::String(s)) => Value::String(s.clone()),
        _ => Value::Null,
    }
}

/// Runs `vt4g webhook verify`.
pub fn verify(a: WebhookVerifyArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let (ccid, key) = creds.require_ccid_and_key()?;
    let scheme = WebhookScheme::from(a.scheme);
    let verifier = WebhookVerifier::new(ccid.expose(), key, scheme)
        .map_err(|e| Failure::usage(format!("cannot verify with these credentials: {e}")))?;
    let body = read_input(a.input.as_deref())?;
    let id = a.webhook_id.as_deref().unwrap_or(NO_WEBHOOK_ID);
    match verifier.verify_as::<Value>(&a.header, id, &body) {
        Ok(verified) => {
            let p = &verified.payload;
            let webhook_id = match a.webhook_id {
                Some(id) => Value::String(id),
                None => Value::Null,
            };
            Ok(Outcome::new(
                json!({
                    "valid": true,
                    "scheme": scheme.name(),
                    "command": pick(p, "/transaction/command"),
                    "paymentId": pick(p, "/order/paymentId"),
                    "resultCode": pick(p, "/result/resultCode"),
                    "webhookId": webhook_id,
                }),
                Exit::Ok,
            ))
        }
        Err(WebhookError::Decode { source, .. }) => Ok(rejected(format!(
            "the signature is genuine but the body is not JSON: {source}"
        ))),
        Err(e) => Ok(rejected(e.to_string())),
    }
}

/// Runs `vt4g webhook detect-scheme`.
pub fn detect(a: WebhookDetectArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let (ccid, key) = creds.require_ccid_and_key()?;
    let body = read_input(a.input.as_deref())?;
    let matches: Vec<&str> = detect_scheme(ccid.expose(), &key, &a.header, &body)
        .into_iter()
        .map(WebhookScheme::name)
        .collect();
    let exit = if matches.is_empty() {
        eprintln!(
            "vt4g: no scheme verifies this webhook (malformed header, another CCID, wrong key, \
             or a body altered in transit)"
        );
        Exit::Invalid
    } else {
        Exit::Ok
    };
    Ok(Outcome::new(json!({ "matches": matches }), exit))
}
