//! Receiving webhooks with axum (feature `axum`).
//!
//! [`WebhookReceiver`] turns raw body bytes and headers into a verified,
//! de-duplicated [`VerifiedWebhook`] and calls the merchant's handler at least
//! once per `X-VT-webhook-id`, acknowledging (200) only after the handler
//! succeeded and the id is recorded `done` (see [`crate::dedupe`]):
//!
//! | situation | answer | side effect |
//! |---|---|---|
//! | first delivery (or the holder's lease expired), handler `Ok` | 200 | id `done` |
//! | redelivery of a `done` id | 200 `duplicate` | none, handler not called |
//! | redelivery while another delivery holds a live lease | 409 + `Retry-After` | none, handler not called |
//! | missing/malformed header or id | 400 | none |
//! | wrong CCID or signature | 401 | none |
//! | body larger than the limit | 413 | none |
//! | genuine, but the body does not decode | 500 | none (redelivered later) |
//! | handler `Err` or panic | 500 | lease released, so the redelivery runs the handler |
//! | dedupe backend error on claim | 503 | none (redelivered later) |
//! | handler `Ok`, but `done` could not be recorded | 503 | lease released if possible, else it expires; the redelivery runs the handler again |
//!
//! The reference: any answer other than 200 makes the Unified API retry "for a
//! certain period", and a webhook may arrive again even after a 200, hence the
//! deduper. Verification happens before anything is recorded, so a forged
//! request can neither trigger the handler nor poison the deduper. The 409 is
//! a choice: any non-200 makes the Unified API retry, and 409 tells an
//! operator "being processed" apart from 503 "store unavailable"; `Retry-After`
//! carries the seconds left on the holder's lease (the reference does not say
//! whether the Unified API honours it).
//!
//! `Content-Type` is not checked: the body is decoded as JSON whatever it says.
//!
//! # Leases and the at-least-once contract
//!
//! The claim-handle-complete step runs in a spawned task, so a client that
//! disconnects mid-way does not leave a claimed id behind a handler that never
//! finished. While the handler runs, a heartbeat renews the lease every third
//! of [`WebhookReceiver::with_lease`] (default [`DEFAULT_LEASE`]); a process
//! that dies stops renewing and its lease expires, after which the next
//! delivery runs the handler. Consequently the handler can run more than once
//! for one notification (a crash after its effect but before `done`, a stall
//! longer than the lease, or the same event under a fresh webhook id): it must
//! be idempotent on the event (paymentId, command, fepReferenceId, status) —
//! [`crate::dedupe::EffectKey`] with [`crate::dedupe::InMemoryEffects`] or
//! `PostgresEffects` does that. A handler whose lease was taken over is not
//! stopped: when it succeeds the delivery is still answered 200 (its handler
//! did succeed) and the new holder completes the record.
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::Router;
//! use vt4g::axum_webhook::WebhookReceiver;
//! use vt4g::dedupe::InMemoryDeduper;
//! use vt4g::webhook::{VerifiedWebhook, WebhookScheme, WebhookVerifier};
//! use vt4g::Secret;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = WebhookVerifier::new("MyCcid", Secret::new("0123abcd"), WebhookScheme::Literal)?;
//! let receiver = WebhookReceiver::new(verifier, Arc::new(InMemoryDeduper::new()));
//! let app: Router = Router::new().route(
//!     "/vt4g/webhook",
//!     receiver.into_route(|event: VerifiedWebhook| async move {
//!         // Idempotent on the event, not on the webhook id (see above).
//!         println!("webhook {}: {:?}", event.webhook_id, event.payload);
//!         Ok::<(), std::io::Error>(())
//!     }),
//! );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::dedupe::{Claim, DedupeError, LeaseStatus, LeaseToken, WebhookDeduper};
use crate::webhook::{VerifiedWebhook, WebhookError, WebhookVerifier};

/// How long a `done` webhook id is remembered by default: 7 days. The
/// reference only says redeliveries happen "for a certain period".
pub const DEFAULT_DEDUPE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long a delivery holds its webhook id without renewing, by default:
/// 60 s. The heartbeat renews it every 20 s while the handler runs; a holder
/// that died is taken over at most this long after its last renewal.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// Attempts to record `done` after the handler succeeded.
const COMPLETE_ATTEMPTS: u32 = 3;

/// What became of one delivery.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The handler succeeded and the id is `done` (200).
    Processed {
        /// The webhook id.
        webhook_id: String,
    },
    /// A redelivery of a `done` id (200): the handler was not called.
    Duplicate {
        /// The webhook id.
        webhook_id: String,
    },
    /// Another delivery holds a live lease on the id (409 with
    /// `Retry-After`): the handler was not called; the Unified API retries.
    InProgress {
        /// The webhook id.
        webhook_id: String,
        /// Time left on the holder's lease.
        retry_after: Duration,
    },
    /// Not authentic or malformed (4xx); nothing was recorded.
    Rejected(WebhookError),
    /// The body could not be read within the size limit (413).
    BodyUnreadable {
        /// Why.
        reason: String,
    },
    /// Authentic, but the body does not decode (500); nothing was recorded.
    Undecodable(WebhookError),
    /// The handler failed or panicked (500); the lease was released.
    HandlerFailed {
        /// The webhook id.
        webhook_id: String,
        /// The handler's error, as text.
        error: String,
    },
    /// The dedupe backend failed before the handler ran (503).
    DedupeFailed(DedupeError),
    /// The handler succeeded but `done` could not be recorded (503): the
    /// redelivery runs the handler again once the lease is released or expired.
    CompletionFailed {
        /// The webhook id.
        webhook_id: String,
        /// The backend's error.
        error: DedupeError,
    },
}

impl Outcome {
    /// The HTTP status answered for this outcome.
    pub fn status(&self) -> StatusCode {
        match self {
            Outcome::Processed { .. } | Outcome::Duplicate { .. } => StatusCode::OK,
            Outcome::InProgress { .. } => StatusCode::CONFLICT,
            Outcome::Rejected(e) => match e {
                WebhookError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                WebhookError::SignatureMismatch | WebhookError::CcidMismatch(_) => {
                    StatusCode::UNAUTHORIZED
                }
                _ => StatusCode::BAD_REQUEST,
            },
            Outcome::BodyUnreadable { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Outcome::Undecodable(_) | Outcome::HandlerFailed { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Outcome::DedupeFailed(_) | Outcome::CompletionFailed { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// `true` when the answer is 2xx, i.e. the notification is acknowledged.
    pub fn is_acknowledged(&self) -> bool {
        self.status().is_success()
    }
}

/// Whole seconds, rounded up, at least 1 (the `Retry-After` form).
fn retry_after_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let status = self.status();
        let text = match &self {
            Outcome::Processed { .. } => "ok".to_owned(),
            Outcome::Duplicate { .. } => "duplicate".to_owned(),
            Outcome::InProgress { .. } => "webhook is being processed".to_owned(),
            Outcome::Rejected(e) => e.to_string(),
            Outcome::BodyUnreadable { .. } => "body too large or unreadable".to_owned(),
            Outcome::Undecodable(_) | Outcome::HandlerFailed { .. } => {
                "webhook processing failed".to_owned()
            }
            Outcome::DedupeFailed(_) | Outcome::CompletionFailed { .. } => {
                "webhook store unavailable".to_owned()
            }
        };
        let mut response = (status, text).into_response();
        if let Outcome::InProgress { retry_after, .. } = &self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(*retry_after)),
            );
        }
        response
    }
}

/// Verifies, de-duplicates and dispatches webhooks. Cheap to clone.
#[derive(Clone)]
pub struct WebhookReceiver {
    verifier: Arc<WebhookVerifier>,
    deduper: Arc<dyn WebhookDeduper>,
    ttl: Duration,
    lease: Duration,
}

impl fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("verifier", &self.verifier)
            .field("deduper", &self.deduper)
            .field("ttl", &self.ttl)
            .field("lease", &self.lease)
            .finish()
    }
}

impl WebhookReceiver {
    /// A receiver verifying with `verifier` and recording ids in `deduper`
    /// ([`DEFAULT_LEASE`], `done` kept for [`DEFAULT_DEDUPE_TTL`]).
    pub fn new(verifier: WebhookVerifier, deduper: Arc<dyn WebhookDeduper>) -> Self {
        WebhookReceiver {
            verifier: Arc::new(verifier),
            deduper,
            ttl: DEFAULT_DEDUPE_TTL,
            lease: DEFAULT_LEASE,
        }
    }

    /// Sets how long `done` ids are remembered.
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the lease a delivery holds on its id (renewed every third of it
    /// while the handler runs; at least 3 ms). A shorter lease takes over a
    /// dead holder sooner; a longer one tolerates longer stalls (a process
    /// paused for longer than the lease lets a redelivery run the handler
    /// concurrently).
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(3));
        self
    }

    /// The verifier.
    pub fn verifier(&self) -> &WebhookVerifier {
        &self.verifier
    }

    /// Reads the body (at most the verifier's size limit), verifies it, and
    /// runs `handler` unless the id is `done` or held by another delivery.
    /// Use this from a handler of your own; [`WebhookReceiver::into_route`]
    /// wraps it.
    pub async fn receive<H, Fut, E>(&self, headers: &HeaderMap, body: Body, handler: H) -> Outcome
    where
        H: FnOnce(VerifiedWebhook) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let limit = self.verifier.max_body_size();
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(e) => {
                return Outcome::BodyUnreadable {
                    reason: e.to_string(),
                }
            }
        };
        let pairs = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        let event = match self.verifier.verify_headers(pairs, &bytes) {
            Ok(event) => event,
            Err(e) if e.is_authentication_failure() => {
                tracing::warn!(error = %e, "webhook rejected");
                return Outcome::Rejected(e);
            }
            Err(e) => {
                tracing::error!(error = %e, "genuine webhook does not decode");
                return Outcome::Undecodable(e);
            }
        };
        let webhook_id = event.webhook_id.clone();
        let task = tokio::spawn(dispatch(
            Arc::clone(&self.deduper),
            self.lease,
            self.ttl,
            event,
            handler,
        ));
        match task.await {
            Ok(outcome) => outcome,
            // Only a panicking deduper gets here; a lease it took expires.
            Err(join) => Outcome::HandlerFailed {
                webhook_id,
                error: format!("webhook task failed: {join}"),
            },
        }
    }

    /// An axum `POST` route that receives webhooks and calls `handler` at
    /// least once per webhook id (see the [module docs](self) for the answers).
    pub fn into_route<H, Fut, E, S>(self, handler: H) -> MethodRouter<S>
    where
        H: Fn(VerifiedWebhook) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
        S: Clone + Send + Sync + 'static,
    {
        axum::routing::post(move |headers: HeaderMap, body: Body| {
            let receiver = self.clone();
            let handler = handler.clone();
            async move { receiver.receive(&headers, body, handler).await }
        })
    }
}

/// Renews the lease every third of `lease` until dropped. A lost lease or a
/// failed renewal is logged; the handler keeps running (it is idempotent by
/// contract, and stopping it half-way would be worse).
async fn heartbeat(
    deduper: &dyn WebhookDeduper,
    webhook_id: &str,
    token: &LeaseToken,
    lease: Duration,
) {
    let every = lease / 3;
    loop {
        tokio::time::sleep(every).await;
        match deduper.renew(webhook_id, token, lease).await {
            Ok(LeaseStatus::Held) => {}
            Ok(LeaseStatus::Lost) => {
                tracing::warn!(webhook_id = %webhook_id, "webhook lease taken over while its handler runs");
            }
            Err(e) => {
                tracing::warn!(webhook_id = %webhook_id, error = %e, "webhook lease renewal failed");
            }
        }
    }
}

/// Records `done`, retrying a failed statement (a repeated `complete` by the
/// same token is idempotent).
async fn complete(
    deduper: &dyn WebhookDeduper,
    webhook_id: &str,
    token: &LeaseToken,
    ttl: Duration,
) -> Result<LeaseStatus, DedupeError> {
    let mut wait = Duration::from_millis(50);
    let mut attempt = 1;
    loop {
        match deduper.complete(webhook_id, token, ttl).await {
            Ok(status) => return Ok(status),
            Err(e) if attempt >= COMPLETE_ATTEMPTS => return Err(e),
            Err(e) => {
                tracing::warn!(webhook_id = %webhook_id, error = %e, attempt, "recording a webhook done failed; retrying");
            }
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
        attempt += 1;
    }
}

/// Claim, handle (with a heartbeat), then complete or release. Runs in its
/// own task so that it finishes even if the HTTP request is dropped.
async fn dispatch<H, Fut, E>(
    deduper: Arc<dyn WebhookDeduper>,
    lease: Duration,
    ttl: Duration,
    event: VerifiedWebhook,
    handler: H,
) -> Outcome
where
    H: FnOnce(VerifiedWebhook) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: fmt::Display + Send + 'static,
{
    let webhook_id = event.webhook_id.clone();
    let token = match deduper.claim(&webhook_id, lease).await {
        Ok(Claim::Claimed(token)) => token,
        Ok(Claim::AlreadyDone) => {
            tracing::info!(webhook_id = %webhook_id, "duplicate webhook skipped");
            return Outcome::Duplicate { webhook_id };
        }
        Ok(Claim::InProgress { lease_remaining }) => {
            tracing::info!(webhook_id = %webhook_id, "webhook redelivered while being processed");
            return Outcome::InProgress {
                webhook_id,
                retry_after: lease_remaining,
            };
        }
        Err(e) => {
            tracing::error!(webhook_id = %webhook_id, error = %e, "webhook dedupe failed");
            return Outcome::DedupeFailed(e);
        }
    };
    // The handler runs in a nested task so that a panic is caught here and the
    // lease released.
    let mut handler_task = tokio::spawn(handler(event));
    let joined = tokio::select! {
        joined = &mut handler_task => joined,
        () = heartbeat(deduper.as_ref(), &webhook_id, &token, lease) => unreachable!("the heartbeat never ends"),
    };
    let error = match joined {
        Ok(Ok(())) => {
            return match complete(deduper.as_ref(), &webhook_id, &token, ttl).await {
                Ok(LeaseStatus::Held) => Outcome::Processed { webhook_id },
                Ok(LeaseStatus::Lost) => {
                    tracing::warn!(webhook_id = %webhook_id, "webhook handler succeeded after its lease was taken over; the new holder records it");
                    Outcome::Processed { webhook_id }
                }
                Err(error) => {
                    tracing::error!(webhook_id = %webhook_id, error = %error, "webhook handled but not recorded done");
                    if let Err(e) = deduper.release(&webhook_id, &token).await {
                        tracing::warn!(webhook_id = %webhook_id, error = %e, "could not release; the lease will expire");
                    }
                    Outcome::CompletionFailed { webhook_id, error }
                }
            };
        }
        Ok(Err(e)) => e.to_string(),
        Err(join) => format!("webhook handler panicked or was cancelled: {join}"),
    };
    tracing::error!(webhook_id = %webhook_id, error = %error, "webhook handler failed");
    match deduper.release(&webhook_id, &token).await {
        Ok(LeaseStatus::Held) => {}
        Ok(LeaseStatus::Lost) => {
            tracing::warn!(webhook_id = %webhook_id, "failed webhook's lease was already taken over");
        }
        Err(e) => {
            tracing::error!(webhook_id = %webhook_id, error = %e, "could not release failed webhook; its lease will expire");
        }
    }
    Outcome::HandlerFailed { webhook_id, error }
}
