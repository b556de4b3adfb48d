//! The local work of a call, before any I/O: `control.requestMode`,
//! validation, and the one serialization whose bytes every attempt sends.

use std::time::SystemTime;

use serde_json::Value;

use super::typed::TypedBody;
use super::{Inner, RequestMode};
use crate::validation::{validate, ValidationOptions};
use crate::{Command, Error, PayType};

/// The request of a call.
pub(crate) enum Request<'a> {
    /// Any serializable body ([`Client::call`](super::Client::call)).
    Value(Value),
    /// One of the eight generated request types.
    Typed(&'a dyn TypedBody),
}

/// `order.paymentId`, else `order.fepOrderId`, for logs and the ledger.
pub(crate) fn payment_id_of(body: &Value) -> Option<String> {
    let order = body.get("order")?;
    order
        .get("paymentId")
        .or_else(|| order.get("fepOrderId"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Fills `control.requestMode` from the environment when absent; returns the
/// contradicting value when present and different.
fn apply_request_mode(body: &mut Value, mode: RequestMode) -> Result<(), String> {
    let Some(obj) = body.as_object_mut() else {
        return Ok(()); // the validator reports a non-object body
    };
    let control = obj
        .entry("control")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(control) = control.as_object_mut() else {
        return Ok(());
    };
    match control.get("requestMode") {
        None | Some(Value::Null) => {
            control.insert("requestMode".into(), Value::String(mode.as_str().into()));
            Ok(())
        }
        Some(Value::String(s)) if s == mode.as_str() => Ok(()),
        Some(other) => Err(match other {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        }),
    }
}

/// Steps 1–3 of a call without I/O: request mode, validation, the bytes.
pub(crate) fn local_work(
    inner: &Inner,
    command: Command,
    request: Request<'_>,
    pay_type: Option<PayType>,
    now: SystemTime,
) -> Result<Vec<u8>, Error> {
    let mut vopts = ValidationOptions {
        mode: inner.mode,
        strict: inner.strict,
        pay_type,
        url_policy: inner.url_policy,
        now,
    };
    let serialize_error = |e: serde_json::Error| {
        Error::Config(format!(
            "the {command} request could not be serialized: {e}"
        ))
    };
    let mode_conflict_error = |found: String| {
        // The validator reports a requestMode that contradicts `vopts.mode`; this is
        // the belt to its braces (e.g. a value that is not a request mode at all).
        Error::Config(format!(
            "control.requestMode is {found:?} but the client targets the {} environment",
            inner.mode
        ))
    };
    let mut body = match request {
        Request::Value(body) => body,
        Request::Typed(req) => {
            // The typed request is validated as it is and serialized once,
            // without a serde_json::Value round trip.
            vopts.pay_type = vopts.pay_type.or_else(|| req.declared_pay_type());
            let prepared = req.validate_and_serialize(inner.mode, &vopts);
            if !prepared.report.is_valid() {
                return Err(Error::Validation(Box::new(prepared.report)));
            }
            if let Some(found) = prepared.conflict {
                return Err(mode_conflict_error(found));
            }
            return prepared.bytes.map_err(serialize_error);
        }
    };

    // 1. control.requestMode must agree with the environment (pay, subscribe).
    let mode_conflict = if matches!(command, Command::Pay | Command::Subscribe) {
        apply_request_mode(&mut body, inner.mode).err()
    } else {
        None
    };

    // 2. Validate everything before any byte goes on the wire.
    vopts.pay_type = vopts.pay_type.or_else(|| {
        body.get("order")
            .and_then(|o| o.get("payType"))
            .and_then(Value::as_str)
            .and_then(PayType::from_name)
    });
    let report = validate(command, &body, &vopts);
    if !report.is_valid() {
        return Err(Error::Validation(Box::new(report)));
    }
    if let Some(found) = mode_conflict {
        return Err(mode_conflict_error(found));
    }

    // 3. Serialize once; these bytes go out on every attempt. Keys are
    // sorted first: with serde_json's `preserve_order` feature (switched on by
    // any crate in the caller's build) a `Value` keeps insertion order, and
    // the inserted requestMode would land last; sorted keys are the generated
    // types' field order (the generator checks it), so the JSON path sends
    // exactly the typed path's bytes. Without the feature this is a no-op.
    body.sort_all_objects();
    serde_json::to_vec(&body).map_err(serialize_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_mode_filled_or_refused() {
        let mut b = serde_json::json!({"order": {}});
        assert!(apply_request_mode(&mut b, RequestMode::Sandbox).is_ok());
        assert_eq!(b["control"]["requestMode"], "sandbox");
        let mut b = serde_json::json!({"control": {"requestMode": "live"}});
        assert_eq!(
            apply_request_mode(&mut b, RequestMode::Sandbox),
            Err("live".to_string())
        );
        let mut b = serde_json::json!({"control": {"requestMode": "sandbox"}});
        assert!(apply_request_mode(&mut b, RequestMode::Sandbox).is_ok());
    }
}
