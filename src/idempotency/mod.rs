//! Idempotency keys and the idempotency ledger.
//!
//! The Unified API treats two requests as the same when they carry the same
//! `X-VT-Idempotency-Key`, go to the same API and name the same `paymentId`
//! (or `fepOrderId`) within 24 hours; it then answers with the original
//! response instead of processing again. This module holds the key type and
//! the ledger ([`IdempotencyStore`]) that remembers, per logical operation
//! ("scope", e.g. `order-123/capture`), which key and which exact body bytes
//! were used, so that a retry — even after a crash, even from another replica —
//! re-sends the byte-identical request with the same key.

use std::time::{Duration, SystemTime};

use crate::Command;

mod key;
mod memory;
pub use key::*;
pub use memory::InMemoryStore;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresStore;

/// How long the Unified API honours an idempotency key.
pub const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The state of a ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordState {
    /// A request with this key may be on the wire or may have been processed;
    /// its final answer is not known yet.
    InFlight,
    /// A final answer was received and stored; the scope must not be sent again.
    Completed,
}

/// The final answer stored for a completed scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status of the final answer.
    pub http_status: u16,
    /// The raw response body bytes.
    pub body: Vec<u8>,
}

/// One ledger entry: everything needed to resend the exact same request.
#[derive(Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The caller's name for the logical operation, e.g. `order-123/capture`.
    pub scope: String,
    /// The idempotency key sent as `X-VT-Idempotency-Key`.
    pub key: String,
    /// The command the key was used with.
    pub command: Command,
    /// `order.paymentId` (or `fepOrderId`) of the request, when it has one.
    pub payment_id: Option<String>,
    /// SHA-256 of the exact request body bytes.
    pub fingerprint: [u8; 32],
    /// The exact request body bytes (resent unchanged on retry or resume).
    pub body: Vec<u8>,
    /// When the key was first used (the 24 h key life counts from here).
    pub created_at: SystemTime,
    /// Whether a final answer is known.
    pub state: RecordState,
    /// Until when the current holder owns an in-flight entry; after that another
    /// caller (a restarted process, another replica) may take it over and resend.
    pub lease_until: SystemTime,
    /// The final answer, when `state == Completed`.
    pub response: Option<StoredResponse>,
}

impl std::fmt::Debug for IdempotencyRecord {
    // The body may carry metadata values the merchant considers private: print its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyRecord")
            .field("scope", &self.scope)
            .field("key", &self.key)
            .field("command", &self.command)
            .field("payment_id", &self.payment_id)
            .field("body_len", &self.body.len())
            .field("created_at", &self.created_at)
            .field("state", &self.state)
            .field("lease_until", &self.lease_until)
            .field("has_response", &self.response.is_some())
            .finish()
    }
}

impl IdempotencyRecord {
    /// Whether the key is past the API's 24 h life at `now` (it must then never be reused).
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now.duration_since(self.created_at)
            .map(|age| age >= KEY_LIFETIME)
            .unwrap_or(false)
    }
}

/// What [`IdempotencyStore::begin`] found for a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// No entry existed: the proposed record was stored and the caller now holds
    /// its lease. Send the request.
    Started(IdempotencyRecord),
    /// An in-flight entry existed whose lease had run out (a crashed process, a
    /// timed-out replica): the caller now holds the lease and must resend the
    /// stored body with the stored key.
    Resumed(IdempotencyRecord),
    /// Another holder's lease is still running: do not send; report it.
    InFlightElsewhere(IdempotencyRecord),
    /// The scope already has a final answer: return it without calling the API.
    Completed(IdempotencyRecord),
    /// An in-flight entry exists but its key is past 24 h: it must not be reused.
    /// The caller has to decide (check with getTransactionResult first).
    Expired(IdempotencyRecord),
}

/// Errors of an idempotency store backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (connection, SQL, lock poisoning...). The message never
    /// contains request bodies or credentials.
    #[error("idempotency store backend error: {0}")]
    Backend(String),
    /// `complete`/`release` named a scope or key the store does not hold.
    #[error("idempotency scope {scope:?} holds no in-flight entry with that key")]
    NotFound {
        /// The scope asked for.
        scope: String,
    },
}

/// The idempotency ledger.
///
/// Implementations must make [`begin`](IdempotencyStore::begin) atomic: two
/// callers racing on one scope (threads, processes or replicas) must end with
/// one `Started` and the other `InFlightElsewhere` (or `Completed`), sharing one key.
#[async_trait::async_trait]
pub trait IdempotencyStore: Send + Sync + std::fmt::Debug {
    /// Atomically creates `proposal` for `proposal.scope` or reports the entry
    /// that already exists (see [`Begin`]). `now` comes from the caller's clock;
    /// `lease` is how long the caller holds an in-flight entry.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the backend fails; nothing is written then.
    async fn begin(
        &self,
        proposal: IdempotencyRecord,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Begin, StoreError>;

    /// Stores the final answer for `scope`/`key` and marks it `Completed`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if no such entry; [`StoreError::Backend`] on failure.
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        response: StoredResponse,
    ) -> Result<(), StoreError>;

    /// Gives up the lease on an in-flight entry without completing it (the
    /// outcome is unknown or pending), so that a later resume may take it over at once.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if no such entry; [`StoreError::Backend`] on failure.
    async fn release(&self, scope: &str, key: &str) -> Result<(), StoreError>;

    /// The entry for `scope`, if any.
    ///
    /// # Errors
    /// [`StoreError::Backend`] on failure.
    async fn get(&self, scope: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
}
