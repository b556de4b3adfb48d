//! The in-memory idempotency ledger.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Begin, IdempotencyRecord, IdempotencyStore, RecordState, StoreError, StoredResponse};

/// An [`IdempotencyStore`] held in process memory.
///
/// Suitable for a single process and for tests: it survives retries but **not a
/// crash or restart** of the process, and it is not shared between replicas —
/// use `PostgresStore` (feature `postgres`) for that.
///
/// Cloning is cheap and every clone shares the same ledger (an `Arc` inside).
/// [`begin`](IdempotencyStore::begin) is atomic under one lock: of N tasks racing
/// on one scope exactly one gets [`Begin::Started`], the others
/// [`Begin::InFlightElsewhere`] carrying the same key.
///
/// Semantics of `begin` (identical to the Postgres store):
/// - no entry → the proposal is stored with `lease_until = now + lease` → `Started`;
/// - `Completed` entry → `Completed` (with the stored response), whatever its age;
/// - in-flight entry whose key is past [`KEY_LIFETIME`](super::KEY_LIFETIME) → `Expired`
///   (never taken over, never resent);
/// - in-flight entry with `lease_until > now` → `InFlightElsewhere`;
/// - in-flight entry with `lease_until <= now` → its lease becomes `now + lease`
///   and its [`lease_token`](IdempotencyRecord::lease_token) is incremented
///   → `Resumed` (with the stored key and body, not the proposal's).
///
/// Its clock is the `now` the caller passes (the client's injectable
/// [`Clock`](crate::client::Clock)): one process, one clock.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::{Duration, SystemTime};
/// use vt4g::idempotency::{Begin, IdempotencyRecord, IdempotencyStore, InMemoryStore, RecordState};
/// use vt4g::Command;
///
/// let store = InMemoryStore::new();
/// let now = SystemTime::now();
/// let proposal = IdempotencyRecord {
///     scope: "order-123/capture".into(),
///     key: "key-1".into(),
///     command: Command::Capture,
///     payment_id: Some("order-123".into()),
///     fingerprint: [0; 32],
///     body: b"{}".to_vec(),
///     created_at: now,
///     state: RecordState::InFlight,
///     lease_until: now,
///     response: None,
///     lease_token: 0,
/// };
/// let lease = Duration::from_secs(30);
/// assert!(matches!(store.begin(proposal.clone(), now, lease).await?, Begin::Started(_)));
/// assert!(matches!(store.begin(proposal, now, lease).await?, Begin::InFlightElsewhere(_)));
/// # Ok::<(), vt4g::idempotency::StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct InMemoryStore {
    inner: Arc<Mutex<HashMap<String, IdempotencyRecord>>>,
}

impl std::fmt::Debug for InMemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.inner.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("InMemoryStore")
            .field("entries", &len)
            .finish()
    }
}

impl InMemoryStore {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, IdempotencyRecord>>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Backend("in-memory ledger lock poisoned".into()))
    }

    /// Number of entries held.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the lock is poisoned.
    pub fn len(&self) -> Result<usize, StoreError> {
        Ok(self.lock()?.len())
    }

    /// Whether the ledger holds no entry.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the lock is poisoned.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.lock()?.is_empty())
    }

    /// Deletes every entry whose key was created more than `retain` before `now`;
    /// returns how many were deleted.
    ///
    /// `retain` is clamped up to [`KEY_LIFETIME`](super::KEY_LIFETIME): an entry is
    /// never deleted while its key could still be honoured by the API. Deleting an
    /// entry forgets the scope: a later `begin` on it starts afresh with a new key,
    /// so keep `retain` longer than any retry or resume your service may attempt
    /// (e.g. 7 days).
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the lock is poisoned.
    pub fn purge_expired(&self, now: SystemTime, retain: Duration) -> Result<u64, StoreError> {
        let retain = retain.max(super::KEY_LIFETIME);
        let cutoff = now.checked_sub(retain).unwrap_or(UNIX_EPOCH);
        let mut map = self.lock()?;
        let before = map.len();
        map.retain(|_, r| r.created_at > cutoff);
        Ok((before - map.len()) as u64)
    }
}

impl InMemoryStore {
    /// Deletes the entry of `scope` if — and only if — it is in flight and its key
    /// is past [`KEY_LIFETIME`](super::KEY_LIFETIME) at `now` (what `begin` reports as
    /// [`Begin::Expired`]); returns the deleted entry.
    ///
    /// Call it once you have settled the old attempt (e.g. with
    /// `getTransactionResult`) and decided to send anew: the next `begin` on the
    /// scope then starts afresh with a new key. Entries that are completed, or whose
    /// key is still honoured, are never deleted.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the lock is poisoned.
    pub fn discard_expired(
        &self,
        scope: &str,
        now: SystemTime,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let mut map = self.lock()?;
        match map.get(scope) {
            Some(r) if decide_existing(r, now) == ExistingDecision::Expired => {
                Ok(map.remove(scope))
            }
            _ => Ok(None),
        }
    }
}

/// The decision shared by both backends for an existing entry (pure, so it is tested once).
pub(crate) fn decide_existing(existing: &IdempotencyRecord, now: SystemTime) -> ExistingDecision {
    match existing.state {
        RecordState::Completed => ExistingDecision::Completed,
        RecordState::InFlight if existing.is_expired(now) => ExistingDecision::Expired,
        RecordState::InFlight if existing.lease_until > now => ExistingDecision::InFlightElsewhere,
        RecordState::InFlight => ExistingDecision::TakeOver,
    }
}

/// See [`decide_existing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExistingDecision {
    Completed,
    Expired,
    InFlightElsewhere,
    TakeOver,
}

/// The entry of `scope` if `key` and `token` name its current holder:
/// [`StoreError::NotFound`] without an entry for `key`,
/// [`StoreError::LeaseLost`] when the token is not the current one.
fn holder<'m>(
    map: &'m mut HashMap<String, IdempotencyRecord>,
    scope: &str,
    key: &str,
    token: u64,
) -> Result<&'m mut IdempotencyRecord, StoreError> {
    match map.get_mut(scope) {
        Some(rec) if rec.key == key && rec.lease_token == token => Ok(rec),
        Some(rec) if rec.key == key => Err(StoreError::LeaseLost {
            scope: scope.to_owned(),
        }),
        _ => Err(StoreError::NotFound {
            scope: scope.to_owned(),
        }),
    }
}

/// `now + lease`, saturating far in the future instead of overflowing.
pub(crate) fn lease_end(now: SystemTime, lease: Duration) -> SystemTime {
    now.checked_add(lease)
        .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(253_402_300_799))
}

#[async_trait::async_trait]
impl IdempotencyStore for InMemoryStore {
    async fn begin(
        &self,
        proposal: IdempotencyRecord,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Begin, StoreError> {
        let mut map = self.lock()?;
        match map.get_mut(&proposal.scope) {
            None => {
                let mut rec = proposal;
                rec.state = RecordState::InFlight;
                rec.response = None;
                rec.lease_until = lease_end(now, lease);
                rec.lease_token = 1;
                map.insert(rec.scope.clone(), rec.clone());
                Ok(Begin::Started(rec))
            }
            Some(existing) => Ok(match decide_existing(existing, now) {
                ExistingDecision::Completed => Begin::Completed(existing.clone()),
                ExistingDecision::Expired => Begin::Expired(existing.clone()),
                ExistingDecision::InFlightElsewhere => Begin::InFlightElsewhere(existing.clone()),
                ExistingDecision::TakeOver => {
                    existing.lease_until = lease_end(now, lease);
                    existing.lease_token += 1;
                    Begin::Resumed(existing.clone())
                }
            }),
        }
    }

    async fn renew(
        &self,
        scope: &str,
        key: &str,
        token: u64,
        now: SystemTime,
        lease: Duration,
    ) -> Result<SystemTime, StoreError> {
        let mut map = self.lock()?;
        let rec = holder(&mut map, scope, key, token)?;
        if rec.state != RecordState::InFlight {
            return Err(StoreError::LeaseLost {
                scope: scope.to_owned(),
            });
        }
        rec.lease_until = lease_end(now, lease);
        Ok(rec.lease_until)
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        token: u64,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        let mut map = self.lock()?;
        match map.get_mut(scope) {
            Some(rec) if rec.key == key && rec.state == RecordState::Completed => Ok(()),
            _ => {
                let rec = holder(&mut map, scope, key, token)?;
                rec.state = RecordState::Completed;
                rec.response = Some(response);
                Ok(())
            }
        }
    }

    async fn release(&self, scope: &str, key: &str, token: u64) -> Result<(), StoreError> {
        let mut map = self.lock()?;
        match map.get(scope) {
            Some(rec) if rec.key == key && rec.state == RecordState::InFlight => {}
            _ => {
                return Err(StoreError::NotFound {
                    scope: scope.to_owned(),
                })
            }
        }
        holder(&mut map, scope, key, token)?.lease_until = UNIX_EPOCH;
        Ok(())
    }

    async fn get(&self, scope: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(self.lock()?.get(scope).cloned())
    }
}
