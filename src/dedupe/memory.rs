//! The in-memory webhook deduper.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Claim, Clock, DedupeError, LeaseStatus, LeaseToken, SystemClock, WebhookDeduper};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Processing,
    Done,
}

#[derive(Debug)]
struct Entry {
    state: State,
    token: LeaseToken,
    /// Lease end while `Processing`, retention end once `Done`; the record
    /// counts as absent from this instant on.
    expires: SystemTime,
}

/// A [`WebhookDeduper`] held in process memory.
///
/// Good for one process and for tests; redeliveries that reach another replica
/// or arrive after a restart are not recognised — use `PostgresDeduper`
/// (feature `postgres`) for that. A crash of the process loses the records, so
/// after a restart every redelivery runs the handler again (at least once).
///
/// Cloning is cheap and every clone shares the same records and clock. A
/// record is *expired* when its end (lease or retention) is `<= now`, and then
/// counts as absent. Memory is returned by
/// [`purge_expired`](WebhookDeduper::purge_expired) (and `release`): call it
/// periodically.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::Duration;
/// use vt4g::dedupe::{Claim, InMemoryDeduper, LeaseStatus, WebhookDeduper};
///
/// let dedupe = InMemoryDeduper::new();
/// let lease = Duration::from_secs(60);
/// let Claim::Claimed(token) = dedupe.claim("wh-1", lease).await? else { unreachable!() };
/// // A redelivery while the handler runs:
/// assert!(matches!(dedupe.claim("wh-1", lease).await?, Claim::InProgress { .. }));
/// // The handler succeeded:
/// let retention = Duration::from_secs(7 * 24 * 3600);
/// assert_eq!(dedupe.complete("wh-1", &token, retention).await?, LeaseStatus::Held);
/// assert_eq!(dedupe.claim("wh-1", lease).await?, Claim::AlreadyDone);
/// # Ok::<(), vt4g::dedupe::DedupeError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct InMemoryDeduper {
    inner: Arc<Mutex<HashMap<String, Entry>>>,
    clock: Arc<dyn Clock>,
}

impl Default for InMemoryDeduper {
    fn default() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }
}

impl std::fmt::Debug for InMemoryDeduper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.inner.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("InMemoryDeduper")
            .field("records", &len)
            .field("clock", &self.clock)
            .finish()
    }
}

impl InMemoryDeduper {
    /// An empty deduper on the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty deduper on `clock` (e.g. a [`ManualClock`](super::ManualClock)).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        InMemoryDeduper {
            inner: Arc::new(Mutex::new(HashMap::new())),
            clock,
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, Entry>>, DedupeError> {
        self.inner
            .lock()
            .map_err(|_| DedupeError("in-memory dedupe lock poisoned".into()))
    }

    /// Number of records held (expired ones included until purged).
    ///
    /// # Errors
    /// [`DedupeError`] if the lock is poisoned.
    pub fn len(&self) -> Result<usize, DedupeError> {
        Ok(self.lock()?.len())
    }

    /// Whether no record is held.
    ///
    /// # Errors
    /// [`DedupeError`] if the lock is poisoned.
    pub fn is_empty(&self) -> Result<bool, DedupeError> {
        Ok(self.lock()?.is_empty())
    }
}

/// `now + d`, saturating far in the future instead of overflowing.
fn after(now: SystemTime, d: Duration) -> SystemTime {
    now.checked_add(d)
        .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(253_402_300_799))
}

#[async_trait::async_trait]
impl WebhookDeduper for InMemoryDeduper {
    async fn claim(&self, webhook_id: &str, lease: Duration) -> Result<Claim, DedupeError> {
        let now = self.clock.now();
        let mut map = self.lock()?;
        if let Some(e) = map.get(webhook_id) {
            if e.expires > now {
                return Ok(match e.state {
                    State::Done => Claim::AlreadyDone,
                    State::Processing => Claim::InProgress {
                        lease_remaining: e.expires.duration_since(now).unwrap_or_default(),
                    },
                });
            }
        }
        let token = LeaseToken::new();
        map.insert(
            webhook_id.to_owned(),
            Entry {
                state: State::Processing,
                token: token.clone(),
                expires: after(now, lease),
            },
        );
        Ok(Claim::Claimed(token))
    }

    async fn renew(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
        lease: Duration,
    ) -> Result<LeaseStatus, DedupeError> {
        let now = self.clock.now();
        let mut map = self.lock()?;
        match map.get_mut(webhook_id) {
            Some(e) if e.state == State::Processing && &e.token == token => {
                e.expires = after(now, lease);
                Ok(LeaseStatus::Held)
            }
            _ => Ok(LeaseStatus::Lost),
        }
    }

    async fn complete(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
        retention: Duration,
    ) -> Result<LeaseStatus, DedupeError> {
        let now = self.clock.now();
        let mut map = self.lock()?;
        match map.get_mut(webhook_id) {
            Some(e) if &e.token == token => {
                if e.state == State::Processing {
                    e.state = State::Done;
                    e.expires = after(now, retention);
                }
                Ok(LeaseStatus::Held)
            }
            _ => Ok(LeaseStatus::Lost),
        }
    }

    async fn release(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
    ) -> Result<LeaseStatus, DedupeError> {
        let mut map = self.lock()?;
        match map.get(webhook_id) {
            Some(e) if e.state == State::Processing && &e.token == token => {
                map.remove(webhook_id);
                Ok(LeaseStatus::Held)
            }
            _ => Ok(LeaseStatus::Lost),
        }
    }

    async fn purge_expired(&self) -> Result<u64, DedupeError> {
        let now = self.clock.now();
        let mut map = self.lock()?;
        let before = map.len();
        map.retain(|_, e| e.expires > now);
        Ok((before - map.len()) as u64)
    }
}
