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
    /// The fencing token of the current lease: set to 1 when the entry is
    /// created and incremented by every take-over ([`Begin::Resumed`]).
    /// [`renew`](IdempotencyStore::renew), [`complete`](IdempotencyStore::complete)
    /// and [`release`](IdempotencyStore::release) succeed only for the holder of
    /// the current token, so a holder whose lease was taken over cannot
    /// overwrite the new holder's entry. Ignored in a proposal.
    pub lease_token: u64,
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
            .field("lease_token", &self.lease_token)
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

    /// Whether this entry records the same request as `command` with these
    /// body bytes (by their [`body_fingerprint`]) and this `paymentId`.
    ///
    /// A scope is bound to all three: the Unified API tells requests apart by
    /// key, API (command) and `paymentId`, and a capture and a cancel of one
    /// order can have byte-identical bodies, so the body alone does not
    /// identify the operation. Anything else under an existing scope is an
    /// [`IdempotencyConflict`](crate::Error::IdempotencyConflict) and nothing is sent.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use vt4g::idempotency::{body_fingerprint, IdempotencyRecord, RecordState};
    /// use vt4g::Command;
    /// let body = br#"{"order":{"paymentId":"o-1"}}"#;
    /// let rec = IdempotencyRecord {
    ///     scope: "o-1/capture".into(), key: "k".into(), command: Command::Capture,
    ///     payment_id: Some("o-1".into()), fingerprint: body_fingerprint(body),
    ///     body: body.to_vec(), created_at: SystemTime::UNIX_EPOCH,
    ///     state: RecordState::InFlight, lease_until: SystemTime::UNIX_EPOCH,
    ///     response: None, lease_token: 1,
    /// };
    /// assert!(rec.is_same_request(Command::Capture, Some("o-1"), &body_fingerprint(body)));
    /// // A cancel with the very same bytes is another operation.
    /// assert!(!rec.is_same_request(Command::Cancel, Some("o-1"), &body_fingerprint(body)));
    /// ```
    pub fn is_same_request(
        &self,
        command: Command,
        payment_id: Option<&str>,
        fingerprint: &[u8; 32],
    ) -> bool {
        self.command == command
            && self.payment_id.as_deref() == payment_id
            && self.fingerprint == *fingerprint
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
    /// `complete`/`release`/`renew` named a scope or key the store does not hold.
    #[error("idempotency scope {scope:?} holds no in-flight entry with that key")]
    NotFound {
        /// The scope asked for.
        scope: String,
    },
    /// The entry is in flight under another holder's lease token: this caller's
    /// lease ran out and was taken over. It must not write the entry any more.
    #[error("idempotency scope {scope:?}: the lease was taken over by another holder")]
    LeaseLost {
        /// The scope asked for.
        scope: String,
    },
    /// A database operation did not finish within the configured statement
    /// timeout; its connection was discarded. The operation may or may not
    /// have been applied.
    #[error("idempotency store operation timed out after {0:?}")]
    Timeout(Duration),
}

/// The idempotency ledger.
///
/// Implementations must make [`begin`](IdempotencyStore::begin) atomic: two
/// callers racing on one scope (threads, processes or replicas) must end with
/// one `Started` and the other `InFlightElsewhere` (or `Completed`), sharing one key.
///
/// **Time.** Every time a store compares or stores — lease ends, `created_at`
/// and the 24 h key age — comes from one clock: the store's. The in-memory
/// store uses the `now` its caller passes (the client's injectable
/// [`Clock`](crate::client::Clock)); `PostgresStore` (feature `postgres`) ignores `now` and uses
/// the database server's clock, so replicas with skewed clocks agree. A
/// returned [`Begin::Started`]/[`Begin::Resumed`] record has
/// `lease_until = store now + lease`, which tells the caller the store's
/// current time.
///
/// **Leases.** `Started` and `Resumed` hand the caller the entry's current
/// [`lease_token`](IdempotencyRecord::lease_token); `renew`, `complete` and
/// `release` are conditional on it.
#[async_trait::async_trait]
pub trait IdempotencyStore: Send + Sync + std::fmt::Debug {
    /// Atomically creates `proposal` for `proposal.scope` or reports the entry
    /// that already exists (see [`Begin`]). `now` is the caller's time (used
    /// only by stores without a clock of their own); `lease` is how long the
    /// caller holds an in-flight entry.
    ///
    /// # Errors
    /// [`StoreError::Backend`] or [`StoreError::Timeout`] when the backend fails;
    /// the caller must then not send (the entry may or may not exist).
    async fn begin(
        &self,
        proposal: IdempotencyRecord,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Begin, StoreError>;

    /// Extends the lease of the in-flight entry `scope`/`key` held with
    /// `token` to store-now + `lease`, and returns the new lease end (on the
    /// store's clock). Succeeds also after the lease ran out, as long as
    /// nobody took the entry over.
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] when another holder took the entry over (or it
    /// was completed); [`StoreError::NotFound`] if no entry holds `key`;
    /// [`StoreError::Backend`] / [`StoreError::Timeout`] on failure.
    async fn renew(
        &self,
        scope: &str,
        key: &str,
        token: u64,
        now: SystemTime,
        lease: Duration,
    ) -> Result<SystemTime, StoreError>;

    /// Stores the final answer for `scope`/`key` and marks it `Completed`, if
    /// `token` is the entry's current lease token. Completing an entry that is
    /// already completed with `key` succeeds and keeps the first answer (the
    /// API answers one key with one response).
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] if the entry is in flight under another
    /// token; [`StoreError::NotFound`] if no such entry;
    /// [`StoreError::Backend`] / [`StoreError::Timeout`] on failure.
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        token: u64,
        response: StoredResponse,
    ) -> Result<(), StoreError>;

    /// Gives up the lease on an in-flight entry without completing it (the
    /// outcome is unknown or pending), so that a later resume may take it over
    /// at once; only the holder of `token` may.
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] if the entry is in flight under another
    /// token; [`StoreError::NotFound`] if no such in-flight entry;
    /// [`StoreError::Backend`] / [`StoreError::Timeout`] on failure.
    async fn release(&self, scope: &str, key: &str, token: u64) -> Result<(), StoreError>;

    /// The entry for `scope`, if any.
    ///
    /// # Errors
    /// [`StoreError::Backend`] / [`StoreError::Timeout`] on failure.
    async fn get(&self, scope: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
}
