//! One call from start to end: the span, the local work, then either the
//! ledger protocol (with a scope) or the in-process key-reuse check, and the
//! sends.

use std::borrow::Cow;
use std::time::Instant;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::ledger;
use super::prepare::{local_work, payment_id_of, Request};
use super::transport::{finish, send_with_retries, Outgoing};
use super::typed::CodeOf;
use super::{CallOptions, Inner, Outcome};
use crate::idempotency::{body_fingerprint, IdempotencyKey, IdempotencyRecord, RecordState};
use crate::{Command, Error};

/// Runs one call of `command` with `request` (see [`Call`](super::Call)).
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
            scope,
            key,
            command,
            payment_id: payment_id.map(str::to_owned),
            fingerprint,
            body: bytes.to_vec(),
            created_at: now,
            state: RecordState::InFlight,
            lease_until: now + inner.lease,
            response: None,
            lease_token: 0,
        };
        return ledger::execute_scoped(inner, store.as_ref(), proposal, span, code_of).await;
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
    let outgoing = Outgoing {
        command,
        body: bytes,
        key,
        key_created_at: now,
        max_response_bytes: inner.max_response_bytes,
    };
    let sent = send_with_retries(inner, &outgoing, span, code_of).await?;
    finish(&outgoing, sent).1
}
