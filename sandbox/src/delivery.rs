//! Webhook delivery in background tasks: signed with the configured scheme
//! over the exact bytes sent, retried with exponential backoff for a bounded
//! time, optionally redelivered once after a 200.
//!
//! One direction only: the engine queues [`WebhookJob`]s and keeps the
//! records; this module runs the jobs and reports each attempt back through
//! [`crate::engine::State::webhook_attempt`]. The engine knows nothing of it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{Ctx, DeliveryAttempt, DeliveryState, State, WebhookJob};
use crate::shared::Shared;

/// Runs `f` on the engine state under the lock (with the inputs of a request
/// handled now), then starts delivering the webhooks it queued.
pub(crate) fn with_state<R>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&mut State, &Ctx<'_>, &mut Vec<WebhookJob>) -> R,
) -> R {
    let ctx = shared.ctx();
    let mut jobs = Vec::new();
    let r = f(&mut shared.state.lock(), &ctx, &mut jobs);
    spawn_all(shared, jobs);
    r
}

/// Spawns one task per job (and one per forwarded copy, see
/// [`crate::Sandbox::forward_webhooks_to`]); never blocks the caller.
pub(crate) fn spawn_all(shared: &Arc<Shared>, jobs: Vec<WebhookJob>) {
    let forward = shared.forward.lock().clone();
    for job in jobs {
        if let Some(f) = &forward {
            let (shared, f) = (Arc::clone(shared), f.clone());
            let copy = WebhookJob {
                url: f.url.clone(),
                ..job.clone()
            };
            tokio::spawn(async move { forward_one(shared, copy, f).await });
        }
        let shared = Arc::clone(shared);
        tokio::spawn(async move { deliver(shared, job).await });
    }
}

/// Where every webhook is also delivered, and who hears of each attempt.
#[derive(Clone)]
pub(crate) struct Forward {
    pub(crate) url: String,
    pub(crate) report: Arc<dyn Fn(&ForwardedAttempt) + Send + Sync>,
}

/// One delivery attempt of a forwarded copy of a webhook
/// ([`crate::Sandbox::forward_webhooks_to`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ForwardedAttempt {
    /// `X-VT-webhook-id` of the webhook.
    pub webhook_id: String,
    /// The forwarding URL.
    pub url: String,
    /// `transaction.command` and paymentId of the body, when it has them.
    pub summary: String,
    /// HTTP status answered, if any.
    pub status: Option<u16>,
    /// Transport error, if any.
    pub error: Option<String>,
    /// `true` once the retry policy gave up.
    pub gave_up: bool,
}

/// The forwarded copy: signed and retried like the original, its attempts
/// reported to the forwarder instead of the webhook record (so records and
/// counts stay those of the API's own deliveries).
async fn forward_one(shared: Arc<Shared>, job: WebhookJob, f: Forward) {
    let summary = summary(&job.body);
    run(&shared, &job, |a, s| {
        (f.report)(&ForwardedAttempt {
            webhook_id: job.webhook_id.clone(),
            url: job.url.clone(),
            summary: summary.clone(),
            status: a.status,
            error: a.error,
            gave_up: s == Some(DeliveryState::Failed),
        });
    })
    .await;
}

/// `command paymentId` of a webhook body, for reports.
fn summary(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let s = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or("?")
            .to_owned()
    };
    format!("{} {}", s("/transaction/command"), s("/order/paymentId"))
}

/// One POST of the webhook, as its delivery record notes it.
async fn attempt(
    shared: &Shared,
    job: &WebhookJob,
    signature: &str,
    redelivery: bool,
) -> DeliveryAttempt {
    let req = shared
        .http
        .post(&job.url)
        .header("Content-Type", "application/json")
        .header("X-VT-webhook-id", &job.webhook_id)
        .header("X-VT-Content-hmac", signature)
        .timeout(shared.cfg.webhook_retry.attempt_timeout)
        .body(job.body.clone());
    let (status, error) = match req.send().await {
        Ok(resp) => (Some(resp.status().as_u16()), None),
        Err(e) => (
            None,
            Some(if e.is_timeout() {
                "timeout".to_owned()
            } else if e.is_connect() {
                "connection failed".to_owned()
            } else {
                "transport error".to_owned()
            }),
        ),
    };
    DeliveryAttempt {
        status,
        error,
        redelivery,
    }
}

async fn deliver(shared: Arc<Shared>, job: WebhookJob) {
    let delivered = run(&shared, &job, |a, s| {
        shared.state.lock().webhook_attempt(job.index, a, s);
    })
    .await;
    if delivered && shared.cfg.redeliver_webhooks && !job.redelivery {
        if let Ok(signature) = sign(&shared, &job) {
            tokio::time::sleep(shared.cfg.webhook_retry.initial_backoff).await;
            let a = attempt(&shared, &job, &signature, true).await;
            shared.state.lock().webhook_attempt(job.index, a, None);
        }
    }
}

fn sign(shared: &Shared, job: &WebhookJob) -> Result<String, String> {
    vt4g::webhook::sign_webhook(
        shared.cfg.webhook_scheme,
        &shared.cfg.merchant_ccid,
        &shared.cfg.auth_key,
        &job.body,
    )
    .map_err(|e| format!("cannot sign: {e}"))
}

/// Signs and POSTs `job` until it is answered 200 or the retry policy's time
/// is over, telling `record` of every attempt (with the final state on the
/// last one). Returns whether it was delivered.
async fn run(
    shared: &Shared,
    job: &WebhookJob,
    mut record: impl FnMut(DeliveryAttempt, Option<DeliveryState>),
) -> bool {
    let signature = match sign(shared, job) {
        Ok(s) => s,
        Err(e) => {
            let a = DeliveryAttempt {
                status: None,
                error: Some(e),
                redelivery: job.redelivery,
            };
            record(a, Some(DeliveryState::Failed));
            return false;
        }
    };
    let policy = shared.cfg.webhook_retry;
    let started = Instant::now();
    let mut wait = policy.initial_backoff;
    loop {
        let a = attempt(shared, job, &signature, job.redelivery).await;
        if a.status == Some(200) {
            record(a, Some(DeliveryState::Delivered));
            return true;
        }
        if started.elapsed() + wait > policy.max_elapsed {
            record(a, Some(DeliveryState::Failed));
            return false;
        }
        record(a, None);
        tokio::time::sleep(wait).await;
        let next = wait.as_secs_f64() * policy.multiplier.max(1.0);
        wait = Duration::from_secs_f64(next.min(policy.max_backoff.as_secs_f64()));
    }
}
