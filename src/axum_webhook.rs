//! Receiving webhooks with axum (feature `axum`).
//!
//! [`WebhookReceiver`] turns raw body bytes and headers into a verified,
//! de-duplicated [`VerifiedWebhook`] and calls the merchant's handler only for
//! the first delivery of each `X-VT-webhook-id`:
//!
//! | situation | answer | side effect |
//! |---|---|---|
//! | first delivery, handler `Ok` | 200 | id recorded |
//! | redelivery of a recorded id | 200 | none, handler not called |
//! | missing/malformed header or id | 400 | none |
//! | wrong CCID or signature | 401 | none |
//! | body larger than the limit | 413 | none |
//! | genuine, but the body does not decode | 500 | none (redelivered later) |
//! | handler `Err` or panic | 500 | id forgotten, so the redelivery is processed |
//! | dedupe backend error | 503 | none (redelivered later) |
//!
//! The reference: any answer other than 200 makes the Unified API retry "for a
//! certain period", and a webhook may arrive again even after a 200, hence the
//! deduper. Verification happens before anything is recorded, so a forged
//! request can neither trigger the handler nor poison the deduper.
//!
//! `Content-Type` is not checked: the body is decoded as JSON whatever it says.
//!
//! The record-then-handle step runs in a spawned task, so a client that
//! disconnects mid-way does not leave an id recorded for a handler that never
//! finished (and a panicking handler is caught and its id forgotten). While a
//! first delivery is still being handled, a concurrent redelivery of the same
//! id is answered 200 as a duplicate; if the first then fails, it answers 500
//! and forgets the id, and the Unified API retries it.
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
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::dedupe::{DedupeError, Seen, WebhookDeduper};
use crate::webhook::{VerifiedWebhook, WebhookError, WebhookVerifier};

/// How long a webhook id is remembered by default: 7 days. The reference
/// only says redeliveries happen "for a certain period".
pub const DEFAULT_DEDUPE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// What became of one delivery.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// First delivery; the handler succeeded.
    Processed {
        /// The webhook id.
        webhook_id: String,
    },
    /// A redelivery of an id already recorded: the handler was not called.
    Duplicate {
        /// The webhook id.
        webhook_id: String,
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
    /// The handler failed or panicked (500); the id was forgotten.
    HandlerFailed {
        /// The webhook id.
        webhook_id: String,
        /// The handler's error, as text.
        error: String,
    },
    /// The dedupe backend failed (503); the handler was not called, or its
    /// success could not be kept.
    DedupeFailed(DedupeError),
}

impl Outcome {
    /// The HTTP status answered for this outcome.
    pub fn status(&self) -> StatusCode {
        match self {
            Outcome::Processed { .. } | Outcome::Duplicate { .. } => StatusCode::OK,
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
            Outcome::DedupeFailed(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let status = self.status();
        let text = match &self {
            Outcome::Processed { .. } => "ok".to_owned(),
            Outcome::Duplicate { .. } => "duplicate".to_owned(),
            Outcome::Rejected(e) => e.to_string(),
            Outcome::BodyUnreadable { .. } => "body too large or unreadable".to_owned(),
            Outcome::Undecodable(_) | Outcome::HandlerFailed { .. } => {
                "webhook processing failed".to_owned()
            }
            Outcome::DedupeFailed(_) => "webhook store unavailable".to_owned(),
        };
        (status, text).into_response()
    }
}

/// Verifies, de-duplicates and dispatches webhooks. Cheap to clone.
#[derive(Clone)]
pub struct WebhookReceiver {
    verifier: Arc<WebhookVerifier>,
    deduper: Arc<dyn WebhookDeduper>,
    ttl: Duration,
}

impl fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("verifier", &self.verifier)
            .field("deduper", &self.deduper)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl WebhookReceiver {
    /// A receiver verifying with `verifier` and remembering ids in `deduper`
    /// for [`DEFAULT_DEDUPE_TTL`].
    pub fn new(verifier: WebhookVerifier, deduper: Arc<dyn WebhookDeduper>) -> Self {
        WebhookReceiver {
            verifier: Arc::new(verifier),
            deduper,
            ttl: DEFAULT_DEDUPE_TTL,
        }
    }

    /// Sets how long ids are remembered.
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The verifier.
    pub fn verifier(&self) -> &WebhookVerifier {
        &self.verifier
    }

    /// Reads the body (at most the verifier's size limit), verifies it, and
    /// runs `handler` if this is the first delivery of its id. Use this from a
    /// handler of your own; [`WebhookReceiver::into_route`] wraps it.
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
            self.ttl,
            event,
            handler,
        ));
        match task.await {
            Ok(outcome) => outcome,
            Err(join) => {
                // Only a panicking deduper gets here; make the redelivery count.
                let _ = self.deduper.forget(&webhook_id).await;
                Outcome::HandlerFailed {
                    webhook_id,
                    error: format!("webhook task failed: {join}"),
                }
            }
        }
    }

    /// An axum `POST` route that receives webhooks and calls `handler` once per
    /// webhook id (see the [module docs](self) for the answers).
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

/// Record, handle, forget on failure. Runs in its own task so that it
/// completes even if the HTTP request is dropped.
async fn dispatch<H, Fut, E>(
    deduper: Arc<dyn WebhookDeduper>,
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
    match deduper
        .check_and_record(&webhook_id, SystemTime::now(), ttl)
        .await
    {
        Ok(Seen::First) => {}
        Ok(Seen::Duplicate) => {
            tracing::info!(webhook_id = %webhook_id, "duplicate webhook skipped");
            return Outcome::Duplicate { webhook_id };
        }
        Err(e) => {
            tracing::error!(webhook_id = %webhook_id, error = %e, "webhook dedupe failed");
            return Outcome::DedupeFailed(e);
        }
    }
    // The handler runs in a nested task so that a panic is caught here and the
    // id forgotten.
    let error = match tokio::spawn(handler(event)).await {
        Ok(Ok(())) => return Outcome::Processed { webhook_id },
        Ok(Err(e)) => e.to_string(),
        Err(join) => format!("webhook handler panicked or was cancelled: {join}"),
    };
    tracing::error!(webhook_id = %webhook_id, error = %error, "webhook handler failed");
    if let Err(e) = deduper.forget(&webhook_id).await {
        tracing::error!(webhook_id = %webhook_id, error = %e, "could not forget failed webhook");
    }
    Outcome::HandlerFailed { webhook_id, error }
}
