//! `vt4g validate`.

use serde_json::{json, Value};
use vt4g::validation::{validate, RequestMode, UrlPolicy, ValidationOptions};
use vt4g::Command;

use crate::args::ValidateArgs;
use crate::io::{read_input, Exit, Failure, Outcome};

/// Parses `bytes` as a JSON request body. Input that is not JSON is an invalid payload (not a
/// usage error): the `Err` is the complete report document, with one violation at path `""`
/// and rule `"json"`. The parser's message names the line and column, never the content.
pub fn parse_body(bytes: &[u8]) -> Result<Value, Value> {
    serde_json::from_slice(bytes).map_err(|e| {
        json!({
            "valid": false,
            "violations": [{
                "path": "",
                "provider": null,
                "rule": "json",
                "limit": "one JSON document",
                "actual": format!("line {}, column {}", e.line(), e.column()),
                "severity": "error",
                "message": format!("The request body is not valid JSON: {e}."),
            }]
        })
    })
}

/// The validation options of a run.
pub fn options(
    mode: RequestMode,
    strict: bool,
    pay_type: Option<vt4g::PayType>,
    allow_local_urls: bool,
) -> ValidationOptions {
    let mut opts = ValidationOptions::new(mode).strict(strict);
    if let Some(p) = pay_type {
        opts = opts.with_pay_type(p);
    }
    if allow_local_urls {
        opts = opts.with_url_policy(UrlPolicy::AllowLocalSimulator);
    }
    opts
}

/// Validates `body` and returns the report document and whether it is valid.
pub fn report(command: Command, body: &Value, opts: &ValidationOptions) -> (Value, bool) {
    let report = validate(command, body, opts);
    let valid = report.is_valid();
    // The report serializes as {"valid", "violations"}; fall back to building it by hand
    // should serialization ever fail (it cannot for these plain types).
    let doc = serde_json::to_value(&report)
        .unwrap_or_else(|e| json!({"valid": valid, "violations": [], "error": e.to_string()}));
    (doc, valid)
}

/// Runs `vt4g validate`.
pub fn run(a: ValidateArgs) -> Result<Outcome, Failure> {
    let bytes = read_input(a.input.as_deref())?;
    let body = match parse_body(&bytes) {
        Ok(b) => b,
        Err(doc) => return Ok(Outcome::new(doc, Exit::Invalid)),
    };
    let opts = options(
        a.mode.into(),
        a.strict,
        a.pay_type.map(|p| p.0),
        a.allow_local_urls,
    );
    let (doc, valid) = report(a.command.0, &body, &opts);
    Ok(Outcome::new(
        doc,
        if valid { Exit::Ok } else { Exit::Invalid },
    ))
}
