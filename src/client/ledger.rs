//! The ledger protocol of a call under a scope: begin (start, resume,
//! answer from the ledger, or refuse), send, then complete with a final
//! answer or release the lease.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::decode::classify;
use super::transport::{finish, send_with_retries, Outgoing};
use super::typed::CodeOf;
use super::{Inner, Outcome};
use crate::idempotency::{Begin, IdempotencyRecord, IdempotencyStore};
use crate::Error;

/// Runs a call under the ledger entry `proposal` (a fresh in-flight record
/// holding the call's scope, key, command, body and fingerprint; its
/// `created_at` is now).
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
    let now = proposal.created_at;
    let (rec, resumed) = match store.begin(proposal, now, inner.lease).await? {
        Begin::Started(rec) => (rec, false),
        Begin::Resumed(rec) => {
            if rec.fingerprint != fingerprint {
                let _ = store.release(&rec.scope, &rec.key, rec.lease_token).await;
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
    let outgoing = Outgoing {
        command,
        // Resend the STORED bytes (identical fingerprint, so identical bytes).
        body: Bytes::from(rec.body),
        key: Some(rec.key.clone()),
        key_created_at: rec.created_at,
    };
    let sent = match send_with_retries(inner, &outgoing, span, code_of).await {
        Ok(sent) => sent,
        Err(e) => {
            if let Err(le) = store.release(&rec.scope, &rec.key, rec.lease_token).await {
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
    let (final_answer, result) = finish::<T>(&outgoing, sent);
    let ledger = match final_answer {
        Some(stored) => store.complete(&rec.scope, &rec.key, rec.lease_token, stored).await,
        None => store.release(&rec.scope, &rec.key, rec.lease_token).await,
    };
    if let Err(e) = ledger {
        // The API's answer matters more than the bookkeeping: a later resume
        // resends with the same key and gets the original answer back.
        tracing::warn!(error = %e, "idempotency ledger update failed");
    }
    result
}
