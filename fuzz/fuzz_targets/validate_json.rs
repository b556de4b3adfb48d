//! Fuzzes the per-provider validator: arbitrary bytes; when they parse as
//! JSON, the value is validated as the request of every command under every
//! option combination (request mode × strict × provider × URL policy). It must
//! never panic, must be deterministic, its report must serialize, and strict
//! mode may only add errors (strict-valid implies valid).
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use vt4g::validation::{validate, RequestMode, UrlPolicy, ValidationOptions};
use vt4g::{Command, PayType};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    // A fixed "now" (2026-01-01T00:00:00Z) keeps runs reproducible.
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let pay_types = std::iter::once(None).chain(PayType::ALL.into_iter().map(Some));
    let pay_types: Vec<Option<PayType>> = pay_types.collect();
    for command in Command::ALL {
        for mode in [RequestMode::Live, RequestMode::Sandbox] {
            for url_policy in [UrlPolicy::Production, UrlPolicy::AllowLocalSimulator] {
                for pay_type in &pay_types {
                    let mut valid = [false; 2];
                    for strict in [false, true] {
                        let mut opts = ValidationOptions::new(mode)
                            .strict(strict)
                            .with_url_policy(url_policy)
                            .at(now);
                        opts.pay_type = *pay_type;
                        let report = validate(command, &body, &opts);
                        let again = validate(command, &body, &opts);
                        let json = serde_json::to_string(&report).expect("report serializes");
                        assert_eq!(
                            json,
                            serde_json::to_string(&again).expect("report serializes"),
                            "validation is not deterministic"
                        );
                        valid[usize::from(strict)] = report.is_valid();
                    }
                    // Strict mode only adds errors: strict-valid implies valid.
                    assert!(
                        !valid[1] || valid[0],
                        "{command} {mode:?} {url_policy:?} {pay_type:?}: valid in strict mode but not in normal mode"
                    );
                }
            }
        }
    }
});
