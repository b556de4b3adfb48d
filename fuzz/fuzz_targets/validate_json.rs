//! Fuzzes the per-provider validator. Byte 0 selects the command (low nibble),
//! the request mode (bit 4) and the URL policy (bit 5); byte 1 the provider
//! (none or one of `PayType::ALL`); the rest, when it parses as JSON, is
//! validated as that command's request in normal and strict mode. It must
//! never panic, must be deterministic, its report must serialize, and strict
//! mode may only add errors (strict-valid implies valid). When the value is also a
//! typed request of the command (it deserializes into the generated type), the typed
//! validator (`ValidateRequest::validate`, with its compile-time fast scan) must give
//! exactly the report of the `Value` validator on `to_value(typed)`.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;
use vt4g::generated::types::{
    CancelRequest, CaptureRequest, ChargeRequest, GetTransactionResultRequest, PayRequest,
    SubscribeRequest, TerminateRequest, UpdateOrderRequest,
};
use vt4g::validation::{
    validate, RequestMode, UrlPolicy, ValidateRequest, ValidationOptions, ValidationReport,
};
use vt4g::{Command, PayType};

/// The typed validator's report and the `Value` validator's report of the typed
/// request's `to_value`, when `body` is a typed request of `T`.
fn typed<T: DeserializeOwned + Serialize + ValidateRequest>(
    body: &serde_json::Value,
    opts: &ValidationOptions,
) -> Option<(ValidationReport, ValidationReport)> {
    let t: T = serde_json::from_value(body.clone()).ok()?;
    let v = serde_json::to_value(&t).expect("typed requests serialize");
    Some((t.validate(opts), validate(T::COMMAND, &v, opts)))
}

fn typed_reports(
    command: Command,
    body: &serde_json::Value,
    opts: &ValidationOptions,
) -> Option<(ValidationReport, ValidationReport)> {
    match command {
        Command::Pay => typed::<PayRequest>(body, opts),
        Command::Subscribe => typed::<SubscribeRequest>(body, opts),
        Command::UpdateOrder => typed::<UpdateOrderRequest>(body, opts),
        Command::Capture => typed::<CaptureRequest>(body, opts),
        Command::Cancel => typed::<CancelRequest>(body, opts),
        Command::Charge => typed::<ChargeRequest>(body, opts),
        Command::Terminate => typed::<TerminateRequest>(body, opts),
        Command::GetTransactionResult => typed::<GetTransactionResultRequest>(body, opts),
    }
}

fuzz_target!(|data: &[u8]| {
    // Byte 0 picks the command, request mode and URL policy, byte 1 the provider;
    // the rest is the body. The fuzzer explores the option space through the input
    // instead of every input being validated under every combination.
    let [sel, provider, json @ ..] = data else {
        return;
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    let command = Command::ALL[usize::from(sel & 0x0f) % Command::ALL.len()];
    let mode = if sel & 0x10 == 0 {
        RequestMode::Live
    } else {
        RequestMode::Sandbox
    };
    let url_policy = if sel & 0x20 == 0 {
        UrlPolicy::Production
    } else {
        UrlPolicy::AllowLocalSimulator
    };
    let pay_type = match usize::from(*provider) % (PayType::ALL.len() + 1) {
        0 => None,
        i => Some(PayType::ALL[i - 1]),
    };
    // A fixed "now" (2026-01-01T00:00:00Z) keeps runs reproducible.
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let mut valid = [false; 2];
    for strict in [false, true] {
        let mut opts = ValidationOptions::new(mode)
            .strict(strict)
            .with_url_policy(url_policy)
            .at(now);
        opts.pay_type = pay_type;
        let report = validate(command, &body, &opts);
        let again = validate(command, &body, &opts);
        let json = serde_json::to_string(&report).expect("report serializes");
        assert_eq!(
            json,
            serde_json::to_string(&again).expect("report serializes"),
            "validation is not deterministic"
        );
        valid[usize::from(strict)] = report.is_valid();
        if let Some((t, v)) = typed_reports(command, &body, &opts) {
            assert_eq!(t, v, "{command}: the typed and Value validators differ");
        }
    }
    // Strict mode only adds errors: strict-valid implies valid.
    assert!(
        !valid[1] || valid[0],
        "{command} {mode:?} {url_policy:?} {pay_type:?}: valid in strict mode but not in normal mode"
    );
});
