//! Webhook redelivery de-duplication.
//!
//! The reference: "push notifications may be sent again for orders that have
//! already received a 200 response … check the X-VT-webhook-id header item. If
//! it matches data you have already received, please skip processing and respond
//! with a 200 status." A [`WebhookDeduper`] remembers webhook ids for a TTL.

use std::time::{Duration, SystemTime};

mod memory;
pub use memory::InMemoryDeduper;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresDeduper;

/// Whether a webhook id was seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// First delivery: process it.
    First,
    /// A redelivery of an id already recorded (and not yet expired): answer 200, skip.
    Duplicate,
}

/// Errors of a dedupe backend.
#[derive(Debug, thiserror::Error)]
#[error("webhook dedupe backend error: {0}")]
pub struct DedupeError(pub String);

/// Remembers webhook ids (`X-VT-webhook-id`) for a TTL.
#[async_trait::async_trait]
pub trait WebhookDeduper: Send + Sync + std::fmt::Debug {
    /// Atomically records `webhook_id` if absent (or expired) and says whether it
    /// was seen before. The record lives until `now + ttl`.
    ///
    /// # Errors
    /// [`DedupeError`] when the backend fails; the caller should then answer
    /// non-200 so that the Unified API redelivers later.
    async fn check_and_record(
        &self,
        webhook_id: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<Seen, DedupeError>;

    /// Forgets `webhook_id`, so that a delivery whose processing failed after
    /// recording can be processed on redelivery.
    ///
    /// # Errors
    /// [`DedupeError`] when the backend fails.
    async fn forget(&self, webhook_id: &str) -> Result<(), DedupeError>;

    /// Removes records that expired before `now`; returns how many.
    ///
    /// # Errors
    /// [`DedupeError`] when the backend fails.
    async fn purge_expired(&self, now: SystemTime) -> Result<u64, DedupeError>;
}
