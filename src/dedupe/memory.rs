//! The in-memory webhook deduper.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{DedupeError, Seen, WebhookDeduper};

/// A [`WebhookDeduper`] held in process memory.
///
/// Good for one process and for tests; redeliveries that reach another replica
/// or arrive after a restart are not recognised — use `PostgresDeduper`
/// (feature `postgres`) for that.
///
/// Cloning is cheap and every clone shares the same records (an `Arc` inside).
/// A record for a webhook id lives until `now + ttl` of the delivery that
/// recorded it; a record is *expired* when its expiry is `<= now`, and an expired
/// id counts as unseen (it is recorded again, `Seen::First`). Memory is only
/// returned by [`purge_expired`](WebhookDeduper::purge_expired) (and `forget`):
/// call it periodically.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::{Duration, SystemTime};
/// use vt4g::dedupe::{InMemoryDeduper, Seen, WebhookDeduper};
///
/// let dedupe = InMemoryDeduper::new();
/// let now = SystemTime::now();
/// let ttl = Duration::from_secs(7 * 24 * 3600);
/// assert_eq!(dedupe.check_and_record("wh-1", now, ttl).await?, Seen::First);
/// assert_eq!(dedupe.check_and_record("wh-1", now, ttl).await?, Seen::Duplicate);
/// # Ok::<(), vt4g::dedupe::DedupeError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct InMemoryDeduper {
    inner: Arc<Mutex<HashMap<String, SystemTime>>>,
}

impl std::fmt::Debug for InMemoryDeduper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.inner.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("InMemoryDeduper")
            .field("records", &len)
            .finish()
    }
}

impl InMemoryDeduper {
    /// An empty deduper.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, SystemTime>>, DedupeError> {
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

/// `now + ttl`, saturating far in the future instead of overflowing.
pub(crate) fn expiry(now: SystemTime, ttl: Duration) -> SystemTime {
    now.checked_add(ttl)
        .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(253_402_300_799))
}

#[async_trait::async_trait]
impl WebhookDeduper for InMemoryDeduper {
    async fn check_and_record(
        &self,
        webhook_id: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<Seen, DedupeError> {
        let mut map = self.lock()?;
        match map.get_mut(webhook_id) {
            Some(expires) if *expires > now => Ok(Seen::Duplicate),
            Some(expires) => {
                *expires = expiry(now, ttl);
                Ok(Seen::First)
            }
            None => {
                map.insert(webhook_id.to_owned(), expiry(now, ttl));
                Ok(Seen::First)
            }
        }
    }

    async fn forget(&self, webhook_id: &str) -> Result<(), DedupeError> {
        self.lock()?.remove(webhook_id);
        Ok(())
    }

    async fn purge_expired(&self, now: SystemTime) -> Result<u64, DedupeError> {
        let mut map = self.lock()?;
        let before = map.len();
        map.retain(|_, expires| *expires > now);
        Ok((before - map.len()) as u64)
    }
}
