//! `vt4g redirect verify`.

use serde_json::{json, Value};
use vt4g::redirect::{RedirectInput, RedirectParams, RedirectVerifier, UnverifiedReason};

use crate::args::RedirectVerifyArgs;
use crate::io::{Credentials, Exit, Failure, Outcome};

fn opt(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

/// Runs `vt4g redirect verify`.
///
/// Without `--expect-payment-id` the signature is verified against the redirect's own
/// `paymentId` (so the replay of an old genuine redirect is NOT detected); the document then
/// says `"paymentIdChecked": false` and a warning goes to stderr.
pub fn verify(a: RedirectVerifyArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let (ccid, key) = creds.require_ccid_and_key()?;
    let verifier = RedirectVerifier::new(ccid.expose(), key)
        .map_err(|e| Failure::usage(format!("cannot verify with these credentials: {e}")))?;
    let input = RedirectInput::from(a.url_or_query.as_str());
    let rejected = |reason: String| {
        Ok(Outcome::new(
            json!({"valid": false, "reason": reason}),
            Exit::Invalid,
        ))
    };
    let (expected, checked) = match a.expect_payment_id {
        Some(id) => (id, true),
        None => {
            let params = match &input {
                RedirectInput::Url(u) => match RedirectParams::from_url(u) {
                    Ok(p) => p,
                    Err(e) => return rejected(e.to_string()),
                },
                RedirectInput::Query(q) => RedirectParams::from_query(q),
                RedirectInput::Params(p) => p.clone().into_owned(),
            };
            let own = match params.get("paymentId") {
                Ok(Some(id)) => id.to_owned(),
                // Missing or repeated: let the verifier report it precisely.
                _ => String::new(),
            };
            eprintln!(
                "vt4g: warning: no --expect-payment-id: the signature is checked but a replayed \
                 redirect of another (older) order would not be detected"
            );
            (own, false)
        }
    };
    match verifier.verify(input, &expected) {
        Ok(r) => {
            let mut unverified = serde_json::Map::new();
            for u in &r.unverified {
                let why = match u.reason {
                    UnverifiedReason::NotCovered => "not listed in authParams (not signed)",
                    _ => {
                        "not determined by the signature (the signed values can be cut differently)"
                    }
                };
                eprintln!(
                    "vt4g: warning: {} is {why}; it is under \"unverified\" and must not be trusted",
                    u.param
                );
                unverified.insert(u.param.name().to_owned(), Value::String(u.value.clone()));
            }
            Ok(verified_document(r, checked, unverified))
        }
        Err(e) => rejected(e.to_string()),
    }
}

fn verified_document(
    r: vt4g::redirect::VerifiedRedirect,
    checked: bool,
    unverified: serde_json::Map<String, Value>,
) -> Outcome {
    Outcome::new(
        json!({
            "valid": true,
            "status": r.status.as_str(),
            "actionCode": r.action_code.as_str(),
            "resultCode": r.result_code.as_str(),
            "command": r.command,
            "paymentId": r.payment_id,
            "fepOrderId": opt(r.fep_order_id),
            "fepReferenceId": opt(r.fep_reference_id),
            "merchantRequestKey1": opt(r.merchant_request_key1),
            "merchantRequestKey2": opt(r.merchant_request_key2),
            "paymentIdChecked": checked,
            "unverified": unverified,
        }),
        Exit::Ok,
    )
}
