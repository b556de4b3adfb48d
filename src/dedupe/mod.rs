//! Webhook redelivery de-duplication, at least once.
//!
//! The reference: "push notifications may be sent again for orders that have
//! already received a 200 response … check the X-VT-webhook-id header item. If
//! it matches data you have already received, please skip processing and respond
//! with a 200 status", and "if any status code other than 200 is returned … the
//! notification will be retried for a certain period".
//!
//! A [`WebhookDeduper`] keeps one record per webhook id in two phases:
//!
//! | call | record before | record after | answer |
//! |---|---|---|---|
//! | [`claim`](WebhookDeduper::claim) | none, or `processing` with an expired lease, or `done` past its retention | `processing`, new lease token, lease until `now + lease` | [`Claim::Claimed`] |
//! | `claim` | `processing` with a live lease | unchanged | [`Claim::InProgress`] (how long the lease still runs) |
//! | `claim` | `done` within its retention | unchanged | [`Claim::AlreadyDone`] |
//! | [`renew`](WebhookDeduper::renew) (heartbeat) | `processing` with this token | lease until `now + lease` | [`LeaseStatus::Held`] |
//! | [`complete`](WebhookDeduper::complete) | `processing` (or already `done`) with this token | `done` until `now + retention` | `Held` |
//! | [`release`](WebhookDeduper::release) | `processing` with this token | none | `Held` |
//! | `renew` / `complete` / `release` | anything else (another holder took over, or the record is gone) | unchanged | [`LeaseStatus::Lost`] |
//!
//! `now` is one clock for every replica: the database's `now()` for
//! [`PostgresDeduper`], an injectable [`Clock`] for [`InMemoryDeduper`]. A
//! holder that crashes leaves `processing` behind; once its lease has expired
//! the next delivery claims the id and runs the handler again. The lease token
//! makes `complete` and `release` conditional on still being the holder, so a
//! slow holder whose lease was taken over cannot undo the new holder's record.
//!
//! # The contract this gives the merchant's handler: at least once
//!
//! A webhook is acknowledged (200) only after its handler succeeded and the
//! record is `done`. The other side of that guarantee: the handler can run more
//! than once for one notification — after a crash between the handler's effect
//! and `complete`, after a lease that expired while the handler was stalled, or
//! when the Unified API sends the same notification under a fresh
//! `X-VT-webhook-id`. The handler must therefore be idempotent on what the
//! notification reports (paymentId, command, fepReferenceId, status), not on
//! the webhook id. [`EffectKey`] names that event and [`InMemoryEffects`] /
//! `PostgresEffects` apply an effect once per key.
//!
//! # Compatibility
//!
//! The trait replaced the single-phase `check_and_record` / `forget` of earlier
//! 0.1 builds, which recorded an id before the handler ran (at most once). Rows
//! written by that version are read as `done` (migration 4).

use std::fmt;
use std::time::Duration;

mod effect;
mod memory;
/// The one clock of the library (also used by the client and the simulator).
pub use crate::client::{Clock, ManualClock, SystemClock};
pub use effect::{Applied, EffectError, EffectKey, EffectKeyError, InMemoryEffects};
pub use memory::InMemoryDeduper;
#[cfg(feature = "postgres")]
mod effect_postgres;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use effect_postgres::{EffectFuture, PostgresEffects};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresDeduper;

/// Proof of holding the lease on one webhook id: random, new for every claim.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LeaseToken(uuid::Uuid);

impl LeaseToken {
    /// A fresh random token.
    pub fn new() -> Self {
        LeaseToken(uuid::Uuid::new_v4())
    }

    /// The token as stored (32 lower-case hex digits).
    pub fn as_string(&self) -> String {
        self.0.simple().to_string()
    }
}

impl Default for LeaseToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LeaseToken({})", self.0.simple())
    }
}

/// What [`WebhookDeduper::claim`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This caller now holds the id under a lease: run the handler, then
    /// [`complete`](WebhookDeduper::complete) or [`release`](WebhookDeduper::release).
    Claimed(LeaseToken),
    /// The handler already succeeded for this id: answer 200, do nothing.
    AlreadyDone,
    /// Another delivery holds a live lease (its handler is running, or its
    /// holder died less than a lease ago): answer non-2xx so that the Unified
    /// API retries; the lease runs for at most `lease_remaining` more unless
    /// its holder renews it.
    InProgress {
        /// Time left on the holder's lease, by the store's clock.
        lease_remaining: Duration,
    },
}

/// Whether the caller still held the lease when it renewed, completed or released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseStatus {
    /// The call took effect (for `complete`: the record is `done`).
    Held,
    /// The record is no longer this token's (another delivery claimed it after
    /// the lease expired, or it was purged): nothing was changed.
    Lost,
}

/// Errors of a dedupe backend.
#[derive(Debug, thiserror::Error)]
#[error("webhook dedupe backend error: {0}")]
pub struct DedupeError(pub String);

/// The two-phase webhook-id store (see the [module docs](self) for the states).
///
/// Durations are added to the store's own clock; no method takes a caller's time.
#[async_trait::async_trait]
pub trait WebhookDeduper: Send + Sync + fmt::Debug {
    /// Claims `webhook_id` for a lease of `lease` if nobody holds a live lease on
    /// it and it is not `done`; atomically, so of concurrent claims at most one
    /// gets [`Claim::Claimed`].
    ///
    /// # Errors
    /// [`DedupeError`] when the backend fails; answer non-2xx so that the
    /// Unified API redelivers later.
    async fn claim(&self, webhook_id: &str, lease: Duration) -> Result<Claim, DedupeError>;

    /// Extends the lease of `token` on `webhook_id` to `now + lease` (the
    /// heartbeat of a long handler).
    ///
    /// # Errors
    /// [`DedupeError`] when the backend fails.
    async fn renew(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
        lease: Duration,
    ) -> Result<LeaseStatus, DedupeError>;

    /// Marks `webhook_id` `done` (kept until `now + retention`) if `token` still
    /// holds it. Idempotent: repeating it for an id this token already
    /// completed answers [`LeaseStatus::Held`] again (safe to retry after an
    /// ambiguous failure).
    ///
    /// # Errors
    /// [`DedupeError`] when the backend fails (the record may or may not be `done`).
    async fn complete(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
        retention: Duration,
    ) -> Result<LeaseStatus, DedupeError>;

    /// Drops the `processing` record of `token` so that the next delivery runs
    /// the handler at once (after a handler error).
    ///
    /// # Errors
    /// [`DedupeError`] when the backend fails; the lease then expires on its own.
    async fn release(
        &self,
        webhook_id: &str,
        token: &LeaseToken,
    ) -> Result<LeaseStatus, DedupeError>;

    /// Removes `done` records past their retention and `processing` records
    /// whose lease expired (both count as absent already); returns how many.
    ///
    /// # Errors
    /// [`DedupeError`] when the backend fails.
    async fn purge_expired(&self) -> Result<u64, DedupeError>;
}
