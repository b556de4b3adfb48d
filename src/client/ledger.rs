//! The ledger protocol of a call under a scope: begin (start, resume,
//! answer from the ledger, or refuse), send while a heartbeat renews the
//! lease, then complete with a final answer or release the lease.
//!
//! What it guarantees, given a ledger whose committed rows survive (see
//! `docs/postgres.md` on `synchronous_commit`):
//!
//! - **binding**: a scope is bound to its command, `paymentId` and exact body
//!   bytes; anything else under it is [`Error::IdempotencyConflict`] and
//!   nothing is sent, whatever state the scope is in;
//! - **one holder**: a request is sent only by the holder of the scope's lease
//!   (`Started` or `Resumed`, committed before the first byte goes out); the
//!   lease is renewed every third of its length while the call works, and
//!   `complete`/`release` are conditional on the holder's lease token;
//! - **key age** is measured on the ledger's clock: the age the ledger reports
//!   at `begin` (its `now` minus the row's `created_at`) is carried forward
//!   on the client's clock for the few seconds of the call, so a replica
//!   whose clock is off neither resends an expired key nor refuses a young one;
//! - **no lost answer**: a final answer the ledger cannot record (after
//!   [`COMPLETE_ATTEMPTS`] tries) is returned as [`Error::LedgerNotRecorded`],
//!   never swallowed; the scope stays in flight, so a resume resends with the
//!   same key and records the API's original answer.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::decode::classify;
use super::transport::{finish, send_with_retries, Outgoing};
use super::typed::CodeOf;
use super::{Inner, Outcome};
use crate::idempotency::{Begin, IdempotencyRecord, IdempotencyStore, StoreError};
use crate::result_code::ResultCode;
use crate::Error;

/// How many times a final answer is offered to the ledger before the call
/// fails with [`Error::LedgerNotRecorded`].
pub(crate) const COMPLETE_ATTEMPTS: u32 = 4;

/// Runs a call under the ledger entry `proposal` (a fresh in-flight record
/// holding the call's scope, key, command, paymentId, body and fingerprint;
/// its `created_at` is now).
pub(crate) async fn execute_scoped<T: DeserializeOwned>(
    inner: &Inner,
    store: &dyn IdempotencyStore,
    proposal: IdempotencyRecord,
    span: &tracing::Span,
    code_of: Option<CodeOf<T>>,
) -> Result<Outcome<T>, Error> {
    let scope = proposal.scope.clone();
    let command = proposal.command;
    let fingerprint = proposal.fingerprint;
    let payment_id = proposal.payment_id.clone();
    let now = proposal.created_at;
    let conflict = |rec: &IdempotencyRecord| {
        (!rec.is_same_request(command, payment_id.as_deref(), &fingerprint)).then(|| {
            Error::IdempotencyConflict {
                key: rec.key.clone(),
                scope: Some(scope.clone()),
            }
        })
    };
    let (rec, resumed) = match store.begin(proposal, now, inner.lease).await? {
        Begin::Started(rec) => (rec, false),
        Begin::Resumed(rec) => {
            if let Some(e) = conflict(&rec) {
                release(store, &rec).await;
                return Err(e);
            }
            (rec, true)
        }
        Begin::Completed(rec) => {
            if let Some(e) = conflict(&rec) {
                return Err(e);
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
            if let Some(e) = conflict(&rec) {
                return Err(e);
            }
            return Err(Error::InFlightElsewhere {
                scope,
                key: rec.key,
            });
        }
        Begin::Expired(rec) => {
            if let Some(e) = conflict(&rec) {
                return Err(e);
            }
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
    let outgoing = Outgoing {
        command,
        // Resend the STORED bytes (identical fingerprint, so identical bytes).
        body: Bytes::from(rec.body.clone()),
        key: Some(rec.key.clone()),
        key_created_at: key_created_on_our_clock(&rec, inner.lease, inner.clock.now()),
        max_response_bytes: inner.max_response_bytes,
    };
    let holding = async {
        let sent = match send_with_retries(inner, &outgoing, span, code_of).await {
            Ok(sent) => sent,
            Err(e) => {
                release(store, &rec).await;
                return Err(match e {
                    Error::IdempotencyKeyExpired { key, .. } => Error::IdempotencyKeyExpired {
                        key,
                        scope: Some(rec.scope.clone()),
                        created_at: rec.created_at,
                    },
                    other => other,
                });
            }
        };
        let (final_answer, result) = finish::<T>(&outgoing, sent);
        match final_answer {
            Some(stored) => {
                let http_status = stored.http_status;
                if let Err(source) = complete(store, &rec, stored).await {
                    return Err(Error::LedgerNotRecorded {
                        command,
                        scope: rec.scope.clone(),
                        key: rec.key.clone(),
                        http_status,
                        result_code: result_code_of(&result),
                        source,
                    });
                }
            }
            // Unknown or pending: the scope stays in flight for a resume.
            None => release(store, &rec).await,
        }
        result
    };
    // The heartbeat runs as long as the call holds the lease and stops with it.
    tokio::select! {
        result = holding => result,
        never = heartbeat(inner, store, &rec) => match never {},
    }
}

/// The key's creation on the client's clock: `now` minus the key's age on the
/// ledger's clock when `begin` answered. A `Started`/`Resumed` record's lease
/// ends at ledger-now + `lease`, which gives the ledger's now.
fn key_created_on_our_clock(
    rec: &IdempotencyRecord,
    lease: Duration,
    now: SystemTime,
) -> SystemTime {
    let ledger_now = rec
        .lease_until
        .checked_sub(lease)
        .unwrap_or(rec.lease_until);
    let age = ledger_now
        .duration_since(rec.created_at)
        .unwrap_or(Duration::ZERO);
    now.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The result code of the call's result, for [`Error::LedgerNotRecorded`].
fn result_code_of<T>(result: &Result<Outcome<T>, Error>) -> Option<ResultCode> {
    match result {
        Ok(o) => Some(o.result_code()),
        Err(e) => e.result_code().cloned(),
    }
}

/// Renews the lease every third of its length, forever (the caller drops this
/// future when the call ends). A lost lease (taken over after a renewal gap
/// longer than the lease) stops the renewals; `complete` then reports it.
async fn heartbeat(
    inner: &Inner,
    store: &dyn IdempotencyStore,
    rec: &IdempotencyRecord,
) -> std::convert::Infallible {
    let every = (inner.lease / 3).max(Duration::from_millis(10));
    loop {
        tokio::time::sleep(every).await;
        match store
            .renew(
                &rec.scope,
                &rec.key,
                rec.lease_token,
                inner.clock.now(),
                inner.lease,
            )
            .await
        {
            Ok(_) => {}
            Err(e @ (StoreError::LeaseLost { .. } | StoreError::NotFound { .. })) => {
                tracing::error!(scope = %rec.scope, error = %e, "idempotency ledger lease lost");
                return std::future::pending().await;
            }
            Err(e) => {
                tracing::warn!(scope = %rec.scope, error = %e, "idempotency ledger lease renewal failed");
            }
        }
    }
}

/// Records the final answer, retrying a failing ledger a few times (with
/// short waits). A lost lease or a missing entry is not retried.
async fn complete(
    store: &dyn IdempotencyStore,
    rec: &IdempotencyRecord,
    stored: crate::idempotency::StoredResponse,
) -> Result<(), StoreError> {
    let mut attempt = 1;
    loop {
        match store
            .complete(&rec.scope, &rec.key, rec.lease_token, stored.clone())
            .await
        {
            Ok(()) => return Ok(()),
            Err(e @ (StoreError::LeaseLost { .. } | StoreError::NotFound { .. })) => return Err(e),
            Err(e) if attempt >= COMPLETE_ATTEMPTS => return Err(e),
            Err(e) => {
                tracing::warn!(scope = %rec.scope, attempt, error = %e,
                    "idempotency ledger complete failed; retrying");
                tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// Gives the lease up so that a resume can take over at once. A failure is
/// only logged: the lease then simply runs out.
async fn release(store: &dyn IdempotencyStore, rec: &IdempotencyRecord) {
    if let Err(e) = store.release(&rec.scope, &rec.key, rec.lease_token).await {
        tracing::warn!(scope = %rec.scope, error = %e, "idempotency ledger release failed");
    }
}
