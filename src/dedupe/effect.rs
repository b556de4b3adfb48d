//! Handler-level idempotency: apply a webhook's business effect once per event,
//! whatever webhook id carried it.
//!
//! The receiver de-duplicates by `X-VT-webhook-id` and runs the handler at
//! least once per id (see the [module docs](super)). The same event can still
//! reach the handler twice: after a crash between the handler's effect and the
//! `done` record, or when the Unified API sends the event again under a new id
//! (the reference calls the id "newly assigned by VeriTrans4G Unified API" and
//! does not promise that a re-sent notification keeps it). [`EffectKey`] names
//! the event; [`InMemoryEffects`] and `PostgresEffects` (feature `postgres`)
//! run an effect at most once per key, and `PostgresEffects` commits the key in
//! the same transaction as the merchant's own writes, which makes the effect
//! exactly once.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use super::DedupeError;
use crate::webhook::{VerifiedWebhook, WebhookPayload};

/// The identity of the business event a webhook reports.
///
/// [`EffectKey::for_payload`] builds it from, in this order: `order.paymentId`
/// (or `fep:` followed by `order.fepOrderId` when there is no paymentId, so the
/// two namespaces cannot collide), `transaction.command`,
/// `transaction.fepReferenceId`, `result.status` and `result.resultCode`
/// (absent parts are empty). Why these:
///
/// - paymentId + status alone is not enough: "Partial refunds can be performed
///   repeatedly" (Cancel), so two successful partial refunds of one order
///   share paymentId, command and status. The reference gives every request
///   its own `fepReferenceId` ("newly assigned for each request by the FEP
///   server"), which tells them apart.
/// - the status and result code are part of it because one request can be
///   reported twice with different outcomes: an on-demand payment reported
///   `UA-U00-001` (user paying) is reported again with `UA-000-001` once the
///   consumer finishes.
///
/// A merchant that needs another identity builds one with [`EffectKey::from_parts`].
/// The key's text is a JSON array of its parts, so no two part lists share a key.
///
/// ```
/// use vt4g::dedupe::EffectKey;
/// let a = EffectKey::from_parts(["p_1", "cancel", "ref-1", "success"]);
/// let b = EffectKey::from_parts(["p_1", "cancel", "ref-2", "success"]);
/// assert_ne!(a, b);
/// assert_eq!(a.as_str(), r#"["p_1","cancel","ref-1","success"]"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EffectKey(String);

/// Why a webhook payload gives no [`EffectKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook payload has neither order.paymentId nor order.fepOrderId: no effect key")]
pub struct EffectKeyError;

impl EffectKey {
    /// A key made of `parts`, in order.
    pub fn from_parts<I, S>(parts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let parts: Vec<String> = parts.into_iter().map(|s| s.as_ref().to_owned()).collect();
        // Serialising a list of strings cannot fail.
        EffectKey(serde_json::to_string(&parts).unwrap_or_default())
    }

    /// The key of the event `payload` reports (see the type's docs for the parts).
    ///
    /// # Errors
    /// [`EffectKeyError`] when the payload names no order (`order.paymentId`
    /// and `order.fepOrderId` both absent or empty).
    pub fn for_payload(payload: &WebhookPayload) -> Result<Self, EffectKeyError> {
        let order = payload.order.as_ref();
        let pick = |v: Option<&String>| v.filter(|s| !s.is_empty()).cloned();
        let payment = pick(order.and_then(|o| o.payment_id.as_ref()))
            .or_else(|| {
                pick(order.and_then(|o| o.fep_order_id.as_ref())).map(|f| format!("fep:{f}"))
            })
            .ok_or(EffectKeyError)?;
        let tx = payload.transaction.as_ref();
        let result = payload.result.as_ref();
        let part = |v: Option<&String>| v.cloned().unwrap_or_default();
        Ok(Self::from_parts([
            payment,
            part(tx.and_then(|t| t.command.as_ref())),
            part(tx.and_then(|t| t.fep_reference_id.as_ref())),
            part(result.and_then(|r| r.status.as_ref())),
            part(result.and_then(|r| r.result_code.as_ref())),
        ]))
    }

    /// The key of the event a verified webhook reports.
    ///
    /// # Errors
    /// As [`EffectKey::for_payload`].
    pub fn for_webhook(event: &VerifiedWebhook) -> Result<Self, EffectKeyError> {
        Self::for_payload(&event.payload)
    }

    /// The key's text (a JSON array of its parts), as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EffectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether an effect ran now or had been applied before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied<T> {
    /// The effect ran now (its value) and its key is recorded.
    Now(T),
    /// The key was recorded before: the effect did not run.
    Before,
}

impl<T> Applied<T> {
    /// `true` for [`Applied::Now`].
    pub fn ran_now(&self) -> bool {
        matches!(self, Applied::Now(_))
    }
}

/// An effect's own error, or the effect log's.
#[derive(Debug, thiserror::Error)]
pub enum EffectError<E> {
    /// The effect failed; its key is not recorded (it runs again next time).
    #[error("webhook effect failed: {0}")]
    Effect(E),
    /// The effect log failed; for `PostgresEffects` nothing of the effect's
    /// transaction was committed unless the failure was on `COMMIT` itself.
    #[error(transparent)]
    Store(DedupeError),
}

/// An effect log in process memory: runs an effect at most once per
/// [`EffectKey`] while the process lives. Concurrent calls with one key wait
/// for each other; a failed effect leaves the key unrecorded.
///
/// Lost with the process — across restarts and replicas use `PostgresEffects`.
/// Clones share one log. Keys are kept until [`InMemoryEffects::clear`].
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use vt4g::dedupe::{Applied, EffectKey, InMemoryEffects};
/// let log = InMemoryEffects::new();
/// let key = EffectKey::from_parts(["p_1", "capture", "ref-1", "success"]);
/// let first = log.once(&key, || async { Ok::<_, std::io::Error>("shipped") }).await?;
/// assert_eq!(first, Applied::Now("shipped"));
/// let again = log.once(&key, || async { Ok::<_, std::io::Error>("shipped twice!") }).await?;
/// assert_eq!(again, Applied::Before);
/// # Ok::<(), vt4g::dedupe::EffectError<std::io::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct InMemoryEffects {
    slots: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<bool>>>>>,
}

impl InMemoryEffects {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, key: &EffectKey) -> Result<Arc<tokio::sync::Mutex<bool>>, DedupeError> {
        let mut map = self
            .slots
            .lock()
            .map_err(|_| DedupeError("in-memory effect log lock poisoned".into()))?;
        Ok(Arc::clone(map.entry(key.0.clone()).or_default()))
    }

    /// Runs `effect` unless `key` is recorded; records `key` when it succeeds.
    ///
    /// # Errors
    /// [`EffectError::Effect`] with the effect's error (the key stays
    /// unrecorded); [`EffectError::Store`] if the log's lock is poisoned.
    pub async fn once<F, Fut, T, E>(
        &self,
        key: &EffectKey,
        effect: F,
    ) -> Result<Applied<T>, EffectError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let slot = self.slot(key).map_err(EffectError::Store)?;
        let mut done = slot.lock().await;
        if *done {
            return Ok(Applied::Before);
        }
        let value = effect().await.map_err(EffectError::Effect)?;
        *done = true;
        Ok(Applied::Now(value))
    }

    /// Whether `key` is recorded.
    ///
    /// # Errors
    /// [`DedupeError`] if the log's lock is poisoned.
    pub async fn contains(&self, key: &EffectKey) -> Result<bool, DedupeError> {
        let slot = self.slot(key)?;
        let done = *slot.lock().await;
        Ok(done)
    }

    /// Forgets every key.
    ///
    /// # Errors
    /// [`DedupeError`] if the log's lock is poisoned.
    pub fn clear(&self) -> Result<(), DedupeError> {
        self.slots
            .lock()
            .map_err(|_| DedupeError("in-memory effect log lock poisoned".into()))?
            .clear();
        Ok(())
    }
}
