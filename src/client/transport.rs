//! The core of a call: request-mode check, validation, one serialization,
//! ledger bookkeeping, the retry loop and lenient response decoding.

use std::borrow::Cow;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tracing::Instrument;

use super::typed::{CodeOf, TypedBody};
use super::{CallOptions, Inner, Outcome, RequestMode};
use crate::error::{excerpt, ApiFailure, DecodeFailure};
use crate::idempotency::{
    body_fingerprint, Begin, IdempotencyKey, IdempotencyRecord, RecordState, StoredResponse,
    KEY_LIFETIME,
};
use crate::result_code::{ActionCode, ResultCode, Status};
use crate::validation::{validate, ValidationOptions};
use crate::{Command, Error, PayType};

/// The header carrying the idempotency key.
pub(crate) const IDEMPOTENCY_HEADER: &str = "X-VT-Idempotency-Key";

/// No retry is started when the key is this close to its 24 h life.
const KEY_SAFETY_MARGIN: Duration = Duration::from_secs(60);

/// A string field of the `result` block, borrowed from the body unless it
/// has escapes (serde borrows a `Cow<str>` only as a direct field).
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl Text<'_> {
    fn owned(t: Option<Text<'_>>) -> Option<String> {
        t.map(|t| t.0.into_owned())
    }
}

/// The `result` block, read leniently before the typed body. Borrowed: the
/// success path needs only the code, so nothing is allocated for it.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawResult<'a> {
    #[serde(borrow)]
    result_code: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    action_code: Option<Text<'a>>,
    #[serde(borrow)]
    v_result_code: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    result: Option<RawResult<'a>>,
}

fn read_result(body: &[u8]) -> Option<RawResult<'_>> {
    serde_json::from_slice::<Envelope<'_>>(body).ok()?.result
}

/// The `result.resultCode` of an answer (`None` when the body has no
/// well-formed result block).
fn read_code(body: &[u8]) -> Option<ResultCode> {
    read_result(body)?
        .result_code
        .map(|c| ResultCode::from_code(&c.0))
}

/// `order.paymentId`, else `order.fepOrderId`, for logs and the ledger.
fn payment_id_of(body: &Value) -> Option<String> {
    let order = body.get("order")?;
    order
        .get("paymentId")
        .or_else(|| order.get("fepOrderId"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Fills `control.requestMode` from the environment when absent; returns the
/// contradicting value when present and different.
pub(crate) fn apply_request_mode(body: &mut Value, mode: RequestMode) -> Result<(), String> {
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

struct Prepared {
    command: Command,
    body: Bytes,
    key: Option<String>,
    key_created_at: SystemTime,
}

/// The last thing an attempt produced.
enum Last<T> {
    Answer {
        status: u16,
        body: Bytes,
        /// `result.resultCode`, read once.
        code: Option<ResultCode>,
        /// The typed body, when it was decoded first (a typed command's
        /// answer carrying one of the four [`Outcome`] codes).
        typed: Option<T>,
        /// `Retry-After` of a 429 or 503 answer.
        retry_after: Option<Duration>,
    },
    Transport(reqwest::Error),
}

struct Sent<T> {
    last: Last<T>,
    attempts: u32,
    maybe_processed: bool,
}

/// The request of a call.
pub(crate) enum Request<'a> {
    /// Any serializable body ([`Client::call`](super::Client::call)).
    Value(Value),
    /// One of the eight generated request types.
    Typed(&'a dyn TypedBody),
}

pub(crate) async fn execute<T: DeserializeOwned>(
    inner: &Inner,
    command: Command,
    request: Request<'_>,
    opts: CallOptions,
    code_of: Option<CodeOf<T>>,
) -> Result<Outcome<T>, Error> {
    let payment_id = match &request {
        Request::Value(body) => payment_id_of(body).map(Cow::Owned),
        Request::Typed(req) => req.payment_id().map(Cow::Borrowed),
    };
    let span = tracing::info_span!(
        "vt4g.call",
        command = command.as_str(),
        payment_id = payment_id.as_deref().unwrap_or(""),
        attempt = tracing::field::Empty,
        http_status = tracing::field::Empty,
        result_code = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = execute_inner(
        inner,
        command,
        request,
        opts,
        payment_id.as_deref(),
        &span,
        code_of,
    )
    .instrument(span.clone())
    .await;
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    match &result {
        Ok(o) => {
            span.record("result_code", o.result_code().as_str());
        }
        Err(e) => {
            if let Some(c) = e.result_code() {
                span.record("result_code", c.as_str());
            }
            span.in_scope(|| tracing::debug!(error = %e, "vt4g call failed"));
        }
    }
    result
}

/// Steps 1–3 of a call without I/O: request mode, validation, the bytes.
fn local_work(
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

async fn execute_inner<T: DeserializeOwned>(
    inner: &Inner,
    command: Command,
    request: Request<'_>,
    opts: CallOptions,
    payment_id: Option<&str>,
    span: &tracing::Span,
    code_of: Option<CodeOf<T>>,
) -> Result<Outcome<T>, Error> {
    let now = inner.clock.now();
    let bytes = Bytes::from(local_work(inner, command, request, opts.pay_type, now)?);
    let caller_key = opts.key.map(IdempotencyKey::into_string);
    let key = caller_key.clone().or_else(|| {
        command
            .is_mutating()
            .then(|| IdempotencyKey::generate().into_string())
    });

    if opts.scope.is_some() && inner.store.is_none() {
        return Err(Error::Config(
            "a ledger scope was given but the client has no idempotency store".into(),
        ));
    }

    // 4a. With a ledger and a scope.
    if let (Some(store), Some(scope), Some(key)) = (&inner.store, opts.scope, key.clone()) {
        let fingerprint = body_fingerprint(&bytes);
        let proposal = IdempotencyRecord {
            scope: scope.clone(),
            key,
            command,
            payment_id: payment_id.map(str::to_owned),
            fingerprint,
            body: bytes.to_vec(),
            created_at: now,
            state: RecordState::InFlight,
            lease_until: now + inner.lease,
            response: None,
        };
        let (rec, resumed) = match store.begin(proposal, now, inner.lease).await? {
            Begin::Started(rec) => (rec, false),
            Begin::Resumed(rec) => {
                if rec.fingerprint != fingerprint {
                    let _ = store.release(&rec.scope, &rec.key).await;
                    return Err(Error::IdempotencyConflict {
                        key: rec.key,
                        scope: Some(scope),
                    });
                }
                (rec, true)
            }
            Begin::Completed(rec) => {
                if rec.fingerprint != fingerprint {
                    return Err(Error::IdempotencyConflict {
                        key: rec.key,
                        scope: Some(scope),
                    });
                }
                let Some(resp) = rec.response else {
                    return Err(Error::Config(format!(
                        "ledger scope {scope:?} is completed but holds no response"
                    )));
                };
                tracing::debug!(scope = %scope, "answered from the idempotency ledger");
                return classify(command, resp.http_status, &resp.body, Some(&rec.key), 0);
            }
            Begin::InFlightElsewhere(rec) => {
                if rec.fingerprint != fingerprint {
                    return Err(Error::IdempotencyConflict {
                        key: rec.key,
                        scope: Some(scope),
                    });
                }
                return Err(Error::InFlightElsewhere {
                    scope,
                    key: rec.key,
                });
            }
            Begin::Expired(rec) => {
                return Err(Error::IdempotencyKeyExpired {
                    key: rec.key,
                    scope: Some(scope),
                    created_at: rec.created_at,
                });
            }
        };
        if resumed {
            tracing::debug!(scope = %rec.scope, "resuming an in-flight ledger entry");
        }
        let prepared = Prepared {
            command,
            // Resend the STORED bytes (identical fingerprint, so identical bytes).
            body: Bytes::from(rec.body),
            key: Some(rec.key.clone()),
            key_created_at: rec.created_at,
        };
        let sent = match send_with_retries(inner, &prepared, span, code_of).await {
            Ok(sent) => sent,
            Err(e) => {
                if let Err(le) = store.release(&rec.scope, &rec.key).await {
                    tracing::warn!(error = %le, "idempotency ledger release failed");
                }
                return Err(match e {
                    Error::IdempotencyKeyExpired {
                        key, created_at, ..
                    } => Error::IdempotencyKeyExpired {
                        key,
                        scope: Some(rec.scope.clone()),
                        created_at,
                    },
                    other => other,
                });
            }
        };
        let (final_answer, result) = finish::<T>(&prepared, sent);
        let ledger = match final_answer {
            Some(stored) => store.complete(&rec.scope, &rec.key, stored).await,
            None => store.release(&rec.scope, &rec.key).await,
        };
        if let Err(e) = ledger {
            // The API's answer matters more than the bookkeeping: a later resume
            // resends with the same key and gets the original answer back.
            tracing::warn!(error = %e, "idempotency ledger update failed");
        }
        return result;
    }

    // 4b. No ledger: refuse a caller key reused with another body in this process.
    if let Some(k) = &caller_key {
        // The fingerprint only matters for a key the caller may reuse: a key
        // made here is fresh, so nothing can conflict with it.
        let fingerprint = body_fingerprint(&bytes);
        let mut index = inner
            .key_index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !index.check_and_insert(k, fingerprint, now) {
            return Err(Error::IdempotencyConflict {
                key: k.clone(),
                scope: None,
            });
        }
    }
    let prepared = Prepared {
        command,
        body: bytes,
        key,
        key_created_at: now,
    };
    let sent = send_with_retries(inner, &prepared, span, code_of).await?;
    finish(&prepared, sent).1
}

/// Turns the last attempt into the call's result, and says what the ledger
/// should store (`Some`: a final answer; `None`: release the lease).
fn finish<T: DeserializeOwned>(
    p: &Prepared,
    sent: Sent<T>,
) -> (Option<StoredResponse>, Result<Outcome<T>, Error>) {
    let key = p.key.clone();
    match sent.last {
        Last::Answer {
            status,
            body,
            code,
            typed,
            retry_after,
        } => {
            let stored = code
                .as_ref()
                .filter(|c| c.is_final())
                .map(|_| StoredResponse {
                    http_status: status,
                    body: body.to_vec(),
                });
            let result = match (typed, &code) {
                (Some(typed), Some(code)) => Outcome::from_code(code, typed).ok_or_else(|| {
                    // Unreachable: `typed` is kept only for an outcome code.
                    decode_error(
                        p.command,
                        status,
                        Some(code.clone()),
                        "not an outcome code".into(),
                        &body,
                        key.as_deref(),
                        sent.attempts,
                    )
                }),
                _ => classify_parsed(
                    p.command,
                    status,
                    &body,
                    code,
                    key.as_deref(),
                    sent.attempts,
                )
                .map_err(|e| with_retry_after(e, retry_after)),
            };
            (stored, result)
        }
        Last::Transport(source) => {
            let err = if source.is_timeout() && !source.is_connect() {
                Error::Timeout {
                    command: p.command,
                    idempotency_key: key,
                    attempts: sent.attempts,
                    maybe_processed: sent.maybe_processed,
                }
            } else {
                Error::Transport {
                    command: p.command,
                    source,
                    idempotency_key: key,
                    attempts: sent.attempts,
                    maybe_processed: sent.maybe_processed,
                }
            };
            (None, Err(err))
        }
    }
}

/// Decodes an answer: the result block first, then the typed body.
pub(crate) fn classify<T: DeserializeOwned>(
    command: Command,
    status: u16,
    body: &[u8],
    key: Option<&str>,
    attempts: u32,
) -> Result<Outcome<T>, Error> {
    classify_parsed(command, status, body, read_code(body), key, attempts)
}

/// [`classify`] with the result code already read (by [`read_code`]).
fn classify_parsed<T: DeserializeOwned>(
    command: Command,
    status: u16,
    body: &[u8],
    code: Option<ResultCode>,
    key: Option<&str>,
    attempts: u32,
) -> Result<Outcome<T>, Error> {
    let Some(code) = code else {
        if status == 404 {
            return Err(Error::Api(Box::new(ApiFailure {
                command,
                http_status: status,
                result_code: ResultCode::PageNotFound,
                status: None,
                action_code: None,
                v_result_code: None,
                message: None,
                idempotency_key: key.map(str::to_owned),
                attempts,
                body_excerpt: excerpt(body),
                retry_after: None,
            })));
        }
        return Err(decode_error(
            command,
            status,
            None,
            "the response has no result.resultCode".into(),
            body,
            key,
            attempts,
        ));
    };
    if status == 200 && matches!(code, ResultCode::Unknown(_)) {
        // A code this crate does not know on HTTP 200 may be a new kind of
        // success: keep the whole body and flag it as maybe processed.
        return Err(decode_error(
            command,
            status,
            Some(code),
            "unknown result code on HTTP 200".into(),
            body,
            key,
            attempts,
        ));
    }
    if Outcome::from_code(&code, ()).is_some() {
        return match serde_json::from_slice::<T>(body) {
            Ok(typed) => Ok(Outcome::from_code(&code, typed)
                .unwrap_or_else(|| unreachable!("from_code accepted this code a moment ago"))),
            Err(e) => Err(decode_error(
                command,
                status,
                Some(code),
                format!("the typed body did not decode: {e}"),
                body,
                key,
                attempts,
            )),
        };
    }
    // A failure: now read the rest of the result block (the code was read
    // from the same block, so it parses again).
    let raw = read_result(body).unwrap_or_default();
    let failure = ApiFailure {
        command,
        http_status: status,
        status: raw.status.map(|s| Status::from_code(&s.0)),
        action_code: raw
            .action_code
            .map(|a| ActionCode::from_code(&a.0))
            .or_else(|| code.action_code()),
        v_result_code: Text::owned(raw.v_result_code),
        message: Text::owned(raw.message),
        idempotency_key: key.map(str::to_owned),
        attempts,
        body_excerpt: excerpt(body),
        result_code: code,
        retry_after: None,
    };
    if failure.result_code.is_pending() {
        Err(Error::Pending(Box::new(failure)))
    } else {
        Err(Error::Api(Box::new(failure)))
    }
}

/// Adds the server's `Retry-After` to an API or decode error.
fn with_retry_after(mut e: Error, retry_after: Option<Duration>) -> Error {
    match &mut e {
        Error::Api(f) | Error::Pending(f) => f.retry_after = retry_after,
        Error::Decode(d) => d.retry_after = retry_after,
        _ => {}
    }
    e
}

/// Reads a `Retry-After` value: delay-seconds, or an HTTP-date (IMF-fixdate,
/// RFC 850 or asctime) measured against `now`, the client's [`Clock`](super::Clock)
/// (a date in the past means no wait). Anything else is ignored (`None`).
pub(crate) fn parse_retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
    let value = std::str::from_utf8(value).ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurdly long number is a wait longer than any policy allows.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn decode_error(
    command: Command,
    status: u16,
    result_code: Option<ResultCode>,
    reason: String,
    body: &[u8],
    key: Option<&str>,
    attempts: u32,
) -> Error {
    Error::Decode(Box::new(DecodeFailure {
        command,
        http_status: status,
        result_code,
        reason,
        idempotency_key: key.map(str::to_owned),
        attempts,
        excerpt: excerpt(body),
        body: body.to_vec(),
        retry_after: None,
    }))
}

/// One HTTP attempt: the status, the raw `Retry-After` of a 429 or 503, the body.
async fn send_once(
    inner: &Inner,
    p: &Prepared,
) -> Result<(u16, Option<HeaderValue>, Bytes), reqwest::Error> {
    let url = inner.urls[Command::ALL
        .iter()
        .position(|c| *c == p.command)
        .unwrap_or_default()]
    .clone();
    let mut rb = inner
        .http
        .post(url)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(AUTHORIZATION, inner.auth.clone());
    if let Some(k) = &p.key {
        rb = rb.header(IDEMPOTENCY_HEADER, k.as_str());
    }
    if inner.custom_http {
        rb = rb
            .timeout(inner.request_timeout)
            .header(USER_AGENT, HeaderValue::from_static(super::USER_AGENT));
    }
    let resp = rb.body(p.body.clone()).send().await?;
    let status = resp.status().as_u16();
    let retry_after = match status {
        429 | 503 => resp.headers().get(RETRY_AFTER).cloned(),
        _ => None,
    };
    let body = resp.bytes().await?;
    Ok((status, retry_after, body))
}

/// Sends until a non-retryable answer, or the policy/budget/key life ends.
/// The answer's result code, and the typed body when it could be decoded
/// first: for a typed command (`code_of`), an HTTP 200 answer is decoded
/// straight into `T`, and when its `result.resultCode` is one of the four
/// [`Outcome`] codes that decode is the only parse of the body. Otherwise
/// (and for any other answer) the result block is read on its own, exactly as
/// [`classify`] does; a body that decodes into `T` has a well-formed result
/// block, so both ways read the same code.
fn read_answer<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    code_of: Option<CodeOf<T>>,
) -> (Option<ResultCode>, Option<T>) {
    if let (200, Some(code_of)) = (status, code_of) {
        if let Ok(typed) = serde_json::from_slice::<T>(body) {
            if let Some(code) = code_of(&typed).map(ResultCode::from_code) {
                if Outcome::from_code(&code, ()).is_some() {
                    return (Some(code), Some(typed));
                }
            }
        }
    }
    (read_code(body), None)
}

async fn send_with_retries<T: DeserializeOwned>(
    inner: &Inner,
    p: &Prepared,
    span: &tracing::Span,
    code_of: Option<CodeOf<T>>,
) -> Result<Sent<T>, Error> {
    let policy = &inner.retry;
    let started = Instant::now();
    let key_age = |extra: Duration| -> bool {
        inner
            .clock
            .now()
            .duration_since(p.key_created_at)
            .map(|age| age + extra + KEY_SAFETY_MARGIN >= KEY_LIFETIME)
            .unwrap_or(false)
    };
    if p.key.is_some() && key_age(Duration::ZERO) {
        return Err(Error::IdempotencyKeyExpired {
            key: p.key.clone().unwrap_or_default(),
            scope: None,
            created_at: p.key_created_at,
        });
    }
    // Resending after "maybe processed" is safe only with a key, or for the read-only command.
    let resend_safe = p.key.is_some() || !p.command.is_mutating();
    let mut attempts = 0u32;
    let mut maybe_processed = false;
    loop {
        attempts += 1;
        span.record("attempt", attempts);
        let res = send_once(inner, p).await;
        let (last, retry) = match res {
            Ok((status, retry_after, body)) => {
                span.record("http_status", status);
                let retry_after =
                    retry_after.and_then(|v| parse_retry_after(v.as_bytes(), inner.clock.now()));
                let (code, typed) = read_answer(status, &body, code_of);
                maybe_processed = true;
                let retry = match &code {
                    Some(c) => {
                        span.record("result_code", c.as_str());
                        c.is_retryable()
                    }
                    // 5xx without a result code: like a timeout, maybe processed.
                    None => status >= 500 && resend_safe,
                };
                (
                    Last::Answer {
                        status,
                        body,
                        code,
                        typed,
                        retry_after,
                    },
                    retry,
                )
            }
            Err(e) => {
                // A connect error means nothing was written: never processed.
                let reached = !e.is_connect();
                maybe_processed |= reached;
                let retry = !reached || resend_safe;
                (Last::Transport(e), retry)
            }
        };
        if !retry || attempts >= policy.get_max_attempts() {
            return Ok(Sent {
                last,
                attempts,
                maybe_processed,
            });
        }
        let mut delay = policy.backoff(attempts);
        if let Last::Answer {
            retry_after: Some(asked),
            ..
        } = &last
        {
            // The server's Retry-After (429, 503) is a floor on the wait. One
            // longer than the policy's largest backoff ends the retries: the
            // error carries it, for the caller to schedule the resend.
            if *asked > policy.get_max_backoff() {
                return Ok(Sent {
                    last,
                    attempts,
                    maybe_processed,
                });
            }
            delay = delay.max(*asked);
        }
        if started.elapsed() + delay > policy.get_max_elapsed()
            || (p.key.is_some() && key_age(delay))
        {
            return Ok(Sent {
                last,
                attempts,
                maybe_processed,
            });
        }
        tracing::debug!(
            attempt = attempts,
            delay_ms = delay.as_millis() as u64,
            "retrying with the same key and body"
        );
        tokio::time::sleep(delay).await;
    }
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

    #[test]
    fn retry_after_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let secs = |s: u64| Some(Duration::from_secs(s));
        assert_eq!(parse_retry_after(b"0", now), secs(0));
        assert_eq!(parse_retry_after(b" 7 ", now), secs(7));
        assert_eq!(
            parse_retry_after(b"99999999999999999999999", now),
            secs(u64::MAX)
        );
        for bad in [&b""[..], b"-1", b"1.5", b"soon", b"\xff"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse_retry_after(later.as_bytes(), now), secs(90));
        // The three HTTP-date forms; a date in the past means no wait.
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_retry_after(form.as_bytes(), t), secs(0), "{form}");
            assert_eq!(
                parse_retry_after(form.as_bytes(), t - Duration::from_secs(5)),
                secs(5),
                "{form}"
            );
            assert_eq!(parse_retry_after(form.as_bytes(), now), secs(0), "{form}");
        }
    }

    #[test]
    fn lenient_result_reading() {
        let r =
            read_result(br#"{"result":{"resultCode":"UA-000-001","extra":1},"order":5}"#).unwrap();
        assert_eq!(r.result_code.map(|c| c.0), Some("UA-000-001".into()));
        let escaped =
            read_result(br#"{"result":{"resultCode":"UA-REQ-001","message":"\u3042"}}"#).unwrap();
        assert_eq!(Text::owned(escaped.message).as_deref(), Some("\u{3042}"));
        assert_eq!(
            read_code(br#"{"result":{"resultCode":"UA-SYS-003"}}"#),
            Some(ResultCode::InternalCommunicationError)
        );
        assert!(read_result(b"<html>").is_none());
        assert!(read_result(br#"{"order":{}}"#).is_none());
    }
}
