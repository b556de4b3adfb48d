//! The one error type of the crate.
//!
//! Every variant that follows an attempt to reach the API carries the
//! idempotency key that was sent and the number of attempts made, so that a
//! caller can resume: resend the same request with the same key (the API then
//! answers with the original response for 24 h) or look the payment up with
//! getTransactionResult.
//!
//! Display output never contains the bearer token, the merchant key, request
//! bodies or response bodies (response bodies may echo merchant metadata);
//! body excerpts are available as fields for deliberate logging.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::idempotency::{InvalidKey, StoreError};
use crate::result_code::{ActionCode, ResultCode, Status};
use crate::validation::ValidationReport;
use crate::Command;

/// The longest body excerpt kept in an error, in bytes.
pub const EXCERPT_LIMIT: usize = 512;

/// An answer of the API that is not a success outcome: the fields of its
/// `result` block plus where and how it was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// The command that was called.
    pub command: Command,
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// `result.resultCode` ([`ResultCode::PageNotFound`] for a bare 404,
    /// [`ResultCode::Unknown`] for a code this crate does not know).
    pub result_code: ResultCode,
    /// `result.status`, when present.
    pub status: Option<Status>,
    /// `result.actionCode`, when present (else the one the reference pairs
    /// with the result code, if any).
    pub action_code: Option<ActionCode>,
    /// `result.vResultCode` (the detailed, provider-level code), when present.
    pub v_result_code: Option<String>,
    /// `result.message`, when present.
    pub message: Option<String>,
    /// The `X-VT-Idempotency-Key` sent, if any (resend with it to get the
    /// original answer again within 24 h).
    pub idempotency_key: Option<String>,
    /// How many HTTP attempts were made (0 when answered from the ledger).
    pub attempts: u32,
    /// At most [`EXCERPT_LIMIT`] bytes of the response body (never shown by `Display`).
    pub body_excerpt: String,
    /// The wait the server asked for with `Retry-After` on a 429 or 503
    /// answer, when it gave one: do not resend before it has passed.
    pub retry_after: Option<Duration>,
}

/// A response that could not be decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The command that was called.
    pub command: Command,
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// The result code, when the `result` block could be read (a success code
    /// here means money may have moved although the typed body did not decode).
    pub result_code: Option<ResultCode>,
    /// What failed to decode.
    pub reason: String,
    /// The idempotency key sent, if any.
    pub idempotency_key: Option<String>,
    /// How many HTTP attempts were made.
    pub attempts: u32,
    /// At most [`EXCERPT_LIMIT`] bytes of the body (never shown by `Display`).
    pub excerpt: String,
    /// The complete raw response body, so that nothing the API said is lost.
    pub body: Vec<u8>,
    /// The wait the server asked for with `Retry-After` on a 429 or 503
    /// answer, when it gave one: do not resend before it has passed.
    pub retry_after: Option<Duration>,
}

impl fmt::Debug for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeFailure")
            .field("command", &self.command)
            .field("http_status", &self.http_status)
            .field("result_code", &self.result_code)
            .field("reason", &self.reason)
            .field("idempotency_key", &self.idempotency_key)
            .field("attempts", &self.attempts)
            .field("retry_after", &self.retry_after)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The error of every fallible operation of the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused locally, before any byte went on the wire; the
    /// report lists every violation.
    #[error("{}", DisplayValidation(.0))]
    Validation(Box<ValidationReport>),

    /// The API answered with a failure or system error (including a
    /// `retry_request` code still returned after the last retry).
    #[error("{}", DisplayApi("failed", .0))]
    Api(Box<ApiFailure>),

    /// The API answered `UA-PND-*`: the payment may have succeeded or failed.
    /// Do not resend blindly; confirm with getTransactionResult / MAP later.
    #[error("{}", DisplayApi("is pending", .0))]
    Pending(Box<ApiFailure>),

    /// The request could not be completed at the transport level.
    #[error(
        "{command}: transport error after {attempts} attempt(s) (idempotency key {}; {}): {source}",
        OptKey(.idempotency_key),
        maybe(*.maybe_processed)
    )]
    Transport {
        /// The command that was called.
        command: Command,
        /// The underlying HTTP client error.
        #[source]
        source: reqwest::Error,
        /// The idempotency key sent, if any.
        idempotency_key: Option<String>,
        /// How many HTTP attempts were made.
        attempts: u32,
        /// `false` only when no attempt can have reached the server.
        maybe_processed: bool,
    },

    /// The last attempt timed out after the request was sent: it may have been
    /// processed. Resend with the same key to obtain the original answer.
    #[error(
        "{command}: timed out after {attempts} attempt(s) (idempotency key {}; {})",
        OptKey(.idempotency_key),
        maybe(*.maybe_processed)
    )]
    Timeout {
        /// The command that was called.
        command: Command,
        /// The idempotency key sent, if any.
        idempotency_key: Option<String>,
        /// How many HTTP attempts were made.
        attempts: u32,
        /// `true` when the request may have been processed.
        maybe_processed: bool,
    },

    /// A response could not be decoded, had no result code (5xx after the
    /// last retry: maybe processed), or carried a result code this crate does
    /// not know on HTTP 200 (possibly a new kind of success). The whole raw
    /// body is kept, so nothing the API said is lost.
    #[error(
        "{}: could not decode the HTTP {} response (resultCode {}; idempotency key {}; {} attempt(s); {} body bytes): {}",
        .0.command,
        .0.http_status,
        .0.result_code.as_ref().map(|c| c.as_str()).unwrap_or("unreadable"),
        OptKey(&.0.idempotency_key),
        .0.attempts,
        .0.body.len(),
        .0.reason
    )]
    Decode(Box<DecodeFailure>),

    /// An idempotency key or ledger scope was reused with a different request
    /// body (the reference: "do not change the request content").
    #[error("idempotency key {key:?} (scope {}) was already used with a different request body", OptKey(.scope))]
    IdempotencyConflict {
        /// The key.
        key: String,
        /// The ledger scope, when one was given.
        scope: Option<String>,
    },

    /// The key of this scope is 24 h old or more: the API would treat a resend
    /// as a new request. Check the payment with getTransactionResult before
    /// deciding to send a new request under a new scope/key.
    #[error("idempotency key {key:?} (scope {}) is past its 24 h life; resending could process the request twice", OptKey(.scope))]
    IdempotencyKeyExpired {
        /// The key.
        key: String,
        /// The ledger scope, when one was given.
        scope: Option<String>,
        /// When the key was first used.
        created_at: SystemTime,
    },

    /// Another caller holds the ledger lease for this scope: its request may be
    /// on the wire right now. Try again after the lease runs out.
    #[error("scope {scope:?} is in flight elsewhere with idempotency key {key:?}")]
    InFlightElsewhere {
        /// The scope.
        scope: String,
        /// The key the other caller uses.
        key: String,
    },

    /// The idempotency ledger failed before anything was sent: the request
    /// did not go out (`maybe_processed() == false`).
    #[error(transparent)]
    Store(#[from] StoreError),

    /// The API answered the request, but the idempotency ledger could not
    /// record the answer (after retries). The request **was processed** as far
    /// as the API is concerned — for a success code the effect happened — and
    /// the scope is still in flight under `key`: call again with the same scope
    /// (after its lease runs out) to resend with the same key, which gets the
    /// API's original answer back and records it. Never send it under a new
    /// scope or key.
    #[error(
        "{command}: the API answered (HTTP {http_status}, resultCode {}) with idempotency key {key:?}, \
         so the request was processed, but the ledger could not record it for scope {scope:?}: {source}; \
         resume the scope (same key) to record it, never resend under a new key",
        .result_code.as_ref().map(|c| c.as_str()).unwrap_or("unreadable")
    )]
    LedgerNotRecorded {
        /// The command that was called.
        command: Command,
        /// The ledger scope.
        scope: String,
        /// The idempotency key the request was sent with.
        key: String,
        /// The HTTP status of the API's answer.
        http_status: u16,
        /// The answer's result code, when it had one.
        result_code: Option<ResultCode>,
        /// Why the ledger could not record it.
        #[source]
        source: StoreError,
    },

    /// A caller-given idempotency key is malformed.
    #[error("invalid idempotency key: {0}")]
    InvalidKey(#[from] InvalidKey),

    /// The client is misconfigured (or a request could not be serialized).
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// The idempotency key involved, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        match self {
            Error::Api(f) | Error::Pending(f) => f.idempotency_key.as_deref(),
            Error::Transport {
                idempotency_key, ..
            }
            | Error::Timeout {
                idempotency_key, ..
            } => idempotency_key.as_deref(),
            Error::Decode(d) => d.idempotency_key.as_deref(),
            Error::IdempotencyConflict { key, .. }
            | Error::IdempotencyKeyExpired { key, .. }
            | Error::InFlightElsewhere { key, .. }
            | Error::LedgerNotRecorded { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The wait the server asked for with `Retry-After` (429 and 503
    /// answers), when it gave one. The client honours it between its own
    /// attempts; it is returned here when it ended the retries (longer than
    /// the policy's [`max_backoff`](crate::client::RetryPolicy::max_backoff),
    /// past its time budget or the key's life) or came with the last attempt,
    /// so that a caller scheduling the resend can honour it too.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(f) | Error::Pending(f) => f.retry_after,
            Error::Decode(d) => d.retry_after,
            _ => None,
        }
    }

    /// The result code of the answer, if the API answered with one.
    pub fn result_code(&self) -> Option<&ResultCode> {
        match self {
            Error::Api(f) | Error::Pending(f) => Some(&f.result_code),
            Error::Decode(d) => d.result_code.as_ref(),
            Error::LedgerNotRecorded { result_code, .. } => result_code.as_ref(),
            _ => None,
        }
    }

    /// `true` when the request may have been processed by the API although
    /// no usable answer came back: a transport error or timeout after sending,
    /// an undecodable answer, pending (`UA-PND-*`), and every answer whose
    /// result code leaves the effect unknown
    /// ([`ResultCode::effect_unknown`]: `UA-REQ-005`, `UA-PRV-001`,
    /// `UA-SYS-001` … `UA-SYS-004`, any code this crate does not know) —
    /// and [`Error::LedgerNotRecorded`], whose request the API did answer.
    /// Such a call must be resolved — resumed with the same key (the same
    /// scope does it), or settled with getTransactionResult — never simply
    /// sent again with a new key. The table of every code is on
    /// [`ResultCode::is_final`].
    pub fn maybe_processed(&self) -> bool {
        match self {
            Error::Transport {
                maybe_processed, ..
            }
            | Error::Timeout {
                maybe_processed, ..
            } => *maybe_processed,
            Error::Pending(_) | Error::Decode(_) | Error::LedgerNotRecorded { .. } => true,
            Error::Api(f) => f.result_code.effect_unknown(),
            _ => false,
        }
    }
}

struct DisplayValidation<'a>(&'a ValidationReport);

impl fmt::Display for DisplayValidation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::validation::Severity;
        let errors: Vec<_> = self.0.with_severity(Severity::Error).collect();
        write!(
            f,
            "request refused locally, nothing was sent: {} validation error(s)",
            errors.len()
        )?;
        if let Some(first) = errors.first() {
            write!(f, "; first: {}", first.message)?;
        }
        Ok(())
    }
}

struct DisplayApi<'a>(&'static str, &'a ApiFailure);

impl fmt::Display for DisplayApi<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.1;
        write!(
            f,
            "{} {}: HTTP {}, resultCode {}",
            a.command, self.0, a.http_status, a.result_code
        )?;
        if let Some(s) = &a.status {
            write!(f, ", status {s}")?;
        }
        if let Some(ac) = &a.action_code {
            write!(f, ", actionCode {ac}")?;
        }
        if let Some(v) = &a.v_result_code {
            write!(f, ", vResultCode {v}")?;
        }
        if let Some(m) = &a.message {
            write!(f, ", message {m:?}")?;
        }
        write!(
            f,
            " (idempotency key {}; {} attempt(s))",
            OptKey(&a.idempotency_key),
            a.attempts
        )
    }
}

struct OptKey<'a>(&'a Option<String>);

impl fmt::Display for OptKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(k) => write!(f, "{k:?}"),
            None => f.write_str("none"),
        }
    }
}

fn maybe(processed: bool) -> &'static str {
    if processed {
        "the request may have been processed"
    } else {
        "the request did not reach the server"
    }
}

/// At most [`EXCERPT_LIMIT`] bytes of `body` as (lossy) UTF-8, cut at a
/// character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_LIMIT + 4)]);
    let mut end = text.len().min(EXCERPT_LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_utf8() {
        let body = "あ".repeat(400); // 1200 bytes
        let e = excerpt(body.as_bytes());
        assert!(e.len() <= EXCERPT_LIMIT);
        assert!(e.chars().all(|c| c == 'あ'));
        assert_eq!(excerpt(b"short"), "short");
    }
}
