//! `vt4g call`.

use serde_json::{json, Value};
use vt4g::client::{Outcome as CallOutcome, RequestMode, RetryPolicy};
use vt4g::error::ApiFailure;
use vt4g::idempotency::IdempotencyKey;
use vt4g::validation::UrlPolicy;
use vt4g::{Client, Error};

use crate::args::{CallArgs, EnvArg, ModeArg};
use crate::cmd::validate::{options, parse_body, report};
use crate::io::{read_input, Credentials, Exit, Failure, Outcome};

/// Runs `vt4g call`: validate, send with the client's retries, print the response JSON.
///
/// Exit codes: 0 for every HTTP 200 outcome (`UA-000-001`, and also `UA-000-002`,
/// `UA-U00-001`, `UA-P00-001`, whose `result` block tells the caller what to do next);
/// 1 for a validation failure, an API failure result or a pending (`UA-PND-*`) result;
/// 2 for usage errors; 3 when no usable answer came back (transport error, timeout, an
/// undecodable answer), printed as `{"error", "idempotencyKey", "maybeProcessed"}`.
pub fn run(a: CallArgs, creds: &Credentials) -> Result<Outcome, Failure> {
    let command = a.command.0;
    let token = creds.require_token()?;
    // Where to send, and the request mode that target implies.
    let (target, mode) = match (a.environment, a.base_url, a.mode) {
        (Some(EnvArg::Live), _, Some(ModeArg::Sandbox))
        | (Some(EnvArg::Sandbox), _, Some(ModeArg::Live)) => {
            return Err(Failure::usage("--mode contradicts --env"));
        }
        (Some(EnvArg::Live), _, _) => (Target::Live, RequestMode::Live),
        (Some(EnvArg::Sandbox), _, _) => (Target::Sandbox, RequestMode::Sandbox),
        (None, Some(url), m) => (
            Target::Custom(url),
            m.map_or(RequestMode::Sandbox, RequestMode::from),
        ),
        (None, None, _) => {
            return Err(Failure::usage(
                "say where to send the request: --env sandbox|live or --base-url URL",
            ));
        }
    };
    let key = match a.idempotency_key {
        Some(k) => Some(
            IdempotencyKey::new(k)
                .map_err(|e| Failure::usage(format!("invalid --idempotency-key: {e}")))?,
        ),
        // A key for every mutating command, made here so that it can be printed on a
        // transport failure; getTransactionResult goes without one (the client's rule).
        None if command.is_mutating() => Some(IdempotencyKey::generate()),
        None => None,
    };
    let key_json = key
        .as_ref()
        .map_or(Value::Null, |k| Value::String(k.as_str().to_owned()));

    let bytes = read_input(a.input.as_deref())?;
    let body = match parse_body(&bytes) {
        Ok(b) => b,
        Err(doc) => return Ok(Outcome::new(doc, Exit::Invalid)),
    };
    let pay_type = a.pay_type.map(|p| p.0);
    let opts = options(mode, false, pay_type, a.allow_local_urls);
    let (doc, valid) = report(command, &body, &opts);
    if !valid {
        eprintln!("vt4g: not sent: the request body has validation errors");
        return Ok(Outcome::new(doc, Exit::Invalid));
    }

    let mut builder = Client::builder().bearer_token(token).validation(
        false,
        if a.allow_local_urls {
            UrlPolicy::AllowLocalSimulator
        } else {
            UrlPolicy::Production
        },
    );
    if let Some(secs) = a.timeout {
        builder = builder.request_timeout(std::time::Duration::from_secs(secs));
    }
    if let Some(n) = a.max_attempts {
        builder = builder.retry_policy(RetryPolicy::default().max_attempts(n));
    }
    builder = match target {
        Target::Live => builder.live(),
        Target::Sandbox => builder.sandbox(),
        Target::Custom(url) => builder.base_url(url.as_str().trim_end_matches('/'), mode),
    };
    let client = builder
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the client: {e}")))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(async {
        let mut call = client.call::<Value, Value>(command, &body);
        if let Some(k) = key.clone() {
            call = call.idempotency_key(k);
        }
        if let Some(p) = pay_type {
            call = call.pay_type(p);
        }
        call.await
    });
    Ok(match result {
        Ok(outcome) => {
            if !matches!(outcome, CallOutcome::Success(_)) {
                eprintln!(
                    "vt4g: {}: not a plain success; read result.actionCode",
                    outcome.result_code()
                );
            }
            Outcome::new(outcome.into_body_any_outcome(), Exit::Ok)
        }
        Err(Error::Api(f)) => {
            eprintln!("vt4g: {command} failed: {}", f.result_code);
            Outcome::new(failure_document(&f), Exit::Invalid)
        }
        Err(Error::Pending(f)) => {
            eprintln!(
                "vt4g: {command} is pending ({}): confirm with getTransactionResult later; \
                 do not resend with a new key",
                f.result_code
            );
            Outcome::new(failure_document(&f), Exit::Invalid)
        }
        Err(Error::Validation(r)) => {
            eprintln!("vt4g: not sent: the client refused the request");
            Outcome::new(
                serde_json::to_value(&*r).unwrap_or_else(|_| json!({"valid": false})),
                Exit::Invalid,
            )
        }
        Err(e @ (Error::InvalidKey(_) | Error::Config(_) | Error::IdempotencyConflict { .. })) => {
            return Err(Failure::usage(e.to_string()));
        }
        Err(e) => {
            let maybe = e.maybe_processed();
            let key = e
                .idempotency_key()
                .map_or(key_json, |k| Value::String(k.to_owned()));
            eprintln!(
                "vt4g: no usable answer{}; resume with --idempotency-key",
                if maybe {
                    " (the request may have been processed)"
                } else {
                    ""
                }
            );
            Outcome::new(
                json!({"error": e.to_string(), "idempotencyKey": key, "maybeProcessed": maybe}),
                Exit::Transport,
            )
        }
    })
}

/// The server a call goes to.
enum Target {
    /// The live endpoint.
    Live,
    /// The VeriTrans sandbox endpoint.
    Sandbox,
    /// A server URL given with `--base-url` (e.g. the local simulator).
    Custom(url::Url),
}

impl From<ModeArg> for RequestMode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Live => RequestMode::Live,
            ModeArg::Sandbox => RequestMode::Sandbox,
        }
    }
}

/// The response JSON of a failure: the API's body when the kept excerpt is a complete JSON
/// document (error answers are small), else the `result` block rebuilt from its fields.
fn failure_document(f: &ApiFailure) -> Value {
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&f.body_excerpt) {
        return v;
    }
    let mut result = serde_json::Map::new();
    result.insert("resultCode".into(), json!(f.result_code.as_str()));
    if let Some(s) = &f.status {
        result.insert("status".into(), json!(s.as_str()));
    }
    if let Some(a) = &f.action_code {
        result.insert("actionCode".into(), json!(a.as_str()));
    }
    if let Some(m) = &f.message {
        result.insert("message".into(), json!(m));
    }
    if let Some(v) = &f.v_result_code {
        result.insert("vResultCode".into(), json!(v));
    }
    json!({ "result": result, "httpStatus": f.http_status })
}
